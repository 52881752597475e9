/* Regression tests for bugs the reliability campaigns found (issue 10).
 * Each test names the campaign that found the bug and what it did; each
 * one fails (or crashes, which Criterion reports as a failure) on the code
 * that had the bug.
 */
/* CX_TEST_LABEL_CONCURRENCY */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainexec.h"
#include "cx_test.h"
#include "fixture.h"
#include "fixture_gen.h"
#include "test_reliability_util.h"
#include "mvcc.h"
#include "tx.h"

TestSuite(reliability_regressions);

/* Found by scripts/fault-campaign.sh (gpu section) and then by a plain
 * replay: with the pipeline on, a block that follows a block without
 * writes sometimes failed with "is at height 1, expected 0: is another
 * process writing to this database?". The overlapped executor passed the
 * previous block's writes as the overlay and used `overlay != NULL` to mean
 * "the previous block is not committed yet"; a block with no writes has a
 * NULL write array, so when its commit won the race the next block saw
 * height base+1 without an overlay and refused to run. Empty blocks hit it
 * every time the commit thread is quick. */
Test(reliability_regressions, pipeline_after_block_without_writes) {
  enum { ROUNDS = 40, BLOCKS = 12 };
  cx_block blocks[BLOCKS];
  memset(blocks, 0, sizeof blocks); /* every block empty: no writes */
  for (int round = 0; round < ROUNDS; round++) {
    cx_config cfg;
    cx_config_default(&cfg);
    cfg.threads = 2;
    cfg.pipeline = true;
    cfg.durability = CX_NOSYNC;
    cx_error err = {0};
    cx_engine *e = cx_engine_open(&cfg, &err);
    cr_assert_not_null(e, "open: %s", err.message);
    uint8_t root[32];
    cr_assert_eq(cx_engine_load_genesis(e, NULL, 0, NULL, 0, root, &err), CX_OK,
                 "genesis: %s", err.message);
    cx_block_result res[BLOCKS];
    memset(res, 0, sizeof res);
    size_t done = 0;
    int rc = cx_engine_execute_blocks(e, BLOCKS, blocks, res, &done, &err);
    cr_assert_eq(rc, CX_OK, "round %d: block %zu failed: %s", round, done + 1,
                 err.message);
    cr_assert_eq(done, (size_t)BLOCKS);
    cr_assert_eq(cx_engine_height(e), (uint64_t)BLOCKS);
    for (int i = 0; i < BLOCKS; i++)
      cx_block_result_free(&res[i]);
    cx_engine_close(e);
  }
}

/* Builds a database with a genesis of many accounts and a few empty blocks
 * at dir, so data.mdb spans many pages. */
static void build_db(const char *dir) {
  enum { ACCOUNTS = 3000 };
  cx_genesis_account *acc = calloc(ACCOUNTS, sizeof *acc);
  cr_assert_not_null(acc);
  for (unsigned i = 0; i < ACCOUNTS; i++) {
    memcpy(acc[i].address, &i, sizeof i);
    acc[i].address[19] = 0xa5;
    acc[i].balance = 1000 + i;
  }
  cx_error err = {0};
  cx_engine *e = open_at(dir, &err);
  cr_assert_not_null(e, "open: %s", err.message);
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(e, acc, ACCOUNTS, NULL, 0, root, &err),
               CX_OK, "genesis: %s", err.message);
  cx_block empty = {0};
  cx_block_result r;
  memset(&r, 0, sizeof r);
  cr_assert_eq(cx_engine_execute_block(e, &empty, &r, &err), CX_OK, "%s",
               err.message);
  cx_block_result_free(&r);
  cx_engine_close(e);
  free(acc);
}

/* Opening must refuse the damaged file with a message; a crash (SIGBUS
 * from touching mapped pages past the end of the file) fails the test. */
static void expect_refused_or_intact(const char *dir, const char *what) {
  cx_error err = {0};
  cx_engine *e = open_at(dir, &err);
  if (e == NULL) {
    cr_expect_neq(err.code, CX_OK, "%s: NULL engine without an error", what);
    cr_expect_neq(err.message[0], '\0', "%s: error without a message", what);
    return;
  }
  /* Opened: every committed query must then answer without crashing. */
  uint64_t bal = 0, nonce = 0;
  uint8_t addr[20] = {0};
  addr[19] = 0xa5;
  int rc = cx_engine_get_account(e, addr, &bal, &nonce, &err);
  cr_expect(rc == CX_OK || err.message[0] != '\0', "%s", what);
  cx_block_result r;
  memset(&r, 0, sizeof r);
  uint64_t h = cx_engine_height(e);
  cx_engine_block_roots(e, h, &r, &err);
  cx_block_result_free(&r);
  cx_engine_close(e);
  cr_assert_fail("%s: opened at height %llu; must be refused with CX_ECORRUPT",
          what, (unsigned long long)h);
}

/* Found by scripts/fault-campaign.sh (corrupt section): a data.mdb cut
 * short (truncate -s 8192, or to half its size) crashed `chainexec info`
 * with SIGBUS: LMDB maps the file and the meta page still names pages past
 * the new end. The store must compare the file size with the last page the
 * meta page names and refuse the database (CX_ECORRUPT) with a message. */
Test(reliability_regressions, truncated_data_file_refused_at_open) {
  static const double cuts[] = {0.0, 0.5, 0.9};
  for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
    char *dir = make_tmpdir();
    build_db(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    off_t len = cuts[c] == 0.0 ? 8192 : (off_t)((double)st.st_size * cuts[c]);
    len -= len % 4096;
    cr_assert_lt(len, st.st_size);
    cr_assert_eq(truncate(path, len), 0);
    char what[96];
    snprintf(what, sizeof what, "data.mdb cut from %lld to %lld bytes",
             (long long)st.st_size, (long long)len);
    expect_refused_or_intact(dir, what);
    rm_db(dir);
    free(dir);
  }
}

/* Found by tests/fuzz/fuzz_diff (clang UBSan): Block-STM's final write-set
 * pass computed `p->out + w->out_off` with p->out == NULL when the block
 * wrote nothing (every transaction rejected): pointer arithmetic on NULL is
 * undefined (mvcc/parallel.c, par_final_one). The input is in
 * tests/fuzz/regressions/fuzz_diff/ubsan-null-offset-par-final. */
static void run_workers(void *runner, unsigned k, cx_worker_fn fn, void *arg) {
  (void)runner;
  for (unsigned w = 0; w < k; w++)
    fn(arg, w); /* one worker (k == 1): nothing waits on another */
}

static int zero_read(void *ctx, const cx_key *key, uint64_t *v0, uint64_t *v1) {
  (void)ctx;
  (void)key;
  *v0 = *v1 = 0;
  return 0;
}

/* Runs n decoded transactions on Block-STM (forced, one worker) over an
 * all-zero base state; fills statuses and returns the number of writes. */
static size_t run_forced_parallel(size_t n, const cx_tx *txs,
                                  const uint8_t *sig_ok,
                                  const uint8_t (*senders)[20],
                                  uint8_t *statuses) {
  cx_executor_config cfg = {.threads = 1, .run = run_workers,
                            .min_parallel_txs = 1,
                            .force_path = CX_EXEC_PARALLEL};
  cx_error err = {0};
  cx_executor *x = cx_executor_create(&cfg, &err);
  cr_assert_not_null(x, "%s", err.message);
  cx_exec_input in = {n, txs, sig_ok, senders};
  cx_exec_output out;
  memset(&out, 0, sizeof out);
  out.statuses = statuses;
  cr_assert_eq(cx_executor_run(x, &in, zero_read, NULL, &out, &err), 0, "%s",
               err.message);
  size_t n_writes = out.n_writes;
  cx_executor_destroy(x);
  return n_writes;
}

Test(reliability_regressions, parallel_block_without_writes) {
  enum { N = 8 };
  uint8_t wire[N][CX_TX_MAX_LEN];
  cx_tx txs[N];
  uint8_t sig_ok[N], senders[N][20], statuses[N];
  uint8_t pub[33], key[32], sig[64] = {0};
  memset(pub, 0x02, sizeof pub);
  memset(key, 0x11, sizeof key);
  for (int i = 0; i < N; i++) {
    cx_tx_builder b;
    cx_tx_build_begin(&b, wire[i], pub, 0);
    cr_assert(cx_tx_build_op(&b, CX_OP_SET, key, NULL, 7));
    size_t len = cx_tx_build_finish(&b, sig);
    cr_assert(cx_tx_decode(wire[i], len, &txs[i]));
    sig_ok[i] = 0; /* every tx BAD_SIGNATURE: the block writes nothing */
    cx_address_of(pub, senders[i]);
  }
  cr_expect_eq(run_forced_parallel(N, txs, sig_ok,
                                   (const uint8_t(*)[20])senders, statuses),
               0u);
  for (int i = 0; i < N; i++)
    cr_expect_eq(statuses[i], CX_TX_BAD_SIGNATURE);
}

/* Found by tests/fuzz/fuzz_diff (UBSan): a block of zero transactions on
 * the forced parallel path called memset(NULL, 0, 0) in cx_stm_reset
 * (mvcc/scheduler.c); memset's pointer is declared nonnull, so even a
 * zero-length call with NULL is undefined. Input:
 * tests/fuzz/regressions/fuzz_diff/ubsan-memset-null-empty-block. */
Test(reliability_regressions, parallel_empty_block) {
  uint8_t statuses[1] = {0}, sig_ok[1] = {0}, senders[1][20] = {{0}};
  cx_tx txs[1];
  memset(txs, 0, sizeof txs);
  cr_expect_eq(run_forced_parallel(0, txs, sig_ok,
                                   (const uint8_t(*)[20])senders, statuses),
               0u);
}

/* Found by the ASan+UBSan stage of CI (reliability_soak, seed
 * 1795633374201790331): when the first transaction of a generated block
 * was an injected empty one, the generator appended 0 bytes to a block
 * arena not allocated yet, memcpy(NULL, src, 0) (engine/fixture_gen.c),
 * undefined even for 0 bytes. One-transaction blocks, every transaction
 * bad: some blocks start (and end) with an empty one. */
Test(reliability_regressions, generated_block_starting_empty) {
  cx_fixture_gen_params gp = {.accounts = 4, .blocks = 96, .txs = 1,
                              .mix = CX_FIXTURE_MIX_TRANSFER,
                              .bad_rate = 1.0, .seed = 7, .threads = 1};
  cx_error err = {0};
  cx_fixture *f = NULL;
  cr_assert_eq(cx_fixture_generate(&gp, &f, &err), CX_OK, "%s", err.message);
  size_t empty = 0;
  for (size_t b = 0; b < f->n_blocks; b++) {
    cr_assert_eq(f->blocks[b].tx_count, 1u);
    cr_assert_not_null(f->blocks[b].txs[0]);
    empty += f->blocks[b].tx_lens[0] == 0;
  }
  cr_assert_gt(empty, 0u, "no block starts with an empty transaction");
  cx_fixture_free(f);
}
