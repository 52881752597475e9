/* Soak: many blocks of mixed transactions, each segment of 1..4 blocks run
 * by an engine reopened on the same database with a random thread count,
 * strategy, GPU spec (none, sim, sim with faults) and pipeline setting,
 * against the sequential reference.
 *
 * The reference is the fixture generator's `expect` (cx_fixture_generate
 * with compute_expect: strategy cpu, one thread, the sequential path). Every
 * block's statuses and four roots must equal it. A short run (24 blocks of
 * 40 transactions) is the CI test; CX_SOAK=1 runs 1000 blocks of 100
 * (CX_TEST_ITERS overrides the block count). CX_TEST_SEED replays a run.
 */
/* CX_TEST_LABEL_CONCURRENCY */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainexec.h"
#include "cx_test.h"
#include "fixture.h"
#include "fixture_gen.h"

TestSuite(reliability_soak);

typedef struct soak_config {
  unsigned threads;
  cx_strategy_kind strategy;
  const char *gpu;
  bool pipeline;
} soak_config;

static void pick_config(cx_rng *rng, soak_config *c) {
  static const unsigned threads[] = {1, 2, 3, 4, 7};
  static const char *const gpus[] = {NULL, "sim",
                                     "sim:fail=0.2,wrong=0.1,hang=0.02,"
                                     "delay_us=50"};
  c->threads = threads[cx_rng_below(rng, 5)];
  c->strategy = (cx_strategy_kind)cx_rng_below(rng, 4);
  c->gpu = gpus[cx_rng_below(rng, 3)];
  c->pipeline = cx_rng_below(rng, 2) == 1;
}

static cx_engine *open_engine(const char *db, const soak_config *c) {
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.db_path = db;
  cfg.threads = c->threads;
  cfg.strategy = c->strategy;
  cfg.gpu = c->gpu;
  cfg.pipeline = c->pipeline;
  cfg.durability = CX_NOSYNC; /* the soak checks results, not fsync */
  cx_error err = {0};
  cx_engine *e = cx_engine_open(&cfg, &err);
  cr_assert_not_null(e, "open (threads %u, strategy %d, gpu %s): %s",
                     c->threads, (int)c->strategy, c->gpu ? c->gpu : "none",
                     err.message);
  return e;
}


Test(reliability_soak, random_configs_match_sequential, .timeout = 3000) {
  bool full = getenv("CX_SOAK") && strcmp(getenv("CX_SOAK"), "1") == 0;
  uint64_t seed = cx_test_seed("reliability_soak");
  cx_rng rng = {seed};
  cx_fixture_gen_params gp = {.accounts = 64,
                              .blocks = cx_test_iters(full ? 1000 : 24),
                              .txs = full ? 100 : 40,
                              .mix = CX_FIXTURE_MIX_MIXED,
                              .bad_rate = 0.05,
                              .seed = seed,
                              .threads = 2,
                              .compute_expect = true};
  cx_error err = {0};
  cx_fixture *f = NULL;
  cr_assert_eq(cx_fixture_generate(&gp, &f, &err), CX_OK, "%s", err.message);
  cr_assert(f->has_expect);

  char *db = cx_test_mkdtemp("soak"); /* removed at exit, also on failure */
  cr_assert_not_null(db);
  soak_config c = {1, CX_STRATEGY_KIND_CPU, NULL, false};
  cx_engine *e = open_engine(db, &c);
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(e, f->accounts, f->n_accounts, f->kv,
                                      f->n_kv, root, &err),
               CX_OK, "%s", err.message);
  cr_assert_eq(memcmp(root, f->expect_genesis_root, 32), 0);
  cx_engine_close(e);

  size_t done_blocks = 0, segments = 0;
  unsigned by_strategy[4] = {0}, with_sim = 0;
  while (done_blocks < f->n_blocks) {
    pick_config(&rng, &c);
    size_t n = 1 + cx_rng_below(&rng, 4);
    if (n > f->n_blocks - done_blocks)
      n = f->n_blocks - done_blocks;
    e = open_engine(db, &c);
    cr_assert_eq(cx_engine_height(e), done_blocks);
    cx_block blocks[4];
    cx_block_result res[4];
    memset(res, 0, sizeof res);
    for (size_t k = 0; k < n; k++)
      cx_fixture_block_view(f, done_blocks + k, &blocks[k]);
    size_t ok = 0;
    int rc = cx_engine_execute_blocks(e, n, blocks, res, &ok, &err);
    cr_assert_eq(rc, CX_OK,
                 "block %zu (threads %u, strategy %d, gpu %s, pipeline %d): "
                 "%s (CX_TEST_SEED=%llu)",
                 done_blocks + ok + 1, c.threads, (int)c.strategy,
                 c.gpu ? c.gpu : "none", c.pipeline, err.message,
                 (unsigned long long)seed);
    for (size_t k = 0; k < n; k++) {
      cx_fixture_expect got;
      cr_assert_eq(cx_fixture_expect_from_result(&res[k], &got, &err), CX_OK);
      const char *diff = cx_fixture_expect_diff(&f->expect[done_blocks + k],
                                                &got);
      cr_assert_null(diff,
                     "block %zu: %s differs from the sequential reference "
                     "(threads %u, strategy %d, gpu %s, pipeline %d, "
                     "CX_TEST_SEED=%llu)",
                     done_blocks + k + 1, diff, c.threads, (int)c.strategy,
                     c.gpu ? c.gpu : "none", c.pipeline,
                     (unsigned long long)seed);
      cx_fixture_expect_clear(&got);
      cx_block_result_free(&res[k]);
    }
    cx_engine_close(e);
    done_blocks += n;
    segments++;
    by_strategy[c.strategy]++;
    with_sim += c.gpu != NULL;
  }
  fprintf(stderr,
          "reliability_soak: %zu blocks in %zu segments (strategies auto %u, "
          "cpu %u, gpu %u, balance %u; %u with a sim device), all equal to "
          "the sequential reference\n",
          done_blocks, segments, by_strategy[0], by_strategy[1],
          by_strategy[2], by_strategy[3], with_sim);
  cx_fixture_free(f);
  cx_test_rmtree(db);
  free(db);
}
