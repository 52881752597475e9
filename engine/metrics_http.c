/* Prometheus text over HTTP with libmicrohttpd (see metrics_http.h). */
#include "metrics_http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CX_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define CX_METRICS_DEFAULT_HOST "127.0.0.1"

struct cx_metrics_server {
  struct MHD_Daemon *daemon;
  cx_metrics_render_fn render;
  void *ctx;
  uint16_t port;
};

/* Renders into a malloc'd buffer, growing it until the text fits (the
 * text may grow between two calls, hence the loop). */
static char *render_all(cx_metrics_server *s, size_t *len) {
  size_t cap = 16384;
  for (int tries = 0; tries < 8; tries++) {
    char *buf = malloc(cap);
    if (buf == NULL)
      return NULL;
    size_t need = s->render(s->ctx, buf, cap);
    if (need < cap) {
      *len = need;
      return buf;
    }
    free(buf);
    cap = need + 4096;
  }
  return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code,
                             const char *text) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
  if (r == NULL)
    return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                          "text/plain; charset=utf-8");
  if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  enum MHD_Result ok = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls) {
  (void)version;
  (void)upload;
  (void)upload_size;
  (void)con_cls;
  cx_metrics_server *s = cls;
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
      strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
  if (strcmp(url, "/metrics") != 0 && strcmp(url, "/") != 0)
    return reply(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n");
  size_t len = 0;
  char *text = render_all(s, &len);
  if (text == NULL)
    return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
  struct MHD_Response *r =
      MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
  if (r == NULL) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                          CX_METRICS_CONTENT_TYPE);
  enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return ok;
}

/* Splits "PORT", "HOST:PORT" or "[V6]:PORT" into host and port strings
 * (written into the caller's buffers). */
static int split_addr(const char *in, char *host, size_t host_cap,
                      char *port, size_t port_cap, cx_error *err) {
  const char *colon = NULL;
  const char *h = in;
  size_t hlen = 0;
  if (in[0] == '[') {
    const char *close = strchr(in, ']');
    if (close == NULL || close[1] != ':')
      goto bad;
    h = in + 1;
    hlen = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(in, ':');
    if (colon != NULL && strchr(in, ':') != colon)
      goto bad; /* a bare IPv6 address needs brackets */
    if (colon != NULL)
      hlen = (size_t)(colon - in);
  }
  if (colon == NULL) {
    h = CX_METRICS_DEFAULT_HOST;
    hlen = strlen(h);
    colon = in - 1; /* the whole string is the port */
  }
  const char *p = colon + 1;
  size_t plen = strlen(p);
  if (hlen == 0 || hlen >= host_cap || plen == 0 || plen >= port_cap)
    goto bad;
  unsigned long v = 0;
  for (size_t i = 0; i < plen; i++) {
    if (p[i] < '0' || p[i] > '9')
      goto bad;
    v = v * 10 + (unsigned long)(p[i] - '0');
    if (v > 65535)
      goto bad;
  }
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  memcpy(port, p, plen + 1);
  return CX_OK;
bad:
  return cx_error_set(err, CX_EINVAL,
                      "bad metrics address '%s': expected PORT, HOST:PORT or "
                      "[IPV6]:PORT (e.g. 127.0.0.1:9464)",
                      in);
}

cx_metrics_server *cx_metrics_server_start(const char *addr_port,
                                           cx_metrics_render_fn render,
                                           void *ctx, cx_error *err) {
  if (addr_port == NULL || render == NULL) {
    cx_error_set(err, CX_EINVAL, "metrics listen: NULL address or renderer");
    return NULL;
  }
  char host[256], port[8];
  if (split_addr(addr_port, host, sizeof host, port, sizeof port, err) != 0)
    return NULL;
  struct addrinfo hints, *ai = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  int gai = getaddrinfo(host, port, &hints, &ai);
  if (gai != 0 || ai == NULL) {
    cx_error_set(err, CX_EINVAL, "metrics address '%s': cannot resolve %s: %s",
                 addr_port, host, gai_strerror(gai));
    return NULL;
  }
  cx_metrics_server *s = calloc(1, sizeof *s);
  if (s == NULL) {
    freeaddrinfo(ai);
    cx_error_set(err, CX_ENOMEM, "no memory for the metrics server");
    return NULL;
  }
  s->render = render;
  s->ctx = ctx;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
  if (ai->ai_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
                               MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                               MHD_OPTION_CONNECTION_LIMIT, 64u,
                               MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                               MHD_OPTION_END);
  freeaddrinfo(ai);
  if (s->daemon == NULL) {
    free(s);
    cx_error_set(err, CX_EIO,
                 "cannot serve metrics on %s (address in use, not a local "
                 "address, or no permission); choose another HOST:PORT",
                 addr_port);
    return NULL;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : 0;
  return s;
}

uint16_t cx_metrics_server_port(const cx_metrics_server *s) {
  return s ? s->port : 0;
}

void cx_metrics_server_stop(cx_metrics_server *s) {
  if (s == NULL)
    return;
  MHD_stop_daemon(s->daemon);
  free(s);
}
