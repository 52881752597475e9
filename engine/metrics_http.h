/* A tiny HTTP server (libmicrohttpd) that serves Prometheus text at
 * /metrics.
 *
 * Invariants: a running server owns one MHD daemon with its own polling
 * thread; every request calls the render function on that thread, so the
 * render function must be safe to call concurrently with whatever the
 * owner is doing (cx_engine_metrics is). The server never binds a wildcard
 * address on its own: a bare port means 127.0.0.1.
 */
#ifndef CX_ENGINE_METRICS_HTTP_H
#define CX_ENGINE_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "cx_error.h"

/* Writes the exposition into buf (NUL-terminated, truncated to cap) and
 * returns the length it needed (without the NUL). */
typedef size_t (*cx_metrics_render_fn)(void *ctx, char *buf, size_t cap);

typedef struct cx_metrics_server cx_metrics_server;

/* Parses `addr_port` ("PORT", "HOST:PORT" or "[IPV6]:PORT"; PORT 0 picks a
 * free port), binds it and starts serving. Returns NULL with *err set:
 * CX_EINVAL for a malformed address, CX_EIO when the address cannot be
 * bound. Thread-safe. */
cx_metrics_server *cx_metrics_server_start(const char *addr_port,
                                           cx_metrics_render_fn render,
                                           void *ctx, cx_error *err);

/* The TCP port actually bound. */
uint16_t cx_metrics_server_port(const cx_metrics_server *s);

/* Stops the daemon (joins its thread; no render call runs afterwards) and
 * frees the server. NULL is a no-op. */
void cx_metrics_server_stop(cx_metrics_server *s);

#endif /* CX_ENGINE_METRICS_HTTP_H */
