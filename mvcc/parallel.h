/* The Block-STM parallel executor: workers, execution and validation tasks
 * over the multi-version memory and the scheduler, and the final pass that
 * materialises the block's write set.
 *
 * Per-block data and invariants (cx_par): txs[i], one 32-byte record per
 * transaction in a line-aligned array (the fields a transaction's worker
 * writes sit together, and a claim of 16 neighbours owns whole lines, so
 * two workers rarely write one line), holds
 * - rs: the read set of transaction i's latest finished incarnation,
 *   published with a release store; a published read set is never
 *   modified or freed before the block ends (RCU with block-long grace),
 *   so a validator may hold an outdated one safely;
 * - locs[loc_off .. + n_locs): the version nodes i's latest incarnation
 *   wrote (capacity 1 + 2 * op_count); n_locs is touched only by the
 *   worker executing i, or the one that won its abort, in the order the
 *   scheduler's status transitions impose;
 * - status: set by each finished incarnation of i; the last one stands
 *   when the scheduler reports done, and the final pass copies them all to
 *   the caller's statuses.
 * - error: first failure (a base read, memory); it halts the scheduler.
 * - the final pass reads version lists only after the scheduler is done.
 */
#ifndef CX_MVCC_PARALLEL_H
#define CX_MVCC_PARALLEL_H

#include <stdatomic.h>

#include "mvcc.h"
#include "mvmemory.h"
#include "scheduler.h"
#include "vm.h"

typedef struct cx_par_read {
  cx_mv_slot *slot;
  uint32_t txn, incarnation; /* txn = CX_MV_STORAGE for a base read */
  unsigned seq; /* slot's seq as read, moved past txn's own write when
                   nothing came in between (cx_mv_write) */
} cx_par_read;

typedef struct cx_par_readset {
  uint32_t n;
  cx_par_read e[];
} cx_par_readset;

typedef struct cx_par_tx {
  _Alignas(32) _Atomic(cx_par_readset *) rs;
  size_t loc_off;
  uint32_t n_locs;
  uint8_t status;
} cx_par_tx;

/* One worker's private state, reused between blocks. */
typedef struct cx_par_worker {
  cx_arena arena;
  cx_mv_owned owned;
  struct cx_par *par;
  uint32_t txn, blocker; /* current execution; ESTIMATE's writer */
  cx_arena rs_arena;  /* read sets only: the one being filled is its */
  cx_par_readset *rs; /* latest allocation, trimmed when published */
  cx_mv_version *written[CX_VM_MAX_CELLS];
  cx_vm_buf vm;
  uint64_t executions, reexecutions, validation_failures, dependency_waits;
  const cx_entry *out; /* final pass: this state's part of the write set, */
  size_t out_n;        /* sorted, in its arena */
} cx_par_worker;

typedef struct cx_par {
  cx_mvmemory mv;
  cx_stm sched;
  const cx_exec_input *in;
  cx_base_read_fn read;
  void *read_ctx;
  uint8_t *statuses;
  cx_par_tx *txs;
  cx_mv_version **locs;
  size_t tx_cap, locs_cap;
  atomic_int error;
  unsigned k;    /* worker states prepared */
  uint32_t batch; /* indices per scheduler claim */
  /* Claimed by each worker invocation: a runner may start fewer than k
   * (hybrid's pool caps k at its size), so work is tied to states that
   * invocations claim, never to the runner's worker numbers. */
  atomic_uint claimed, final_claimed;
  cx_par_worker **workers;
  unsigned workers_cap;
} cx_par;

/* An empty executor state (no per-block memory yet). Returns 0. */
int cx_par_init(cx_par *p);
void cx_par_destroy(cx_par *p);

/* Prepares a block for k workers claiming `batch` indices at a time (see
 * cx_stm_claim). Single-threaded. Returns 0, CX_ENOMEM, or CX_ELIMIT
 * (n >= 2^32 - 1). */
int cx_par_reset(cx_par *p, const cx_exec_input *in, cx_base_read_fn read,
                 void *read_ctx, uint8_t *statuses, unsigned k,
                 uint32_t batch);

/* Worker body (cx_worker_fn); arg is the cx_par. Ignores `worker`: it
 * claims the next free worker state. Runs tasks until the scheduler is
 * done, then the final pass: claims worker states one by one (however many
 * invocations run) and sets each one's `out`/`out_n` to the final values
 * of the slots it created that a committed transaction wrote, sorted;
 * then claims ranges of transactions and writes their statuses. */
void cx_par_work(void *arg, unsigned worker);

/* Sums the workers' counters into c; threads = invocations that ran. */
void cx_par_counters(const cx_par *p, cx_exec_counters *c);

#endif /* CX_MVCC_PARALLEL_H */
