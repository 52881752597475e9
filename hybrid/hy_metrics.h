/* Lock-free scheduler metrics: counters and fixed-bucket histograms of
 * C11 atomics (relaxed: each value is exact, a set of values is not one
 * instant), and their Prometheus text exposition.
 *
 * Invariant: bucket[i] counts observations <= cx_hist_bounds_ns[i]
 * (non-cumulative; the writer accumulates), the last bucket is +Inf.
 */
#ifndef CX_HYBRID_METRICS_H
#define CX_HYBRID_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "cx_sched.h"

#define CX_HIST_BUCKETS 12

typedef struct cx_hist {
  atomic_ullong bucket[CX_HIST_BUCKETS];
  atomic_ullong count, sum_ns;
} cx_hist;

/* Per backend, per kind. */
typedef struct cx_backend_metrics {
  cx_hist batch_ns[CX_TASK_KINDS];
  atomic_ullong items[CX_TASK_KINDS];
  atomic_ullong batches[CX_TASK_KINDS];
  atomic_ullong bytes_moved;
  atomic_ullong errors, timeouts, mismatches, ok, late_dropped, retries;
  atomic_ullong busy_ns;   /* time the device thread spent on batches,
                              copies and launch included */
  atomic_ullong kernel_ns; /* of which the device computed (CUDA events;
                              the whole call for sim) */
} cx_backend_metrics;

/* Routing decisions of whole requests. */
typedef enum cx_route {
  CX_ROUTE_CPU_STRATEGY,  /* strategy cpu */
  CX_ROUTE_CPU_SMALL,     /* auto, below the threshold */
  CX_ROUTE_CPU_NO_DEVICE, /* no device registered or none available */
  CX_ROUTE_DEVICE,        /* auto at/above threshold, or gpu */
  CX_ROUTE_BALANCE,       /* split between pool and devices */
  CX_ROUTES
} cx_route;

typedef struct cx_sched_metrics {
  atomic_ullong routes[CX_TASK_KINDS][CX_ROUTES];
  atomic_ullong fallbacks[CX_TASK_KINDS][CX_FALLBACK_CAUSES];
  atomic_ullong crosscheck_samples[CX_TASK_KINDS];
  atomic_ullong crosscheck_mismatches[CX_TASK_KINDS];
} cx_sched_metrics;

void cx_hist_observe(cx_hist *h, uint64_t ns);
void cx_metric_add(atomic_ullong *c, uint64_t v);
uint64_t cx_metric_get(const atomic_ullong *c);

extern const char *const cx_task_kind_names[CX_TASK_KINDS];
extern const char *const cx_route_names[CX_ROUTES];
extern const char *const cx_fallback_names[CX_FALLBACK_CAUSES];

/* Writes `# HELP` and `# TYPE` lines for metric `name`. */
void cx_metrics_header(FILE *f, const char *name, const char *type,
                       const char *help);
/* Writes the histogram series of h with labels `labels` (no braces). */
void cx_hist_write(FILE *f, const char *name, const char *labels,
                   const cx_hist *h);

#endif /* CX_HYBRID_METRICS_H */
