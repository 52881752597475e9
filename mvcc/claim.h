/* Claiming a per-worker state for one invocation of a "run k workers"
 * job (cx_executor_config.run): the state numbered `worker` when it is
 * free (a runner's worker w is usually the same thread from block to
 * block, so its arenas stay in its core's cache), else the lowest free
 * one. Shared by the Block-STM and the planned executors.
 */
#ifndef CX_MVCC_CLAIM_H
#define CX_MVCC_CLAIM_H

#include <stdatomic.h>
#include <stdint.h>

/* Claims one of k (<= 64) states in the bitmask *claimed; returns its
 * index, or k when all are taken (more invocations than states). */
static inline unsigned cx_claim_state(atomic_uint_fast64_t *claimed,
                                      unsigned k, unsigned worker) {
  uint64_t all = k >= 64 ? UINT64_MAX : ((uint64_t)1 << k) - 1;
  uint_fast64_t taken = atomic_load(claimed);
  for (;;) {
    uint64_t free_ = ~(uint64_t)taken & all;
    if (!free_)
      return k;
    unsigned me = worker < k && (free_ >> worker & 1)
                      ? worker
                      : (unsigned)__builtin_ctzll(free_);
    if (atomic_compare_exchange_weak(claimed, &taken,
                                     taken | (uint64_t)1 << me))
      return me;
  }
}

#endif /* CX_MVCC_CLAIM_H */
