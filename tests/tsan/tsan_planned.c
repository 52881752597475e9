/* ThreadSanitizer driver for mvcc's planned path (see tsan_driver.h): the
 * planned executor at 2, 3, 4 and 8 workers (and forced claim batches)
 * against the sequential executor on random blocks from mvcc/blockgen.h;
 * any difference, or any race TSan sees in the planning phases (claims,
 * slot chunks, partitions), the predecessor waits, the slot overlay or the
 * shared final pass, fails it. Every few blocks one more block names an
 * APPEND slot key it also writes (another transaction SETs it), so the
 * stop-and-fall-back path runs under TSan too. CX_TEST_ITERS for more. */
#include <stdio.h>
#include <string.h>

#include "blockgen.h"
#include "mvcc.h"
#include "pool.h"
#include "sha256.h"
#include "tsan_driver.h"

/* A block of 200 transfers among fresh accounts, with, halfway, one
 * transaction that APPENDs to a counter at 0 and, 50 transactions later,
 * one that SETs H(counter || 0): the planned run must stop and fall back.
 * Returns the executors' fallback count (each must fall back). */
static uint64_t conflict_block(cx_executor *seq, cx_executor **xs, unsigned nx,
                               cx_memstate *base) {
  enum { N = 200 };
  static uint8_t wire[N][CX_TX_MAX_LEN], senders[N][20], sig_ok[N];
  static uint8_t ref_st[N], st[N];
  static cx_tx txs[N];
  static const uint8_t pubkey[33] = {2}, sig[64];
  static uint64_t round;
  uint8_t counter[32] = {0xcc}, slot[32], msg[40];
  round++;
  memcpy(counter + 1, &round, sizeof round); /* a new counter, at 0 */
  memcpy(msg, counter, 32);
  cx_store_u64le(msg + 32, 0);
  cx_sha256(msg, sizeof msg, slot);
  for (unsigned i = 0; i < N; i++) {
    memset(senders[i], 0, 20);
    senders[i][0] = 0xee;
    memcpy(senders[i] + 1, &round, sizeof round);
    senders[i][9] = (uint8_t)i; /* one account each: nonce 0, balance 0 */
    cx_tx_builder b;
    cx_tx_build_begin(&b, wire[i], pubkey, 0);
    uint8_t to[20] = {0xef, (uint8_t)i};
    if (i == N / 2)
      cx_tx_build_op(&b, CX_OP_APPEND, counter, NULL, 5);
    else if (i == N / 2 + 50)
      cx_tx_build_op(&b, CX_OP_SET, slot, NULL, 6);
    else
      cx_tx_build_op(&b, CX_OP_TRANSFER, to, NULL, 0);
    size_t len = cx_tx_build_finish(&b, sig);
    TSAN_CHECK(cx_tx_decode(wire[i], len, &txs[i]), "decode");
    sig_ok[i] = 1;
  }
  cx_exec_input in = {N, txs, sig_ok, (const uint8_t(*)[20])senders};
  cx_error err = {0};
  cx_exec_output ref = {.statuses = ref_st};
  TSAN_CHECK(cx_executor_run(seq, &in, cx_memstate_read, base, &ref, &err) ==
                 0,
             "%s", err.message);
  cx_exec_result want = {N, ref_st, ref.writes, ref.n_writes};
  uint64_t fell = 0;
  for (unsigned t = 0; t < nx; t++) {
    cx_exec_output out = {.statuses = st};
    TSAN_CHECK(cx_executor_run(xs[t], &in, cx_memstate_read, base, &out,
                               &err) == 0,
               "%s", err.message);
    cx_exec_result got = {N, st, out.writes, out.n_writes};
    char why[160];
    TSAN_CHECK(cx_exec_same(&got, &want, why, sizeof why),
               "conflict block, executor %u: %s", t, why);
    TSAN_CHECK(out.counters.reason == CX_EXEC_WHY_CONFLICT,
               "executor %u did not fall back", t);
    fell++;
  }
  /* The base stays as it was: the next random block reads it. */
  return fell;
}

int main(void) {
  static const unsigned threads[] = {2, 3, 4, 8, 2, 3};
  static const unsigned batch[] = {0, 0, 0, 0, 1, 200};
  enum { NX = sizeof threads / sizeof threads[0] };
  uint64_t iters = cx_test_iters(300);
  cx_blockgen *g = cx_blockgen_create(cx_test_seed("tsan_planned"));
  TSAN_CHECK(g != NULL, "out of memory");
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(8, &err);
  TSAN_CHECK(pool != NULL, "%s", err.message);
  cx_executor_config sc = {.threads = 1, .force_path = CX_EXEC_SEQUENTIAL};
  cx_executor *seq = cx_executor_create(&sc, &err), *xs[NX];
  TSAN_CHECK(seq != NULL, "%s", err.message);
  for (unsigned t = 0; t < NX; t++) {
    cx_executor_config c = {.threads = threads[t], .run = cx_pool_run_workers,
                            .runner = pool, .force_path = CX_EXEC_PLANNED,
                            .claim_batch = batch[t]};
    xs[t] = cx_executor_create(&c, &err);
    TSAN_CHECK(xs[t] != NULL, "%s", err.message);
  }
  static uint8_t ref_st[CX_BLOCKGEN_MAX_TXS], st[CX_BLOCKGEN_MAX_TXS];
  uint64_t deferrals = 0, fallbacks = 0;
  for (uint64_t it = 0; it < iters; it++) {
    if (it % 8 == 0 && it > 0)
      TSAN_CHECK(cx_blockgen_new_world(g) == 0, "out of memory");
    cx_exec_input in;
    size_t n = cx_blockgen_size(g);
    TSAN_CHECK(cx_blockgen_block(g, n > 400 ? 400 : n, &in) == 0, "gen");
    cx_memstate *base = cx_blockgen_state(g);
    cx_exec_output ref = {.statuses = ref_st};
    TSAN_CHECK(cx_executor_run(seq, &in, cx_memstate_read, base, &ref,
                               &err) == 0,
               "%s", err.message);
    cx_exec_result want = {in.n, ref_st, ref.writes, ref.n_writes};
    for (unsigned t = 0; t < NX; t++) {
      cx_exec_output out = {.statuses = st};
      TSAN_CHECK(cx_executor_run(xs[t], &in, cx_memstate_read, base, &out,
                                 &err) == 0,
                 "%s", err.message);
      cx_exec_result got = {in.n, st, out.writes, out.n_writes};
      char why[160];
      TSAN_CHECK(cx_exec_same(&got, &want, why, sizeof why),
                 "block %llu, %u threads, batch %u: %s",
                 (unsigned long long)it, threads[t], batch[t], why);
      deferrals += out.counters.dependency_waits;
      fallbacks += out.counters.path == CX_EXEC_SEQUENTIAL;
    }
    TSAN_CHECK(cx_memstate_put(base, ref.writes, ref.n_writes) == 0, "put");
    if (it % 4 == 3)
      fallbacks += conflict_block(seq, xs, NX, base);
  }
  printf("tsan_planned: %llu blocks x %d planned executors match the "
         "sequential one (%llu deferrals, %llu fell back)\n",
         (unsigned long long)iters, (int)NX, (unsigned long long)deferrals,
         (unsigned long long)fallbacks);
  TSAN_CHECK(fallbacks > 0, "no block fell back");
  for (unsigned t = 0; t < NX; t++)
    cx_executor_destroy(xs[t]);
  cx_executor_destroy(seq);
  cx_pool_destroy(pool);
  cx_blockgen_destroy(g);
  return 0;
}
