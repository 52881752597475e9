/* The Block-STM parallel executor: workers, execution and validation tasks
 * over the multi-version memory and the scheduler, and the final pass that
 * materialises the block's write set.
 *
 * Per-block data and invariants (cx_par): txs[i], one 16-byte record per
 * transaction in a line-aligned array (a claim of 16 neighbours owns whole
 * lines, so two workers rarely write one line), holds
 * - rs: the read set of transaction i's latest finished incarnation,
 *   followed by the keys that incarnation wrote (cx_par_locs), published
 *   with a release store; a published read set is never modified or freed
 *   before the block ends (RCU with block-long grace), so a validator may
 *   hold an outdated one safely; the written keys are read only by the
 *   worker executing i, or the one that won its abort, in the order the
 *   scheduler's status transitions impose;
 * - status: set by each finished incarnation of i; the last one stands
 *   when the scheduler reports done, and the final pass copies them all to
 *   the caller's statuses.
 * The records are not cleared between blocks: the worker that starts
 * incarnation 0 of i (the first run of i in the block; the scheduler
 * orders it before every other access) sets rs to NULL; status is read
 * only after an incarnation of this block set it.
 * - error: first failure (a base read, memory, CX_PAR_RETRY); it halts
 *   the scheduler.
 * - the final pass reads version lists only after the scheduler is done;
 *   it claims key ranges (cx_mv_part) and writes each range's entries,
 *   sorted, at out + part_off[q] (part_n[q] of them); cx_par_writes then
 *   closes the gaps left by slots no committed transaction wrote.
 */
#ifndef CX_MVCC_PARALLEL_H
#define CX_MVCC_PARALLEL_H

#include <stdatomic.h>

#include "mvcc.h"
#include "mvmemory.h"
#include "scheduler.h"
#include "vm.h"

typedef struct cx_par_read {
  uint32_t slot; /* index in the multi-version memory's table */
  unsigned seq;  /* slot's seq as read, moved past txn's own write when
                    nothing came in between (cx_mv_write) */
  uint32_t txn, incarnation; /* txn = CX_MV_STORAGE for a base read */
} cx_par_read;

/* A key an incarnation wrote: its slot's index (the node is the one of
 * the writing transaction in that slot's list). */
typedef uint32_t cx_par_loc;

/* What one incarnation read (e[0..n)), then the keys it wrote (n_locs
 * cx_par_loc right after e[n - 1], see cx_par_locs). */
typedef struct cx_par_readset {
  uint32_t n, n_locs;
  cx_par_read e[];
} cx_par_readset;

static inline cx_par_loc *cx_par_locs(const cx_par_readset *rs) {
  return (cx_par_loc *)(uintptr_t)&rs->e[rs->n];
}

typedef struct cx_par_tx {
  _Alignas(16) _Atomic(cx_par_readset *) rs;
  uint8_t status;
} cx_par_tx;

/* One worker's private state, reused between blocks. */
typedef struct cx_par_worker {
  cx_arena arena;
  cx_mv_owned owned;
  struct cx_par *par;
  uint32_t txn, blocker; /* current execution; ESTIMATE's writer */
  cx_arena rs_arena;  /* read sets, each followed by the keys its */
  cx_par_readset *rs; /* incarnation wrote: the one being filled is the
                         latest allocation, trimmed when published */
  cx_vm_buf vm;
  uint64_t executions, reexecutions, validation_failures, dependency_waits;
} cx_par_worker;

typedef struct cx_par {
  cx_mvmemory mv;
  cx_stm sched;
  const cx_exec_input *in;
  cx_base_read_fn read;
  void *read_ctx;
  uint8_t *statuses;
  cx_par_tx *txs;
  size_t tx_cap;
  cx_entry *out; /* final pass: the write set, by part (see above) */
  size_t out_cap;
  size_t part_off[CX_MV_PARTS], part_n[CX_MV_PARTS];
  atomic_int error;
  unsigned k;    /* worker states prepared */
  uint32_t batch; /* indices per scheduler claim */
  /* Claimed by each worker invocation: a runner may start fewer than k
   * (hybrid's pool caps k at its size), so work is tied to states that
   * invocations claim; the runner's worker number is only a preference. */
  atomic_uint_fast64_t claimed; /* worker states taken, one bit each */
  atomic_uint final_claimed;
  cx_par_worker **workers;
  unsigned workers_cap;
} cx_par;

/* An empty executor state (no per-block memory yet). Returns 0. */
int cx_par_init(cx_par *p);
void cx_par_destroy(cx_par *p);

/* The error (in cx_par.error) of a block that touched more keys than its
 * multi-version memory was sized for: run it again after a reset with
 * `exact` set. Not a cx code; never returned to the executor's caller. */
#define CX_PAR_RETRY (-2)

/* Prepares a block for k (1 to 64) workers claiming `batch` indices at a
 * time (see cx_stm_claim). The multi-version memory is sized for a few keys
 * per transaction, or, when `exact`, for the most the block can touch (which
 * takes a pass over the block). Single-threaded. Returns 0, CX_ENOMEM, or
 * CX_ELIMIT (n >= 2^32 - 1, or too many keys). */
int cx_par_reset(cx_par *p, const cx_exec_input *in, cx_base_read_fn read,
                 void *read_ctx, uint8_t *statuses, unsigned k,
                 uint32_t batch, int exact);

/* Worker body (cx_worker_fn); arg is the cx_par. Claims worker state
 * `worker` when free, else another free one (however the runner numbers
 * its invocations). Runs tasks until the scheduler is
 * done, then the final pass: claims key ranges one by one (however many
 * invocations run) and writes the final values of the range's keys that a
 * committed transaction wrote, sorted; then claims ranges of transactions
 * and writes their statuses. */
void cx_par_work(void *arg, unsigned worker);

/* After the workers returned without error: the block's write set, sorted
 * (in p's memory, valid until the next reset), *n entries. */
const cx_entry *cx_par_writes(cx_par *p, size_t *n);

/* Sums the workers' counters into c; threads = invocations that ran. */
void cx_par_counters(const cx_par *p, cx_exec_counters *c);

#endif /* CX_MVCC_PARALLEL_H */
