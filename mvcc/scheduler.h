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
 * - Per transaction: (incarnation, status) and the list of transactions
 *   suspended on it, all guarded by the transaction's own spin lock; two
 *   records share a cache line (neighbours usually run on one worker, as
 *   claims come in batches; a line per record made the per-block reset
 *   cost more than the false sharing it saved). Status
 *   moves READY -> EXECUTING -> EXECUTED -> ABORTING -> READY (incarnation
 *   + 1), or EXECUTING -> ABORTING when the execution suspends on a
 *   dependency. Only the worker that moved a transaction to EXECUTING runs
 *   it; only the one that moved it to ABORTING converts its writes to
 *   estimates.
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
  _Alignas(32) cx_spin lock;
  uint32_t incarnation;
  uint8_t status;
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

/* The task for index txn of an execution claim (READY -> EXECUTING) or a
 * validation claim (EXECUTED, with its incarnation), or CX_TASK_NONE when
 * the transaction is not in that state. */
cx_task cx_stm_task_for(cx_stm *s, int kind, uint32_t txn);

/* txn (EXECUTING) read an ESTIMATE of `blocking`. Returns 1 when txn is
 * now suspended until `blocking` finishes executing (the task is over), 0
 * when `blocking` has already finished (re-run txn now). `node` is the
 * caller's memory for the dependency record (kept until the block ends). */
int cx_stm_add_dependency(cx_stm *s, uint32_t txn, uint32_t blocking,
                          cx_stm_dep *node);

/* txn's incarnation finished executing and its writes are recorded;
 * wrote_new says it wrote a key its previous incarnation did not. Returns
 * the follow-up task (a validation of it) or CX_TASK_NONE. */
cx_task cx_stm_finish_execution(cx_stm *s, uint32_t txn, uint32_t incarnation,
                                int wrote_new);

/* A validation of (txn, incarnation) failed: returns 1 when this caller
 * won the right to abort it (status EXECUTED -> ABORTING). */
int cx_stm_try_validation_abort(cx_stm *s, uint32_t txn,
                                uint32_t incarnation);

/* Ends a validation task; `aborted` when try_validation_abort returned 1
 * (and the writes were converted to estimates). Returns the follow-up task
 * (re-execution of txn) or CX_TASK_NONE. */
cx_task cx_stm_finish_validation(cx_stm *s, uint32_t txn, int aborted);

/* Stops every worker at its next look (an error aborts the block). */
void cx_stm_halt(cx_stm *s);

static inline int cx_stm_done(cx_stm *s) { return atomic_load(&s->done); }

#endif /* CX_MVCC_SCHEDULER_H */
