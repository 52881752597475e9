/* cx_store_verify(): the integrity check at open. A sound store passes; a
 * store damaged behind the store's back (raw LMDB writes, a flipped byte
 * in a page header, a truncated file) is refused with CX_ECORRUPT and a
 * message naming what is wrong. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test_storage_util.h"

TestSuite(storage_verify, .timeout = 120);

/* A store with a genesis of 40 accounts and 40 kv keys, plus `blocks`
 * blocks of 5 writes each; closed again. */
static void make_store(const char *path, unsigned blocks) {
  cx_store *s = ts_open(path, 0, CX_DURABILITY_NOSYNC);
  cx_entry g[80];
  for (uint32_t i = 0; i < 40; i++) {
    g[i] = ts_entry(CX_ENTRY_ACCOUNT, i, 1000 + i, i);
    g[40 + i] = ts_entry(CX_ENTRY_KV, i, 7 * i, 0);
  }
  cx_error err = {0};
  cr_assert_eq(cx_store_load_genesis(s, g, 80, NULL, &err), CX_OK, "%s",
               err.message);
  for (unsigned h = 1; h <= blocks; h++) {
    cx_entry w[5];
    for (uint32_t i = 0; i < 5; i++)
      w[i] = ts_entry(CX_ENTRY_ACCOUNT, 100 * h + i, h, i);
    cx_entries_sort(w, 5);
    uint8_t prev[32];
    cx_store_state_root(s, prev);
    cx_block_record r = ts_record(h, prev, w, 5);
    cr_assert_eq(cx_store_commit_block(s, &r, w, 5, &err), CX_OK, "%s",
                 err.message);
  }
  cx_store_close(s);
}

static int verify(const char *path, cx_error *err) {
  cx_store_config cfg = ts_config(path, 0, 0, CX_DURABILITY_NOSYNC);
  cx_error_clear(err);
  return cx_store_verify(&cfg, err);
}

/* Puts key -> val of the given widths into `table` with plain LMDB, as a
 * damaged disk (or another program) might. */
static void raw_put(const char *path, const char *table, const void *key,
                    size_t klen, const void *val, size_t vlen) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  cr_assert_eq(mdb_env_create(&env), 0);
  cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
  cr_assert_eq(mdb_env_open(env, path, MDB_NOTLS, 0644), 0);
  cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
  cr_assert_eq(mdb_dbi_open(txn, table, 0, &dbi), 0);
  MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
  cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

/* raw_put of a well-formed record: the payload sealed as the store seals
 * it, so that only its content is wrong. */
static void raw_put_sealed(const char *path, const char *table,
                           const void *key, size_t klen, const void *payload,
                           size_t len) {
  uint8_t buf[256];
  cr_assert_leq(len + 4, sizeof buf);
  raw_put(path, table, key, klen, buf, ts_seal(key, klen, payload, len, buf));
}

static void expect_corrupt(const char *path, const char *needle) {
  cx_error err = {0};
  cr_assert_eq(verify(path, &err), CX_ECORRUPT, "code %d: %s", err.code,
               err.message);
  cr_expect(strstr(err.message, needle) != NULL,
            "message lacks \"%s\": %s", needle, err.message);
  cr_expect(strstr(err.message, "restore") != NULL,
            "message gives no action: %s", err.message);
}

Test(storage_verify, sound_store_passes) {
  ts_dir d;
  ts_dir_make(&d);
  cx_error err = {0};
  /* Nothing there yet: passes, and creates nothing. */
  cr_assert_eq(verify(d.db, &err), CX_OK, "%s", err.message);
  cr_assert_neq(access(d.db, F_OK), 0);
  make_store(d.db, 0);
  cr_assert_eq(verify(d.db, &err), CX_OK, "%s", err.message);
  ts_dir_free(&d);
  ts_dir_make(&d);
  make_store(d.db, 30);
  cr_assert_eq(verify(d.db, &err), CX_OK, "%s", err.message);
  /* The check changed nothing: the store opens and commits as before. */
  cx_store *s = ts_open(d.db, 0, CX_DURABILITY_NOSYNC);
  cr_assert_eq(cx_store_height(s), 30u);
  cx_store_close(s);
  ts_dir_free(&d);
}

Test(storage_verify, genesis_value_changed_fails_on_root) {
  ts_dir d;
  ts_dir_make(&d);
  make_store(d.db, 0);
  cx_entry e = ts_entry(CX_ENTRY_ACCOUNT, 3, 0, 0);
  uint8_t val[16] = {0};
  val[0] = 0x99; /* balance 0x99 instead of 1003: well-formed, but wrong */
  raw_put_sealed(d.db, "accounts", e.key.bytes, 20, val, sizeof val);
  expect_corrupt(d.db, "genesis root");
  ts_dir_free(&d);
}

Test(storage_verify, wrong_width_value_fails) {
  ts_dir d;
  ts_dir_make(&d);
  make_store(d.db, 3);
  cx_entry e = ts_entry(CX_ENTRY_KV, 5, 0, 0);
  uint8_t val[9] = {1, 2, 3};
  raw_put(d.db, "kv", e.key.bytes, 32, val, sizeof val);
  expect_corrupt(d.db, "table \"kv\"");
  ts_dir_free(&d);
}

/* A changed value without its checksum (what a flipped byte leaves):
 * refused naming the table and the key, in every table. */
Test(storage_verify, value_without_checksum_fails) {
  ts_dir d;
  ts_dir_make(&d);
  make_store(d.db, 3);
  cx_entry e = ts_entry(CX_ENTRY_ACCOUNT, 100 * 2 + 1, 0, 0);
  uint8_t val[20] = {0};
  raw_put(d.db, "accounts", e.key.bytes, 20, val, sizeof val);
  char hex[41];
  for (int i = 0; i < 20; i++)
    snprintf(hex + 2 * i, 3, "%02x", e.key.bytes[i]);
  expect_corrupt(d.db, hex);
  ts_dir_free(&d);
  const char *tables[] = {"blocks", "statuses", "undo"};
  for (int t = 0; t < 3; t++) {
    ts_dir_make(&d);
    make_store(d.db, 3);
    uint8_t key[8] = {0, 0, 0, 0, 0, 0, 0, 2}, junk[200] = {1};
    raw_put(d.db, tables[t], key, 8, junk, sizeof junk);
    char want[64];
    snprintf(want, sizeof want, "table \"%s\", key 0000000000000002",
             tables[t]);
    expect_corrupt(d.db, want);
    ts_dir_free(&d);
  }
}

Test(storage_verify, broken_root_chain_fails) {
  ts_dir d;
  ts_dir_make(&d);
  make_store(d.db, 4);
  /* Block 2's row with another write_root: its state_root no longer
   * follows from block 1's. */
  cx_store *s = ts_open(d.db, 0, CX_DURABILITY_NOSYNC);
  cx_block_record r;
  cx_error err = {0};
  cr_assert_eq(cx_store_block(s, 2, &r, &err), CX_OK, "%s", err.message);
  cx_store_close(s);
  r.write_root[0] ^= 1;
  uint8_t key[8] = {0, 0, 0, 0, 0, 0, 0, 2}, row[160];
  memcpy(row, r.tx_root, 32);
  memcpy(row + 32, r.receipts_root, 32);
  memcpy(row + 64, r.write_root, 32);
  memcpy(row + 96, r.state_root, 32);
  memset(row + 128, 0, 32);
  raw_put_sealed(d.db, "blocks", key, 8, row, sizeof row);
  expect_corrupt(d.db, "row 2");
  ts_dir_free(&d);
}

/* Flips one byte of a file in place. */
static void flip(const char *file, long off, uint8_t mask) {
  FILE *f = fopen(file, "r+b");
  cr_assert_not_null(f);
  cr_assert_eq(fseek(f, off, SEEK_SET), 0);
  int c = fgetc(f);
  cr_assert_neq(c, EOF);
  cr_assert_eq(fseek(f, off, SEEK_SET), 0);
  fputc((c ^ mask) & 0xff, f);
  fclose(f);
}

/* Page number of the main table's root in the current meta page (LMDB 0.9
 * layout: txnid at byte 144 of a meta page, the main table's root at 128;
 * pages of 4096 bytes). A page that is surely in use. */
static long main_root(const char *file) {
  FILE *f = fopen(file, "rb");
  cr_assert_not_null(f);
  uint8_t m[2][4096];
  cr_assert_eq(fread(m, 4096, 2, f), 2u);
  fclose(f);
  uint64_t t0, t1, root;
  memcpy(&t0, m[0] + 144, 8);
  memcpy(&t1, m[1] + 144, 8);
  memcpy(&root, m[t1 > t0] + 128, 8);
  cr_assert(root >= 2 && root < 1000, "root %llu", (unsigned long long)root);
  return (long)root;
}

/* Flips byte `at` of the main table's root page with `mask`: the check
 * must refuse the store naming that page. */
static void expect_root_flip_refused(long at, uint8_t mask) {
  ts_dir d;
  ts_dir_make(&d);
  make_store(d.db, 2);
  char file[400], page[32];
  snprintf(file, sizeof file, "%s/data.mdb", d.db);
  long pg = main_root(file);
  flip(file, pg * 4096 + at, mask);
  snprintf(page, sizeof page, "page %ld", pg);
  expect_corrupt(d.db, page);
  ts_dir_free(&d);
}

/* The page's own number (bytes 0..7): reads never look at it; a commit
 * that copies the page frees whatever page it names. */
Test(storage_verify, damaged_page_number_fails) {
  expect_root_flip_refused(0, 0x40);
}

/* High byte of mp_upper (bytes 14..15): only inserts use it. */
Test(storage_verify, damaged_free_space_bound_fails) {
  expect_root_flip_refused(15, 0x20);
}

Test(storage_verify, truncated_file_fails) {
  ts_dir d;
  ts_dir_make(&d);
  make_store(d.db, 2);
  char file[400];
  snprintf(file, sizeof file, "%s/data.mdb", d.db);
  cr_assert_eq(truncate(file, 3 * 4096), 0);
  expect_corrupt(d.db, "truncated");
  ts_dir_free(&d);
}
