/* The Block-STM collaborative scheduler (Gelashvili et al., PPoPP 2023,
 * Algorithms 4 and 5; aptos-core block-executor `scheduler.rs`).
 *
 * Shared state and invariants:
 * - execution_idx / validation_idx: the next transaction to try to execute
 *   / validate; they only grow, except through decrease_*(), which lowers
 *   them and bumps decrease_cnt (so a done check that raced with a
 *   decrease retries).
 * - num_active_tasks counts claims handed out and not yet released (see
 *   cx_stm_claim); follow-up tasks run under their claim's count.
 * - Per transaction: `state`, one atomic word: generation << 34 |
 *   incarnation << 4 | DEPS | LOCK | status (sequentially consistent
 *   accesses: a status change followed by a load of an index, against an
 *   index update followed by a load of the status, is the store-buffering
 *   pattern, which only SC orders; the paper's proof assumes SC too), and
 *   `deps`, the transactions suspended on it, guarded by the LOCK bit and
 *   meaningful only while DEPS is set (so a list left by an abandoned
 *   block is never followed).
 *   Status moves READY -> EXECUTING -> EXECUTED -> ABORTING -> READY
 *   (incarnation + 1), or EXECUTING -> ABORTING when the execution
 *   suspends on a dependency. Every move is a compare-and-swap that keeps
 *   LOCK and DEPS as they are (a dependent may hold LOCK meanwhile), so
 *   the moves out of READY and out of EXECUTED that anyone may race for
 *   (incarnate, validation abort) have one winner, and the other moves
 *   are made by the thread that owns the transaction in EXECUTING or
 *   ABORTING (nobody else can move it from there). The one exception is
 *   EXECUTING -> EXECUTED, which waits for LOCK to be free: a dependent's
 *   enqueue (which checks for EXECUTED under LOCK) and the move are then
 *   ordered, and the move, finding DEPS, takes LOCK itself to collect the
 *   dependents, so no dependent is ever left behind. Without dependents
 *   (the common case) it is a single compare-and-swap. Reading the state
 *   for a validation task takes no lock. Four records share a cache line
 *   (neighbours usually run on one worker, as claims come in batches).
 *   Only the worker that moved a transaction to EXECUTING runs it; only
 *   the one that moved it to ABORTING converts its writes to estimates.
 * - The records are not cleared between blocks: each block has its own
 *   generation, and a state of another generation reads as READY at
 *   incarnation 0 (a block that ends normally leaves every lock free and
 *   every dependency list empty; after a halted block, or when the
 *   generations wrap, the reset clears the records).
 * - done is set once every transaction is executed and validated with no
 *   task in flight; workers stop when they see it.
 * The indices use sequentially consistent atomics, as the paper's proof
 * assumes; each sits on its own cache line (they are written by every
 * worker, and sharing a line would double the traffic).
 */
#ifndef CX_MVCC_SCHEDULER_H
#define CX_MVCC_SCHEDULER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "spin.h"

enum cx_task_kind { CX_TASK_NONE, CX_TASK_EXECUTE, CX_TASK_VALIDATE };

typedef struct cx_task {
  int kind;
  uint32_t txn, incarnation;
} cx_task;

typedef struct cx_stm_dep {
  struct cx_stm_dep *next;
  uint32_t txn;
} cx_stm_dep;

typedef struct cx_stm_tx {
  _Alignas(16) atomic_uint_fast64_t state; /* see above */
  cx_stm_dep *deps;                        /* guarded by LOCK */
} cx_stm_tx;

typedef struct cx_stm {
  _Alignas(64) atomic_uint_fast64_t execution_idx;
  _Alignas(64) atomic_uint_fast64_t validation_idx;
  _Alignas(64) atomic_uint_fast64_t decrease_cnt;
  _Alignas(64) atomic_int_fast64_t num_active_tasks;
  _Alignas(64) atomic_int done;
  _Alignas(64) uint32_t n;
  uint64_t gen_bits; /* this block's generation << CX_STM_GEN_SHIFT */
  cx_stm_tx *txs;
  size_t txs_cap;
  /* The worker that last claimed execution of each span of
   * CX_STM_OWNER_SPAN transactions: a hint only (see cx_stm_next_claim),
   * never cleared. */
  atomic_uchar *owner;
  atomic_int halted; /* cx_stm_halt was called since the last reset */
} cx_stm;

#define CX_STM_GEN_SHIFT 34
#define CX_STM_GEN_MASK (~(((uint64_t)1 << CX_STM_GEN_SHIFT) - 1))
#define CX_STM_LOCK 4u
#define CX_STM_DEPS 8u
#define CX_STM_INC_SHIFT 4
#define CX_STM_INC_MASK 0x3fffffffu /* incarnations wrap at 2^30 */

static inline uint32_t cx_stm_inc(uint64_t st) {
  return (uint32_t)(st >> CX_STM_INC_SHIFT) & CX_STM_INC_MASK;
}

/* The state of txn as of this block: another block's reads as READY at
 * incarnation 0 (generation bits set). Used to decide; compare-and-swaps
 * expect the raw value. */
static inline uint64_t cx_stm_state_now(const cx_stm *s, uint64_t raw) {
  return (raw & CX_STM_GEN_MASK) == s->gen_bits ? raw : s->gen_bits;
}

/* An empty scheduler (no allocation until the first reset). */
void cx_stm_init(cx_stm *s);
void cx_stm_destroy(cx_stm *s);

/* Prepares a block of n transactions, all READY at incarnation 0.
 * Single-threaded. Returns 0 or CX_ENOMEM. */
int cx_stm_reset(cx_stm *s, uint32_t n);

/* A batch of consecutive indices [begin, end) to try to execute or to
 * validate. The paper claims one index per task; claiming `batch` at once
 * divides the traffic on the shared indices when transactions are tiny,
 * at the price of more optimistic reads (use 1 under contention). A claim
 * counts as one active task until cx_stm_release(): every task that
 * follows from its indices (validation after execution, re-execution
 * after an abort) runs under that count, so the done check cannot fire
 * while a claimed index is still pending. */
typedef struct cx_stm_claim {
  int kind; /* CX_TASK_NONE, CX_TASK_EXECUTE or CX_TASK_VALIDATE */
  uint32_t begin, end;
} cx_stm_claim;

/* Next batch for idle worker `me` (0..254) of k: validation when
 * validation_idx is behind execution_idx, else execution; except that a
 * worker leaves the validation of a span another worker executed to that
 * worker (which has the span's transactions, read sets and writes in its
 * cache) and executes instead, as long as validation lags execution by
 * less than CX_STM_LAG_SPANS spans per worker and there is something to
 * execute. Only with batches of CX_STM_AFFINITY_BATCH or more, which the
 * executor uses when transactions rarely conflict: under contention a
 * lagging validation means more work to redo. Which worker runs a task
 * never changes a result. CX_TASK_NONE when nothing is left to claim now
 * (try again unless done; no release needed then). */
#define CX_STM_OWNER_SPAN 16u
#define CX_STM_LAG_SPANS 2u
#define CX_STM_AFFINITY_BATCH 4u
cx_stm_claim cx_stm_next_claim(cx_stm *s, uint32_t batch, unsigned me,
                               unsigned k);

/* Ends a claim (its indices and their follow-up tasks are all done). */
void cx_stm_release(cx_stm *s);

/* Status values of cx_stm_tx.state (low two bits). */
enum { CX_STM_READY, CX_STM_EXECUTING, CX_STM_EXECUTED, CX_STM_ABORTING };

/* The task for index txn of an execution claim (READY -> EXECUTING, by
 * CAS: one claimant wins) or a validation claim (EXECUTED, with its
 * incarnation), or CX_TASK_NONE when the transaction is not in that state.
 * Inline: it runs for every index of every claim. */
static inline cx_task cx_stm_task_for(cx_stm *s, int kind, uint32_t txn) {
  atomic_uint_fast64_t *state = &s->txs[txn].state;
  uint_fast64_t raw = atomic_load(state); /* SC: see finish_execution */
  for (;;) {
    uint64_t st = cx_stm_state_now(s, raw);
    cx_task t = {CX_TASK_NONE, txn, cx_stm_inc(st)};
    if (kind != CX_TASK_EXECUTE) {
      if ((st & 3) == CX_STM_EXECUTED)
        t.kind = CX_TASK_VALIDATE;
      return t;
    }
    if ((st & 3) != CX_STM_READY)
      return t;
    /* A failure with the status still READY is a dependent taking or
     * releasing LOCK: try again. */
    if (atomic_compare_exchange_weak(state, &raw,
                                     (st & ~(uint64_t)3) | CX_STM_EXECUTING)) {
      t.kind = CX_TASK_EXECUTE;
      return t;
    }
  }
}

/* txn (EXECUTING) read an ESTIMATE of `blocking`. Returns 1 when txn is
 * now suspended until `blocking` finishes executing (the task is over), 0
 * when `blocking` has already finished (re-run txn now). `node` is the
 * caller's memory for the dependency record (kept until the block ends). */
int cx_stm_add_dependency(cx_stm *s, uint32_t txn, uint32_t blocking,
                          cx_stm_dep *node);

/* The rare parts of cx_stm_finish_execution, out of line: the move to
 * EXECUTED when dependents may be waiting (returns them), and the wake-up
 * of `deps` (READY again, execution index lowered to the lowest) and,
 * when lower_validation, the lowering of the validation index to txn. */
cx_stm_dep *cx_stm_finish_with_deps(cx_stm *s, uint32_t txn, uint64_t to);
void cx_stm_after_execution(cx_stm *s, uint32_t txn, cx_stm_dep *deps,
                            int lower_validation);

/* txn's incarnation finished executing and its writes are recorded;
 * wrote_new says it wrote a key its previous incarnation did not. Returns
 * the follow-up task (a validation of it) or CX_TASK_NONE. Inline: the
 * common case is one compare-and-swap and a load. */
static inline cx_task cx_stm_finish_execution(cx_stm *s, uint32_t txn,
                                              uint32_t incarnation,
                                              int wrote_new) {
  atomic_uint_fast64_t *state = &s->txs[txn].state;
  /* The caller owns txn (EXECUTING at this incarnation). Sequentially
   * consistent, as every state access: with the load of validation_idx
   * below, the move forms a store-buffering pair with a validation claim
   * (fetch_add, then the state load in task_for), and only SC guarantees
   * one of the two sees the other. */
  uint64_t to = s->gen_bits |
                (uint64_t)(incarnation & CX_STM_INC_MASK) << CX_STM_INC_SHIFT |
                CX_STM_EXECUTED;
  cx_stm_dep *deps = NULL;
  uint_fast64_t raw = atomic_load(state);
  for (;;) {
    if (raw & (CX_STM_LOCK | CX_STM_DEPS)) {
      deps = cx_stm_finish_with_deps(s, txn, to);
      break;
    }
    if (atomic_compare_exchange_weak(state, &raw, to))
      break;
  }
  cx_task next = {CX_TASK_NONE, 0, 0};
  int lower = 0;
  if (atomic_load(&s->validation_idx) > txn) {
    if (!wrote_new)
      next = (cx_task){CX_TASK_VALIDATE, txn, incarnation};
    else
      lower = 1;
  }
  if (deps || lower)
    cx_stm_after_execution(s, txn, deps, lower);
  return next;
}

/* A validation of (txn, incarnation) failed: returns 1 when this caller
 * won the right to abort it (status EXECUTED -> ABORTING). */
int cx_stm_try_validation_abort(cx_stm *s, uint32_t txn,
                                uint32_t incarnation);

/* The aborted case of cx_stm_finish_validation. */
cx_task cx_stm_finish_abort(cx_stm *s, uint32_t txn);

/* Ends a validation task; `aborted` when try_validation_abort returned 1
 * (and the writes were converted to estimates). Returns the follow-up task
 * (re-execution of txn) or CX_TASK_NONE. */
static inline cx_task cx_stm_finish_validation(cx_stm *s, uint32_t txn,
                                               int aborted) {
  if (!aborted) {
    cx_task none = {CX_TASK_NONE, 0, 0};
    return none;
  }
  return cx_stm_finish_abort(s, txn);
}

/* Stops every worker at its next look (an error aborts the block). */
void cx_stm_halt(cx_stm *s);

static inline int cx_stm_done(cx_stm *s) { return atomic_load(&s->done); }

#endif /* CX_MVCC_SCHEDULER_H */
