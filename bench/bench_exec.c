/* `chainexec bench exec`: see bench_exec.h. */
#include "bench_exec.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blockgen.h"
#include "memstate.h"
#include "store.h"
#include "tempdir.h"
#include "mvcc.h"
#include "pathchoice.h"
#include "pool.h"
#include "bench_util.h"
#include "cli_util.h"

typedef struct opts {
  bool json, quick, warm, lmdb;
  unsigned threads;
  size_t accounts, txs; /* 0: the grid */
} opts;

typedef struct point {
  size_t accounts, txs;
  double seq_tps, par_tps, stm_tps, plan_tps;
  int runs, par_runs; /* timed runs; those the automatic executor ran
                       * on the parallel path */
  uint64_t par_reexec, stm_reexec, stm_waits;
  cx_exec_counters plan, par; /* last timed run: planned forced, auto */
  double plan_run_s; /* median planned run, write set excluded */
} point;

/* The generated block and its base state: in memory, or (--base lmdb) a
 * snapshot of a store holding the same accounts, read as the engine reads
 * it. */
typedef struct workload {
  size_t n;
  uint8_t *wire;
  cx_tx *txs;
  uint8_t *sig_ok;
  uint8_t (*senders)[20];
  cx_memstate *base;
  char *dir;
  cx_store *store;
  cx_snapshot *snap;
} workload;

static void workload_free(workload *w) {
  free(w->wire), free(w->txs), free(w->sig_ok), free(w->senders);
  cx_memstate_destroy(w->base);
  cx_snapshot_release(w->snap);
  cx_store_close(w->store);
  if (w->dir)
    cx_tempdir_remove(w->dir, NULL);
  free(w->dir);
  memset(w, 0, sizeof *w);
}

static int snapshot_read(void *ctx, const cx_key *key, uint64_t *v0,
                         uint64_t *v1) {
  return cx_snapshot_read(ctx, key, v0, v1);
}

/* The base as the executor reads it. */
static cx_base_read_fn workload_reader(const workload *w, void **ctx) {
  if (w->snap) {
    *ctx = w->snap;
    return snapshot_read;
  }
  *ctx = w->base;
  return cx_memstate_read;
}

/* Puts the accounts in a fresh store under a private temporary directory
 * (no fsync: only reads are measured) and opens a snapshot. */
static int workload_store(workload *w, cx_entry *accounts, size_t n) {
  cx_error err = {0};
  w->dir = cx_tempdir_create(&err);
  if (w->dir) {
    cx_store_config cfg;
    cx_store_config_default(&cfg);
    cfg.path = w->dir;
    cfg.durability = CX_DURABILITY_NOSYNC;
    w->store = cx_store_open(&cfg, &err);
  }
  if (w->store && cx_store_load_genesis(w->store, accounts, n, NULL, &err) ==
                      CX_OK)
    w->snap = cx_store_snapshot(w->store, &err);
  if (!w->snap) {
    fprintf(stderr, "chainexec bench exec: LMDB base: %s\n", err.message);
    return -1;
  }
  return 0;
}

/* T transfers among A accounts, each with the sender's next nonce and a
 * balance that covers it, so every transaction commits. The transactions
 * lie back to back, as in a block's bytes (one per CX_TX_MAX_LEN would
 * cost each run a TLB miss per transaction that no node pays). */
static int workload_make(workload *w, size_t accounts, size_t txs,
                         bool lmdb) {
  const size_t tx_len = CX_TX_HEADER_LEN + 29 + CX_TX_SIG_LEN;
  memset(w, 0, sizeof *w);
  uint8_t(*addr)[20] = malloc(accounts * sizeof *addr);
  cx_entry *base = malloc(accounts * sizeof *base);
  uint64_t *nonce = calloc(accounts, sizeof *nonce);
  w->n = txs;
  w->wire = malloc(txs * tx_len);
  w->txs = malloc(txs * sizeof *w->txs);
  w->sig_ok = malloc(txs);
  w->senders = malloc(txs * sizeof *w->senders);
  w->base = cx_memstate_create();
  int ok = addr && nonce && base && w->wire && w->txs && w->sig_ok &&
           w->senders && w->base;
  uint64_t seed = 0x5eed0000 + accounts * 7919 + txs;
  for (size_t a = 0; ok && a < accounts; a++) {
    for (int i = 0; i < 20; i += 8) {
      uint64_t r = cx_bench_rand(&seed);
      memcpy(addr[a] + i, &r, i + 8 <= 20 ? 8 : 4);
    }
    cx_entry e = {cx_key_account(addr[a]), 1000000000000ull, 0};
    ok = cx_memstate_put(w->base, &e, 1) == 0;
    base[a] = e;
  }
  static const uint8_t pubkey[33] = {2}, sig[64];
  for (size_t i = 0; ok && i < txs; i++) {
    size_t s = cx_bench_rand(&seed) % accounts, t = cx_bench_rand(&seed) % accounts;
    uint8_t *buf = w->wire + i * tx_len;
    cx_tx_builder b;
    cx_tx_build_begin(&b, buf, pubkey, nonce[s]++);
    cx_tx_build_op(&b, CX_OP_TRANSFER, addr[t], NULL,
                   1 + cx_bench_rand(&seed) % 1000);
    ok = cx_tx_build_finish(&b, sig) == tx_len &&
         cx_tx_decode(buf, tx_len, &w->txs[i]);
    w->sig_ok[i] = 1;
    memcpy(w->senders[i], addr[s], 20);
  }
  free(addr);
  free(nonce);
  if (ok && lmdb)
    ok = workload_store(w, base, accounts) == 0;
  free(base);
  if (!ok)
    workload_free(w);
  return ok ? 0 : -1;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *t, int n) {
  qsort(t, (size_t)n, sizeof t[0], cmp_double);
  return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

enum { X_SEQ, X_AUTO, X_STM, X_PLAN, NX };

/* Times one run of x on w into *dt; checks it against the sequential
 * result in ref (set by the first sequential run). */
static int timed_run(cx_executor *x, const workload *w, uint8_t *st,
                     cx_exec_result *ref, cx_entry **ref_copy, double *dt,
                     cx_exec_counters *c) {
  cx_exec_input in = {w->n, w->txs, w->sig_ok,
                      (const uint8_t(*)[20])w->senders};
  cx_exec_output out = {.statuses = st};
  cx_error err = {0};
  void *ctx;
  cx_base_read_fn read = workload_reader(w, &ctx);
  double t0 = cx_bench_now();
  int rc = cx_executor_run(x, &in, read, ctx, &out, &err);
  *dt = cx_bench_now() - t0;
  if (rc != 0) {
    fprintf(stderr, "chainexec bench exec: %s\n", err.message);
    return -1;
  }
  *c = out.counters;
  cx_exec_result got = {w->n, st, out.writes, out.n_writes};
  if (!ref->statuses) { /* first (sequential) run: the reference */
    uint8_t *s = malloc(w->n + 1);
    *ref_copy = malloc((out.n_writes + 1) * sizeof **ref_copy);
    if (!s || !*ref_copy) {
      free(s);
      fprintf(stderr, "chainexec bench exec: out of memory\n");
      return -1;
    }
    memcpy(s, st, w->n);
    memcpy(*ref_copy, out.writes, out.n_writes * sizeof **ref_copy);
    *ref = (cx_exec_result){w->n, s, *ref_copy, out.n_writes};
    return 0;
  }
  char why[160];
  if (!cx_exec_same(&got, ref, why, sizeof why)) {
    fprintf(stderr, "chainexec bench exec: %s run differs from the sequential one: %s\n",
            c->path == CX_EXEC_PARALLEL  ? "Block-STM"
            : c->path == CX_EXEC_PLANNED ? "planned"
                                         : "sequential",
            why);
    return -1;
  }
  return 0;
}

static cx_executor *make(cx_pool *pool, unsigned threads, int path) {
  cx_executor_config cfg = {.threads = threads, .run = cx_pool_run_workers,
                            .runner = pool, .force_path = path};
  cx_error err = {0};
  cx_executor *x = cx_executor_create(&cfg, &err);
  if (!x)
    fprintf(stderr, "chainexec bench exec: %s\n", err.message);
  return x;
}

/* The three executors run round-robin (sequential, automatic, Block-STM
 * forced), so a noisy neighbour slows all of them alike; each figure is
 * the median of its timed runs. With --warm, each timed run directly
 * follows an untimed run of the same executor, so it finds its own data in
 * the caches rather than the other executors' (blocks back to back on one
 * path, as in a node between its other stages' work). */
static int run_point(cx_pool *pool, const opts *o, point *p) {
  workload w;
  if (workload_make(&w, p->accounts, p->txs, o->lmdb) != 0) {
    fprintf(stderr, "chainexec bench exec: could not prepare a block of %zu txs\n",
            p->txs);
    return -1;
  }
  int runs = o->quick ? 3 : 10, warm = o->quick ? 1 : 2;
  cx_executor *x[NX] = {make(pool, 1, CX_EXEC_SEQUENTIAL),
                        make(pool, o->threads, -1),
                        make(pool, o->threads, CX_EXEC_PARALLEL),
                        make(pool, o->threads, CX_EXEC_PLANNED)};
  double t[NX][64], plan_s[64];
  cx_exec_counters c[NX];
  cx_exec_result ref = {0};
  cx_entry *ref_writes = NULL;
  uint8_t *st = malloc(w.n + 1);
  int rc = st && x[0] && x[1] && x[2] && x[3] ? 0 : -1;
  /* The reference result first. Then the blocks the automatic executor's
   * path choice spends trying both paths (pathchoice.h) before it runs as
   * it would in a node: they come before the common warm-ups, so that
   * the three executors' timed runs share one stretch of time. */
  double dt;
  if (rc == 0)
    rc = timed_run(x[X_SEQ], &w, st, &ref, &ref_writes, &dt, &c[X_SEQ]);
  for (unsigned i = 0; rc == 0 && i < CX_PATH_WARMUP_BLOCKS; i++)
    rc = timed_run(x[X_AUTO], &w, st, &ref, &ref_writes, &dt, &c[X_AUTO]);
  for (int r = 0; rc == 0 && r < warm + runs; r++)
    for (int e = 0; rc == 0 && e < NX; e++) {
      if (o->warm && r >= warm)
        rc = timed_run(x[e], &w, st, &ref, &ref_writes, &dt, &c[e]);
      if (rc == 0)
        rc = timed_run(x[e], &w, st, &ref, &ref_writes, &dt, &c[e]);
      if (r >= warm) {
        t[e][r - warm] = dt;
        p->par_runs += e == X_AUTO && c[e].path != CX_EXEC_SEQUENTIAL;
        if (e == X_PLAN)
          plan_s[r - warm] = c[e].plan_run_s;
      }
    }
  if (rc == 0) {
    p->seq_tps = (double)w.n / median(t[X_SEQ], runs);
    p->par_tps = (double)w.n / median(t[X_AUTO], runs);
    p->stm_tps = (double)w.n / median(t[X_STM], runs);
    p->plan_tps = (double)w.n / median(t[X_PLAN], runs);
    p->plan_run_s = median(plan_s, runs);
    p->plan = c[X_PLAN];
    p->par = c[X_AUTO];
    p->runs = runs;
    p->par_reexec = c[X_AUTO].reexecutions;
    p->stm_reexec = c[X_STM].reexecutions;
    p->stm_waits = c[X_STM].dependency_waits;
  }
  for (int e = 0; e < NX; e++)
    cx_executor_destroy(x[e]);
  free(st);
  free((void *)ref.statuses);
  free(ref_writes);
  workload_free(&w);
  return rc;
}

static int usage(FILE *f) {
  fprintf(f,
          "usage: chainexec bench exec [--accounts A] [--txs T] "
          "[--threads N] [--warm] [--base memory|lmdb]\n"
          "                            [--json] [--quick] [--help]\n"
          "  Execution stage only: p2p transfers among A accounts in blocks "
          "of T txs,\n  sequential executor vs the parallel executor "
          "(automatic path, Block-STM forced,\n  planned forced) with N "
          "threads (default 2); median of 10 after 2 warm-ups, the\n  four "
          "run round-robin. "
          "--warm: each timed block right after an untimed one of the\n  "
          "same executor (its own data in the caches).\n  --base lmdb: "
          "the accounts in an LMDB store, read through a snapshot as the\n"
          "  engine reads them (default: in memory).\n  Without "
          "--accounts/--txs: A in 2,10,100,1000,10000 x T in 1000,10000.\n");
  return f == stdout ? 0 : 2;
}

static const char *path_name(int path) {
  return path == CX_EXEC_PARALLEL  ? "blockstm"
         : path == CX_EXEC_PLANNED ? "planned"
                                   : "sequential";
}

static const char *reason_name(int why) {
  static const char *const names[] = {
      "forced",   "one-thread", "small",    "contended",
      "measured", "hot-key",    "conflict", "recent-conflict"};
  return why >= 0 && why < 8 ? names[why] : "?";
}

static void print_point(const opts *o, const point *p, bool first) {
  /* The automatic executor's path: the one most timed runs took (a re-try
   * of the other path may fall among them), with the count when mixed. */
  const char *majority = 2 * p->par_runs > p->runs ? "parallel"
                                                    : "sequential";
  const char *path = majority;
  char mixed[32];
  if (p->par_runs > 0 && p->par_runs < p->runs) {
    snprintf(mixed, sizeof mixed, "par %d/%d", p->par_runs, p->runs);
    path = mixed;
  }
  if (o->json) {
    printf("%s\n  {\"accounts\": %zu, \"txs\": %zu, \"threads\": %u, "
           "\"sequential_tps\": %.0f, \"parallel_tps\": %.0f, "
           "\"reexecutions\": %llu, \"speedup\": %.3f, \"path\": \"%s\", "
           "\"parallel_runs\": %d, "
           "\"blockstm_tps\": %.0f, \"blockstm_speedup\": %.3f, "
           "\"blockstm_reexecutions\": %llu, "
           "\"blockstm_dependency_waits\": %llu, "
           "\"auto_last_path\": \"%s\", \"auto_last_reason\": \"%s\", "
           "\"planned_tps\": %.0f, \"planned_speedup\": %.3f, "
           "\"planned_run_s\": %.6f, \"plan_keys\": %llu, "
           "\"plan_hot\": %llu, \"plan_dynamic\": %llu, "
           "\"planned_deferrals\": %llu, \"planned_reason\": \"%s\"}",
           first ? "" : ",", p->accounts, p->txs, o->threads, p->seq_tps,
           p->par_tps, (unsigned long long)p->par_reexec,
           p->par_tps / p->seq_tps, majority, p->par_runs, p->stm_tps,
           p->stm_tps / p->seq_tps, (unsigned long long)p->stm_reexec,
           (unsigned long long)p->stm_waits, path_name(p->par.path),
           reason_name(p->par.reason), p->plan_tps, p->plan_tps / p->seq_tps,
           p->plan_run_s, (unsigned long long)p->plan.plan_keys,
           (unsigned long long)p->plan.plan_hot,
           (unsigned long long)p->plan.plan_dynamic,
           (unsigned long long)p->plan.dependency_waits,
           reason_name(p->plan.reason));
  } else {
    printf("%8zu %6zu %12.0f %12.0f %7.2fx %-10s %12.0f %7.2fx %8llu "
           "%12.0f %7.2fx %6llu %8llu\n",
           p->accounts, p->txs, p->seq_tps, p->par_tps,
           p->par_tps / p->seq_tps, path, p->stm_tps, p->stm_tps / p->seq_tps,
           (unsigned long long)p->stm_reexec, p->plan_tps,
           p->plan_tps / p->seq_tps, (unsigned long long)p->plan.plan_hot,
           (unsigned long long)p->plan.dependency_waits);
  }
  fflush(stdout);
}

int cx_bench_exec(int argc, char **argv) {
  opts o = {false, false, false, false, 2, 0, 0};
  cx_cli_args ca;
  cx_cli_args_init(&ca, "bench exec", argc, argv);
  while (cx_cli_args_more(&ca)) {
    const char *v;
    uint64_t n;
    if (cx_cli_flag(&ca, "--json"))
      o.json = true;
    else if (cx_cli_flag(&ca, "--quick"))
      o.quick = true;
    else if (cx_cli_flag(&ca, "--warm"))
      o.warm = true;
    else if (cx_cli_flag(&ca, "--help") || cx_cli_flag(&ca, "-h"))
      return usage(stdout);
    else if (cx_cli_opt(&ca, "--base", &v)) {
      if (!ca.bad && strcmp(v, "memory") && strcmp(v, "lmdb"))
        return cx_cli_usage("bench exec",
                            "--base must be memory or lmdb, not '%s'", v);
      o.lmdb = !ca.bad && v[0] == 'l';
    } else if (cx_cli_opt(&ca, "--accounts", &v)) {
      if (!ca.bad && cx_cli_u64(&ca, "--accounts", v, 1, 100000000, &n))
        o.accounts = (size_t)n;
    } else if (cx_cli_opt(&ca, "--txs", &v)) {
      if (!ca.bad && cx_cli_u64(&ca, "--txs", v, 1, 100000000, &n))
        o.txs = (size_t)n;
    } else if (cx_cli_opt(&ca, "--threads", &v)) {
      if (!ca.bad && cx_cli_u64(&ca, "--threads", v, 1, CX_CLI_MAX_THREADS, &n))
        o.threads = (unsigned)n;
    } else
      return cx_cli_usage("bench exec", "unknown argument '%s'",
                          cx_cli_args_cur(&ca));
  }
  if (ca.bad)
    return CX_EXIT_USAGE;
  static const size_t grid_a[] = {2, 10, 100, 1000, 10000},
                      grid_t[] = {1000, 10000}, quick_a[] = {2, 1000},
                      quick_t[] = {1000};
  const size_t *as = o.quick ? quick_a : grid_a, *ts = o.quick ? quick_t : grid_t;
  size_t na = o.quick ? 2 : 5, nt = o.quick ? 1 : 2;
  if (o.accounts)
    as = &o.accounts, na = 1;
  if (o.txs)
    ts = &o.txs, nt = 1;
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(o.threads, &err);
  if (!pool) {
    fprintf(stderr, "chainexec bench exec: %s\n", err.message);
    return 1;
  }
  if (o.json)
    printf("{\"benchmark\": \"exec\", \"threads\": %u, \"order\": \"%s\", "
           "\"base\": \"%s\", \"runs\": [",
           o.threads, o.warm ? "warm" : "round-robin",
           o.lmdb ? "lmdb" : "memory");
  else
    printf("bench exec: p2p transfers, %u threads, median of %d after %d "
           "warm-ups (+%u for the automatic path choice), %s, base in %s\n"
           "par = the engine's automatic choice, stm = Block-STM forced, "
           "plan = planned forced\n(hot: txs on the most-touched key; "
           "defer: txs deferred for a predecessor)\n"
           "%8s %6s %12s %12s %8s %-10s %12s %8s %8s %12s %8s %6s %8s\n",
           o.threads, o.quick ? 3 : 10, o.quick ? 1 : 2,
           CX_PATH_WARMUP_BLOCKS,
           o.warm ? "each after an untimed run of its own" : "round-robin",
           o.lmdb ? "LMDB" : "memory",
           "accounts", "txs",
           "seq tx/s", "par tx/s", "speedup", "path", "stm tx/s", "stm x",
           "stm reex", "plan tx/s", "plan x", "hot", "defer");
  int rc = 0;
  bool first = true;
  for (size_t t = 0; t < nt && rc == 0; t++)
    for (size_t a = 0; a < na && rc == 0; a++) {
      point p = {.accounts = as[a], .txs = ts[t]};
      if (run_point(pool, &o, &p) != 0) {
        rc = 1;
        break;
      }
      print_point(&o, &p, first);
      first = false;
    }
  if (o.json)
    printf("\n]}\n");
  cx_pool_destroy(pool);
  return rc;
}
