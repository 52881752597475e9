/* storage: schema 2 -> 3. A store rewritten in the schema-2 layout
 * (cx_store_test_write_schema2: no checksums, no undo table, the version
 * as 4 bare bytes) passes the integrity check, is refused by a read-only
 * open with the command that migrates it, and is migrated in place by a
 * writable open: same state, rows, statuses and roots, the retention
 * floor at the migrated height. A SIGKILL at a random moment of the
 * migration leaves schema 2 intact or schema 3 complete. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "store_internal.h"
#include "test_storage_util.h"

static ts_dir dir;

static void setup(void) { ts_dir_make(&dir); }
static void teardown(void) { ts_dir_free(&dir); }

TestSuite(storage_migrate, .init = setup, .fini = teardown, .timeout = 240);

#define BLOCKS 12u
#define MAX_W 300u

typedef struct chain {
  ts_ref r;
  cx_block_record rec[BLOCKS + 1];
  uint8_t st[BLOCKS + 1][MAX_W];
} chain;

/* Genesis of g entries and BLOCKS blocks (with statuses), closed. */
static void make_chain(chain *c, uint32_t n_acc, uint32_t n_kv, size_t g) {
  ts_ref_init(&c->r, n_acc, n_kv);
  cx_rng rng = {cx_test_seed("storage_migrate")};
  size_t cap = g > MAX_W ? g : MAX_W;
  uint32_t *u = malloc(cap * sizeof *u);
  cx_entry *w = malloc(cap * sizeof *w);
  cr_assert(u && w);
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_NOSYNC);
  size_t n = ts_gen_writes(&c->r, &rng, g, u, w);
  cx_error err = {0};
  cr_assert_eq(cx_store_load_genesis(s, w, n, c->r.root, &err), CX_OK, "%s",
               err.message);
  ts_ref_apply(&c->r, u, w, n);
  for (uint64_t h = 1; h <= BLOCKS; h++) {
    n = ts_gen_writes(&c->r, &rng, 1 + cx_rng_below(&rng, MAX_W), u, w);
    c->rec[h] = ts_record(h, c->r.root, w, n);
    for (size_t i = 0; i < n; i++)
      c->st[h][i] = (uint8_t)(i % 7);
    c->rec[h].statuses = c->st[h];
    cr_assert_eq(cx_store_commit_block(s, &c->rec[h], w, n, &err), CX_OK,
                 "%s", err.message);
    ts_ref_apply(&c->r, u, w, n);
    memcpy(c->r.root, c->rec[h].state_root, 32);
  }
  cx_store_close(s);
  free(u);
  free(w);
}

static void check_chain(cx_store *s, const chain *c) {
  cr_assert_eq(cx_store_height(s), BLOCKS);
  uint8_t root[32];
  cx_store_state_root(s, root);
  cr_assert_arr_eq(root, c->r.root, 32);
  ts_ref_check_scan(&c->r, s);
  cx_error err = {0};
  for (uint64_t h = 1; h <= BLOCKS; h++) {
    cx_block_record got, want = c->rec[h];
    want.statuses = NULL;
    cr_assert_eq(cx_store_block(s, h, &got, &err), CX_OK, "%s", err.message);
    cr_assert_eq(memcmp(&got, &want, sizeof got), 0, "row %llu",
                 (unsigned long long)h);
    uint8_t st[MAX_W];
    cr_assert_eq(cx_store_block_statuses(s, h, st, want.tx_count, &err),
                 CX_OK, "%s", err.message);
    cr_assert_arr_eq(st, c->st[h], want.tx_count);
  }
}

/* What the files say, read with plain LMDB: the schema (from the width of
 * its value), the width of the first account value, and whether an undo
 * table exists. */
typedef struct layout {
  uint32_t schema;
  size_t account_width;
  bool has_undo;
} layout;

static layout raw_layout(const char *path) {
  layout l = {0, 0, false};
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_cursor *cur;
  cr_assert_eq(mdb_env_create(&env), 0);
  cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
  cr_assert_eq(mdb_env_open(env, path, MDB_NOTLS | MDB_RDONLY, 0644), 0);
  cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
  cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
  MDB_val k = {6, "schema"}, v;
  cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
  uint8_t b[4];
  memcpy(b, v.mv_data, 4);
  l.schema = (uint32_t)b[0] | (uint32_t)b[1] << 8;
  cr_assert(v.mv_size == (l.schema >= 3 ? 8u : 4u), "schema value of %zu",
            v.mv_size);
  cr_assert_eq(mdb_dbi_open(txn, "accounts", 0, &dbi), 0);
  cr_assert_eq(mdb_cursor_open(txn, dbi, &cur), 0);
  if (mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0)
    l.account_width = v.mv_size;
  mdb_cursor_close(cur);
  l.has_undo = mdb_dbi_open(txn, "undo", 0, &dbi) == 0;
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return l;
}

Test(storage_migrate, schema2_is_migrated_in_place) {
  chain *c = calloc(1, sizeof *c);
  cr_assert_not_null(c);
  make_chain(c, 300, 600, 400);
  cx_error err = {0};
  cr_assert_eq(cx_store_test_write_schema2(dir.db, &err), CX_OK, "%s",
               err.message);
  layout l = raw_layout(dir.db);
  cr_assert_eq(l.schema, 2u);
  cr_assert_eq(l.account_width, 16u);
  cr_assert_not(l.has_undo);

  cx_store_config cfg = ts_config(dir.db, 0, 0, CX_DURABILITY_SYNC);
  cr_assert_eq(cx_store_verify(&cfg, &err), CX_OK, "%s", err.message);
  /* Read-only: refused, naming the command that migrates it. */
  cfg.read_only = true;
  cr_assert_null(cx_store_open(&cfg, &err));
  cr_assert_eq(err.code, CX_EVERSION);
  cr_assert(strstr(err.message, "chainexec migrate --db"), "%s", err.message);
  cr_assert(strstr(err.message, "schema 2"), "%s", err.message);
  cr_assert_eq(raw_layout(dir.db).schema, 2u);
  cfg.read_only = false;

  cx_store *s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "%s", err.message);
  check_chain(s, c);
  cr_assert_eq(cx_store_retention_floor(s), BLOCKS);
  cr_assert_eq(cx_store_revert(s, BLOCKS - 1, &err), CX_ELIMIT);
  cx_store_close(s);
  l = raw_layout(dir.db);
  cr_assert_eq(l.schema, 3u);
  cr_assert_eq(l.account_width, 20u);
  cr_assert(l.has_undo);
  cr_assert_eq(cx_store_verify(&cfg, &err), CX_OK, "%s", err.message);

  /* New blocks get undo data; reverting to the migrated height works. */
  s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "%s", err.message);
  check_chain(s, c);
  uint8_t root[32];
  for (uint64_t h = BLOCKS + 1; h <= BLOCKS + 3; h++) {
    cx_entry w[1] = {ts_entry(CX_ENTRY_KV, 7777 + (uint32_t)h, h, 0)};
    cx_store_state_root(s, root);
    cx_block_record rec = ts_record(h, root, w, 1);
    cr_assert_eq(cx_store_commit_block(s, &rec, w, 1, &err), CX_OK, "%s",
                 err.message);
  }
  cr_assert_eq(cx_store_retention_floor(s), BLOCKS);
  cr_assert_eq(cx_store_revert(s, BLOCKS, &err), CX_OK, "%s", err.message);
  check_chain(s, c);
  cx_store_close(s);
  ts_ref_free(&c->r);
  free(c);
}

/* A schema-2 record of the wrong width: the migration refuses the store
 * (CX_ECORRUPT naming table and key) and leaves it schema 2. */
Test(storage_migrate, damaged_schema2_record_refused) {
  chain *c = calloc(1, sizeof *c);
  cr_assert_not_null(c);
  make_chain(c, 50, 50, 40);
  cx_error err = {0};
  cr_assert_eq(cx_store_test_write_schema2(dir.db, &err), CX_OK, "%s",
               err.message);
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  cr_assert_eq(mdb_env_create(&env), 0);
  cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
  cr_assert_eq(mdb_env_open(env, dir.db, MDB_NOTLS, 0644), 0);
  cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
  cr_assert_eq(mdb_dbi_open(txn, "kv", 0, &dbi), 0);
  uint8_t key[32] = {0xab}, val[9] = {1};
  MDB_val k = {32, key}, v = {9, val};
  cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  cx_store_config cfg = ts_config(dir.db, 0, 0, CX_DURABILITY_SYNC);
  cr_assert_null(cx_store_open(&cfg, &err));
  cr_assert_eq(err.code, CX_ECORRUPT, "%s", err.message);
  cr_assert(strstr(err.message, "table \"kv\", key ab00"), "%s", err.message);
  cr_assert_eq(raw_layout(dir.db).schema, 2u);
  ts_ref_free(&c->r);
  free(c);
}

static void copy_file(const char *from, const char *to) {
  size_t len = 0;
  char *buf = cx_test_read_file(from, &len);
  FILE *f = fopen(to, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(buf, 1, len, f), len);
  fclose(f);
  free(buf);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A fresh copy of the schema-2 master into dir.db. */
static void restore(const char *master) {
  char to[400];
  snprintf(to, sizeof to, "%s/lock.mdb", dir.db);
  remove(to);
  snprintf(to, sizeof to, "%s/data.mdb", dir.db);
  copy_file(master, to);
}

Test(storage_migrate, kill_during_migration_leaves_2_or_3) {
  chain *c = calloc(1, sizeof *c);
  cr_assert_not_null(c);
  make_chain(c, 100000, 100000, 120000);
  cx_error err = {0};
  cr_assert_eq(cx_store_test_write_schema2(dir.db, &err), CX_OK, "%s",
               err.message);
  char master[400], data[400];
  snprintf(master, sizeof master, "%s/schema2.mdb", dir.root);
  snprintf(data, sizeof data, "%s/data.mdb", dir.db);
  copy_file(data, master);
  /* How long one migration takes here (SYNC: the fsync is part of it). */
  cx_store_config cfg = ts_config(dir.db, 0, 0, CX_DURABILITY_SYNC);
  double t0 = now_s();
  cx_store *s = cx_store_open(&cfg, &err);
  double took = now_s() - t0;
  cr_assert_not_null(s, "%s", err.message);
  cx_store_close(s);
  cr_log_info("migration of %u entries: %.0f ms", 120000u, took * 1e3);

  unsigned kills = (unsigned)cx_test_iters(12), as2 = 0, as3 = 0;
  cx_rng rng = {cx_test_seed("storage_migrate_kill")};
  for (unsigned k = 0; k < kills; k++) {
    restore(master);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
      cx_store *cs = cx_store_open(&cfg, NULL);
      _exit(cs ? 0 : 1); /* no close: as if it died right after */
    }
    long ns = (long)(took * 1.3e9 * (double)cx_rng_below(&rng, 1000) / 1000.0);
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    layout l = raw_layout(dir.db);
    if (l.schema == 2) { /* intact: every record still unsealed */
      cr_assert_eq(l.account_width, 16u);
      cr_assert_not(l.has_undo);
      as2++;
    } else {
      cr_assert_eq(l.schema, 3u);
      cr_assert_eq(l.account_width, 20u);
      cr_assert(l.has_undo);
      as3++;
    }
    /* Either way: it checks and opens (migrating if still 2) to the same
     * chain. */
    cr_assert_eq(cx_store_verify(&cfg, &err), CX_OK, "kill %u: %s", k,
                 err.message);
    s = cx_store_open(&cfg, &err);
    cr_assert_not_null(s, "kill %u: %s", k, err.message);
    check_chain(s, c);
    cx_store_close(s);
    cr_assert_eq(cx_store_verify(&cfg, &err), CX_OK, "%s", err.message);
  }
  cr_log_info("%u kills during migration: %u left schema 2, %u schema 3",
              kills, as2, as3);
  cr_expect_gt(as2, 0u, "no kill landed before the migration committed");
  ts_ref_free(&c->r);
  free(c);
}
