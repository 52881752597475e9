/* The public engine API (engine/chainexec.h): lifetime of temporary and
 * persistent databases, genesis rules, block execution checked against an
 * independent reference (test_engine_util.h) and by hand, recovery at
 * reopen, two engines in one process, limits, a failed commit that leaves
 * the chain untouched, and metrics (text, file, HTTP). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "test_engine_util.h"

static cx_engine *open_engine(const char *path, unsigned threads) {
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.db_path = path;
  cfg.threads = threads;
  cx_error err = {0};
  cx_engine *e = cx_engine_open(&cfg, &err);
  cr_assert_not_null(e, "open: %s", err.message);
  return e;
}

static void load_genesis(cx_engine *e, te_ref *ref, const te_keys *k,
                         uint64_t balance) {
  cx_genesis_account *acct = te_genesis_accounts(k, balance);
  cx_genesis_kv kv = {{0xa0}, 7};
  uint8_t root[32];
  cx_error err = {0};
  cr_assert_eq(cx_engine_load_genesis(e, acct, k->n, &kv, 1, root, &err),
               CX_OK, "%s", err.message);
  te_ref_init(ref, acct, k->n, &kv, 1);
  cr_assert_arr_eq(root, ref->state_root, 32, "genesis root");
  uint8_t got[32];
  cx_engine_genesis_root(e, got);
  cr_assert_arr_eq(got, ref->state_root, 32);
  free(acct);
}

/* Executes b on engine and reference and compares. */
static void run_and_check(cx_engine *e, te_ref *ref, te_keys *k,
                          const te_block *b, const char *what) {
  cx_block_result res;
  te_ref_result want;
  cx_error err = {0};
  cr_assert_eq(cx_engine_execute_block(e, &b->view, &res, &err), CX_OK,
               "%s: %s", what, err.message);
  te_ref_block(ref, b, &want);
  te_expect_same(&res, &want, b->n, ref->height, what);
  cr_assert_eq(cx_engine_height(e), ref->height);
  uint8_t root[32];
  cx_engine_state_root(e, root);
  cr_assert_arr_eq(root, ref->state_root, 32);
  cx_block_result_free(&res);
  cx_block_result_free(&res); /* idempotent */
  free(want.statuses);
  te_keys_sync(k, ref);
}

/* The usual test setup: seeded keys, an engine with their genesis, and
 * the reference beside it. */
typedef struct env {
  cx_rng rng;
  te_keys k;
  cx_engine *e;
  te_ref ref;
} env;

static void env_open(env *v, const char *suite, size_t n_keys,
                     const char *dir, unsigned threads) {
  uint64_t seed = cx_test_seed(suite);
  v->rng = (cx_rng){seed};
  te_keys_init(&v->k, n_keys, seed);
  v->e = open_engine(dir, threads);
  load_genesis(v->e, &v->ref, &v->k, 100000000);
}

static void env_close(env *v) {
  cx_engine_close(v->e);
  te_ref_free(&v->ref);
  te_keys_free(&v->k);
}

Test(api, version_and_defaults) {
  cr_assert_str_not_empty(cx_version());
  cx_config cfg;
  memset(&cfg, 0xff, sizeof cfg);
  cx_config_default(&cfg);
  cr_assert_null(cfg.db_path);
  cr_assert_null(cfg.gpu);
  cr_assert_null(cfg.metrics_listen);
  cr_assert_eq(cfg.threads, 0);
  cr_assert_eq(cfg.strategy, CX_STRATEGY_KIND_AUTO);
  cr_assert_eq(cfg.durability, CX_SYNC);
  cr_assert(cfg.pipeline);
}

Test(api, bad_config_refused) {
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.strategy = (cx_strategy_kind)9;
  cx_error err = {0};
  cr_assert_null(cx_engine_open(&cfg, &err));
  cr_assert_eq(err.code, CX_EINVAL);
  cr_assert(strstr(err.message, "strategy") != NULL, "%s", err.message);
  cx_config_default(&cfg);
  cfg.gpu = "sim:fail=7";
  cr_assert_null(cx_engine_open(&cfg, &err));
  cr_assert_eq(err.code, CX_EINVAL, "%s", err.message);
  cx_config_default(&cfg);
  cfg.db_path = "";
  cr_assert_null(cx_engine_open(&cfg, &err));
  cr_assert_eq(err.code, CX_EINVAL);
}

Test(api, temp_db_removed_at_close) {
  cx_engine *e = open_engine(NULL, 1);
  const char *p = cx_engine_db_path(e);
  cr_assert_not_null(p);
  char *copy = strdup(p);
  struct stat st;
  cr_assert_eq(stat(copy, &st), 0, "temporary db %s missing", copy);
  cr_assert(S_ISDIR(st.st_mode));
  cr_assert_eq(st.st_mode & 077, 0, "temporary db must be private");
  cr_assert(!cx_engine_has_genesis(e));
  cr_assert_eq(cx_engine_height(e), 0);
  cx_engine_close(e);
  cr_assert_neq(stat(copy, &st), 0, "%s still exists after close", copy);
  free(copy);
  cx_engine_close(NULL);
}

Test(api, block_before_genesis_and_genesis_twice) {
  te_keys k;
  te_keys_init(&k, 4, 1);
  cx_engine *e = open_engine(NULL, 1);
  te_block b = {0};
  te_push_transfer(&b, &k, 0, k.addr[1], 5);
  cx_block_result res;
  cx_error err = {0};
  cr_assert_eq(cx_engine_execute_block(e, &b.view, &res, &err), CX_ESTATE);
  cr_assert(strstr(err.message, "genesis") != NULL, "%s", err.message);
  cr_assert_null(res.statuses);
  size_t done = 9;
  cr_assert_eq(cx_engine_execute_blocks(e, 1, &b.view, &res, &done, &err),
               CX_ESTATE);
  cr_assert_eq(done, 0);

  /* A duplicate address is refused, naming it, and loads nothing. */
  cx_genesis_account dup[2] = {{{1}, 5, 0}, {{1}, 6, 0}};
  cr_assert_eq(cx_engine_load_genesis(e, dup, 2, NULL, 0, NULL, &err),
               CX_EINVAL);
  cr_assert(strstr(err.message, "0100000000") != NULL, "%s", err.message);
  cx_genesis_kv dupkv[2] = {{{9}, 1}, {{9}, 1}};
  cr_assert_eq(cx_engine_load_genesis(e, NULL, 0, dupkv, 2, NULL, &err),
               CX_EINVAL);
  cr_assert(!cx_engine_has_genesis(e));

  te_ref ref;
  load_genesis(e, &ref, &k, 1000000);
  cr_assert(cx_engine_has_genesis(e));
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(e, NULL, 0, NULL, 0, root, &err),
               CX_ESTATE);
  cr_assert(strstr(err.message, "genesis") != NULL, "%s", err.message);
  cx_engine_genesis_root(e, root);
  cr_assert_arr_eq(root, ref.state_root, 32, "root changed by refusal");
  run_and_check(e, &ref, &k, &b, "first block");
  te_block_free(&b);
  te_ref_free(&ref);
  cx_engine_close(e);
  te_keys_free(&k);
}

Test(api, empty_genesis_and_empty_block) {
  cx_engine *e = open_engine(NULL, 1);
  uint8_t root[32], want[32];
  cx_error err = {0};
  cr_assert_eq(cx_engine_load_genesis(e, NULL, 0, NULL, 0, root, &err), 0,
               "%s", err.message);
  cr_assert_eq(cx_genesis_root(NULL, 0, want), 0);
  cr_assert_arr_eq(root, want, 32);
  cx_block empty = {0, NULL, NULL};
  cx_block_result res;
  cr_assert_eq(cx_engine_execute_block(e, &empty, &res, &err), 0, "%s",
               err.message);
  uint8_t h_empty[32];
  cx_sha256(NULL, 0, h_empty);
  cr_assert_arr_eq(res.tx_root, h_empty, 32, "MTH([]) = H(\"\")");
  cr_assert_arr_eq(res.receipts_root, h_empty, 32);
  cr_assert_arr_eq(res.write_root, h_empty, 32);
  cx_state_root_next(root, h_empty, want);
  cr_assert_arr_eq(res.state_root, want, 32);
  cr_assert_eq(res.height, 1);
  cx_block_result_free(&res);
  cx_engine_close(e);
}

/* A block worked out by hand: every status, balances, nonces, kv. */
Test(api, transfers_by_hand) {
  te_keys k;
  te_keys_init(&k, 3, 2);
  enum { A, B, C };
  cx_engine *e = open_engine(NULL, 2);
  cx_genesis_account g[3] = {0};
  uint64_t bal[3] = {1000, 0, 50};
  for (int i = 0; i < 3; i++) {
    memcpy(g[i].address, k.addr[i], 20);
    g[i].balance = bal[i];
  }
  cx_error err = {0};
  cr_assert_eq(cx_engine_load_genesis(e, g, 3, NULL, 0, NULL, &err), 0);
  uint8_t key1[32] = {0x42};
  te_block b = {0};
  te_op op;
  op = (te_op){CX_OP_TRANSFER, k.addr[B], NULL, 300};
  te_push_tx(&b, &k, A, 0, &op, 1); /* 0: A -> B 300 */
  op = (te_op){CX_OP_TRANSFER, k.addr[C], NULL, 100};
  te_push_tx(&b, &k, B, 0, &op, 1); /* 1: B -> C 100, funded by tx 0 */
  op = (te_op){CX_OP_TRANSFER, k.addr[A], NULL, 1000};
  te_push_tx(&b, &k, C, 0, &op, 1); /* 2: C has 150: INSUFFICIENT_FUNDS */
  op = (te_op){CX_OP_TRANSFER, k.addr[B], NULL, 1};
  te_push_tx(&b, &k, A, 5, &op, 1); /* 3: BAD_NONCE (A is at 1) */
  op = (te_op){CX_OP_TRANSFER, k.addr[C], NULL, 10};
  te_push_tx(&b, &k, A, 1, &op, 1); /* 4: signature corrupted below */
  b.txs[4][b.lens[4] - 1] ^= 1;
  te_push_tx(&b, &k, A, 1, &op, 1); /* 5: truncated: MALFORMED */
  b.lens[5] -= 1;
  op = (te_op){CX_OP_TRANSFER, k.addr[C], NULL, 7};
  te_push_tx(&b, &k, A, 1, &op, 1); /* 6: A -> C 7 */
  te_op kvops[2] = {{CX_OP_SET, key1, NULL, 5}, {CX_OP_ADD, key1, NULL, 3}};
  te_push_tx(&b, &k, C, 0, kvops, 2); /* 7: kv[key1] = 8 (C nonce 0) */
  te_block_push(&b, NULL, 0); /* 8: empty: MALFORMED */

  cx_block_result res;
  cr_assert_eq(cx_engine_execute_block(e, &b.view, &res, &err), 0, "%s",
               err.message);
  const uint8_t want[9] = {0, 0, 4, 3, 2, 1, 0, 0, 1};
  cr_assert_arr_eq(res.statuses, want, 9);
  cr_assert_eq(res.status_counts[0], 4);
  cr_assert_eq(res.status_counts[1], 2);
  uint64_t v, n;
  cr_assert_eq(cx_engine_get_account(e, k.addr[A], &v, &n, &err), 0);
  cr_assert_eq(v, 693);
  cr_assert_eq(n, 2);
  cr_assert_eq(cx_engine_get_account(e, k.addr[B], &v, &n, &err), 0);
  cr_assert_eq(v, 200);
  cr_assert_eq(n, 1);
  cr_assert_eq(cx_engine_get_account(e, k.addr[C], &v, &n, &err), 0);
  cr_assert_eq(v, 157);
  cr_assert_eq(n, 1);
  cr_assert_eq(cx_engine_get_kv(e, key1, &v, &err), 0);
  cr_assert_eq(v, 8);
  uint8_t nobody[20] = {0xee}, nokey[32] = {0xee};
  cr_assert_eq(cx_engine_get_account(e, nobody, &v, &n, &err), 0);
  cr_assert(v == 0 && n == 0);
  cr_assert_eq(cx_engine_get_kv(e, nokey, &v, &err), 0);
  cr_assert_eq(v, 0);

  /* Roots by hand: tx hashes of each tx (the whole bytes when
   * malformed), receipts, and the four written entries. */
  uint8_t hashes[9][32], receipts[9][33];
  for (int i = 0; i < 9; i++) {
    cx_tx tx;
    cx_tx_decode(b.txs[i], b.lens[i], &tx);
    cx_sha256(b.txs[i], want[i] == 1 ? b.lens[i] : b.lens[i] - 64,
              hashes[i]);
    memcpy(receipts[i], hashes[i], 32);
    receipts[i][32] = want[i];
  }
  uint8_t root[32];
  te_mth(&hashes[0][0], 9, 32, root);
  cr_assert_arr_eq(res.tx_root, root, 32);
  te_mth(&receipts[0][0], 9, 33, root);
  cr_assert_arr_eq(res.receipts_root, root, 32);
  cx_entry w[4] = {
      {cx_key_account(k.addr[A]), 693, 2},
      {cx_key_account(k.addr[B]), 200, 1},
      {cx_key_account(k.addr[C]), 157, 1},
      {cx_key_kv(key1), 8, 0},
  };
  cx_entries_sort(w, 4);
  cr_assert_eq(cx_entries_root(w, 4, root), 0);
  cr_assert_arr_eq(res.write_root, root, 32);
  cx_block_result stored;
  cr_assert_eq(cx_engine_block_roots(e, 1, &stored, &err), 0, "%s",
               err.message);
  cr_assert_not_null(stored.statuses); /* kept with the block */
  cr_assert_arr_eq(stored.statuses, res.statuses, res.tx_count);
  cr_assert_arr_eq(stored.state_root, res.state_root, 32);
  cr_assert_arr_eq(stored.write_root, res.write_root, 32);
  cr_assert_arr_eq(stored.status_counts, res.status_counts,
                   sizeof res.status_counts);
  cr_assert_eq(stored.tx_count, 9);
  cx_block_result_free(&stored);
  cr_assert_eq(cx_engine_block_roots(e, 2, &stored, &err), CX_ENOTFOUND);
  cx_block_result_free(&res);
  te_block_free(&b);
  cx_engine_close(e);
  te_keys_free(&k);
}

Test(api, random_blocks_match_reference) {
  env v;
  env_open(&v, "engine.api.random", 24, NULL, 2);
  for (int blk = 0; blk < 4; blk++) {
    te_block b = {0};
    te_random_block(&b, &v.k, &v.rng, 150 + cx_rng_below(&v.rng, 150));
    run_and_check(v.e, &v.ref, &v.k, &b, "random block");
    te_block_free(&b);
  }
  env_close(&v);
}

Test(api, reopen_recovers_height_and_roots) {
  char *dir = te_mkdtemp();
  env v;
  env_open(&v, "engine.api.reopen", 12, dir, 2);
  cx_block_result results[3];
  cx_error err = {0};
  for (int i = 0; i < 3; i++) {
    te_block b = {0};
    te_random_block(&b, &v.k, &v.rng, 60);
    te_ref_result want;
    cr_assert_eq(cx_engine_execute_block(v.e, &b.view, &results[i], &err), 0,
                 "%s", err.message);
    te_ref_block(&v.ref, &b, &want);
    te_expect_same(&results[i], &want, b.n, v.ref.height, "before reopen");
    te_keys_sync(&v.k, &v.ref);
    free(want.statuses);
    te_block_free(&b);
  }
  uint64_t bal0, nonce0;
  cr_assert_eq(
      cx_engine_get_account(v.e, v.k.addr[0], &bal0, &nonce0, &err), 0);
  cx_engine_close(v.e);
  cr_assert_eq(access(dir, F_OK), 0, "a given db_path must survive close");

  v.e = open_engine(dir, 1);
  cr_assert(cx_engine_has_genesis(v.e));
  cr_assert_eq(cx_engine_height(v.e), 3);
  uint8_t root[32];
  cx_engine_state_root(v.e, root);
  cr_assert_arr_eq(root, v.ref.state_root, 32);
  for (int i = 0; i < 3; i++) {
    cx_block_result stored;
    cr_assert_eq(cx_engine_block_roots(v.e, (uint64_t)i + 1, &stored, &err),
                 0);
    cr_assert_eq(stored.height, (uint64_t)i + 1);
    cr_assert_arr_eq(stored.tx_root, results[i].tx_root, 32);
    cr_assert_arr_eq(stored.receipts_root, results[i].receipts_root, 32);
    cr_assert_arr_eq(stored.write_root, results[i].write_root, 32);
    cr_assert_arr_eq(stored.state_root, results[i].state_root, 32);
    cr_assert_arr_eq(stored.statuses, results[i].statuses,
                     results[i].tx_count);
    cx_block_result_free(&stored);
    cx_block_result_free(&results[i]);
  }
  uint64_t bal, nonce;
  cr_assert_eq(cx_engine_get_account(v.e, v.k.addr[0], &bal, &nonce, &err),
               0);
  cr_assert(bal == bal0 && nonce == nonce0);
  cr_assert_eq(cx_engine_load_genesis(v.e, NULL, 0, NULL, 0, NULL, &err),
               CX_ESTATE);
  te_block b = {0};
  te_random_block(&b, &v.k, &v.rng, 60);
  run_and_check(v.e, &v.ref, &v.k, &b, "after reopen");
  te_block_free(&b);
  env_close(&v);
  te_rmtree(dir);
}

Test(api, two_engines_in_one_process) {
  uint64_t seed = cx_test_seed("engine.api.two");
  cx_rng rng = {seed};
  te_keys k1, k2;
  te_keys_init(&k1, 10, seed);
  te_keys_init(&k2, 10, seed + 1);
  cx_engine *e1 = open_engine(NULL, 2), *e2 = open_engine(NULL, 1);
  cr_assert_str_neq(cx_engine_db_path(e1), cx_engine_db_path(e2));
  te_ref r1, r2;
  load_genesis(e1, &r1, &k1, 100000000);
  load_genesis(e2, &r2, &k2, 200000000);
  for (int i = 0; i < 3; i++) {
    te_block b1 = {0}, b2 = {0};
    te_random_block(&b1, &k1, &rng, 80);
    te_random_block(&b2, &k2, &rng, 40);
    run_and_check(e1, &r1, &k1, &b1, "engine 1");
    run_and_check(e2, &r2, &k2, &b2, "engine 2");
    te_block_free(&b1);
    te_block_free(&b2);
  }
  uint8_t a[32], b[32];
  cx_engine_state_root(e1, a);
  cx_engine_state_root(e2, b);
  cr_assert_arr_neq(a, b, 32);
  cx_engine_close(e1);
  /* e2 is unaffected by e1's close. */
  te_block b2 = {0};
  te_random_block(&b2, &k2, &rng, 40);
  run_and_check(e2, &r2, &k2, &b2, "engine 2 after close of 1");
  te_block_free(&b2);
  cx_engine_close(e2);
  te_ref_free(&r1);
  te_ref_free(&r2);
  te_keys_free(&k1);
  te_keys_free(&k2);
}

Test(api, limits_and_bad_arguments) {
  env v;
  env_open(&v, "engine.api.limits", 4, NULL, 1);
  cx_engine *e = v.e;
  cx_error err = {0};
  cx_block_result res;
  static const uint8_t byte = 0;
  const uint8_t *ptrs[2] = {&byte, &byte};
  size_t lens[2] = {CX_MAX_BLOCK_BYTES, 1};
  cx_block big = {(size_t)CX_MAX_BLOCK_TXS + 1, ptrs, lens};
  cr_assert_eq(cx_engine_execute_block(e, &big, &res, &err), CX_ELIMIT);
  cr_assert(strstr(err.message, "1000000") != NULL, "%s", err.message);
  cr_assert(strstr(err.message, "height 0") != NULL, "%s", err.message);
  cx_block heavy = {2, ptrs, lens}; /* lengths only: checked before reading */
  cr_assert_eq(cx_engine_execute_block(e, &heavy, &res, &err), CX_ELIMIT);
  cr_assert(strstr(err.message, "1 GiB") != NULL, "%s", err.message);
  /* Without an error object the code is still the cause, not a stand-in. */
  cr_assert_eq(cx_engine_execute_block(e, &big, &res, NULL), CX_ELIMIT);
  cx_block two[2] = {heavy, heavy}; /* n > 1: the overlapped path */
  cx_block_result res2[2];
  cr_assert_eq(cx_engine_execute_blocks(e, 1, two, res2, NULL, NULL),
               CX_ELIMIT);
  cr_assert_eq(cx_engine_execute_blocks(e, 2, two, res2, NULL, NULL),
               CX_ELIMIT);
  cx_block nulls = {3, NULL, NULL};
  cr_assert_eq(cx_engine_execute_block(e, &nulls, &res, &err), CX_EINVAL);
  cr_assert_eq(cx_engine_execute_block(NULL, &nulls, &res, &err), CX_EINVAL);
  cr_assert_eq(cx_engine_execute_block(e, NULL, &res, &err), CX_EINVAL);
  cr_assert_eq(cx_engine_get_account(e, NULL, NULL, NULL, &err), CX_EINVAL);
  cr_assert_eq(cx_engine_height(e), 0);
  te_block b = {0};
  te_push_transfer(&b, &v.k, 1, v.k.addr[2], 99);
  run_and_check(e, &v.ref, &v.k, &b, "after refusals");
  te_block_free(&b);
  env_close(&v);
}

/* A commit that cannot write (file size limit reached) leaves height and
 * roots at the previous block; the same block commits once space is back. */
Test(api, failed_commit_leaves_chain_unchanged) {
  char *dir = te_mkdtemp();
  env v;
  env_open(&v, "engine.api.failcommit", 8, dir, 1);
  te_block b1 = {0};
  te_random_block(&b1, &v.k, &v.rng, 20);
  run_and_check(v.e, &v.ref, &v.k, &b1, "block 1");
  te_block_free(&b1);

  /* Block 2 creates thousands of new accounts: new pages past the end of
   * the data file, which the size limit forbids. */
  te_block b2 = {0};
  for (int i = 0; i < 3000; i++) {
    uint8_t to[20] = {0x77};
    memcpy(to + 1, &i, sizeof i);
    te_push_transfer(&b2, &v.k, (size_t)i % v.k.n, to, 1);
  }
  char data[512];
  snprintf(data, sizeof data, "%s/data.mdb", dir);
  struct stat st;
  cr_assert_eq(stat(data, &st), 0, "LMDB data file %s", data);
  struct rlimit old, lim;
  cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
  lim = old;
  lim.rlim_cur = (rlim_t)st.st_size;
  signal(SIGXFSZ, SIG_IGN);
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
  cx_block_result res;
  cx_error err = {0};
  int rc = cx_engine_execute_block(v.e, &b2.view, &res, &err);
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
  cr_assert_neq(rc, CX_OK, "commit past the file size limit succeeded");
  cr_assert(strstr(err.message, "stays at height 1") != NULL, "%s",
            err.message);
  cr_assert_null(res.statuses);
  cr_assert_eq(cx_engine_height(v.e), 1);
  uint8_t root[32];
  cx_engine_state_root(v.e, root);
  cr_assert_arr_eq(root, v.ref.state_root, 32, "state root moved");
  cx_block_result stored;
  cr_assert_eq(cx_engine_block_roots(v.e, 2, &stored, &err), CX_ENOTFOUND);

  run_and_check(v.e, &v.ref, &v.k, &b2, "block 2 retried");
  cx_engine_close(v.e);
  v.e = open_engine(dir, 1);
  cr_assert_eq(cx_engine_height(v.e), 2);
  cx_engine_state_root(v.e, root);
  cr_assert_arr_eq(root, v.ref.state_root, 32);
  te_block_free(&b2);
  env_close(&v);
  te_rmtree(dir);
}

/* --- Metrics -------------------------------------------------------------- */

/* Light check of the exposition format: every sample belongs to a family
 * announced by a TYPE line before it, and ends in a number. */
static void check_exposition(const char *text) {
  char families[256][128];
  size_t nf = 0;
  const char *p = text;
  while (*p) {
    const char *eol = strchr(p, '\n');
    cr_assert_not_null(eol, "text must end with a newline");
    size_t len = (size_t)(eol - p);
    char line[1024];
    cr_assert_lt(len, sizeof line);
    memcpy(line, p, len);
    line[len] = '\0';
    if (strncmp(line, "# TYPE ", 7) == 0) {
      cr_assert_lt(nf, 256);
      cr_assert_eq(sscanf(line + 7, "%127s", families[nf]), 1);
      nf++;
    } else if (line[0] != '#') {
      char name[128];
      size_t k = strcspn(line, "{ ");
      cr_assert_lt(k, sizeof name, "%s", line);
      memcpy(name, line, k);
      name[k] = '\0';
      bool known = false;
      for (size_t f = 0; f < nf && !known; f++) {
        size_t fl = strlen(families[f]);
        known = strncmp(name, families[f], fl) == 0 &&
                (name[fl] == '\0' || strcmp(name + fl, "_bucket") == 0 ||
                 strcmp(name + fl, "_sum") == 0 ||
                 strcmp(name + fl, "_count") == 0);
      }
      cr_assert(known, "sample without a TYPE: %s", line);
      const char *val = strrchr(line, ' ');
      cr_assert_not_null(val, "%s", line);
      char *end;
      strtod(val + 1, &end);
      cr_assert(*end == '\0' && end != val + 1, "bad value: %s", line);
    }
    p = eol + 1;
  }
  cr_assert_gt(nf, 5);
}

static char *http_get(uint16_t port, const char *path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_geq(fd, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  char req[256];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
  cr_assert_eq(write(fd, req, (size_t)n), n);
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap);
  ssize_t r;
  while ((r = read(fd, buf + len, cap - 1 - len)) > 0)
    len += (size_t)r;
  buf[len] = '\0';
  close(fd);
  return buf;
}

Test(api, metrics_text_file_and_http) {
  env v;
  env_open(&v, "engine.api.metrics", 4, NULL, 2);
  cx_engine *e = v.e;
  for (int i = 0; i < 2; i++) {
    te_block b = {0};
    te_push_transfer(&b, &v.k, 0, v.k.addr[1], 5);
    te_push_transfer(&b, &v.k, 1, v.k.addr[2], 5);
    run_and_check(e, &v.ref, &v.k, &b, "metrics block");
    te_block_free(&b);
  }
  size_t need = cx_engine_metrics(e, NULL, 0);
  cr_assert_gt(need, 100);
  char *text = malloc(need + 1);
  cr_assert_eq(cx_engine_metrics(e, text, need + 1), need);
  check_exposition(text);
  cr_assert(strstr(text, "\nchainexec_blocks_total 2\n") != NULL, "%s", text);
  cr_assert(strstr(text, "\nchainexec_height 2\n") != NULL);
  cr_assert(strstr(text, "chainexec_transactions_total{status=\"committed\"}"
                         " 4\n") != NULL);
  cr_assert(strstr(text, "chainexec_sched_") != NULL,
            "scheduler metrics missing");
  char small[16];
  cr_assert_geq(cx_engine_metrics(e, small, sizeof small), need - 64);
  cr_assert_eq(strlen(small), sizeof small - 1, "truncated, NUL-terminated");

  char *dir = te_mkdtemp();
  char path[512];
  snprintf(path, sizeof path, "%s/metrics.prom", dir);
  cx_error err = {0};
  cr_assert_eq(cx_engine_metrics_write_file(e, path, &err), 0, "%s",
               err.message);
  size_t flen;
  char *file = cx_test_read_file(path, &flen);
  check_exposition(file);
  cr_assert(strstr(file, "\nchainexec_blocks_total 2\n") != NULL);
  free(file);
  /* Prometheus' own linter, when installed (Debian: prometheus). */
  if (system("command -v promtool >/dev/null 2>&1") == 0) {
    char cmd[640];
    snprintf(cmd, sizeof cmd, "promtool check metrics < '%s'", path);
    cr_assert_eq(system(cmd), 0, "promtool rejects the metrics text");
  } else {
    fprintf(stderr, "engine.api.metrics: promtool not installed; "
                    "format checked by the test's own parser only\n");
  }
  snprintf(path, sizeof path, "%s/no/such/dir/m.prom", dir);
  cr_assert_neq(cx_engine_metrics_write_file(e, path, &err), 0);
  cr_assert(strstr(err.message, "no/such/dir") != NULL, "%s", err.message);

  cr_assert_eq(cx_engine_metrics_listen(e, "1.2.3", &err), CX_EINVAL);
  cr_assert_eq(cx_engine_metrics_listen(e, "127.0.0.1:99999", &err),
               CX_EINVAL);
  cr_assert_eq(cx_engine_metrics_listen(e, "::1:80", &err), CX_EINVAL);
  cr_assert_eq(cx_engine_metrics_port(e), 0);
  /* A bare port binds loopback. */
  cr_assert_eq(cx_engine_metrics_listen(e, "0", &err), 0, "%s", err.message);
  uint16_t port = cx_engine_metrics_port(e);
  cr_assert_gt(port, 0);
  cr_assert_eq(cx_engine_metrics_listen(e, "127.0.0.1:0", &err), CX_ESTATE);
  char *resp = http_get(port, "/metrics");
  cr_assert(strncmp(resp, "HTTP/1.", 7) == 0 && strstr(resp, " 200 "),
            "%.200s", resp);
  cr_assert(strstr(resp, "text/plain; version=0.0.4") != NULL);
  char *body = strstr(resp, "\r\n\r\n");
  cr_assert_not_null(body);
  check_exposition(body + 4);
  cr_assert(strstr(body, "\nchainexec_height 2\n") != NULL);
  free(resp);
  resp = http_get(port, "/nope");
  cr_assert(strstr(resp, " 404 ") != NULL, "%.200s", resp);
  free(resp);
  cx_engine_metrics_stop(e);
  cr_assert_eq(cx_engine_metrics_port(e), 0);
  cr_assert_eq(cx_engine_metrics_listen(e, "127.0.0.1:0", &err), 0);
  env_close(&v); /* closing the engine stops the server */

  /* Through the config, serving from open to close. */
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.threads = 1;
  cfg.metrics_listen = "127.0.0.1:0";
  e = cx_engine_open(&cfg, &err);
  cr_assert_not_null(e, "%s", err.message);
  port = cx_engine_metrics_port(e);
  cr_assert_gt(port, 0);
  resp = http_get(port, "/metrics");
  cr_assert(strstr(resp, "\nchainexec_height 0\n") != NULL, "%.300s", resp);
  free(resp);
  cx_engine_close(e);
  free(text);
  te_rmtree(dir);
}
