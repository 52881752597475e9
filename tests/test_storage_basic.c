/* storage: round trips, absent keys, genesis rules, commit preconditions,
 * failed commits leaving the store unchanged, and error translation
 * (schema, foreign and corrupt files, reader slots, permissions). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_storage_util.h"

static ts_dir dir;

static void setup(void) { ts_dir_make(&dir); }
static void teardown(void) { ts_dir_free(&dir); }

TestSuite(storage_basic, .init = setup, .fini = teardown);

/* Genesis of 3 accounts (one all-zero) and 2 kv keys, given unsorted. */
static size_t genesis(cx_entry *g) {
  g[0] = ts_entry(CX_ENTRY_KV, 1, 77, 0);
  g[1] = ts_entry(CX_ENTRY_ACCOUNT, 2, 1000, 3);
  g[2] = ts_entry(CX_ENTRY_ACCOUNT, 1, 0, 0);
  g[3] = ts_entry(CX_ENTRY_KV, 0, 5, 0);
  g[4] = ts_entry(CX_ENTRY_ACCOUNT, 0, UINT64_MAX, UINT64_MAX);
  return 5;
}

static void expect_value(cx_store *s, const cx_entry *e) {
  uint64_t v0 = 1, v1 = 1;
  cx_error err = {0};
  cr_assert_eq(cx_store_get(s, &e->key, &v0, &v1, &err), CX_OK, "%s",
               err.message);
  cr_assert_eq(v0, e->v0);
  cr_assert_eq(v1, e->v1);
}

static void expect_absent(cx_store *s, const cx_key *k) {
  uint64_t v0 = 1, v1 = 1;
  cr_assert_eq(cx_store_get(s, k, &v0, &v1, NULL), CX_OK);
  cr_assert_eq(v0, 0);
  cr_assert_eq(v1, 0);
}

Test(storage_basic, round_trip_and_reopen) {
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_SYNC);
  cr_assert_not(cx_store_has_genesis(s));
  cr_assert_eq(cx_store_height(s), 0);
  uint8_t zero[32] = {0}, root[32];
  cx_store_state_root(s, root);
  cr_assert_arr_eq(root, zero, 32);

  cx_entry g[5], sorted[5];
  size_t n = genesis(g);
  memcpy(sorted, g, sizeof g);
  cx_entries_sort(sorted, n);
  uint8_t want_g[32], got_g[32];
  cr_assert_eq(cx_genesis_root(sorted, n, want_g), CX_OK);
  cx_error err = {0};
  cr_assert_eq(cx_store_load_genesis(s, g, n, got_g, &err), CX_OK, "%s",
               err.message);
  cr_assert_arr_eq(got_g, want_g, 32);
  cx_store_genesis_root(s, root);
  cr_assert_arr_eq(root, want_g, 32);
  cx_store_state_root(s, root);
  cr_assert_arr_eq(root, want_g, 32);
  for (size_t i = 0; i < n; i++)
    expect_value(s, &sorted[i]);
  cx_key absent_a = ts_key(CX_ENTRY_ACCOUNT, 99);
  cx_key absent_k = ts_key(CX_ENTRY_KV, 99);
  expect_absent(s, &absent_a);
  expect_absent(s, &absent_k);

  /* Block 1 updates one account, writes a new kv key, and writes a zero
   * balance to a new account (a write of zero is kept). */
  cx_entry w[3] = {ts_entry(CX_ENTRY_ACCOUNT, 2, 900, 4),
                   ts_entry(CX_ENTRY_ACCOUNT, 50, 0, 0),
                   ts_entry(CX_ENTRY_KV, 7, 123, 0)};
  cx_entries_sort(w, 3);
  cx_block_record rec = ts_record(1, want_g, w, 3);
  cr_assert_eq(cx_store_commit_block(s, &rec, w, 3, &err), CX_OK, "%s",
               err.message);
  cr_assert_eq(cx_store_height(s), 1);
  cx_store_state_root(s, root);
  cr_assert_arr_eq(root, rec.state_root, 32);
  for (size_t i = 0; i < 3; i++)
    expect_value(s, &w[i]);
  uint64_t count = 0;
  cr_assert_eq(cx_store_count(s, &count, NULL), CX_OK);
  cr_assert_eq(count, 7, "5 genesis entries + 2 new keys, got %llu",
               (unsigned long long)count);

  cx_block_record got;
  cr_assert_eq(cx_store_block(s, 1, &got, &err), CX_OK, "%s", err.message);
  cr_assert_eq(memcmp(&got, &rec, sizeof rec), 0, "block row differs");
  cr_assert_eq(cx_store_block(s, 2, &got, &err), CX_ENOTFOUND);
  cr_assert_eq(cx_store_block(s, 0, &got, NULL), CX_ENOTFOUND);
  cx_store_close(s);

  s = ts_open(dir.db, 0, CX_DURABILITY_SYNC);
  cr_assert(cx_store_has_genesis(s));
  cr_assert_eq(cx_store_height(s), 1);
  cx_store_genesis_root(s, root);
  cr_assert_arr_eq(root, want_g, 32);
  cx_store_state_root(s, root);
  cr_assert_arr_eq(root, rec.state_root, 32);
  expect_value(s, &w[1]);
  expect_value(s, &sorted[4]);
  cr_assert_eq(cx_store_block(s, 1, &got, NULL), CX_OK);
  cr_assert_eq(memcmp(&got, &rec, sizeof rec), 0);
  cx_store_close(s);
}

Test(storage_basic, genesis_twice_and_duplicates_refused) {
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_SYNC);
  cx_entry dup[3] = {ts_entry(CX_ENTRY_KV, 3, 1, 0),
                     ts_entry(CX_ENTRY_ACCOUNT, 1, 1, 0),
                     ts_entry(CX_ENTRY_KV, 3, 2, 0)};
  cx_error err = {0};
  cr_assert_eq(cx_store_load_genesis(s, dup, 3, NULL, &err), CX_EINVAL);
  cr_assert(strstr(err.message, "same key"), "%s", err.message);
  cr_assert_not(cx_store_has_genesis(s));
  uint64_t count = 9;
  cr_assert_eq(cx_store_count(s, &count, NULL), CX_OK);
  cr_assert_eq(count, 0, "a refused genesis wrote nothing");

  cx_entry g[5];
  size_t n = genesis(g);
  cr_assert_eq(cx_store_load_genesis(s, g, n, NULL, &err), CX_OK, "%s",
               err.message);
  n = genesis(g);
  cr_assert_eq(cx_store_load_genesis(s, g, n, NULL, &err), CX_ESTATE);
  cr_assert(strstr(err.message, dir.db), "message names the path: %s",
            err.message);
  cx_store_close(s);

  /* Refused after reopen too (from meta, not only from the cache). */
  s = ts_open(dir.db, 0, CX_DURABILITY_SYNC);
  cr_assert_eq(cx_store_load_genesis(s, g, 0, NULL, &err), CX_ESTATE);
  cx_store_close(s);
}

Test(storage_basic, empty_genesis) {
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_SYNC);
  uint8_t root[32], want[32];
  cr_assert_eq(cx_store_load_genesis(s, NULL, 0, root, NULL), CX_OK);
  cr_assert_eq(cx_genesis_root(NULL, 0, want), CX_OK);
  cr_assert_arr_eq(root, want, 32);
  cr_assert(cx_store_has_genesis(s));
  cx_store_close(s);
}

/* Every refused commit leaves height, root, rows and state unchanged. */
static void expect_unchanged(cx_store *s, uint64_t h, const uint8_t root[32],
                             const cx_entry *g, size_t n) {
  uint8_t got[32];
  cr_assert_eq(cx_store_height(s), h);
  cx_store_state_root(s, got);
  cr_assert_arr_eq(got, root, 32);
  cx_block_record rec;
  cr_assert_eq(cx_store_block(s, h + 1, &rec, NULL), CX_ENOTFOUND);
  uint64_t count = 0;
  cr_assert_eq(cx_store_count(s, &count, NULL), CX_OK);
  cr_assert_eq(count, n);
  for (size_t i = 0; i < n; i++)
    expect_value(s, &g[i]);
}

Test(storage_basic, commit_preconditions) {
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_SYNC);
  cx_entry w[2] = {ts_entry(CX_ENTRY_ACCOUNT, 1, 5, 1),
                   ts_entry(CX_ENTRY_KV, 1, 6, 0)};
  uint8_t zero[32] = {0}, root[32];
  cx_block_record rec = ts_record(1, zero, w, 2);
  cx_error err = {0};
  cr_assert_eq(cx_store_commit_block(s, &rec, w, 2, &err), CX_ESTATE,
               "commit before genesis");

  cx_entry g[5];
  size_t n = genesis(g);
  cr_assert_eq(cx_store_load_genesis(s, g, n, root, NULL), CX_OK);

  cx_block_record wrong_h = ts_record(2, root, w, 2);
  cr_assert_eq(cx_store_commit_block(s, &wrong_h, w, 2, &err), CX_ESTATE);
  cr_assert(strstr(err.message, "height 0"), "%s", err.message);
  expect_unchanged(s, 0, root, g, n);

  cx_block_record wrong_root = ts_record(1, zero, w, 2);
  cr_assert_eq(cx_store_commit_block(s, &wrong_root, w, 2, &err), CX_EINVAL);
  expect_unchanged(s, 0, root, g, n);

  cx_entry unsorted[2] = {w[1], w[0]};
  rec = ts_record(1, root, w, 2);
  cr_assert_eq(cx_store_commit_block(s, &rec, unsorted, 2, &err), CX_EINVAL);
  cr_assert(strstr(err.message, "out of order"), "%s", err.message);
  cx_entry twice[2] = {w[0], w[0]};
  cr_assert_eq(cx_store_commit_block(s, &rec, twice, 2, &err), CX_EINVAL);
  cx_entry badkind[1] = {w[0]};
  badkind[0].key.kind = 9;
  cr_assert_eq(cx_store_commit_block(s, &rec, badkind, 1, &err), CX_EINVAL);
  expect_unchanged(s, 0, root, g, n);

  cr_assert_eq(cx_store_commit_block(s, &rec, w, 2, &err), CX_OK, "%s",
               err.message);
  cr_assert_eq(cx_store_height(s), 1);
  cx_store_close(s);
}

/* A block that cannot fit under max_map_size fails with CX_ELIMIT after
 * growing as far as allowed, and leaves everything as it was; the next
 * block that fits commits normally. */
Test(storage_basic, failed_commit_leaves_store_unchanged) {
  cx_store_config cfg =
      ts_config(dir.db, 1u << 20, 1u << 20, CX_DURABILITY_SYNC);
  cfg.max_map_size = 3u << 20;
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "%s", err.message);
  cx_entry g[5];
  size_t n = genesis(g);
  uint8_t root[32];
  cr_assert_eq(cx_store_load_genesis(s, g, n, root, NULL), CX_OK);
  cx_entries_sort(g, n);

  size_t big = 200000; /* ~10 MiB of kv rows: more than 3 MiB allows */
  cx_entry *w = malloc(big * sizeof *w);
  cr_assert_not_null(w);
  for (size_t i = 0; i < big; i++)
    w[i] = ts_entry(CX_ENTRY_KV, (uint32_t)(1000 + i), i, 0);
  cx_entries_sort(w, big);
  cx_block_record rec = ts_record(1, root, w, big);
  cr_assert_eq(cx_store_commit_block(s, &rec, w, big, &err), CX_ELIMIT);
  cr_assert(strstr(err.message, "max_map_size"), "%s", err.message);
  cr_assert_eq(cx_store_map_size(s), cfg.max_map_size);
  expect_unchanged(s, 0, root, g, n);

  cx_block_record small = ts_record(1, root, w, 100);
  cr_assert_eq(cx_store_commit_block(s, &small, w, 100, &err), CX_OK, "%s",
               err.message);
  cx_store_close(s);

  s = ts_open(dir.db, 0, CX_DURABILITY_SYNC);
  cr_assert_eq(cx_store_height(s), 1);
  uint64_t count = 0;
  cr_assert_eq(cx_store_count(s, &count, NULL), CX_OK);
  cr_assert_eq(count, n + 100);
  cx_store_close(s);
  free(w);
}

/* Rewrites meta[name] with raw LMDB, as another build would. */
#define RAW_META ((size_t)1 << 30) /* flag of write_raw_meta's len */

static void write_raw_meta(const char *path, const char *name, const void *p,
                           size_t len) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  cr_assert_eq(mdb_env_create(&env), 0);
  cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
  cr_assert_eq(mdb_env_open(env, path, 0, 0644), 0);
  cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
  cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
  /* Sealed as the store writes it (schema 3), so that only the content
   * differs; bare when unsealed is asked for (len | RAW_META). */
  uint8_t buf[64];
  size_t n = len & RAW_META ? len & ~RAW_META
                            : ts_seal(name, strlen(name), p, len, buf);
  MDB_val k = {strlen(name), (void *)name},
          v = {n, len & RAW_META ? (void *)p : buf};
  cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

/* Schema 3 on records a sealed version; schema 0..2 4 bare bytes. */
static void write_raw_schema(const char *path, uint32_t schema) {
  uint8_t b[4] = {(uint8_t)schema, (uint8_t)(schema >> 8),
                  (uint8_t)(schema >> 16), (uint8_t)(schema >> 24)};
  write_raw_meta(path, "schema", b, schema >= 3 ? 4 : 4 | RAW_META);
}

static int open_code(const char *path, cx_error *err) {
  cx_store_config cfg;
  cx_store_config_default(&cfg);
  cfg.path = path;
  cx_error_clear(err);
  cx_store *s = cx_store_open(&cfg, err);
  cr_assert_null(s, "open of %s should fail", path);
  return err->code;
}

Test(storage_basic, schema_mismatch_refused) {
  cx_store_close(ts_open(dir.db, 0, CX_DURABILITY_SYNC));
  write_raw_schema(dir.db, CX_STORE_SCHEMA_VERSION + 1);
  cx_error err;
  cr_assert_eq(open_code(dir.db, &err), CX_EVERSION);
  char want[32];
  snprintf(want, sizeof want, "schema %u", CX_STORE_SCHEMA_VERSION + 1);
  cr_assert(strstr(err.message, want), "%s", err.message);
  cr_assert(strstr(err.message, "newer chainexec"), "%s", err.message);
  cr_assert(strstr(err.message, dir.db), "%s", err.message);
  write_raw_schema(dir.db, 0);
  cr_assert_eq(open_code(dir.db, &err), CX_EVERSION);
  write_raw_schema(dir.db, CX_STORE_SCHEMA_VERSION);
  cx_store_close(ts_open(dir.db, 0, CX_DURABILITY_SYNC));
}

/* meta and the last block row disagree (as if one were written without
 * the other): refused at open as corruption. */
Test(storage_basic, meta_and_blocks_disagree) {
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_SYNC);
  uint8_t root[32];
  cr_assert_eq(cx_store_load_genesis(s, NULL, 0, root, NULL), CX_OK);
  cx_entry w[1] = {ts_entry(CX_ENTRY_KV, 1, 2, 0)};
  cx_block_record rec = ts_record(1, root, w, 1);
  cr_assert_eq(cx_store_commit_block(s, &rec, w, 1, NULL), CX_OK);
  cx_store_close(s);
  write_raw_meta(dir.db, "state_root", root, 32); /* the genesis root */
  cx_error err;
  cr_assert_eq(open_code(dir.db, &err), CX_ECORRUPT);
  cr_assert(strstr(err.message, "last block row"), "%s", err.message);
  uint8_t h0[8] = {0};
  write_raw_meta(dir.db, "height", h0, 8);
  cr_assert_eq(open_code(dir.db, &err), CX_ECORRUPT);
}

Test(storage_basic, foreign_database_refused) {
  cr_assert_eq(mkdir(dir.db, 0755), 0);
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  cr_assert_eq(mdb_env_create(&env), 0);
  cr_assert_eq(mdb_env_open(env, dir.db, 0, 0644), 0);
  cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
  cr_assert_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
  MDB_val k = {5, "hello"}, v = {5, "world"};
  cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  cx_error err;
  cr_assert_eq(open_code(dir.db, &err), CX_EVERSION);
  cr_assert(strstr(err.message, "not a chainexec store"), "%s", err.message);
}

Test(storage_basic, corrupt_file_refused) {
  cr_assert_eq(mkdir(dir.db, 0755), 0);
  char file[400];
  snprintf(file, sizeof file, "%s/data.mdb", dir.db);
  FILE *f = fopen(file, "wb");
  cr_assert_not_null(f);
  cx_rng r = {42};
  for (int i = 0; i < 4096; i++) {
    uint64_t x = cx_rng_next(&r);
    fwrite(&x, sizeof x, 1, f);
  }
  fclose(f);
  cx_error err;
  cr_assert_eq(open_code(dir.db, &err), CX_ECORRUPT, "%s", err.message);
  cr_assert(strstr(err.message, dir.db), "%s", err.message);
}

Test(storage_basic, path_is_a_file) {
  FILE *f = fopen(dir.db, "wb");
  cr_assert_not_null(f);
  fclose(f);
  cx_error err;
  cr_assert_eq(open_code(dir.db, &err), CX_EINVAL);
  cr_assert(strstr(err.message, "not a directory"), "%s", err.message);
}

Test(storage_basic, permission_denied) {
  if (geteuid() == 0)
    cr_skip_test("running as root: permissions are not enforced");
  cx_store_close(ts_open(dir.db, 0, CX_DURABILITY_SYNC));
  char file[400];
  snprintf(file, sizeof file, "%s/data.mdb", dir.db);
  cr_assert_eq(chmod(file, 0200), 0);
  cx_error err;
  int code = open_code(dir.db, &err);
  chmod(file, 0644);
  cr_assert_eq(code, CX_EACCES, "%s", err.message);
  cr_assert(strstr(err.message, "permission"), "%s", err.message);
}

Test(storage_basic, readers_full) {
  cx_store_config cfg = ts_config(dir.db, 0, 0, CX_DURABILITY_SYNC);
  cfg.max_readers = 2;
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "%s", err.message);
  cx_snapshot *a = cx_store_snapshot(s, &err);
  cx_snapshot *b = cx_store_snapshot(s, &err);
  cr_assert(a && b, "%s", err.message);
  cr_assert_null(cx_store_snapshot(s, &err));
  cr_assert_eq(err.code, CX_EREADERS);
  cr_assert(strstr(err.message, "max_readers"), "%s", err.message);
  uint64_t v0, v1;
  cx_key k = ts_key(CX_ENTRY_KV, 1);
  cr_assert_eq(cx_store_get(s, &k, &v0, &v1, &err), CX_EREADERS);
  cx_snapshot_release(b);
  cr_assert_eq(cx_store_get(s, &k, &v0, &v1, &err), CX_OK, "%s", err.message);
  b = cx_store_snapshot(s, &err);
  cr_assert_not_null(b, "%s", err.message);
  cx_snapshot_release(a);
  cx_snapshot_release(b);
  cx_store_close(s);
}

Test(storage_basic, bad_arguments) {
  cx_error err;
  cx_store_config cfg;
  cx_store_config_default(&cfg);
  cr_assert_null(cx_store_open(&cfg, &err));
  cr_assert_eq(err.code, CX_EINVAL);
  cr_assert_null(cx_store_open(NULL, &err));
  cfg.path = dir.db;
  cfg.durability = (cx_durability)7;
  cr_assert_null(cx_store_open(&cfg, &err));
  cr_assert_eq(err.code, CX_EINVAL);
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_NOSYNC);
  cx_key k = ts_key(CX_ENTRY_KV, 1);
  k.kind = 0;
  uint64_t v0, v1;
  cr_assert_eq(cx_store_get(s, &k, &v0, &v1, &err), CX_EINVAL);
  cx_snapshot *snap = cx_store_snapshot(s, &err);
  cr_assert_not_null(snap);
  cr_assert_eq(cx_snapshot_read(snap, &k, &v0, &v1), CX_EINVAL);
  cr_assert_eq(cx_snapshot_read(snap, NULL, &v0, &v1), CX_EINVAL);
  cx_snapshot_release(snap);
  cr_assert_eq(cx_store_sync(s, &err), CX_OK);
  cx_store_close(s);
  cx_store_close(NULL);
  cx_snapshot_release(NULL);
}

/* Statuses stored with a block read back exactly; a block committed
 * without them answers CX_ENOTFOUND; a wrong count is refused. */
Test(storage_basic, block_statuses_round_trip) {
  cx_error err = {0};
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_NOSYNC);
  cr_assert_eq(cx_store_load_genesis(s, NULL, 0, NULL, &err), CX_OK, "%s",
               err.message);
  uint8_t st[5] = {0, 2, 3, 0, 6}, back[5] = {9, 9, 9, 9, 9};
  for (uint64_t h = 1; h <= 2; h++) {
    cx_block_record rec = {.height = h, .tx_count = 5};
    cx_entries_root(NULL, 0, rec.write_root);
    uint8_t prev[32];
    cx_store_state_root(s, prev);
    cx_state_root_next(prev, rec.write_root, rec.state_root);
    rec.statuses = h == 1 ? st : NULL;
    cr_assert_eq(cx_store_commit_block(s, &rec, NULL, 0, &err), CX_OK, "%s",
                 err.message);
  }
  cr_assert_eq(cx_store_block_statuses(s, 1, back, 5, &err), CX_OK, "%s",
               err.message);
  cr_assert_arr_eq(back, st, 5);
  cr_assert_eq(cx_store_block_statuses(s, 2, back, 5, &err), CX_ENOTFOUND);
  cr_assert_eq(cx_store_block_statuses(s, 1, back, 4, &err), CX_ECORRUPT);
  cx_block_record rec;
  cr_assert_eq(cx_store_block(s, 1, &rec, &err), CX_OK);
  cr_assert_null(rec.statuses);
  cx_store_close(s);
}
