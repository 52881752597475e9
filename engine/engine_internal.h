/* The cx_engine handle and the per-block work item shared by the engine's
 * files (engine.c, pipeline*.c, metrics*.c).
 *
 * Invariants:
 *  - An engine owns, and destroys in reverse order of creation: the store,
 *    the worker pool, the verifier, the scheduler (which borrows pool and
 *    verifier), the executor (which runs on the pool), the signature cache
 *    with its pre-verification thread (which uses the scheduler) and the
 *    optional metrics server. All fields are set once by cx_engine_open().
 *  - The committed chain (height, roots) lives in the store only; it
 *    changes only when cx_store_commit_block() returned CX_OK, so a failed
 *    block leaves the engine at the previous one.
 *  - `stats` holds atomics only: cx_engine_metrics() reads them from any
 *    thread while blocks run; only the thread driving blocks writes them.
 *  - A cx_block_work's arrays hold `cap` entries (hash scratch 2*cap);
 *    after cx_work_prepare() the first `n` are the block's. `writes` is
 *    the engine's own copy of the executor's write set (the executor's
 *    buffer is reused by its next run, while the overlapped pipeline still
 *    commits and overlays the previous block).
 */
#ifndef CX_ENGINE_INTERNAL_H
#define CX_ENGINE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "branch.h"
#include "chainexec.h"
#include "cx_sched.h"
#include "metrics_http.h"
#include "mvcc.h"
#include "pool.h"
#include "preverify.h"
#include "sigcache.h"
#include "state.h"
#include "store.h"
#include "tx.h"
#include "verify.h"

enum cx_stage {
  CX_STAGE_DECODE,
  CX_STAGE_HASH,
  CX_STAGE_VERIFY,
  CX_STAGE_EXECUTE,
  CX_STAGE_ROOTS,
  CX_STAGE_COMMIT,
  CX_STAGES
};

/* Engine counters, exported by metrics.c. */
typedef struct cx_engine_stats {
  atomic_uint_fast64_t height;
  atomic_uint_fast64_t blocks, blocks_parallel, block_failures;
  atomic_uint_fast64_t txs, status[7], writes;
  atomic_uint_fast64_t executions, reexecutions, validation_failures,
      dependency_waits;
  atomic_uint_fast64_t verify_gpu_items, verify_cpu_items;
  atomic_uint_fast64_t stage_ns[CX_STAGES];
  /* Blocks on branches: speculative executions, forkchoice calls that
   * changed the head, blocks reverted by them, blocks held in memory. */
  atomic_uint_fast64_t spec_executed, head_changes, reverted_blocks;
  atomic_uint_fast64_t spec_held, spec_bytes;
} cx_engine_stats;

typedef struct cx_block_work {
  size_t n, cap;
  cx_tx *txs;
  uint8_t (*senders)[20];
  uint8_t *sig_ok;
  /* Hash batch: entries [0, n) are the tx hashes (tx_hash[i]), then one
   * per well-formed tx for its pubkey (sender address = digest[12..32]). */
  const uint8_t **msgs;
  size_t *lens;
  uint8_t (*digests)[32];
  /* Verify batch over the well-formed txs; vidx maps back to tx indexes. */
  const uint8_t **vpub, **vdig, **vsig;
  uint8_t *verdicts;
  size_t *vidx;
  uint8_t *receipt_leaves; /* n * 33 */
  uint8_t tx_root[32];     /* computed by prepare: needs no state */
  /* Execution result. statuses is malloc'd per block and handed over to
   * the cx_block_result. */
  uint8_t *statuses;
  cx_entry *writes;
  size_t n_writes, writes_cap;
  cx_block_record rec;
  cx_block_counters counters;
} cx_block_work;

struct cx_engine {
  cx_config cfg; /* db_path and gpu point at the owned copies below */
  char *db_path;
  char *gpu;
  bool temp_db; /* db_path was created by the engine: removed at close */
  cx_store *store;
  cx_pool *pool;
  cx_verifier *verifier;
  cx_sched *sched;
  cx_executor *exec;
  cx_metrics_server *metrics_server;
  /* Signature cache and pre-verification queue (preverify.h); NULL when
   * cfg.sigcache_bytes is 0. */
  cx_sigcache *sigcache;
  cx_preverify *preverify;
  cx_engine_stats stats;
  /* Reused across blocks: one per pipeline stage in flight. */
  cx_block_work work[3];
  /* Speculative blocks and the committed blocks handed out as ids. */
  cx_branches branches;
};

/* The state a block executes on: overlays of sorted write sets (the
 * nearest block first) over a committed state, which is either a view at
 * an earlier height or, when view is NULL, the snapshot itself. */
typedef struct cx_overlay {
  const cx_entry *entries;
  size_t n;
} cx_overlay;

typedef struct cx_base_reader {
  const cx_snapshot *snap;
  const cx_view *view;
  const cx_overlay *overlays;
  size_t n_overlays;
} cx_base_reader;

/* mvcc read callback over a cx_base_reader (ctx). */
int cx_base_read(void *ctx, const cx_key *key, uint64_t *v0, uint64_t *v1);

/* --- pipeline.c: the stages of one block ------------------------------ */

void cx_work_free(cx_block_work *w);

/* Checks the block's limits and arguments, decodes, hashes (tx hashes and
 * sender addresses in one scheduler batch) and verifies the well-formed
 * transactions' signatures. Needs no state: may run ahead of execution.
 * Uses e->sched (thread-safe). */
int cx_work_prepare(cx_engine *e, cx_block_work *w, const cx_block *in,
                    cx_error *err);

/* Executes a prepared block over a fresh snapshot. Without `prev` the
 * snapshot must be at height `base`. With `prev` (the previous block,
 * executed but possibly not yet committed, at height base+1) its sorted
 * write set is read before the snapshot, which may then be at `base` or
 * `base+1`. Fills statuses, writes and counters. */
int cx_work_execute(cx_engine *e, cx_block_work *w, uint64_t base,
                    const cx_block_work *prev, cx_error *err);

/* Executes a prepared block on the state `r` reads. Fills statuses,
 * writes and counters (execute_s included). */
int cx_work_execute_with(cx_engine *e, cx_block_work *w,
                         const cx_base_reader *r, cx_error *err);

/* Fills *out with the block's result (roots, counts, counters). Moves
 * w->statuses into it (w->statuses becomes NULL). */
void cx_work_result(cx_block_work *w, cx_block_result *out);

/* Computes the four roots and the block row for `height` on top of
 * prev_state_root. */
int cx_work_roots(cx_block_work *w, uint64_t height,
                  const uint8_t prev_state_root[32], cx_error *err);

/* Commits the block durably (store's thread rule: one committing thread). */
int cx_work_commit(cx_engine *e, cx_block_work *w, cx_error *err);

/* After a successful commit: moves the statuses into *out, fills it, and
 * adds the block to the engine's counters. */
void cx_work_publish(cx_engine *e, cx_block_work *w, cx_block_result *out);

/* Counts a block that failed (metrics) and frees its statuses. */
void cx_work_abandon(cx_engine *e, cx_block_work *w);

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double cx_now_s(void);

/* CX_ESTATE for a write (`what`) to an engine opened read-only. */
int cx_engine_refuse_read_only(const cx_engine *e, const char *what,
                               cx_error *err);

/* Wraps a block failure: says the chain is still at `height` and what to
 * do. Returns rc, the failure's code (err may be NULL). */
int cx_block_fail(cx_error *err, int rc, uint64_t height, const char *stage);

/* --- branch_*.c ------------------------------------------------------- */

/* Prunes the block tree below the store's retention floor and refreshes
 * the tree's gauges in the stats. */
void cx_engine_branches_pruned(cx_engine *e);

/* Reads at a node of the tree: a snapshot, a view at the chain's base when
 * it is below the snapshot's height, and the overlays of the speculative
 * blocks from `n` (or from its parent, without include_self) down. */
typedef struct cx_at_reader {
  cx_snapshot *snap;
  cx_view *view;
  cx_overlay *overlays;
  cx_base_reader r;
} cx_at_reader;

int cx_at_reader_open(cx_engine *e, cx_node *n, bool include_self,
                      cx_at_reader *a, cx_error *err);
void cx_at_reader_close(cx_at_reader *a);

/* --- pipeline_overlap.c ----------------------------------------------- */

/* cx_engine_execute_blocks() with stage overlap (cfg.pipeline). */
int cx_pipeline_run_overlapped(cx_engine *e, size_t n, const cx_block *blocks,
                               cx_block_result *out, size_t *n_done,
                               cx_error *err);

#endif /* CX_ENGINE_INTERNAL_H */
