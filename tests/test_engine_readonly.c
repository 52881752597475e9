/* The engine opened read-only (cx_config.read_only, what `chainexec info`
 * uses): queries see the committed chain, writes are refused with
 * CX_ESTATE before any work, and a writer reopening the database finds it
 * unchanged and carries on. */
#include "test_engine_util.h"

static cx_engine *open_at(const char *path, bool read_only, cx_error *err) {
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.db_path = path;
  cfg.threads = 2;
  cfg.read_only = read_only;
  return cx_engine_open(&cfg, err);
}

static void expect_refused(int rc, const cx_error *err, const char *what) {
  cr_assert_eq(rc, CX_ESTATE, "%s: got %d (%s)", what, rc, err->message);
  cr_assert(strstr(err->message, "read-only"), "%s: %s", what, err->message);
}

Test(engine_readonly, queries_work_and_writes_are_refused) {
  char *dir = te_mkdtemp();
  uint64_t seed = cx_test_seed("engine.readonly");
  cx_rng rng = {seed};
  te_keys k;
  te_keys_init(&k, 8, seed);
  cx_error err = {0};
  cx_engine *e = open_at(dir, false, &err);
  cr_assert_not_null(e, "%s", err.message);
  cx_genesis_account *acct = te_genesis_accounts(&k, 1000000);
  te_ref ref;
  cr_assert_eq(cx_engine_load_genesis(e, acct, k.n, NULL, 0, NULL, &err),
               CX_OK, "%s", err.message);
  te_ref_init(&ref, acct, k.n, NULL, 0);
  te_block b = {0};
  te_random_block(&b, &k, &rng, 40);
  cx_block_result res;
  cr_assert_eq(cx_engine_execute_block(e, &b.view, &res, &err), CX_OK, "%s",
               err.message);
  te_ref_result want;
  te_ref_block(&ref, &b, &want);
  te_expect_same(&res, &want, b.n, ref.height, "writer");
  te_keys_sync(&k, &ref);
  free(want.statuses);
  cx_engine_close(e);

  e = open_at(dir, true, &err);
  cr_assert_not_null(e, "read-only open: %s", err.message);
  cr_assert_eq(cx_engine_height(e), 1);
  uint8_t root[32];
  cx_engine_state_root(e, root);
  cr_assert_arr_eq(root, res.state_root, 32);
  cx_block_result stored;
  cr_assert_eq(cx_engine_block_roots(e, 1, &stored, &err), CX_OK, "%s",
               err.message);
  cr_assert_arr_eq(stored.write_root, res.write_root, 32);
  cx_block_result_free(&stored);
  uint64_t bal, nonce, want_bal, want_nonce;
  for (size_t i = 0; i < k.n; i++) {
    cr_assert_eq(cx_engine_get_account(e, k.addr[i], &bal, &nonce, &err),
                 CX_OK, "%s", err.message);
    cx_key key = cx_key_account(k.addr[i]);
    te_ref_read(&ref, &key, &want_bal, &want_nonce);
    cr_assert(bal == want_bal && nonce == want_nonce, "account %zu", i);
  }
  te_block b2 = {0};
  te_random_block(&b2, &k, &rng, 40);
  cx_block_result none;
  expect_refused(cx_engine_execute_block(e, &b2.view, &none, &err), &err,
                 "execute_block");
  size_t done = 7;
  expect_refused(cx_engine_execute_blocks(e, 1, &b2.view, &none, &done, &err),
                 &err, "execute_blocks");
  cr_assert_eq(done, 0);
  expect_refused(cx_engine_load_genesis(e, acct, k.n, NULL, 0, NULL, &err),
                 &err, "load_genesis");
  cr_assert_eq(cx_engine_height(e), 1);
  cx_engine_close(e);

  /* The writer finds height 1 and goes on with the refused block. */
  e = open_at(dir, false, &err);
  cr_assert_not_null(e, "%s", err.message);
  cr_assert_eq(cx_engine_height(e), 1);
  cx_block_result res2;
  cr_assert_eq(cx_engine_execute_block(e, &b2.view, &res2, &err), CX_OK,
               "%s", err.message);
  te_ref_block(&ref, &b2, &want);
  te_expect_same(&res2, &want, b2.n, ref.height, "after read-only");
  free(want.statuses);
  cx_block_result_free(&res2);
  cx_engine_close(e);

  cx_block_result_free(&res);
  te_block_free(&b);
  te_block_free(&b2);
  free(acct);
  te_ref_free(&ref);
  te_keys_free(&k);
  te_rmtree(dir);
}

Test(engine_readonly, needs_an_existing_database) {
  cx_error err = {0};
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.read_only = true;
  cr_assert_null(cx_engine_open(&cfg, &err));
  cr_assert_eq(err.code, CX_EINVAL);
  cr_assert(strstr(err.message, "db_path"), "%s", err.message);

  char *dir = te_mkdtemp();
  char db[512];
  snprintf(db, sizeof db, "%s/none", dir);
  cr_assert_null(open_at(db, true, &err));
  cr_assert_neq(err.code, CX_OK);
  cr_assert_neq(access(db, F_OK), 0, "a read-only open created %s", db);
  te_rmtree(dir);
}
