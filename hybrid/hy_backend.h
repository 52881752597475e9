/* The backend interface: one small vtable per device kind.
 *
 * A backend computes device attempts (hy_attempt.h) asynchronously. The
 * promise of submit, as in libuv: when it returns CX_OK the backend holds a
 * reference and will call cx_attempt_complete() exactly once (from any
 * thread) and then release it; when it fails, the attempt is untouched
 * and never completed by the backend.
 *
 * The scheduler owns the health (breaker), metrics and tuning state of
 * each backend; the backend only computes.
 */
#ifndef CX_HYBRID_BACKEND_H
#define CX_HYBRID_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_error.h"
#include "hy_attempt.h"
#include "hy_breaker.h"
#include "hy_metrics.h"

typedef enum cx_device_kind {
  CX_DEVICE_CPU,
  CX_DEVICE_SIM,
  CX_DEVICE_CUDA
} cx_device_kind;

/* What a backend can take and what it is expected to cost. */
typedef struct cx_backend_caps {
  size_t max_batch;       /* largest attempt it accepts */
  size_t preferred_batch; /* starting batch size for the tuner */
  double item_ns[CX_TASK_KINDS]; /* expected compute per item */
  double latency_ns;      /* expected fixed cost per attempt */
} cx_backend_caps;

typedef struct cx_backend cx_backend;

typedef struct cx_backend_ops {
  /* False when the device cannot take work now (lost, shutting down). */
  bool (*is_available)(const cx_backend *b);
  void (*caps)(const cx_backend *b, cx_backend_caps *out);
  /* Asynchronous submit; see the promise above. */
  int (*submit)(cx_backend *b, cx_attempt *a, cx_error *err);
  /* Stops the device; every attempt it accepted has been completed. */
  void (*destroy)(cx_backend *b);
} cx_backend_ops;

/* Tuning state of a backend per kind (under the scheduler's tune mutex;
 * `batch_pub` mirrors batch for lock-free readers). */
typedef struct cx_backend_tune {
  double item_ns, latency_ns, items_per_s;
  size_t batch;
  atomic_size_t batch_pub;
} cx_backend_tune;

struct cx_backend {
  char name[32];
  cx_device_kind kind;
  const cx_backend_ops *ops;
  void *impl;
  cx_backend_caps caps;
  cx_breaker health;
  cx_backend_metrics m;
  cx_backend_tune tune[CX_TASK_KINDS];
};

#endif /* CX_HYBRID_BACKEND_H */
