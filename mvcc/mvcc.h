/* Block execution under multi-version memory (SPEC section 4).
 *
 * A cx_executor runs the transactions of one block, already decoded and
 * with their signature verdicts, and produces every status and the block's
 * final write set. The result is always byte-identical to running the
 * transactions one by one in block order: the thread count, the path taken
 * and the interleaving never change an output.
 *
 * Three paths sit behind one entry point:
 * - sequential: the reference; transactions run in order over an overlay
 *   of the base state;
 * - planned (plan.h): the block's keys are read from its bytes and planned
 *   first (a slot per key, each transaction's predecessors per key), then
 *   transactions run once their predecessors are done, on one
 *   single-version overlay; a run-time APPEND key that another
 *   transaction touches makes the block run again sequentially;
 * - parallel: Block-STM (Gelashvili et al., PPoPP 2023): optimistic
 *   execution over multi-version memory, ESTIMATE markers left by aborted
 *   incarnations, dependency suspension instead of spinning, read-set
 *   validation and re-execution, one shared scheduler of atomic indices
 *   (from which workers claim batches of consecutive transactions, sized
 *   so that all workers together run a window of neighbours that shrinks
 *   as conflicts grow; one at a time, as in the paper, only with many
 *   workers under contention).
 * The executor picks the sequential path when parallelism cannot pay: one
 * thread, tiny blocks, a block whose transactions mostly touch the same few
 * keys, or blocks of a kind on which it has measured the parallel path
 * slower than the sequential one (it keeps timing both; see
 * pathchoice.h). Its parallel path is the planned one, or Block-STM for a
 * while after a planned block fell back. The path taken and why are in the
 * block's counters.
 *
 * mvcc depends on crypto only. Threads come from the caller through
 * cx_run_workers_fn (the engine passes its persistent pool); base-state
 * reads go through cx_base_read_fn (the engine passes a storage snapshot).
 *
 * Threading: one executor runs one block at a time; distinct executors are
 * independent. Memory is kept between blocks (arenas reset per block), so
 * the hot path does not allocate per read or write.
 */
#ifndef CX_MVCC_H
#define CX_MVCC_H

#include <stddef.h>
#include <stdint.h>

#include "cx_error.h"
#include "state.h"
#include "tx.h"

/* Base-state read: fills *v0 and *v1 with the value of `key` before the block
 * (balance/nonce for an account, value/0 for a kv key; zeros for an absent
 * key). Returns 0, or a cx code that aborts the block (cx_executor_run then
 * returns that code). Called concurrently from several workers, possibly
 * several times for the same key. */
typedef int (*cx_base_read_fn)(void *ctx, const cx_key *key, uint64_t *v0,
                               uint64_t *v1);

/* One worker's body: `worker` is in 0..k-1. */
typedef void (*cx_worker_fn)(void *arg, unsigned worker);

/* Runs fn(arg, w) for w in 0..k-1, concurrently, and returns when all
 * have returned; everything the workers wrote must be visible to the
 * caller then. A runner that starts fewer than k workers, or runs them one
 * after another, gives the same result, only slower: no worker waits for
 * another to start. hybrid's cx_pool_run_workers() fits, with the pool as
 * `runner`. */
typedef void (*cx_run_workers_fn)(void *runner, unsigned k, cx_worker_fn fn,
                                  void *arg);

/* The block, borrowed for the duration of cx_executor_run(). */
typedef struct cx_exec_input {
  size_t n;                     /* transactions in the block */
  const cx_tx *txs;             /* decoded (cx_tx_decode); malformed flagged */
  const uint8_t *sig_ok;        /* 1 = signature valid; ignored if malformed */
  const uint8_t (*senders)[20]; /* address of each tx's pubkey (ignored for
                                   malformed txs) */
} cx_exec_input;

/* PARALLEL is Block-STM; PLANNED the planned executor (plan.h): the
 * block's keys, known from its bytes, are planned before it runs, and
 * transactions run once the earlier ones touching their keys are done, on
 * one single-version overlay. */
enum cx_exec_path {
  CX_EXEC_SEQUENTIAL = 0,
  CX_EXEC_PARALLEL = 1,
  CX_EXEC_PLANNED = 2
};

/* Why the executor took its path (cx_exec_counters.reason). */
enum cx_exec_reason {
  CX_EXEC_WHY_FORCED = 0,     /* cfg.force_path */
  CX_EXEC_WHY_ONE_THREAD = 1, /* threads < 2 */
  CX_EXEC_WHY_SMALL = 2,      /* n < min_parallel_txs */
  CX_EXEC_WHY_CONTENDED = 3,  /* contention sample above the limit */
  CX_EXEC_WHY_MEASURED = 4,   /* the measured choice (pathchoice.h) */
  CX_EXEC_WHY_HOT_KEY = 5,    /* the plan: one key on too many txs */
  CX_EXEC_WHY_CONFLICT = 6,   /* planned run stopped: a run-time (APPEND)
                                 key met a planned key; re-run in order */
  CX_EXEC_WHY_RECENT_CONFLICT = 7 /* Block-STM for a while after such a
                                     fallback */
};

/* Per-block counters. executions counts runs of the op VM that reached an
 * outcome (a run suspended on a dependency does not count); reexecutions
 * the part of them that were incarnations beyond a transaction's first
 * (after a failed validation or a dependency wait); validation_failures
 * the read-set validations that found a changed read and aborted an
 * incarnation; dependency_waits the times an execution read an ESTIMATE
 * and suspended until the writer finished. Transactions that take their
 * status without running (MALFORMED, BAD_SIGNATURE) are not executions. */
typedef struct cx_exec_counters {
  uint64_t executions, reexecutions, validation_failures, dependency_waits;
  int path;         /* cx_exec_path actually taken */
  unsigned threads; /* workers used (1 on the sequential path) */
  /* Added for the planned path. On it, dependency_waits counts the
   * transactions deferred because an earlier one touching their keys was
   * not done yet. */
  int reason;            /* cx_exec_reason */
  int planned;           /* 1 when the block was planned (even if its run
                            then fell back to the sequential path) */
  uint64_t plan_keys;    /* distinct keys known before execution */
  uint64_t plan_hot;     /* transactions touching the most-touched key */
  uint64_t plan_dynamic; /* run-time (APPEND slot) keys written */
  double plan_run_s;     /* wall time of the planned run (planning and
                            execution, the write set excluded) */
} cx_exec_counters;

typedef struct cx_exec_output {
  uint8_t *statuses;      /* caller-allocated, n entries: SPEC status codes */
  const cx_entry *writes; /* final write set of the committed txs, sorted by
                             cx_key_cmp, each key once, value at the end of
                             the block; never NULL after a successful run
                             (even with no writes); owned by the executor,
                             valid until its next run or destroy */
  size_t n_writes;
  cx_exec_counters counters;
} cx_exec_output;

typedef struct cx_executor_config {
  unsigned threads;       /* workers to use (0 or 1 = sequential; at most
                             64 take part in one block) */
  cx_run_workers_fn run;  /* required when threads > 1 */
  void *runner;           /* passed to run */
  size_t min_parallel_txs; /* blocks below this run sequentially (0 =
                              CX_EXEC_DEFAULT_MIN_PARALLEL) */
  int force_path;         /* -1 = automatic choice, else a cx_exec_path
                             (tests, benchmarks); forcing PARALLEL or
                             PLANNED with one thread runs it on one
                             worker; a forced PLANNED block whose run-time
                             keys meet planned ones still falls back to
                             the sequential path */
  unsigned claim_batch;   /* transactions a worker claims from the
                             scheduler at once (0 = automatic: a window
                             of 64, 16 or 4 neighbours over all workers
                             as the contention sample grows, see
                             executor.c; on the planned path 32; tests
                             force other values) */
} cx_executor_config;

#define CX_EXEC_DEFAULT_MIN_PARALLEL 64u

typedef struct cx_executor cx_executor;

/* Creates an executor. Returns NULL and sets err on failure: CX_EINVAL
 * (NULL cfg, threads > 1 without `run`, force_path out of range),
 * CX_ENOMEM. */
cx_executor *cx_executor_create(const cx_executor_config *cfg, cx_error *err);

/* Executes one block. Fills out->statuses (n entries, caller-allocated),
 * out->writes/n_writes (owned by x) and out->counters. Returns 0, or:
 * CX_EINVAL on NULL arguments (or n > 0 with NULL arrays), CX_ENOMEM,
 * CX_ELIMIT (a block of 2^32 - 1 transactions or more, or 2^31 keys), or
 * the code a base read returned (the block is then abandoned and out's
 * contents are unspecified). Not thread-safe on one executor. */
int cx_executor_run(cx_executor *x, const cx_exec_input *in,
                    cx_base_read_fn read, void *read_ctx, cx_exec_output *out,
                    cx_error *err);

/* Frees the executor and its write set; NULL is a no-op. */
void cx_executor_destroy(cx_executor *x);

#endif /* CX_MVCC_H */
