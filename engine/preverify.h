/* Pre-verification of submitted transactions and the block path's use of
 * the signature cache (chainexec.h, "Pre-verification"), inside the
 * engine.
 *
 * Invariants:
 *  - e->sigcache and e->preverify are both set or both NULL (cache
 *    disabled), once, by cx_preverify_open(); cx_preverify_close() runs
 *    before the scheduler and the pool are destroyed.
 *  - Queue: jobs are FIFO under `mu`; seq numbers are issued in order from
 *    1 and done_seq only grows: every job with seq <= done_seq has been
 *    processed (its successes inserted) and freed. pending counts the
 *    transactions of queued jobs.
 *  - Only successful verifications of submitted transactions reach the
 *    cache.
 *  - Lock order: `mu` is never held while calling the scheduler, the pool
 *    or the cache.
 */
#ifndef CX_ENGINE_PREVERIFY_H
#define CX_ENGINE_PREVERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cx_error.h"

struct cx_engine;
typedef struct cx_preverify cx_preverify;

/* Creates the cache (salt from getrandom) and the idle submission queue
 * when e->cfg.sigcache_bytes > 0; its thread starts at the first
 * submission. CX_EINVAL for a limit below one bucket, CX_ENOMEM, CX_EIO
 * (no randomness). */
int cx_preverify_open(struct cx_engine *e, cx_error *err);

/* Stops the thread (queued jobs are dropped) and frees both; safe when
 * disabled or half-opened. */
void cx_preverify_close(struct cx_engine *e);

/* The block path: verdicts[i] for n signatures, exactly as
 * cx_sched_verify() would write them. Cached keys are hits (verdict 1);
 * the misses go to cx_sched_verify() in one batch (not inserted: only
 * submissions fill the cache). *hits receives the number of hits. Without a cache this is
 * cx_sched_verify(). */
int cx_preverify_verify_block(struct cx_engine *e, size_t n,
                              const uint8_t **pubkeys, const uint8_t **digests,
                              const uint8_t **sigs, uint8_t *verdicts,
                              size_t *hits, cx_error *err);

/* Prometheus lines chainexec_preverify_* and chainexec_sigcache_*; nothing
 * when disabled. */
void cx_preverify_metrics_write(struct cx_engine *e, FILE *f);

#endif /* CX_ENGINE_PREVERIFY_H */
