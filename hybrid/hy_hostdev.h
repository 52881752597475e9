/* A device driven by host threads: a FIFO queue of attempts and worker
 * threads that run an `exec` callback on each. The sim backend computes
 * in exec; the CUDA backend calls the blocking gpu/ launchers there, so
 * both are asynchronous to the scheduler in the same way.
 *
 * Invariants (under `mu`): every queued attempt holds a reference owned by
 * the queue; an attempt leaves the queue exactly once, into a worker that
 * completes and releases it. After cx_hostdev_destroy() begins, submit
 * fails and queued attempts are completed with CX_ESTATE.
 */
#ifndef CX_HYBRID_HOSTDEV_H
#define CX_HYBRID_HOSTDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "cx_error.h"
#include "hy_attempt.h"
#include "hy_metrics.h"

/* Computes attempt a into its result buffers; returns CX_OK or an error
 * code. May block; runs on a device thread. */
typedef int (*cx_hostdev_exec_fn)(void *ctx, cx_attempt *a);

/* Called on the device thread when exec's result is taken by the
 * scheduler (not when it came too late), before the scheduler sees it;
 * may be NULL. Must not block. */
typedef void (*cx_hostdev_taken_fn)(void *ctx, const cx_attempt *a);

typedef struct cx_hostdev cx_hostdev;

/* Starts `threads` workers. Busy time and late results (an attempt
 * completed after it was abandoned, or abandoned before it started: each
 * timed-out attempt counts once) go to m (borrowed). close_timeout_ns
 * bounds cx_hostdev_destroy()'s wait for a worker stuck in exec (0: the
 * default, 10 s). NULL and err set (CX_ENOMEM, CX_ELIMIT) on failure. */
cx_hostdev *cx_hostdev_create(unsigned threads, cx_hostdev_exec_fn exec,
                              cx_hostdev_taken_fn taken, void *ctx,
                              cx_backend_metrics *m, uint64_t close_timeout_ns,
                              cx_error *err);

/* Queues a (taking a reference). CX_ESTATE when shutting down. */
int cx_hostdev_submit(cx_hostdev *d, cx_attempt *a, cx_error *err);

/* Stops the workers and joins them; NULL is a no-op (returns true).
 * Returns false when a worker is still inside exec after the close
 * timeout (a device that stopped answering: a hung kernel blocks its
 * thread in the driver, and nothing can interrupt it): then the workers
 * are detached and d is left allocated for them, and the caller must leave
 * exec's ctx allocated too, so that the process can still shut down. */
bool cx_hostdev_destroy(cx_hostdev *d);

#endif /* CX_HYBRID_HOSTDEV_H */
