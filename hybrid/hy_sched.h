/* The scheduler object, shared by sched.c (routing and pipeline),
 * sched_metrics.c (stats and exposition) and sched_tasks.c.
 *
 * Invariants: dev[0..ndev) are device backends (never the cpu one), each
 * with an initialised breaker and tuning state; `cfg.gpu` is NULL (the
 * spec string is not kept); everything mutable after creation is an atomic
 * or sits behind the tuner's or a breaker's mutex.
 */
#ifndef CX_HYBRID_SCHED_INTERNAL_H
#define CX_HYBRID_SCHED_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "cx_sched.h"
#include "hy_backend.h"
#include "hy_devices.h"
#include "hy_metrics.h"
#include "hy_tuner.h"

struct cx_sched {
  cx_sched_config cfg;
  cx_pool *pool;
  const cx_verifier *v;
  cx_backend *cpu;
  cx_backend *dev[CX_SCHED_MAX_DEVICES];
  unsigned ndev;
  cx_tuner tuner;
  cx_sched_metrics m;
  atomic_ullong sample_ctr;
  uint64_t deadline_ns;
  uint64_t created_ns;
  char note[160];
};

/* verify/sha256 with optional per-call stats (accumulated into *st). */
int cx_sched_verify_stats(cx_sched *s, size_t n,
                          const uint8_t *const *pubkeys,
                          const uint8_t *const *digests,
                          const uint8_t *const *sigs, uint8_t *verdicts,
                          cx_batch_stats *st, cx_error *err);
int cx_sched_sha256_stats(cx_sched *s, size_t n, const uint8_t *const *msgs,
                          const size_t *lens, uint8_t (*out)[32],
                          cx_batch_stats *st, cx_error *err);

#endif /* CX_HYBRID_SCHED_INTERNAL_H */
