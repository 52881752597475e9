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
 * - Per transaction: `state` = incarnation << 2 | status, one atomic word
 *   (sequentially consistent accesses: a status change followed by a load
 *   of an index, against an index update followed by a load of the
 *   status, is the store-buffering pattern, which only SC orders; the
 *   paper's proof assumes SC too), and the list of
 *   transactions suspended on it, guarded by the transaction's spin lock.
 *   Status moves READY -> EXECUTING -> EXECUTED -> ABORTING -> READY
 *   (incarnation + 1), or EXECUTING -> ABORTING when the execution
 *   suspends on a dependency. The moves out of READY and out of EXECUTED
 *   that anyone may race for (incarnate, validation abort) are CASes, so
 *   one thread wins; the other moves are made by the thread that owns the
 *   transaction in EXECUTING or ABORTING (nobody else can move it from
 *   there) with a store. Only EXECUTING -> EXECUTED (which takes the
 *   dependents) and a dependent's enqueue (which checks for EXECUTED) also
 *   take the lock, so no dependent is ever left behind. Reading the state
 *   for a validation task takes no lock. Two records share a cache line
 *   (neighbours usually run on one worker, as claims come in batches; a
 *   line per record made the per-block reset cost more than the false
 *   sharing it saved). Only the worker that moved a transaction to
 *   EXECUTING runs it; only the one that moved it to ABORTING converts its
 *   writes to estimates.
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
  _Alignas(32) atomic_uint_fast64_t state; /* incarnation << 2 | status */
  cx_spin lock;                            /* guards deps */
  cx_stm_dep *deps;
} cx_stm_tx;

typedef struct cx_stm {
  _Alignas(64) atomic_uint_fast64_t execution_idx;
  _Alignas(64) atomic_uint_fast64_t validation_idx;
  _Alignas(64) atomic_uint_fast64_t decrease_cnt;
  _Alignas(64) atomic_int_fast64_t num_active_tasks;
  _Alignas(64) atomic_int done;
  _Alignas(64) uint32_t n;
  cx_stm_tx *txs;
  size_t txs_cap;
} cx_stm;

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

/* Next batch for an idle worker: validation when validation_idx is behind
 * execution_idx, else execution. CX_TASK_NONE when nothing is left to
 * claim now (try again unless done; no release needed then). */
cx_stm_claim cx_stm_next_claim(cx_stm *s, uint32_t batch);

/* Ends a claim (its indices and their follow-up tasks are all done). */
void cx_stm_release(cx_stm *s);

/* Status values of cx_stm_tx.state (state = incarnation << 2 | status). */
enum { CX_STM_READY, CX_STM_EXECUTING, CX_STM_EXECUTED, CX_STM_ABORTING };

/* The task for index txn of an execution claim (READY -> EXECUTING, by
 * CAS: one claimant wins) or a validation claim (EXECUTED, with its
 * incarnation), or CX_TASK_NONE when the transaction is not in that state.
 * Inline: it runs for every index of every claim. */
static inline cx_task cx_stm_task_for(cx_stm *s, int kind, uint32_t txn) {
  atomic_uint_fast64_t *state = &s->txs[txn].state;
  uint64_t st = atomic_load(state); /* SC: see cx_stm_finish_execution */
  cx_task t = {CX_TASK_NONE, txn, (uint32_t)(st >> 2)};
  if (kind == CX_TASK_EXECUTE) {
    uint_fast64_t expect = st;
    if ((st & 3) == CX_STM_READY &&
        atomic_compare_exchange_strong(
            state, &expect, (st & ~(uint64_t)3) | CX_STM_EXECUTING))
      t.kind = CX_TASK_EXECUTE;
  } else if ((st & 3) == CX_STM_EXECUTED) {
    t.kind = CX_TASK_VALIDATE;
  }
  return t;
}

/* txn (EXECUTING) read an ESTIMATE of `blocking`. Returns 1 when txn is
 * now suspended until `blocking` finishes executing (the task is over), 0
 * when `blocking` has already finished (re-run txn now). `node` is the
 * caller's memory for the dependency record (kept until the block ends). */
int cx_stm_add_dependency(cx_stm *s, uint32_t txn, uint32_t blocking,
                          cx_stm_dep *node);

/* The rare part of cx_stm_finish_execution, out of line: wakes `deps`
 * (READY again, execution index lowered to the lowest) and, when
 * lower_validation, lowers the validation index to txn. */
void cx_stm_after_execution(cx_stm *s, uint32_t txn, cx_stm_dep *deps,
                            int lower_validation);

/* txn's incarnation finished executing and its writes are recorded;
 * wrote_new says it wrote a key its previous incarnation did not. Returns
 * the follow-up task (a validation of it) or CX_TASK_NONE. Inline: the
 * common case is a lock, a store and a load. */
static inline cx_task cx_stm_finish_execution(cx_stm *s, uint32_t txn,
                                              uint32_t incarnation,
                                              int wrote_new) {
  cx_stm_tx *t = &s->txs[txn];
  cx_spin_lock(&t->lock);
  /* The caller owns txn (EXECUTING at this incarnation): a store, not a
   * CAS. Sequentially consistent, as every state access: with the load of
   * validation_idx below, it forms a store-buffering pair with a
   * validation claim (fetch_add, then the state load in task_for), and
   * only SC guarantees one of the two sees the other. */
  atomic_store(&t->state, (uint64_t)incarnation << 2 | CX_STM_EXECUTED);
  cx_stm_dep *deps = t->deps;
  t->deps = NULL;
  cx_spin_unlock(&t->lock);
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
