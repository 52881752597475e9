/* storage: a read-only open (cx_store_config.read_only) sees what a
 * writer committed, refuses every write with CX_ESTATE and leaves the
 * store as it was, creates nothing where there is no store, and does not
 * wait for a writer that holds the write lock in another process.
 * CX_TEST_LABEL_CONCURRENCY */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_storage_util.h"

static ts_dir dir;

static void setup(void) { ts_dir_make(&dir); }
static void teardown(void) { ts_dir_free(&dir); }

TestSuite(storage_readonly, .init = setup, .fini = teardown);

static cx_store *open_ro(const char *path, cx_error *err) {
  cx_store_config cfg = ts_config(path, 0, 0, CX_DURABILITY_SYNC);
  cfg.read_only = true;
  return cx_store_open(&cfg, err);
}

/* A store at height 1: a genesis of two accounts, then one block. Fills
 * the block's record and write set. */
static void make_chain(cx_block_record *rec, cx_entry w[2]) {
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_SYNC);
  cx_entry g[2] = {ts_entry(CX_ENTRY_ACCOUNT, 1, 500, 0),
                   ts_entry(CX_ENTRY_ACCOUNT, 2, 700, 0)};
  uint8_t root[32];
  cx_error err = {0};
  cr_assert_eq(cx_store_load_genesis(s, g, 2, root, &err), CX_OK, "%s",
               err.message);
  w[0] = ts_entry(CX_ENTRY_ACCOUNT, 1, 400, 1);
  w[1] = ts_entry(CX_ENTRY_KV, 3, 9, 0);
  cx_entries_sort(w, 2);
  *rec = ts_record(1, root, w, 2);
  cr_assert_eq(cx_store_commit_block(s, rec, w, 2, &err), CX_OK, "%s",
               err.message);
  cx_store_close(s);
}

static void expect_refused(int rc, const cx_error *err, const char *what) {
  cr_assert_eq(rc, CX_ESTATE, "%s: got %d (%s)", what, rc, err->message);
  cr_assert(strstr(err->message, "read-only"), "%s: %s", what, err->message);
}

Test(storage_readonly, reads_committed_state_and_refuses_writes) {
  cx_block_record rec;
  cx_entry w[2];
  make_chain(&rec, w);
  cx_error err = {0};
  cx_store *s = open_ro(dir.db, &err);
  cr_assert_not_null(s, "%s", err.message);
  cr_assert_eq(cx_store_height(s), 1);
  uint8_t root[32];
  cx_store_state_root(s, root);
  cr_assert_arr_eq(root, rec.state_root, 32);
  for (int i = 0; i < 2; i++) {
    uint64_t v0 = 0, v1 = 0;
    cr_assert_eq(cx_store_get(s, &w[i].key, &v0, &v1, &err), CX_OK, "%s",
                 err.message);
    cr_assert(v0 == w[i].v0 && v1 == w[i].v1, "entry %d: (%llu, %llu)", i,
              (unsigned long long)v0, (unsigned long long)v1);
  }
  cx_block_record got;
  cr_assert_eq(cx_store_block(s, 1, &got, &err), CX_OK, "%s", err.message);
  cr_assert_arr_eq(got.state_root, rec.state_root, 32);

  /* Every write is refused before touching LMDB. */
  cx_entry next[1] = {ts_entry(CX_ENTRY_ACCOUNT, 2, 1, 1)};
  cx_block_record rec2 = ts_record(2, rec.state_root, next, 1);
  expect_refused(cx_store_commit_block(s, &rec2, next, 1, &err), &err,
                 "commit");
  cx_entry g[1] = {ts_entry(CX_ENTRY_ACCOUNT, 5, 1, 0)};
  expect_refused(cx_store_load_genesis(s, g, 1, NULL, &err), &err, "genesis");
  expect_refused(cx_store_sync(s, &err), &err, "sync");
  cr_assert_eq(cx_store_height(s), 1);
  cx_store_close(s);

  /* A writer finds the store exactly as it was, and can go on. */
  s = ts_open(dir.db, 0, CX_DURABILITY_SYNC);
  cr_assert_eq(cx_store_height(s), 1);
  cr_assert_eq(cx_store_block(s, 2, &got, NULL), CX_ENOTFOUND);
  cr_assert_eq(cx_store_commit_block(s, &rec2, next, 1, &err), CX_OK, "%s",
               err.message);
  cx_store_close(s);
}

Test(storage_readonly, creates_nothing) {
  cx_error err = {0};
  cr_assert_null(open_ro(dir.db, &err));
  cr_assert_neq(err.code, CX_OK);
  struct stat st;
  cr_assert_neq(stat(dir.db, &st), 0, "a read-only open created %s", dir.db);

  /* A directory holding no store: still nothing written into it. */
  cr_assert_eq(mkdir(dir.db, 0755), 0);
  cr_assert_null(open_ro(dir.db, &err));
  char data[400];
  snprintf(data, sizeof data, "%s/data.mdb", dir.db);
  cr_assert(stat(data, &st) != 0 || st.st_size == 0,
            "a read-only open wrote %s (%lld bytes)", data,
            (long long)st.st_size);
}

/* Child: holds LMDB's write transaction on `path` until its stdin pipe
 * closes; says "locked" through `ready` first. */
static void hold_write_lock(const char *path, int ready, int release) {
  MDB_env *env;
  MDB_txn *txn;
  char ok = 'L';
  if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 8) != 0 ||
      mdb_env_open(env, path, MDB_NOTLS, 0644) != 0 ||
      mdb_txn_begin(env, NULL, 0, &txn) != 0)
    ok = 'F';
  if (write(ready, &ok, 1) != 1)
    _exit(3);
  char c;
  while (read(release, &c, 1) > 0) {
  }
  _exit(ok == 'L' ? 0 : 2);
}

/* A writer's lock does not stop a read-only open (a read-write open
 * would wait for it: its open transaction is a write transaction). If the
 * open waited, the test would hang until its timeout. */
Test(storage_readonly, does_not_wait_for_a_writer, .timeout = 60) {
  cx_block_record rec;
  cx_entry w[2];
  make_chain(&rec, w);
  int ready[2], release[2];
  cr_assert_eq(pipe(ready), 0);
  cr_assert_eq(pipe(release), 0);
  pid_t pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    close(ready[0]);
    close(release[1]);
    hold_write_lock(dir.db, ready[1], release[0]);
  }
  close(ready[1]);
  close(release[0]);
  char ok = 0;
  cr_assert_eq(read(ready[0], &ok, 1), 1, "the lock holder died");
  cr_assert_eq(ok, 'L', "the child could not take the write lock");
  cx_error err = {0};
  cx_store *s = open_ro(dir.db, &err);
  int opened = s != NULL;
  uint64_t height = s ? cx_store_height(s) : 0;
  cx_store_close(s);
  close(release[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  cr_assert(opened, "read-only open beside a writer: %s", err.message);
  cr_assert_eq(height, 1);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "lock holder status %d", status);
}
