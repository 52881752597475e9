/* Adaptive tuning of the scheduler: per-item cost estimates of the pool
 * and of each device (exponential moving averages), the AUTO thresholds
 * and the device batch sizes.
 *
 * Invariants (under `mu`): every estimate is > 0; a non-fixed threshold
 * stays in [CX_TUNE_MIN_THRESHOLD, CX_TUNE_MAX_THRESHOLD] and moves by at
 * most x1.2 / x0.8 per update; a backend batch stays in
 * [min(CX_TUNE_MIN_BATCH, caps.max_batch), caps.max_batch]. The `_pub`
 * atomics mirror the values for lock-free readers (routing, metrics).
 */
#ifndef CX_HYBRID_TUNER_H
#define CX_HYBRID_TUNER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hy_backend.h"

#define CX_TUNE_MIN_THRESHOLD 1
#define CX_TUNE_MAX_THRESHOLD ((size_t)1 << 22)
#define CX_TUNE_MIN_BATCH 32
#define CX_TUNE_ALPHA 0.2

typedef struct cx_tuner {
  pthread_mutex_t mu;
  double cpu_item_ns[CX_TASK_KINDS]; /* pool wall time per item */
  size_t threshold[CX_TASK_KINDS];
  bool fixed[CX_TASK_KINDS];
  atomic_size_t threshold_pub[CX_TASK_KINDS];
  uint64_t latency_target_ns; /* a device batch slower than this shrinks */
} cx_tuner;

/* thresholds[k] == 0 means adaptive from the default. */
void cx_tuner_init(cx_tuner *t, const size_t thresholds[CX_TASK_KINDS],
                   const cx_backend_caps *cpu_caps,
                   uint64_t latency_target_ns);
void cx_tuner_destroy(cx_tuner *t);

/* Prepares the tuning state of a device backend from its caps. */
void cx_tuner_backend_init(cx_backend *b);

/* Records a CPU computation of n items that took wall_ns. */
void cx_tuner_cpu(cx_tuner *t, cx_task_kind k, size_t n, uint64_t wall_ns);

/* Records a clean device batch of n items: wall_ns from submit to result,
 * compute_ns of device work (0 when unknown). Moves b's batch size and
 * the AUTO threshold of k. */
void cx_tuner_device(cx_tuner *t, cx_backend *b, cx_task_kind k, size_t n,
                     uint64_t wall_ns, uint64_t compute_ns);

size_t cx_tuner_threshold(const cx_tuner *t, cx_task_kind k);
size_t cx_tuner_batch(const cx_backend *b, cx_task_kind k);

/* Expected throughput, items per second, of the pool and of b at a batch
 * of n items. */
double cx_tuner_cpu_rate(cx_tuner *t, cx_task_kind k);
double cx_tuner_device_rate(cx_tuner *t, const cx_backend *b,
                            cx_task_kind k, size_t n);

#endif /* CX_HYBRID_TUNER_H */
