/* `chainexec bench storage`: schema 3 against schema 2, and reverts (see
 * bench_storage_undo.h). */
#include "bench_storage_undo.h"

#include <lmdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_util.h"
#include "state.h"
#include "store.h"

static int fail(const char *what, const char *detail) {
  fprintf(stderr, "chainexec bench storage: %s: %s\n", what, detail);
  return 1;
}

static int dcmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static cx_bench_stat stat_of(double *v, size_t n) {
  cx_bench_stat s = {0, 0, 0};
  if (n == 0)
    return s;
  qsort(v, n, sizeof *v, dcmp);
  s.min = v[0];
  s.max = v[n - 1];
  s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return s;
}

static cx_store *open_store(const char *root, const char *name,
                            unsigned keep, size_t map) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", root, name);
  cx_store_config cfg;
  cx_store_config_default(&cfg);
  cfg.path = path;
  cfg.initial_map_size = map;
  cfg.undo_retention = keep;
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  if (!s)
    fail("opening a store", err.message);
  return s;
}

/* The record of the next block: a stand-in write_root keeps the chain. */
static cx_block_record next_record(const uint8_t prev[32], uint64_t h,
                                   uint32_t tx_count) {
  cx_block_record rec;
  memset(&rec, 0, sizeof rec);
  rec.height = h;
  memset(rec.write_root, (int)(h & 0xff), 32);
  rec.write_root[0] = (uint8_t)(h >> 8);
  cx_state_root_next(prev, rec.write_root, rec.state_root);
  rec.tx_count = tx_count;
  return rec;
}

/* --- the schema-2 commit, emulated with plain LMDB ---------------------- */

typedef struct schema2 {
  MDB_env *env;
  MDB_dbi dbi[5]; /* accounts, kv, blocks, meta, statuses */
  uint64_t height;
} schema2;

static int s2_open(schema2 *e, const char *root, const char *name,
                   size_t map) {
  static const char *names[5] = {"accounts", "kv", "blocks", "meta",
                                 "statuses"};
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", root, name);
  if (mkdir(path, 0755) != 0)
    return fail("creating the schema-2 directory", path);
  MDB_txn *txn;
  int rc = mdb_env_create(&e->env);
  if (rc == 0)
    rc = mdb_env_set_maxdbs(e->env, 5);
  if (rc == 0)
    rc = mdb_env_set_mapsize(e->env, map);
  if (rc == 0)
    rc = mdb_env_open(e->env, path, MDB_NOTLS, 0644);
  if (rc == 0)
    rc = mdb_txn_begin(e->env, NULL, 0, &txn);
  for (int t = 0; rc == 0 && t < 5; t++)
    rc = mdb_dbi_open(txn, names[t], MDB_CREATE, &e->dbi[t]);
  if (rc == 0)
    rc = mdb_txn_commit(txn);
  return rc ? fail("opening the schema-2 emulation", mdb_strerror(rc)) : 0;
}

/* One block as store schema 2 wrote it (store_write.c before schema 3):
 * sorted puts through one cursor per table, the block row and the
 * statuses appended, meta height/state_root/map_size, one commit. */
static int s2_commit(schema2 *e, const cx_entry *w, size_t n,
                     const cx_block_record *rec, const uint8_t *statuses) {
  MDB_txn *txn;
  MDB_cursor *cur[2] = {NULL, NULL};
  int rc = mdb_txn_begin(e->env, NULL, 0, &txn);
  if (rc == 0)
    rc = mdb_cursor_open(txn, e->dbi[0], &cur[0]);
  if (rc == 0)
    rc = mdb_cursor_open(txn, e->dbi[1], &cur[1]);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    uint8_t buf[16];
    bool kv = w[i].key.kind == CX_ENTRY_KV;
    for (int b = 0; b < 8; b++) {
      buf[b] = (uint8_t)(w[i].v0 >> (8 * b));
      buf[8 + b] = (uint8_t)(w[i].v1 >> (8 * b));
    }
    MDB_val k = {kv ? 32u : 20u, (void *)w[i].key.bytes};
    MDB_val v = {kv ? 8u : 16u, buf};
    rc = mdb_cursor_put(cur[kv], &k, &v, 0);
  }
  for (int t = 0; t < 2; t++)
    if (cur[t])
      mdb_cursor_close(cur[t]);
  uint8_t key[8], row[160] = {0}, h[8], m[8] = {0};
  for (int i = 0; i < 8; i++) {
    key[i] = (uint8_t)(rec->height >> (56 - 8 * i));
    h[i] = (uint8_t)(rec->height >> (8 * i));
  }
  memcpy(row + 64, rec->write_root, 32);
  memcpy(row + 96, rec->state_root, 32);
  MDB_val k = {8, key}, v = {sizeof row, row};
  if (rc == 0)
    rc = mdb_put(txn, e->dbi[2], &k, &v, MDB_APPEND);
  MDB_val sv = {rec->tx_count, (void *)statuses};
  if (rc == 0 && statuses && rec->tx_count)
    rc = mdb_put(txn, e->dbi[4], &k, &sv, MDB_APPEND);
  const char *names[3] = {"height", "state_root", "map_size"};
  const void *vals[3] = {h, rec->state_root, m};
  size_t lens[3] = {8, 32, 8};
  for (int i = 0; rc == 0 && i < 3; i++) {
    MDB_val mk = {strlen(names[i]), (void *)names[i]};
    MDB_val mv = {lens[i], (void *)vals[i]};
    rc = mdb_put(txn, e->dbi[3], &mk, &mv, 0);
  }
  if (rc == 0)
    rc = mdb_txn_commit(txn);
  else
    mdb_txn_abort(txn);
  return rc ? fail("schema-2 commit", mdb_strerror(rc)) : 0;
}

/* --- schema 2 vs 3 ------------------------------------------------------ */

static int run_schemas(const char *root, size_t keys, int rounds,
                       cx_bench_undo_results *r) {
  cx_entry *acc = malloc(keys * sizeof *acc);
  uint8_t *st = malloc(keys);
  /* WARM blocks first: the first FILL fill the undo window (the file
   * grows by the undo data of each); then every commit prunes one row and
   * reuses its pages, the steady state of a long-running node. */
  enum { FILL = 4, WARM = 6 };
  int total = WARM + rounds;
  double *t3 = malloc((size_t)total * sizeof *t3);
  double *t2 = malloc((size_t)total * sizeof *t2);
  if (!acc || !st || !t3 || !t2) {
    free(acc), free(st), free(t3), free(t2);
    return fail("schema comparison", "out of memory");
  }
  uint64_t seed = 7;
  for (size_t i = 0; i < keys; i++) {
    uint8_t addr[20];
    for (int j = 0; j < 20; j += 4) {
      uint32_t x = (uint32_t)cx_bench_rand(&seed);
      memcpy(addr + j, &x, 4);
    }
    acc[i] = (cx_entry){cx_key_account(addr), 1000000 + i, 0};
    st[i] = (uint8_t)(i % 7);
  }
  cx_entries_sort(acc, keys);
  /* Room for the state, the undo data of every round and old pages. */
  size_t map = ((keys * 200 * (size_t)(FILL + 8)) + (64u << 20)) &
               ~(size_t)4095;
  schema2 e;
  memset(&e, 0, sizeof e);
  cx_error err = {0};
  cx_store *s = open_store(root, "schema3", FILL, map);
  int rc = s ? s2_open(&e, root, "schema2", map) : 1;
  if (rc == 0 && cx_store_load_genesis(s, acc, keys, NULL, &err) != CX_OK)
    rc = fail("loading the genesis", err.message);
  if (rc == 0) { /* the emulation's genesis: the same accounts */
    cx_block_record g;
    memset(&g, 0, sizeof g);
    rc = s2_commit(&e, acc, keys, &g, NULL);
  }
  uint8_t root2[32];
  cx_store_state_root(s, root2);
  for (int round = 0; rc == 0 && round < total; round++) {
    for (size_t i = 0; i < keys; i++) {
      acc[i].v0 = (uint64_t)(round + 1) * 1000003u + i;
      acc[i].v1 = (uint64_t)round + 1;
    }
    uint8_t prev[32];
    cx_store_state_root(s, prev);
    cx_block_record rec = next_record(prev, cx_store_height(s) + 1,
                                      (uint32_t)keys);
    rec.statuses = st;
    for (int side = 0; rc == 0 && side < 2; side++) {
      bool three = (side == 0) == (round % 2 == 0); /* alternate the order */
      double t0 = cx_bench_now();
      if (three) {
        if (cx_store_commit_block(s, &rec, acc, keys, &err) != CX_OK)
          rc = fail("store commit", err.message);
        t3[round] = cx_bench_now() - t0;
      } else {
        rc = s2_commit(&e, acc, keys, &rec, st);
        t2[round] = cx_bench_now() - t0;
      }
    }
  }
  (void)root2;
  if (rc == 0) {
    r->keys = keys;
    r->rounds = rounds;
    r->undo_window = FILL;
    r->s3_fill = stat_of(t3, FILL).med;
    r->s2_fill = stat_of(t2, FILL).med;
    r->s3 = stat_of(t3 + WARM, (size_t)rounds);
    r->s2 = stat_of(t2 + WARM, (size_t)rounds);
  }
  cx_store_close(s);
  if (e.env)
    mdb_env_close(e.env);
  free(acc), free(st), free(t3), free(t2);
  return rc;
}

/* --- reverts ------------------------------------------------------------ */

#define RV_ACCOUNTS 10000u
#define RV_KV_POOL 40000u

typedef struct rv {
  cx_key *acc; /* RV_ACCOUNTS account keys */
  cx_key *kv;  /* RV_KV_POOL kv keys */
  size_t kv_per_block;
} rv;

/* Write set of block h: every account and kv_per_block kv keys of the
 * pool (a window that moves with h, so about half are new), sorted. */
static size_t rv_writes(const rv *v, uint64_t h, cx_entry *w) {
  size_t n = 0;
  for (size_t i = 0; i < RV_ACCOUNTS; i++)
    w[n++] = (cx_entry){v->acc[i], h * 1000 + i, h};
  size_t start = (size_t)(h * (v->kv_per_block / 2)) % RV_KV_POOL;
  for (size_t j = 0; j < v->kv_per_block; j++)
    w[n++] = (cx_entry){v->kv[(start + j) % RV_KV_POOL], h ^ j, 0};
  cx_entries_sort(w, n);
  return n;
}

static int run_reverts(const char *root, bool quick, cx_bench_undo_results *r) {
  unsigned keep = quick ? 16 : 64, blocks = keep + keep / 2;
  unsigned depths[CX_BENCH_UNDO_DEPTHS] = {1, quick ? 4u : 8u, keep};
  rv v;
  v.kv_per_block = quick ? 2000 : 10000;
  size_t per = RV_ACCOUNTS + v.kv_per_block;
  v.acc = malloc(RV_ACCOUNTS * sizeof *v.acc);
  v.kv = malloc(RV_KV_POOL * sizeof *v.kv);
  cx_entry *ws = malloc((size_t)keep * per * sizeof *ws);
  size_t *ns = malloc(keep * sizeof *ns);
  cx_block_record *rec = calloc(blocks + 1, sizeof *rec);
  size_t cap = blocks + 3 * (size_t)keep;
  double *ct = malloc(cap * sizeof *ct), *early = malloc(blocks * sizeof *ct),
         *late = malloc(blocks * sizeof *ct), *late2 = malloc(blocks * sizeof *ct);
  int rc = 0;
  if (!v.acc || !v.kv || !ws || !ns || !rec || !ct || !early || !late ||
      !late2)
    rc = fail("revert measurement", "out of memory");
  /* The same blocks committed the schema-2 way, interleaved. */
  schema2 e;
  memset(&e, 0, sizeof e);
  if (rc == 0)
    rc = s2_open(&e, root, "revert-schema2", 1u << 30);
  uint64_t seed = 11;
  for (size_t i = 0; rc == 0 && i < RV_KV_POOL; i++) {
    uint8_t b[32];
    cx_bench_fill(b, 32, cx_bench_rand(&seed));
    if (i < RV_ACCOUNTS)
      v.acc[i] = cx_key_account(b);
    v.kv[i] = cx_key_kv(b);
  }
  cx_store *s = rc ? NULL : open_store(root, "revert", keep, 1u << 30);
  if (!s)
    rc = 1;
  cx_error err = {0};
  if (rc == 0) {
    cx_entry *g = ws;
    for (size_t i = 0; i < RV_ACCOUNTS; i++)
      g[i] = (cx_entry){v.acc[i], 1000000, 0};
    if (cx_store_load_genesis(s, g, RV_ACCOUNTS, NULL, &err) != CX_OK)
      rc = fail("loading the genesis", err.message);
    cx_block_record g0;
    memset(&g0, 0, sizeof g0);
    if (rc == 0)
      rc = s2_commit(&e, g, RV_ACCOUNTS, &g0, NULL);
  }
  size_t nct = 0, ne = 0, nl = 0, nl2 = 0;
  for (uint64_t h = 1; rc == 0 && h <= blocks; h++) {
    uint8_t prev[32];
    cx_store_state_root(s, prev);
    size_t n = rv_writes(&v, h, ws);
    rec[h] = next_record(prev, h, (uint32_t)(n / 2));
    double t = 0, t2 = 0;
    for (int side = 0; rc == 0 && side < 2; side++) {
      bool three = (side == 0) == (h % 2 == 0);
      double t0 = cx_bench_now();
      if (three && cx_store_commit_block(s, &rec[h], ws, n, &err) != CX_OK)
        rc = fail("commit", err.message);
      else if (!three)
        rc = s2_commit(&e, ws, n, &rec[h], NULL);
      *(three ? &t : &t2) = cx_bench_now() - t0;
    }
    ct[nct++] = t;
    if (h <= keep / 2)
      early[ne++] = t;
    else if (h > keep) {
      late[nl++] = t;
      late2[nl2++] = t2;
    }
  }
  for (int di = 0; rc == 0 && di < CX_BENCH_UNDO_DEPTHS; di++) {
    unsigned d = depths[di];
    uint64_t top = blocks, to = top - d;
    double t0 = cx_bench_now();
    if (cx_store_revert(s, to, &err) != CX_OK)
      rc = fail("revert", err.message);
    r->revert_per_block[di] = (cx_bench_now() - t0) / d;
    struct cx_store_block *b = malloc(d * sizeof *b);
    if (!b && rc == 0)
      rc = fail("revert measurement", "out of memory");
    for (unsigned i = 0; rc == 0 && i < d; i++) {
      uint64_t h = to + 1 + i;
      ns[i] = rv_writes(&v, h, ws + (size_t)i * per);
      b[i] = (struct cx_store_block){&rec[h], ws + (size_t)i * per, ns[i]};
      t0 = cx_bench_now();
      if (cx_store_commit_block(s, &rec[h], b[i].writes, ns[i], &err) !=
          CX_OK)
        rc = fail("commit again", err.message);
      if (nct < cap)
        ct[nct++] = cx_bench_now() - t0;
    }
    t0 = cx_bench_now();
    if (rc == 0 && cx_store_reorg(s, to, b, d, &err) != CX_OK)
      rc = fail("reorg", err.message);
    r->reorg_per_block[di] = (cx_bench_now() - t0) / d;
    r->depth[di] = d;
    free(b);
  }
  if (rc == 0) {
    r->rv_accounts = RV_ACCOUNTS;
    r->rv_writes = per;
    r->retention = keep;
    r->commit_before_prune = stat_of(early, ne).med;
    r->commit_with_prune = stat_of(late, nl).med;
    r->commit_schema2 = stat_of(late2, nl2).med;
    r->commit = stat_of(ct, nct);
  }
  cx_store_close(s);
  if (e.env)
    mdb_env_close(e.env);
  free(v.acc), free(v.kv), free(ws), free(ns), free(rec), free(ct);
  free(early), free(late), free(late2);
  return rc;
}

int cx_bench_undo_run(const char *root, size_t keys, bool quick,
                      cx_bench_undo_results *r) {
  memset(r, 0, sizeof *r);
  int rc = run_schemas(root, keys, quick ? 3 : 7, r);
  return rc ? rc : run_reverts(root, quick, r);
}

static void stat_json(FILE *f, const char *name, cx_bench_stat s) {
  fprintf(f, "\"%s\": {\"median\": %.3f, \"min\": %.3f, \"max\": %.3f}", name,
          s.med * 1e3, s.min * 1e3, s.max * 1e3);
}

void cx_bench_undo_json(const cx_bench_undo_results *r, FILE *f) {
  fprintf(f, "\"schema2\": {\"block_keys\": %zu, \"rounds\": %d, "
             "\"baseline\": \"plain-LMDB emulation of the schema-2 commit\", ",
          r->keys, r->rounds);
  stat_json(f, "ms_per_block", r->s3);
  fprintf(f, ", ");
  stat_json(f, "schema2_ms_per_block", r->s2);
  fprintf(f, ", \"ratio\": %.3f, \"undo_retention\": %u, "
             "\"filling_ms_per_block\": %.3f, "
             "\"filling_schema2_ms_per_block\": %.3f, \"filling_ratio\": "
             "%.3f}, ",
          r->s3.med / r->s2.med, r->undo_window, r->s3_fill * 1e3,
          r->s2_fill * 1e3, r->s3_fill / r->s2_fill);
  fprintf(f, "\"revert\": {\"accounts\": %zu, \"writes_per_block\": %zu, "
             "\"undo_retention\": %u, ",
          r->rv_accounts, r->rv_writes, r->retention);
  stat_json(f, "commit_ms", r->commit);
  fprintf(f, ", \"commit_ms_before_pruning\": %.3f, "
             "\"commit_ms_with_pruning\": %.3f, "
             "\"schema2_commit_ms_same_blocks\": %.3f, "
             "\"ratio_to_schema2\": %.3f, \"depths\": [",
          r->commit_before_prune * 1e3, r->commit_with_prune * 1e3,
          r->commit_schema2 * 1e3, r->commit_with_prune / r->commit_schema2);
  for (int i = 0; i < CX_BENCH_UNDO_DEPTHS; i++)
    fprintf(f, "%s{\"depth\": %u, \"revert_ms_per_block\": %.3f, "
               "\"ratio_to_commit\": %.3f, \"reorg_ms_per_block\": %.3f}",
            i ? ", " : "", r->depth[i], r->revert_per_block[i] * 1e3,
            r->revert_per_block[i] / r->commit.med,
            r->reorg_per_block[i] * 1e3);
  fprintf(f, "]}, ");
}

void cx_bench_undo_table(const cx_bench_undo_results *r, FILE *f) {
  fprintf(f, "\nschema 3 (checksums, undo data) vs schema 2 (plain-LMDB "
             "emulation), %zu accounts per block, %d rounds\n"
             "(undo window full, one row pruned per commit; undo_retention "
             "%u)\n",
          r->keys, r->rounds, r->undo_window);
  fprintf(f, "%-40s %10s %10s %10s\n", "ms per block", "median", "min",
          "max");
  fprintf(f, "%-40s %10.2f %10.2f %10.2f\n", "  schema 3 (store)", r->s3.med * 1e3,
          r->s3.min * 1e3, r->s3.max * 1e3);
  fprintf(f, "%-40s %10.2f %10.2f %10.2f\n", "  schema 2 (emulated)",
          r->s2.med * 1e3, r->s2.min * 1e3, r->s2.max * 1e3);
  fprintf(f, "%-40s %9.2fx\n", "  ratio of medians (3 / 2)",
          r->s3.med / r->s2.med);
  fprintf(f, "%-40s %10.2f %10.2f %9.2fx\n",
          "  while the window fills (3, 2, ratio)", r->s3_fill * 1e3,
          r->s2_fill * 1e3, r->s3_fill / r->s2_fill);
  fprintf(f, "\nreverts: %zu accounts, %zu writes per block, "
             "undo_retention %u, sync\n",
          r->rv_accounts, r->rv_writes, r->retention);
  fprintf(f, "%-40s %10.2f ms (min %.2f, max %.2f)\n", "commit one block",
          r->commit.med * 1e3, r->commit.min * 1e3, r->commit.max * 1e3);
  fprintf(f, "%-40s %10.2f ms\n", "  before pruning starts (median)",
          r->commit_before_prune * 1e3);
  fprintf(f, "%-40s %10.2f ms\n", "  pruning one row each (median)",
          r->commit_with_prune * 1e3);
  fprintf(f, "%-40s %10.2f ms %7.2fx\n", "  same blocks, schema 2 (emulated)",
          r->commit_schema2 * 1e3, r->commit_with_prune / r->commit_schema2);
  for (int i = 0; i < CX_BENCH_UNDO_DEPTHS; i++) {
    char name[64];
    snprintf(name, sizeof name, "revert depth %u, per block", r->depth[i]);
    fprintf(f, "%-40s %10.2f ms %7.2fx commit\n", name,
            r->revert_per_block[i] * 1e3,
            r->revert_per_block[i] / r->commit.med);
    snprintf(name, sizeof name, "reorg depth %u, per block", r->depth[i]);
    fprintf(f, "%-40s %10.2f ms %7.2fx commit\n", name,
            r->reorg_per_block[i] * 1e3,
            r->reorg_per_block[i] / r->commit.med);
  }
}
