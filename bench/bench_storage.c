/* `chainexec bench storage`: see bench_storage.h. */
#include "bench_storage.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "store.h"
#include "tempdir.h"
#include "bench_storage_undo.h"
#include "bench_util.h"
#include "cli_util.h"

#define MAX_MT 8

typedef struct opts {
  bool json, quick;
  const char *dir;
} opts;

typedef struct sizes {
  size_t keys;  /* accounts per block */
  size_t reads; /* point reads per measurement */
  int rounds;
} sizes;

typedef struct results {
  double commit_s, plain_commit_s; /* best round */
  double read_s, plain_read_s;     /* single thread */
  double mt_read_s;
  int mt_threads;
} results;

/* Everything the measurements share. */
typedef struct bench {
  char *root;         /* private directory holding both databases */
  cx_entry *accounts; /* sorted by key */
  uint32_t *order;    /* random read order (indices into accounts) */
  cx_store *store;
  MDB_env *plain;
  MDB_dbi plain_dbi;
} bench;

static int usage(FILE *f) {
  fprintf(f, "usage: chainexec bench storage [--json] [--quick] [--dir PATH] "
             "[--help]\n"
             "  sync block commit of 100k updated accounts vs a plain LMDB "
             "put loop with fsync;\n  snapshot point reads vs plain mdb_get "
             "(1 thread, then one per CPU);\n  schema 3 commit vs a "
             "plain-LMDB emulation of the schema-2 commit;\n  reverts of "
             "depth 1, 8, 64 vs commits (10k accounts, ~20k writes per "
             "block).\n");
  return f == stdout ? 0 : 2;
}

static int fail(const char *what, const char *detail) {
  return cx_cli_fail("bench storage", "%s: %s", what, detail);
}

/* --- the plain LMDB baseline ------------------------------------------- */

static int plain_open(bench *b, size_t map) {
  char path[4096];
  snprintf(path, sizeof path, "%s/plain", b->root);
  if (mkdir(path, 0755) != 0)
    return fail("creating the baseline directory", path);
  MDB_txn *txn;
  int rc = mdb_env_create(&b->plain);
  if (rc == 0)
    rc = mdb_env_set_maxdbs(b->plain, 1);
  if (rc == 0)
    rc = mdb_env_set_mapsize(b->plain, map);
  if (rc == 0)
    rc = mdb_env_open(b->plain, path, MDB_NOTLS, 0644);
  if (rc == 0)
    rc = mdb_txn_begin(b->plain, NULL, 0, &txn);
  if (rc == 0) {
    rc = mdb_dbi_open(txn, "accounts", MDB_CREATE, &b->plain_dbi);
    rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
  }
  return rc ? fail("opening the baseline LMDB", mdb_strerror(rc)) : 0;
}

/* The baseline block: one write txn, sorted mdb_put, commit with fsync. */
static int plain_commit(bench *b, const cx_entry *e, size_t n, double *secs) {
  double t0 = cx_bench_now();
  MDB_txn *txn;
  int rc = mdb_txn_begin(b->plain, NULL, 0, &txn);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    uint8_t val[16];
    memcpy(val, &e[i].v0, 8); /* little-endian host, as the store writes */
    memcpy(val + 8, &e[i].v1, 8);
    MDB_val k = {20, (void *)e[i].key.bytes}, v = {16, val};
    rc = mdb_put(txn, b->plain_dbi, &k, &v, 0);
  }
  if (rc == 0)
    rc = mdb_txn_commit(txn);
  else if (txn)
    mdb_txn_abort(txn);
  *secs = cx_bench_now() - t0;
  return rc ? fail("baseline commit", mdb_strerror(rc)) : 0;
}

static int plain_reads(bench *b, size_t count, size_t keys, double *secs) {
  MDB_txn *txn;
  int rc = mdb_txn_begin(b->plain, NULL, MDB_RDONLY, &txn);
  if (rc != 0)
    return fail("baseline read txn", mdb_strerror(rc));
  uint64_t sum = 0;
  double t0 = cx_bench_now();
  for (size_t i = 0; i < count && rc == 0; i++) {
    const cx_entry *e = &b->accounts[b->order[i % keys]];
    MDB_val k = {20, (void *)e->key.bytes}, v;
    rc = mdb_get(txn, b->plain_dbi, &k, &v);
    if (rc == 0) {
      uint64_t x;
      memcpy(&x, v.mv_data, 8);
      sum += x;
    }
  }
  *secs = cx_bench_now() - t0;
  mdb_txn_abort(txn);
  if (rc != 0)
    return fail("baseline read", mdb_strerror(rc));
  return sum == 0xdeadbeefull ? 1 : 0; /* keeps the loop observable */
}

/* --- the store --------------------------------------------------------- */

static int store_open(bench *b, size_t map) {
  char path[4096];
  snprintf(path, sizeof path, "%s/store", b->root);
  cx_store_config cfg;
  cx_store_config_default(&cfg);
  cfg.path = path;
  cfg.initial_map_size = map;
  cfg.durability = CX_DURABILITY_SYNC;
  cx_error err = {0};
  b->store = cx_store_open(&cfg, &err);
  return b->store ? 0 : fail("opening the store", err.message);
}

static int store_commit(bench *b, const cx_entry *e, size_t n, double *secs) {
  cx_block_record rec;
  memset(&rec, 0, sizeof rec);
  rec.height = cx_store_height(b->store) + 1;
  /* write_root is the caller's; a stand-in keeps the root chain valid. */
  memset(rec.write_root, (int)rec.height, 32);
  uint8_t prev[32];
  cx_store_state_root(b->store, prev);
  cx_state_root_next(prev, rec.write_root, rec.state_root);
  rec.tx_count = (uint32_t)n;
  cx_error err = {0};
  double t0 = cx_bench_now();
  int rc = cx_store_commit_block(b->store, &rec, e, n, &err);
  *secs = cx_bench_now() - t0;
  return rc ? fail("store commit", err.message) : 0;
}

typedef struct read_job {
  const bench *b;
  const cx_snapshot *snap;
  size_t count, keys, offset;
  uint64_t sum;
  int rc;
} read_job;

static void *store_read_loop(void *p) {
  read_job *j = p;
  for (size_t i = 0; i < j->count && j->rc == 0; i++) {
    const cx_entry *e = &j->b->accounts[j->b->order[(i + j->offset) % j->keys]];
    uint64_t v0, v1;
    j->rc = cx_snapshot_read(j->snap, &e->key, &v0, &v1);
    j->sum += v0;
  }
  return NULL;
}

/* count reads over `threads` threads sharing one warm snapshot. */
static int store_reads(bench *b, size_t count, size_t keys, int threads,
                       double *secs) {
  cx_error err = {0};
  cx_snapshot *snap = cx_store_snapshot(b->store, &err);
  if (!snap)
    return fail("taking a snapshot", err.message);
  read_job jobs[MAX_MT];
  pthread_t th[MAX_MT];
  for (int t = 0; t < threads; t++)
    jobs[t] = (read_job){b,
                         snap,
                         count / (size_t)threads,
                         keys,
                         (size_t)t * (keys / (size_t)threads),
                         0,
                         0};
  double t0 = cx_bench_now();
  int started = 0;
  for (; started < threads - 1; started++)
    if (pthread_create(&th[started], NULL, store_read_loop, &jobs[started]))
      break;
  store_read_loop(&jobs[threads - 1]);
  for (int t = 0; t < started; t++)
    pthread_join(th[t], NULL);
  for (int t = started; t < threads - 1; t++)
    store_read_loop(&jobs[t]); /* thread creation failed: run inline */
  *secs = cx_bench_now() - t0;
  cx_snapshot_release(snap);
  for (int t = 0; t < threads; t++)
    if (jobs[t].rc != 0)
      return fail("snapshot read", cx_strerror(jobs[t].rc));
  return 0;
}

/* --- setup, rounds, check ---------------------------------------------- */

static int setup(bench *b, const opts *o, const sizes *sz) {
  cx_error err = {0};
  if (o->dir) {
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/chainexec-bench-XXXXXX", o->dir);
    if (!mkdtemp(tmpl))
      return fail("creating a directory under", o->dir);
    b->root = strdup(tmpl);
  } else {
    b->root = cx_tempdir_create(&err);
    if (!b->root)
      return fail("creating a temporary directory", err.message);
  }
  size_t n = sz->keys;
  b->accounts = malloc(n * sizeof *b->accounts);
  b->order = malloc(n * sizeof *b->order);
  if (!b->root || !b->accounts || !b->order)
    return fail("setup", "out of memory");
  uint64_t s = 1;
  for (size_t i = 0; i < n; i++) {
    uint8_t addr[20];
    for (int j = 0; j < 20; j += 4) {
      uint32_t x = (uint32_t)cx_bench_rand(&s);
      memcpy(addr + j, &x, 4);
    }
    b->accounts[i] = (cx_entry){cx_key_account(addr), 1000000 + i, 0};
  }
  cx_entries_sort(b->accounts, n);
  for (size_t i = 0; i < n; i++)
    b->order[i] = (uint32_t)i;
  for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
    size_t j = (size_t)(cx_bench_rand(&s) % i);
    uint32_t t = b->order[i - 1];
    b->order[i - 1] = b->order[j];
    b->order[j] = t;
  }
  /* Room for a few copies of the data: neither side measures growth. */
  size_t map = (n * 64 * 8 + (64u << 20)) & ~(size_t)4095;
  if (plain_open(b, map) || store_open(b, map))
    return 1;
  double ignore;
  if (plain_commit(b, b->accounts, n, &ignore))
    return 1;
  if (cx_store_load_genesis(b->store, b->accounts, n, NULL, &err) != CX_OK)
    return fail("loading the genesis", err.message);
  return 0;
}

static void teardown(bench *b) {
  cx_store_close(b->store);
  if (b->plain)
    mdb_env_close(b->plain);
  if (b->root)
    cx_tempdir_remove(b->root, NULL);
  free(b->root);
  free(b->accounts);
  free(b->order);
}

static int run_commits(bench *b, const sizes *sz, results *r) {
  size_t n = sz->keys;
  r->commit_s = r->plain_commit_s = 1e30;
  for (int round = 1; round <= sz->rounds; round++) {
    for (size_t i = 0; i < n; i++) {
      b->accounts[i].v0 = (uint64_t)round * 1000003u + i;
      b->accounts[i].v1 = (uint64_t)round;
    }
    double ps, ss;
    if (plain_commit(b, b->accounts, n, &ps) ||
        store_commit(b, b->accounts, n, &ss))
      return 1;
    r->plain_commit_s = ps < r->plain_commit_s ? ps : r->plain_commit_s;
    r->commit_s = ss < r->commit_s ? ss : r->commit_s;
  }
  /* Every account must hold the last round's values. */
  for (size_t i = 0; i < n; i += 1 + n / 1000) {
    uint64_t v0, v1;
    cx_error err = {0};
    if (cx_store_get(b->store, &b->accounts[i].key, &v0, &v1, &err) != CX_OK)
      return fail("reading back", err.message);
    if (v0 != b->accounts[i].v0 || v1 != b->accounts[i].v1)
      return fail("reading back", "a stored value differs from the block");
  }
  return 0;
}

static int run_reads(bench *b, const sizes *sz, results *r) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  r->mt_threads = cpus < 1 ? 1 : cpus > MAX_MT ? MAX_MT : (int)cpus;
  double warm;
  /* Warm both maps, then alternate the measurements, keeping the best. */
  if (plain_reads(b, sz->keys, sz->keys, &warm) ||
      store_reads(b, sz->keys, sz->keys, 1, &warm))
    return 1;
  r->plain_read_s = r->read_s = r->mt_read_s = 1e30;
  for (int round = 0; round < 3; round++) {
    double p = 0, one = 0, mt = 0;
    if (plain_reads(b, sz->reads, sz->keys, &p) ||
        store_reads(b, sz->reads, sz->keys, 1, &one) ||
        store_reads(b, sz->reads, sz->keys, r->mt_threads, &mt))
      return 1;
    r->plain_read_s = p < r->plain_read_s ? p : r->plain_read_s;
    r->read_s = one < r->read_s ? one : r->read_s;
    r->mt_read_s = mt < r->mt_read_s ? mt : r->mt_read_s;
  }
  return 0;
}

static void report(const opts *o, const sizes *sz, const bench *b,
                   const results *r, const cx_bench_undo_results *u) {
  double n = (double)sz->keys, reads = (double)sz->reads;
  double puts = n / r->commit_s, plain_puts = n / r->plain_commit_s;
  double rps = reads / r->read_s, plain_rps = reads / r->plain_read_s;
  double mt = reads / r->mt_read_s;
  if (o->json) {
    printf("{\"commit\": {\"block_keys\": %zu, \"puts_per_s\": %.0f, "
           "\"mode\": \"sync\", \"ms_per_block\": %.3f, "
           "\"baseline_puts_per_s\": %.0f, \"baseline_ms_per_block\": %.3f, "
           "\"ratio\": %.3f, \"rounds\": %d}, ",
           sz->keys, puts, r->commit_s * 1e3, plain_puts,
           r->plain_commit_s * 1e3, puts / plain_puts, sz->rounds);
    printf("\"reads\": {\"count\": %zu, \"reads_per_s\": %.0f, \"threads\": 1, "
           "\"baseline_reads_per_s\": %.0f, \"ratio\": %.3f, "
           "\"mt_threads\": %d, \"mt_reads_per_s\": %.0f}, ",
           sz->reads, rps, plain_rps, rps / plain_rps, r->mt_threads, mt);
    cx_bench_undo_json(u, stdout);
    printf("\"quick\": %s, \"dir\": \"%s\"}\n", o->quick ? "true" : "false",
           b->root);
    return;
  }
  printf("chainexec bench storage (%zu accounts per block, sync commits, best "
         "of %d rounds; %s)\n",
         sz->keys, sz->rounds, b->root);
  printf("%-40s %14s %14s %8s\n", "measure", "chainexec", "plain lmdb",
         "ratio");
  printf("%-40s %12.0f/s %12.0f/s %7.2fx\n", "block commit, puts", puts,
         plain_puts, puts / plain_puts);
  printf("%-40s %12.2fms %12.2fms\n", "  time per block", r->commit_s * 1e3,
         r->plain_commit_s * 1e3);
  printf("%-40s %12.0f/s %12.0f/s %7.2fx\n", "point reads, 1 thread", rps,
         plain_rps, rps / plain_rps);
  printf("%-40s %12.0f/s %14s\n", "point reads, shared snapshot", mt, "");
  printf("  (%d threads, %.0f/s per thread)\n", r->mt_threads,
         mt / r->mt_threads);
  cx_bench_undo_table(u, stdout);
}

int cx_bench_storage(int argc, char **argv) {
  opts o = {false, false, NULL};
  cx_cli_args a;
  cx_cli_args_init(&a, "bench storage", argc, argv);
  while (cx_cli_args_more(&a)) {
    const char *v;
    if (cx_cli_flag(&a, "--json"))
      o.json = true;
    else if (cx_cli_flag(&a, "--quick"))
      o.quick = true;
    else if (cx_cli_opt(&a, "--dir", &v))
      o.dir = v;
    else if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h"))
      return usage(stdout);
    else
      return cx_cli_usage("bench storage", "unknown argument '%s'",
                          cx_cli_args_cur(&a));
  }
  if (a.bad)
    return CX_EXIT_USAGE;
  struct stat dst;
  if (o.dir && (stat(o.dir, &dst) != 0 || !S_ISDIR(dst.st_mode)))
    return cx_cli_usage("bench storage",
                        "--dir %s is not an existing directory; give a "
                        "directory to create the benchmark's databases in",
                        o.dir);
  sizes sz = o.quick ? (sizes){10000, 200000, 2} : (sizes){100000, 2000000, 5};
  bench b;
  memset(&b, 0, sizeof b);
  results r;
  memset(&r, 0, sizeof r);
  cx_bench_undo_results u;
  memset(&u, 0, sizeof u);
  int rc = setup(&b, &o, &sz);
  if (rc == 0)
    rc = run_commits(&b, &sz, &r);
  if (rc == 0)
    rc = run_reads(&b, &sz, &r);
  if (rc == 0)
    rc = cx_bench_undo_run(b.root, sz.keys, o.quick, &u);
  if (rc == 0)
    report(&o, &sz, &b, &r, &u);
  teardown(&b);
  return rc;
}
