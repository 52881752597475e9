/* cx_engine_execute_blocks(): with stage overlap on and off, at several
 * thread counts, with every strategy, the `sim` device and `sim` with
 * injected faults, the results equal the reference block by block; a
 * failure in the middle of an overlapped run commits exactly the blocks
 * before it.
 * CX_TEST_LABEL_CONCURRENCY */
#include <sys/stat.h>

#include "test_engine_util.h"

#define N_BLOCKS 6

typedef struct chain {
  te_keys keys;
  cx_genesis_account *genesis;
  te_block blocks[N_BLOCKS];
  cx_block views[N_BLOCKS];
  te_ref_result want[N_BLOCKS];
  uint8_t final_root[32];
} chain;

static void chain_build(chain *c, uint64_t seed, size_t txs) {
  memset(c, 0, sizeof *c);
  cx_rng rng = {seed};
  te_keys_init(&c->keys, 32, seed);
  c->genesis = te_genesis_accounts(&c->keys, 100000000);
  te_ref ref;
  te_ref_init(&ref, c->genesis, c->keys.n, NULL, 0);
  for (int i = 0; i < N_BLOCKS; i++) {
    te_random_block(&c->blocks[i], &c->keys, &rng,
                    txs + cx_rng_below(&rng, txs / 2));
    te_ref_block(&ref, &c->blocks[i], &c->want[i]);
    te_keys_sync(&c->keys, &ref);
    c->views[i] = c->blocks[i].view;
  }
  memcpy(c->final_root, ref.state_root, 32);
  te_ref_free(&ref);
  /* The generator must cover every status, or the comparison is weak. */
  size_t seen[7] = {0};
  for (int i = 0; i < N_BLOCKS; i++)
    for (size_t t = 0; t < c->blocks[i].n; t++)
      seen[c->want[i].statuses[t]]++;
  for (int s = 0; s < 7; s++)
    cr_assert_gt(seen[s], 0, "no transaction with status %d", s);
}

static void chain_free(chain *c) {
  for (int i = 0; i < N_BLOCKS; i++) {
    te_block_free(&c->blocks[i]);
    free(c->want[i].statuses);
  }
  free(c->genesis);
  te_keys_free(&c->keys);
}

static cx_engine *chain_engine(const chain *c, const cx_config *cfg) {
  cx_error err = {0};
  cx_engine *e = cx_engine_open(cfg, &err);
  cr_assert_not_null(e, "open: %s", err.message);
  cr_assert_eq(cx_engine_load_genesis(e, c->genesis, c->keys.n, NULL, 0,
                                      NULL, &err),
               0, "%s", err.message);
  return e;
}

static size_t well_formed(const te_ref_result *want, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += want->statuses[i] != CX_TX_MALFORMED;
  return k;
}

static void check_results(const chain *c, const cx_block_result *out,
                          size_t from, size_t n, const char *what) {
  for (size_t i = 0; i < n; i++) {
    size_t b = from + i;
    te_expect_same(&out[i], &c->want[b], c->blocks[b].n, b + 1, what);
    const cx_block_counters *k = &out[i].counters;
    cr_assert_eq(k->verify_gpu_items + k->verify_cpu_items,
                 well_formed(&c->want[b], c->blocks[b].n),
                 "%s: every well-formed tx verified once", what);
    cr_assert_geq(k->executions, out[i].status_counts[0]);
    cr_assert(k->decode_s >= 0 && k->hash_s >= 0 && k->verify_s >= 0 &&
              k->execute_s >= 0 && k->roots_s >= 0 && k->commit_s >= 0);
  }
}

typedef struct variant {
  unsigned threads;
  cx_strategy_kind strategy;
  const char *gpu;
  bool pipeline;
  size_t threshold;
} variant;

static const variant variants[] = {
    {1, CX_STRATEGY_KIND_CPU, NULL, false, 0},
    {1, CX_STRATEGY_KIND_CPU, NULL, true, 0},
    {2, CX_STRATEGY_KIND_AUTO, NULL, true, 0},
    {2, CX_STRATEGY_KIND_CPU, "none", false, 0},
    {3, CX_STRATEGY_KIND_GPU, "sim", true, 0},
    {2, CX_STRATEGY_KIND_BALANCE, "sim", false, 0},
    {2, CX_STRATEGY_KIND_AUTO, "sim:delay_us=100", true, 16},
    {2, CX_STRATEGY_KIND_GPU, "sim:fail=0.3,wrong=0.2,delay_us=200,seed=7",
     true, 0},
    {4, CX_STRATEGY_KIND_BALANCE,
     "sim:fail=0.2,wrong=0.05,hang=0.01,delay_us=300,seed=3", true, 0},
    {2, CX_STRATEGY_KIND_GPU, "sim:fail=1", true, 0},
    {2, CX_STRATEGY_KIND_GPU, "sim:wrong=1,wrong_items=1", true, 0},
};

Test(pipeline, variants_identical_to_reference) {
  uint64_t seed = cx_test_seed("engine.pipeline.variants");
  chain c;
  chain_build(&c, seed, 200);
  for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
    const variant *var = &variants[v];
    char what[160];
    snprintf(what, sizeof what, "threads=%u strategy=%d gpu=%s pipeline=%d",
             var->threads, (int)var->strategy, var->gpu ? var->gpu : "-",
             var->pipeline);
    cx_config cfg;
    cx_config_default(&cfg);
    cfg.threads = var->threads;
    cfg.strategy = var->strategy;
    cfg.gpu = var->gpu;
    cfg.pipeline = var->pipeline;
    cfg.verify_threshold = cfg.sha_threshold = var->threshold;
    cfg.durability = CX_NOSYNC;
    cx_engine *e = chain_engine(&c, &cfg);
    cx_block_result out[N_BLOCKS];
    size_t done = 0;
    cx_error err = {0};
    cr_assert_eq(cx_engine_execute_blocks(e, N_BLOCKS, c.views, out, &done,
                                          &err),
                 0, "%s: %s", what, err.message);
    cr_assert_eq(done, N_BLOCKS, "%s", what);
    check_results(&c, out, 0, N_BLOCKS, what);
    uint8_t root[32];
    cx_engine_state_root(e, root);
    cr_assert_arr_eq(root, c.final_root, 32, "%s", what);
    for (int i = 0; i < N_BLOCKS; i++)
      cx_block_result_free(&out[i]);
    cx_engine_close(e);
  }
  chain_free(&c);
}

/* Mixed calls: single blocks and overlapped runs of several lengths, on a
 * persistent database reopened in between. */
Test(pipeline, chunks_and_reopen) {
  uint64_t seed = cx_test_seed("engine.pipeline.chunks");
  chain c;
  chain_build(&c, seed, 120);
  char *dir = te_mkdtemp();
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.db_path = dir;
  cfg.threads = 2;
  cx_engine *e = chain_engine(&c, &cfg);
  cx_block_result out[N_BLOCKS];
  size_t done;
  cx_error err = {0};
  cr_assert_eq(cx_engine_execute_block(e, &c.views[0], &out[0], &err), 0);
  cr_assert_eq(cx_engine_execute_blocks(e, 2, &c.views[1], &out[1], &done,
                                        &err),
               0, "%s", err.message);
  cr_assert_eq(done, 2);
  cx_engine_close(e);
  e = cx_engine_open(&cfg, &err);
  cr_assert_not_null(e, "%s", err.message);
  cr_assert_eq(cx_engine_height(e), 3);
  cr_assert_eq(cx_engine_execute_blocks(e, 3, &c.views[3], &out[3], &done,
                                        &err),
               0, "%s", err.message);
  cr_assert_eq(done, 3);
  check_results(&c, out, 0, N_BLOCKS, "chunks");
  cr_assert_eq(cx_engine_execute_blocks(e, 0, NULL, NULL, &done, &err), 0);
  cr_assert_eq(done, 0);
  for (int i = 0; i < N_BLOCKS; i++)
    cx_block_result_free(&out[i]);
  cx_engine_close(e);
  chain_free(&c);
  te_rmtree(dir);
}

/* A block over the limits in the middle of an overlapped run: the blocks
 * before it are committed and reported, nothing after it is. */
Test(pipeline, failure_midway_commits_prefix) {
  uint64_t seed = cx_test_seed("engine.pipeline.failure");
  chain c;
  chain_build(&c, seed, 60);
  for (int pipelined = 0; pipelined < 2; pipelined++) {
    cx_config cfg;
    cx_config_default(&cfg);
    cfg.threads = 2;
    cfg.pipeline = pipelined;
    cx_engine *e = chain_engine(&c, &cfg);
    cx_block views[N_BLOCKS];
    memcpy(views, c.views, sizeof views);
    static const uint8_t byte = 0;
    const uint8_t *ptrs[1] = {&byte};
    size_t lens[1] = {CX_MAX_BLOCK_BYTES + 1};
    views[3] = (cx_block){1, ptrs, lens};
    cx_block_result out[N_BLOCKS];
    size_t done = 99;
    cx_error err = {0};
    cr_assert_eq(cx_engine_execute_blocks(e, N_BLOCKS, views, out, &done,
                                          &err),
                 CX_ELIMIT, "%s", err.message);
    cr_assert_eq(done, 3, "pipeline=%d: %zu blocks done", pipelined, done);
    cr_assert(strstr(err.message, "block 4") != NULL, "%s", err.message);
    cr_assert(strstr(err.message, "height 3") != NULL, "%s", err.message);
    check_results(&c, out, 0, 3, "prefix");
    for (int i = 3; i < N_BLOCKS; i++)
      cr_assert_null(out[i].statuses, "block %d must not be reported", i);
    cr_assert_eq(cx_engine_height(e), 3);
    uint8_t root[32];
    cx_engine_state_root(e, root);
    cr_assert_arr_eq(root, c.want[2].state_root, 32);
    /* The rest goes through afterwards. */
    cr_assert_eq(cx_engine_execute_blocks(e, 3, &c.views[3], &out[3], &done,
                                          &err),
                 0, "%s", err.message);
    check_results(&c, out, 0, N_BLOCKS, "resumed");
    for (int i = 0; i < N_BLOCKS; i++)
      cx_block_result_free(&out[i]);
    cx_engine_close(e);
  }
  chain_free(&c);
}

/* Metrics read from another thread while an overlapped run commits. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

typedef struct reader_arg {
  cx_engine *e;
  atomic_int stop;
  atomic_int started; /* set after the first read */
  unsigned reads;
} reader_arg;

static void *metrics_reader(void *p) {
  reader_arg *a = p;
  char buf[65536];
  while (!atomic_load(&a->stop)) {
    size_t need = cx_engine_metrics(a->e, buf, sizeof buf);
    cr_assert_gt(need, 0);
    cr_assert(strstr(buf, "chainexec_blocks_total") != NULL);
    a->reads++;
    atomic_store(&a->started, 1);
  }
  return NULL;
}

Test(pipeline, metrics_while_running) {
  uint64_t seed = cx_test_seed("engine.pipeline.metrics");
  chain c;
  chain_build(&c, seed, 80);
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.threads = 2;
  cfg.gpu = "sim";
  cfg.durability = CX_NOSYNC;
  cx_engine *e = chain_engine(&c, &cfg);
  reader_arg a = {.e = e};
  atomic_init(&a.stop, 0);
  atomic_init(&a.started, 0);
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, metrics_reader, &a), 0);
  /* The reader is running before the blocks start, whatever the
   * scheduler does: reads > 0 below does not depend on timing. */
  while (!atomic_load(&a.started))
    sched_yield();
  cx_block_result out[N_BLOCKS];
  size_t done;
  cx_error err = {0};
  cr_assert_eq(cx_engine_execute_blocks(e, N_BLOCKS, c.views, out, &done,
                                        &err),
               0, "%s", err.message);
  atomic_store(&a.stop, 1);
  pthread_join(t, NULL);
  cr_assert_gt(a.reads, 0);
  check_results(&c, out, 0, N_BLOCKS, "with a metrics reader");
  char buf[65536];
  cx_engine_metrics(e, buf, sizeof buf);
  char line[64];
  snprintf(line, sizeof line, "\nchainexec_blocks_total %d\n", N_BLOCKS);
  cr_assert(strstr(buf, line) != NULL, "%s", buf);
  for (int i = 0; i < N_BLOCKS; i++)
    cx_block_result_free(&out[i]);
  cx_engine_close(e);
  chain_free(&c);
}

/* Blocks that outgrow a 1 MiB map while the next block executes over a
 * snapshot: the commit thread must grow the map (waiting for the
 * execution's snapshot to close) without losing or changing a block. */
Test(pipeline, map_growth_while_overlapped) {
  uint64_t seed = cx_test_seed("engine.pipeline.growth");
  te_keys k;
  te_keys_init(&k, 16, seed);
  cx_genesis_account *g = te_genesis_accounts(&k, 100000000);
  te_ref ref;
  te_ref_init(&ref, g, k.n, NULL, 0);
  enum { NB = 4, PER = 2500 };
  te_block blocks[NB];
  cx_block views[NB];
  te_ref_result want[NB];
  uint32_t fresh = 0;
  for (int b = 0; b < NB; b++) {
    memset(&blocks[b], 0, sizeof blocks[b]);
    for (int i = 0; i < PER; i++, fresh++) {
      uint8_t to[20] = {0x55};
      memcpy(to + 4, &fresh, sizeof fresh);
      te_push_transfer(&blocks[b], &k, (size_t)i % k.n, to, 1 + (uint64_t)i);
    }
    te_ref_block(&ref, &blocks[b], &want[b]);
    views[b] = blocks[b].view;
  }
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.threads = 2;
  cfg.map_size = 1u << 20;
  cfg.durability = CX_NOSYNC;
  cx_error err = {0};
  cx_engine *e = cx_engine_open(&cfg, &err);
  cr_assert_not_null(e, "%s", err.message);
  cr_assert_eq(cx_engine_load_genesis(e, g, k.n, NULL, 0, NULL, &err), 0,
               "%s", err.message);
  cx_block_result out[NB];
  size_t done = 0;
  cr_assert_eq(cx_engine_execute_blocks(e, NB, views, out, &done, &err), 0,
               "%s", err.message);
  cr_assert_eq(done, NB);
  for (int b = 0; b < NB; b++) {
    te_expect_same(&out[b], &want[b], PER, (uint64_t)b + 1, "growth");
    cr_assert_eq(out[b].status_counts[0], PER);
    cx_block_result_free(&out[b]);
    free(want[b].statuses);
    te_block_free(&blocks[b]);
  }
  uint8_t probe[20] = {0x55}, root[32];
  uint32_t last = fresh - 1;
  memcpy(probe + 4, &last, sizeof last);
  uint64_t bal, nonce;
  cr_assert_eq(cx_engine_get_account(e, probe, &bal, &nonce, &err), 0);
  cr_assert_eq(bal, PER);
  cx_engine_state_root(e, root);
  cr_assert_arr_eq(root, ref.state_root, 32);
  /* The data file outgrew the initial map, so the map did grow. */
  char data[512];
  snprintf(data, sizeof data, "%s/data.mdb", cx_engine_db_path(e));
  struct stat st;
  cr_assert_eq(stat(data, &st), 0, "%s", data);
  cr_assert_gt((size_t)st.st_size, cfg.map_size, "no growth happened");
  cx_engine_close(e);
  te_ref_free(&ref);
  free(g);
  te_keys_free(&k);
}

/* Blocks without writes (empty, or only failing transactions) between
 * ordinary ones: the next block's overlay is then empty, and the snapshot
 * may already show the write-less block committed. */
Test(pipeline, writeless_blocks_overlapped) {
  uint64_t seed = cx_test_seed("engine.pipeline.writeless");
  cx_rng rng = {seed};
  te_keys k;
  te_keys_init(&k, 8, seed);
  cx_genesis_account *g = te_genesis_accounts(&k, 100000000);
  te_ref ref;
  te_ref_init(&ref, g, k.n, NULL, 0);
  enum { NB = 7 };
  te_block blocks[NB];
  cx_block views[NB];
  te_ref_result want[NB];
  memset(blocks, 0, sizeof blocks);
  for (int b = 0; b < NB; b++) {
    if (b % 3 == 0) {
      te_random_block(&blocks[b], &k, &rng, 40);
    } else if (b % 3 == 1) {
      /* only failing transactions: bad signature, truncated */
      te_push_transfer(&blocks[b], &k, 0, k.addr[1], 5);
      blocks[b].txs[0][blocks[b].lens[0] - 1] ^= 1;
      te_push_transfer(&blocks[b], &k, 1, k.addr[2], 5);
      blocks[b].lens[1] -= 2;
    } /* else: empty */
    te_ref_block(&ref, &blocks[b], &want[b]);
    te_keys_sync(&k, &ref);
    views[b] = blocks[b].view;
  }
  for (int sync = 0; sync < 2; sync++) {
    cx_config cfg;
    cx_config_default(&cfg);
    cfg.threads = 2;
    cfg.durability = sync ? CX_SYNC : CX_NOSYNC;
    cx_error err = {0};
    cx_engine *e = cx_engine_open(&cfg, &err);
    cr_assert_not_null(e, "%s", err.message);
    cr_assert_eq(cx_engine_load_genesis(e, g, k.n, NULL, 0, NULL, &err), 0);
    cx_block_result out[NB];
    size_t done = 0;
    cr_assert_eq(cx_engine_execute_blocks(e, NB, views, out, &done, &err), 0,
                 "%s", err.message);
    cr_assert_eq(done, NB);
    for (int b = 0; b < NB; b++) {
      te_expect_same(&out[b], &want[b], blocks[b].n, (uint64_t)b + 1,
                     "writeless");
      cx_block_result_free(&out[b]);
    }
    cx_engine_close(e);
  }
  for (int b = 0; b < NB; b++) {
    free(want[b].statuses);
    te_block_free(&blocks[b]);
  }
  te_ref_free(&ref);
  free(g);
  te_keys_free(&k);
}
