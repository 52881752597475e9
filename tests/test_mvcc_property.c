/* Property: the parallel executor (Block-STM) gives exactly the sequential
 * executor's statuses and write set, on random blocks (mvcc/blockgen.h:
 * 2 to 10,000 accounts, hot kv keys, every op kind with APPEND chains, bad
 * signatures, malformed flags, bad nonces, insufficient funds, values at
 * 2^64-1) at 1, 2, 3, 4 and 8 threads and with forced claim batches, and
 * so does the automatic path choice. Each world runs a chain of blocks,
 * each block starting from the state the previous one left.
 * CX_TEST_ITERS sets the number of blocks (soak).
 * CX_TEST_LABEL_CONCURRENCY */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "blockgen.h"
#include "cx_test.h"
#include "mvcc.h"
#include "pool.h"

static cx_executor *make(cx_pool *pool, unsigned threads, int path,
                         unsigned batch) {
  cx_executor_config cfg = {.threads = threads, .run = cx_pool_run_workers,
                            .runner = pool, .force_path = path,
                            .claim_batch = batch};
  cx_error err = {0};
  cx_executor *x = cx_executor_create(&cfg, &err);
  cr_assert_not_null(x, "%s", err.message);
  return x;
}

Test(mvcc_property, parallel_equals_sequential) {
  /* Thread counts, each with a claim batch: automatic, or forced larger
   * than neighbours' independence warrants, so the batched scheduler path
   * meets conflicts too. The last one is the automatic path choice. */
  static const unsigned threads[] = {1, 2, 3, 4, 8, 2, 3, 2};
  static const unsigned batch[] = {0, 0, 0, 0, 0, 16, 5, 0};
  enum { NX = sizeof threads / sizeof threads[0] };
  uint64_t iters = cx_test_iters(2000);
  cx_blockgen *g = cx_blockgen_create(cx_test_seed("mvcc_property"));
  cr_assert_not_null(g);
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(8, &err);
  cr_assert_not_null(pool, "%s", err.message);
  cx_executor *seq = make(pool, 1, CX_EXEC_SEQUENTIAL, 0), *xs[NX];
  for (unsigned t = 0; t < NX; t++)
    xs[t] = make(pool, threads[t], t + 1 < NX ? CX_EXEC_PARALLEL : -1,
                 batch[t]);
  static uint8_t ref_st[CX_BLOCKGEN_MAX_TXS], st[CX_BLOCKGEN_MAX_TXS];
  cx_exec_counters sum = {0};
  uint64_t parallel_runs = 0;
  for (uint64_t it = 0; it < iters; it++) {
    if (it % 8 == 0 && it > 0) /* a new world every few blocks */
      cr_assert_eq(cx_blockgen_new_world(g), 0);
    cx_exec_input in;
    cr_assert_eq(cx_blockgen_block(g, cx_blockgen_size(g), &in), 0);
    cx_memstate *base = cx_blockgen_state(g);
    cx_exec_output ref = {.statuses = ref_st};
    cr_assert_eq(cx_executor_run(seq, &in, cx_memstate_read, base, &ref,
                                 &err),
                 0, "%s", err.message);
    cr_assert_eq(ref.counters.path, CX_EXEC_SEQUENTIAL);
    cx_exec_result want = {in.n, ref_st, ref.writes, ref.n_writes};
    for (unsigned t = 0; t < NX; t++) {
      cx_exec_output out = {.statuses = st};
      cr_assert_eq(cx_executor_run(xs[t], &in, cx_memstate_read, base, &out,
                                   &err),
                   0, "%s", err.message);
      cx_exec_result got = {in.n, st, out.writes, out.n_writes};
      char why[160];
      cr_assert(cx_exec_same(&got, &want, why, sizeof why),
                "block %llu (n=%zu, accounts=%u), %u threads, batch %u%s: "
                "%s (parallel vs sequential)",
                (unsigned long long)it, in.n, cx_blockgen_accounts(g),
                threads[t], batch[t], t + 1 < NX ? "" : ", automatic", why);
      if (t + 1 < NX) {
        cr_assert_eq(out.counters.path, CX_EXEC_PARALLEL);
        parallel_runs++;
        sum.executions += out.counters.executions;
        sum.reexecutions += out.counters.reexecutions;
        sum.validation_failures += out.counters.validation_failures;
        sum.dependency_waits += out.counters.dependency_waits;
      }
    }
    /* The next block starts from this one's state, as in a chain. */
    cr_assert_eq(cx_memstate_put(base, ref.writes, ref.n_writes), 0);
  }
  fprintf(stderr,
          "mvcc_property: %llu blocks, %llu parallel runs: %llu executions, "
          "%llu re-executions, %llu validation failures, %llu dependency "
          "waits\n",
          (unsigned long long)iters, (unsigned long long)parallel_runs,
          (unsigned long long)sum.executions,
          (unsigned long long)sum.reexecutions,
          (unsigned long long)sum.validation_failures,
          (unsigned long long)sum.dependency_waits);
  for (unsigned t = 0; t < NX; t++)
    cx_executor_destroy(xs[t]);
  cx_executor_destroy(seq);
  cx_pool_destroy(pool);
  cx_blockgen_destroy(g);
}
