/* cx_executor: argument checks, the choice of path, and the block's
 * sorted write set. See mvcc.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contention.h"
#include "keymap.h"
#include "mvcc.h"
#include "parallel.h"
#include "pathchoice.h"
#include "plan.h"
#include "sequential.h"
#include "sort.h"
#include "vm.h"

/* Above this share of conflicting neighbours (contention.h), Block-STM
 * spends more on suspensions and re-executions than parallelism brings. */
#define CX_EXEC_CONTENTION_LIMIT 50u

struct cx_executor {
  cx_executor_config cfg;
  cx_keymap overlay; /* sequential path */
  cx_par par;        /* parallel path */
  cx_plan plan;      /* planned path */
  unsigned stm_left; /* blocks to run on Block-STM after a fallback */
  cx_entry *writes; /* the block's write set */
  size_t writes_cap;
  cx_arena scratch; /* sequential path's sort */
  uint32_t contention[CX_CONTENTION_TABLE];
  int pct; /* this block's contention estimate, -1 until computed */
  cx_path_stats stats; /* measured cost of each path, for the choice */
  cx_vm_buf vm;
};

cx_executor *cx_executor_create(const cx_executor_config *cfg, cx_error *err) {
  if (!cfg)
    return cx_error_set(err, CX_EINVAL, "executor: NULL config"), NULL;
  if (cfg->threads > 1 && !cfg->run)
    return cx_error_set(err, CX_EINVAL,
                        "executor: %u threads requested but no worker "
                        "runner given (set cfg.run)",
                        cfg->threads),
           NULL;
  if (cfg->force_path < -1 || cfg->force_path > CX_EXEC_PLANNED)
    return cx_error_set(err, CX_EINVAL,
                        "executor: force_path %d is not -1, 0, 1 or 2",
                        cfg->force_path),
           NULL;
  /* aligned_alloc: the scheduler keeps its atomics on separate lines. */
  cx_executor *x = aligned_alloc(_Alignof(cx_executor), sizeof *x);
  if (x)
    memset(x, 0, sizeof *x);
  if (!x || cx_par_init(&x->par) != 0) {
    if (x)
      cx_par_destroy(&x->par);
    free(x);
    return cx_error_set(err, CX_ENOMEM, "executor: out of memory"), NULL;
  }
  x->cfg = *cfg;
  cx_plan_init(&x->plan);
  cx_path_init(&x->stats);
  if (x->cfg.threads == 0)
    x->cfg.threads = 1;
  if (x->cfg.min_parallel_txs == 0)
    x->cfg.min_parallel_txs = CX_EXEC_DEFAULT_MIN_PARALLEL;
  return x;
}

void cx_executor_destroy(cx_executor *x) {
  if (!x)
    return;
  cx_keymap_free(&x->overlay);
  cx_par_destroy(&x->par);
  cx_plan_destroy(&x->plan);
  cx_arena_free(&x->scratch);
  free(x->writes);
  free(x);
}

static unsigned contention(cx_executor *x, const cx_exec_input *in) {
  if (x->pct < 0)
    x->pct = (int)cx_contention_percent(in, x->cfg.threads, x->contention);
  return (unsigned)x->pct;
}

/* Blocks of Block-STM after a planned block fell back: a workload whose
 * APPEND keys meet planned keys would otherwise pay for planning and a
 * second run on every block. */
#define CX_EXEC_STM_AFTER_CONFLICT 16u

/* The path for this block (a cx_exec_path) and why; *measured says the
 * choice was the measured one (pathchoice.h), so its time must be
 * recorded. */
static int choose_path(cx_executor *x, const cx_exec_input *in,
                       int *measured, int *why) {
  *measured = 0;
  if (x->cfg.force_path >= 0) {
    *why = CX_EXEC_WHY_FORCED;
    return x->cfg.force_path;
  }
  *why = x->cfg.threads < 2                   ? CX_EXEC_WHY_ONE_THREAD
         : in->n < x->cfg.min_parallel_txs    ? CX_EXEC_WHY_SMALL
         : contention(x, in) > CX_EXEC_CONTENTION_LIMIT ? CX_EXEC_WHY_CONTENDED
                                                        : CX_EXEC_WHY_MEASURED;
  if (*why != CX_EXEC_WHY_MEASURED)
    return CX_EXEC_SEQUENTIAL;
  *measured = 1;
  if (cx_path_pick(&x->stats, in->n, contention(x, in)) != CX_EXEC_PARALLEL)
    return CX_EXEC_SEQUENTIAL;
  if (x->stm_left > 0) {
    x->stm_left--;
    *why = CX_EXEC_WHY_RECENT_CONFLICT;
    return CX_EXEC_PARALLEL;
  }
  return CX_EXEC_PLANNED;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_workers(cx_executor *x, unsigned k, cx_worker_fn fn,
                        void *arg) {
  if (k == 1)
    fn(arg, 0);
  else
    x->cfg.run(x->cfg.runner, k, fn, arg);
}

/* Room for n entries of write set; at least one, so out->writes is never
 * NULL (callers may memcpy from it with a zero length). */
static int reserve_writes(cx_executor *x, size_t n) {
  if (n == 0)
    n = 1;
  if (n <= x->writes_cap)
    return CX_OK;
  cx_entry *w = malloc(n * sizeof *w);
  if (!w)
    return CX_ENOMEM;
  free(x->writes);
  x->writes = w;
  x->writes_cap = n;
  return CX_OK;
}

/* Transactions a worker claims at once. Each claim costs a few atomic
 * operations on lines every worker writes, which on tiny transactions
 * weigh as much as running them; but about k * batch neighbouring
 * transactions then run at once, so the more a block's neighbours
 * conflict, the smaller that window must stay. The window aims at 64
 * transactions when (almost) nothing conflicts, 16 under moderate
 * contention and 4 beyond; the floor keeps what many workers were
 * measured with before (16 with no conflict in the sample, 4 with a few,
 * else 1). Measured on 2 cores (bench exec's transfers, Block-STM forced,
 * ns per transaction, batches in brackets): 10,000 accounts 188 [1], 145
 * [4], 140 [16], 134 [32]; 100 accounts (contention 16%) 229 [1], 196
 * [2], 145 [4], 137 [8], 154 [16]; 30 accounts (45%) 248 [1], 218 [2],
 * 319 [4]. */
static uint32_t claim_batch_for(unsigned pct, unsigned k) {
  unsigned window = pct <= 3 ? 64 : pct <= 20 ? 16 : 4;
  unsigned floor = pct == 0 ? 16 : pct <= 3 ? 4 : 1;
  unsigned batch = window / k;
  return batch > floor ? batch : floor;
}

static int run_parallel(cx_executor *x, const cx_exec_input *in,
                        cx_base_read_fn read, void *read_ctx,
                        cx_exec_output *out) {
  unsigned k = x->cfg.threads;
  if (k > 64)
    k = 64; /* the bound of cx_par's worker-state mask; far beyond what
             * one block can use */
  unsigned pct = x->cfg.claim_batch ? 0 : contention(x, in);
  uint32_t batch = x->cfg.claim_batch ? x->cfg.claim_batch
                                      : claim_batch_for(pct, k);
  int rc = CX_PAR_RETRY;
  /* A block touching more keys than estimated runs again, sized exactly
   * (the same result: nothing of the first run is kept). */
  for (int exact = 0; rc == CX_PAR_RETRY && exact < 2; exact++) {
    rc = cx_par_reset(&x->par, in, read, read_ctx, out->statuses, k, batch,
                      exact);
    if (rc != 0)
      return rc;
    run_workers(x, k, cx_par_work, &x->par);
    rc = atomic_load(&x->par.error);
  }
  if (rc == CX_PAR_RETRY) /* impossible: the exact size bounds the keys */
    rc = CX_ELIMIT;
  if (rc != 0)
    return rc;
  out->writes = cx_par_writes(&x->par, &out->n_writes);
  cx_par_counters(&x->par, &out->counters);
  return CX_OK;
}

static int run_sequential(cx_executor *x, const cx_exec_input *in,
                          cx_base_read_fn read, void *read_ctx,
                          cx_exec_output *out) {
  int rc = cx_seq_run(&x->overlay, in, read, read_ctx, &x->vm, out->statuses,
                      &out->counters);
  if (rc == 0)
    rc = reserve_writes(x, x->overlay.n);
  if (rc == 0) {
    cx_arena_reset(&x->scratch);
    rc = cx_mv_sort(x->overlay.entries, x->overlay.n, x->writes,
                    &x->scratch);
    out->writes = x->writes;
    out->n_writes = x->overlay.n;
  }
  return rc;
}

/* Transactions a worker of the planned path claims at once: 64, so that
 * a claim owns whole lines of the per-transaction done and status bytes
 * (with 32, two workers wrote every line of both, measured slower), and
 * the claim's shared counter stays off the hot path; deferral (see
 * planexec.c) keeps a worker busy when its claim meets another's. */
#define CX_EXEC_PLAN_BATCH 64u

/* The planned path; a block whose run-time keys meet planned keys runs
 * again on the sequential path (reason CX_EXEC_WHY_CONFLICT). */
static int run_planned(cx_executor *x, const cx_exec_input *in,
                       cx_base_read_fn read, void *read_ctx,
                       cx_exec_output *out) {
  unsigned k = x->cfg.threads > 64 ? 64 : x->cfg.threads;
  uint32_t batch = x->cfg.claim_batch ? x->cfg.claim_batch
                                      : CX_EXEC_PLAN_BATCH;
  double t0 = now_s();
  int rc = cx_plan_reset(&x->plan, in, read, read_ctx, out->statuses, k,
                         batch);
  if (rc != 0)
    return rc;
  run_workers(x, k, cx_plan_work, &x->plan);
  double t1 = now_s();
  rc = cx_plan_writes(&x->plan, &out->writes, &out->n_writes);
  cx_plan_stats ps;
  cx_plan_counters(&x->plan, &out->counters, &ps);
  if (rc == CX_PLAN_FALLBACK) {
    out->writes = NULL;
    out->n_writes = 0;
    rc = run_sequential(x, in, read, read_ctx, out);
    out->counters.reason = CX_EXEC_WHY_CONFLICT;
    x->stm_left = CX_EXEC_STM_AFTER_CONFLICT;
  }
  out->counters.planned = 1;
  out->counters.plan_keys = ps.keys;
  out->counters.plan_hot = ps.hot;
  out->counters.plan_dynamic = ps.dynamic;
  out->counters.plan_run_s = t1 - t0;
  return rc;
}

int cx_executor_run(cx_executor *x, const cx_exec_input *in,
                    cx_base_read_fn read, void *read_ctx, cx_exec_output *out,
                    cx_error *err) {
  if (!x || !in || !read || !out)
    return cx_error_set(err, CX_EINVAL, "executor: NULL argument");
  if (in->n > 0 &&
      (!in->txs || !in->sig_ok || !in->senders || !out->statuses))
    return cx_error_set(err, CX_EINVAL,
                        "executor: block of %zu txs with NULL arrays", in->n);
  out->writes = NULL;
  out->n_writes = 0;
  memset(&out->counters, 0, sizeof out->counters);
  x->pct = -1;
  int rc, measured, why;
  int path = choose_path(x, in, &measured, &why);
  double t0 = measured ? now_s() : 0;
  if (path == CX_EXEC_PLANNED)
    rc = run_planned(x, in, read, read_ctx, out);
  else if (path == CX_EXEC_PARALLEL)
    rc = run_parallel(x, in, read, read_ctx, out);
  else
    rc = run_sequential(x, in, read, read_ctx, out);
  if (out->counters.reason == 0)
    out->counters.reason = why;
  /* The measured choice is between in-order and parallel execution; a
   * planned block that fell back is charged to the parallel side. */
  if (rc == 0 && measured)
    cx_path_record(&x->stats, in->n, (unsigned)x->pct,
                   path == CX_EXEC_SEQUENTIAL ? CX_EXEC_SEQUENTIAL
                                              : CX_EXEC_PARALLEL,
                   now_s() - t0);
  if (rc != 0)
    return cx_error_set(err, rc, "executing a block of %zu txs: %s%s", in->n,
                        cx_strerror(rc),
                        rc == CX_ENOMEM || rc == CX_ELIMIT
                            ? ""
                            : " (returned by the base-state read)");
  return CX_OK;
}
