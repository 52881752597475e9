/* Property: the parallel executors (Block-STM, planned) give exactly the
 * sequential executor's statuses and write set, on random blocks (mvcc/blockgen.h:
 * 2 to 10,000 accounts, hot kv keys, every op kind with APPEND chains, bad
 * signatures, malformed flags, bad nonces, insufficient funds, values at
 * 2^64-1) at 1, 2, 3, 4 and 8 threads and with forced claim batches, and
 * so does the automatic path choice. Each world runs a chain of blocks,
 * each block starting from the state the previous one left.
 * CX_TEST_ITERS sets the number of blocks (soak).
 * CX_TEST_LABEL_CONCURRENCY */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockgen.h"
#include "cx_test.h"
#include "mvcc.h"
#include "pool.h"
#include "tx.h"

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
  /* Block-STM first, then the planned path (also with small and large
   * claims, so that deferral meets conflicts), then the automatic choice
   * (the last one). */
  static const unsigned threads[] = {1, 2, 3, 4, 8, 2, 3, 4,
                                     1, 2, 3, 4, 8, 2, 4, 2};
  static const unsigned batch[] = {0, 0, 0, 0, 0, 16, 5, 64,
                                   0, 0, 0, 0, 0, 1, 200, 0};
  enum { NX = sizeof threads / sizeof threads[0], NSTM = 8 };
  uint64_t iters = cx_test_iters(2000);
  cx_blockgen *g = cx_blockgen_create(cx_test_seed("mvcc_property"));
  cr_assert_not_null(g);
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(8, &err);
  cr_assert_not_null(pool, "%s", err.message);
  cx_executor *seq = make(pool, 1, CX_EXEC_SEQUENTIAL, 0), *xs[NX];
  for (unsigned t = 0; t < NX; t++)
    xs[t] = make(pool, threads[t],
                 t + 1 == NX ? -1
                 : t < NSTM  ? CX_EXEC_PARALLEL
                             : CX_EXEC_PLANNED,
                 batch[t]);
  static uint8_t ref_st[CX_BLOCKGEN_MAX_TXS], st[CX_BLOCKGEN_MAX_TXS];
  cx_exec_counters sum = {0};
  uint64_t parallel_runs = 0, planned_runs = 0, fallbacks = 0;
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
                "block %llu (n=%zu, accounts=%u), %u threads, batch %u, %s: "
                "%s (vs sequential)",
                (unsigned long long)it, in.n, cx_blockgen_accounts(g),
                threads[t], batch[t],
                t + 1 == NX ? "automatic" : t < NSTM ? "Block-STM" : "planned",
                why);
      if (t >= NSTM && t + 1 < NX) {
        cr_assert_eq(out.counters.planned, 1);
        planned_runs++;
        fallbacks += out.counters.path == CX_EXEC_SEQUENTIAL;
        cr_assert(out.counters.path == CX_EXEC_PLANNED ||
                  out.counters.reason == CX_EXEC_WHY_CONFLICT);
      } else if (t + 1 < NX) {
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
          "waits; %llu planned runs, %llu fell back\n",
          (unsigned long long)iters, (unsigned long long)parallel_runs,
          (unsigned long long)sum.executions,
          (unsigned long long)sum.reexecutions,
          (unsigned long long)sum.validation_failures,
          (unsigned long long)sum.dependency_waits,
          (unsigned long long)planned_runs, (unsigned long long)fallbacks);
  for (unsigned t = 0; t < NX; t++)
    cx_executor_destroy(xs[t]);
  cx_executor_destroy(seq);
  cx_pool_destroy(pool);
  cx_blockgen_destroy(g);
}

/* A block touching far more keys than the parallel path's first guess of
 * a few per transaction (64 ops each, most on keys of their own, some on
 * shared keys that make transactions depend on each other): Block-STM
 * stops, sizes its memory exactly and runs the block again, with the
 * sequential executor's result. */
Test(mvcc_property, many_keys_per_transaction) {
  enum { T = 48, OPS = 64 };
  static uint8_t wire[T][CX_TX_MAX_LEN], senders[T][20];
  static cx_tx txs[T];
  static uint8_t sig_ok[T], ref_st[T], st[T];
  static const uint8_t pubkey[33] = {2}, sig[64];
  for (unsigned i = 0; i < T; i++) {
    memset(senders[i], 0, 20);
    senders[i][0] = 0xa0;
    senders[i][1] = (uint8_t)i;
    cx_tx_builder b;
    cx_tx_build_begin(&b, wire[i], pubkey, 0);
    for (unsigned o = 0; o < OPS; o++) {
      uint8_t key[32] = {0};
      key[0] = (uint8_t)(o * 37); /* spread over the final pass's parts */
      key[1] = (uint8_t)o;
      uint8_t code = CX_OP_SET;
      if (o % 16 == 0) { /* shared: read-modify-write, a dependency */
        key[2] = 0xee;
        code = CX_OP_ADD;
      } else if (o % 16 == 1) {
        key[2] = 0xef; /* shared counter: writes a slot derived from it */
        code = CX_OP_APPEND;
      } else {
        key[2] = (uint8_t)i; /* the transaction's own key */
      }
      cr_assert(cx_tx_build_op(&b, code, key, NULL, 1 + i + o));
    }
    size_t len = cx_tx_build_finish(&b, sig);
    cr_assert(cx_tx_decode(wire[i], len, &txs[i]));
    sig_ok[i] = 1;
  }
  cx_exec_input in = {T, txs, sig_ok, (const uint8_t(*)[20])senders};
  cx_memstate *base = cx_memstate_create();
  cr_assert_not_null(base);
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(4, &err);
  cr_assert_not_null(pool, "%s", err.message);
  cx_executor *seq = make(pool, 1, CX_EXEC_SEQUENTIAL, 0);
  cx_exec_output ref = {.statuses = ref_st};
  cr_assert_eq(cx_executor_run(seq, &in, cx_memstate_read, base, &ref, &err),
               0, "%s", err.message);
  cr_assert_gt(ref.n_writes, (size_t)(T * OPS / 2));
  cx_exec_result want = {T, ref_st, ref.writes, ref.n_writes};
  static const unsigned threads[] = {1, 2, 4};
  for (unsigned t = 0; t < 3; t++) {
    cx_executor *x = make(pool, threads[t], CX_EXEC_PARALLEL, 0);
    for (int rep = 0; rep < 3; rep++) { /* memory reused between runs */
      cx_exec_output out = {.statuses = st};
      cr_assert_eq(cx_executor_run(x, &in, cx_memstate_read, base, &out,
                                   &err),
                   0, "%s", err.message);
      cr_assert_eq(out.counters.path, CX_EXEC_PARALLEL);
      cx_exec_result got = {T, st, out.writes, out.n_writes};
      char why[160];
      cr_assert(cx_exec_same(&got, &want, why, sizeof why),
                "%u threads, run %d: %s", threads[t], rep, why);
    }
    cx_executor_destroy(x);
  }
  cx_executor_destroy(seq);
  cx_pool_destroy(pool);
  cx_memstate_destroy(base);
}

/* A base read that fails on its `fail_at`-th call (counted across
 * workers), else reads the memstate. */
typedef struct flaky_base {
  cx_memstate *base;
  atomic_uint calls;
  unsigned fail_at;
} flaky_base;

static int flaky_read(void *ctx, const cx_key *key, uint64_t *v0,
                      uint64_t *v1) {
  flaky_base *f = ctx;
  if (atomic_fetch_add(&f->calls, 1) + 1 == f->fail_at) {
    *v0 = *v1 = 0;
    return CX_EIO;
  }
  return cx_memstate_read(f->base, key, v0, v1);
}

/* A block abandoned midway (a base read fails while transactions are
 * executing, suspended or holding locks) leaves the executor reusable: the
 * next blocks on it still match the sequential executor. */
Test(mvcc_property, executor_reusable_after_failed_block) {
  cx_blockgen *g = cx_blockgen_create(cx_test_seed("mvcc_reuse"));
  cr_assert_not_null(g);
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(4, &err);
  cr_assert_not_null(pool, "%s", err.message);
  cx_executor *seq = make(pool, 1, CX_EXEC_SEQUENTIAL, 0);
  cx_executor *xs[2] = {make(pool, 2, CX_EXEC_PARALLEL, 0),
                        make(pool, 4, CX_EXEC_PARALLEL, 0)};
  static uint8_t ref_st[CX_BLOCKGEN_MAX_TXS], st[CX_BLOCKGEN_MAX_TXS];
  uint64_t iters = cx_test_iters(300), failed = 0;
  for (uint64_t it = 0; it < iters; it++) {
    if (it % 8 == 0 && it > 0)
      cr_assert_eq(cx_blockgen_new_world(g), 0);
    cx_exec_input in;
    cr_assert_eq(cx_blockgen_block(g, cx_blockgen_size(g), &in), 0);
    cx_memstate *base = cx_blockgen_state(g);
    cx_executor *x = xs[it % 2];
    /* First a failing run of this block... */
    flaky_base f = {base, 0, 1 + (unsigned)(it * 7919 % (2 * in.n + 1))};
    cx_exec_output out = {.statuses = st};
    int rc = cx_executor_run(x, &in, flaky_read, &f, &out, &err);
    cr_assert(rc == 0 || rc == CX_EIO, "block %llu: %s",
              (unsigned long long)it, err.message);
    failed += rc == CX_EIO;
    /* ...then the same block again on the same executor. */
    cx_exec_output ref = {.statuses = ref_st};
    cr_assert_eq(cx_executor_run(seq, &in, cx_memstate_read, base, &ref,
                                 &err),
                 0, "%s", err.message);
    out = (cx_exec_output){.statuses = st};
    cr_assert_eq(cx_executor_run(x, &in, cx_memstate_read, base, &out, &err),
                 0, "%s", err.message);
    cx_exec_result want = {in.n, ref_st, ref.writes, ref.n_writes};
    cx_exec_result got = {in.n, st, out.writes, out.n_writes};
    char why[160];
    cr_assert(cx_exec_same(&got, &want, why, sizeof why), "block %llu: %s",
              (unsigned long long)it, why);
    cr_assert_eq(cx_memstate_put(base, ref.writes, ref.n_writes), 0);
  }
  cr_assert_gt(failed, iters / 4, "only %llu of %llu runs failed",
               (unsigned long long)failed, (unsigned long long)iters);
  for (int i = 0; i < 2; i++)
    cx_executor_destroy(xs[i]);
  cx_executor_destroy(seq);
  cx_pool_destroy(pool);
  cx_blockgen_destroy(g);
}
