/* ThreadSanitizer driver for mvcc (see tsan_driver.h): Block-STM at 2, 3,
 * 4 and 8 workers (and forced claim batches) against the sequential
 * executor on random blocks from mvcc/blockgen.h; any difference, or any
 * race TSan sees in the scheduler, the multi-version memory or the final
 * pass, fails it. The same scenario as tests/test_mvcc_property.c, fewer
 * blocks (TSan is slow); CX_TEST_ITERS for more. */
#include <stdio.h>

#include "blockgen.h"
#include "mvcc.h"
#include "pool.h"
#include "tsan_driver.h"

int main(void) {
  static const unsigned threads[] = {2, 3, 4, 8, 2, 3};
  static const unsigned batch[] = {0, 0, 0, 0, 16, 64};
  enum { NX = sizeof threads / sizeof threads[0] };
  uint64_t iters = cx_test_iters(300);
  cx_blockgen *g = cx_blockgen_create(cx_test_seed("tsan_mvcc"));
  TSAN_CHECK(g != NULL, "out of memory");
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(8, &err);
  TSAN_CHECK(pool != NULL, "%s", err.message);
  cx_executor_config sc = {.threads = 1, .force_path = CX_EXEC_SEQUENTIAL};
  cx_executor *seq = cx_executor_create(&sc, &err), *xs[NX];
  TSAN_CHECK(seq != NULL, "%s", err.message);
  for (unsigned t = 0; t < NX; t++) {
    cx_executor_config c = {.threads = threads[t], .run = cx_pool_run_workers,
                            .runner = pool, .force_path = CX_EXEC_PARALLEL,
                            .claim_batch = batch[t]};
    xs[t] = cx_executor_create(&c, &err);
    TSAN_CHECK(xs[t] != NULL, "%s", err.message);
  }
  static uint8_t ref_st[CX_BLOCKGEN_MAX_TXS], st[CX_BLOCKGEN_MAX_TXS];
  uint64_t reexecutions = 0;
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
      reexecutions += out.counters.reexecutions;
    }
    TSAN_CHECK(cx_memstate_put(base, ref.writes, ref.n_writes) == 0, "put");
  }
  printf("tsan_mvcc: %llu blocks x %d parallel executors match the "
         "sequential one (%llu re-executions)\n",
         (unsigned long long)iters, (int)NX, (unsigned long long)reexecutions);
  for (unsigned t = 0; t < NX; t++)
    cx_executor_destroy(xs[t]);
  cx_executor_destroy(seq);
  cx_pool_destroy(pool);
  cx_blockgen_destroy(g);
  return 0;
}
