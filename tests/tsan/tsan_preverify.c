/* ThreadSanitizer driver for pre-verification (see tsan_driver.h): two
 * threads submit the blocks' transactions (and corrupted copies) in small
 * pieces, with and without waiting, a third reads the metrics and the
 * pre-verification stats, while the main thread executes the blocks, once
 * overlapped (cx_engine_execute_blocks) and once block by block; a tiny
 * cache variant evicts all along. Statuses and roots must equal those of
 * a one-thread engine without the cache; any race TSan sees fails it.
 * CX_TEST_ITERS for more rounds. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "chainexec.h"
#include "signer.h"
#include "tsan_driver.h"
#include "tx.h"

enum { ACCOUNTS = 16, BLOCKS = 5, TXS = 80 };

typedef struct gen {
  cx_signer *s;
  uint8_t sk[ACCOUNTS][32], pk[ACCOUNTS][33], addr[ACCOUNTS][20];
  uint64_t nonce[ACCOUNTS];
  uint8_t wire[BLOCKS][TXS][CX_TX_MAX_LEN];
  size_t lens[BLOCKS][TXS];
  const uint8_t *ptrs[BLOCKS][TXS];
  cx_block blocks[BLOCKS];
} gen;

static void gen_blocks(gen *g, uint64_t *rng) {
  for (int b = 0; b < BLOCKS; b++) {
    for (int t = 0; t < TXS; t++) {
      size_t from = tsan_rand(rng) % ACCOUNTS;
      uint64_t roll = tsan_rand(rng) % 100;
      cx_tx_builder tb;
      cx_tx_build_begin(&tb, g->wire[b][t], g->pk[from], g->nonce[from]);
      cx_tx_build_op(&tb, CX_OP_TRANSFER, g->addr[tsan_rand(rng) % ACCOUNTS],
                     NULL, tsan_rand(rng) % 1000);
      size_t len = cx_signer_finish_tx(g->s, g->sk[from], &tb);
      TSAN_CHECK(len > 0, "signing");
      if (roll % 10 == 7)
        g->wire[b][t][len - 5] ^= 1; /* bad signature */
      else if (roll % 10 == 8)
        len -= 3; /* malformed */
      else
        g->nonce[from]++;
      g->lens[b][t] = len;
      g->ptrs[b][t] = g->wire[b][t];
    }
    g->blocks[b] = (cx_block){TXS, g->ptrs[b], g->lens[b]};
  }
}

typedef struct submitter {
  cx_engine *e;
  const gen *g;
  uint64_t seed;
  int who; /* 0: even blocks first, 1: odd; both end with all blocks */
  atomic_int *started;
} submitter;

static void *submit_all(void *arg) {
  submitter *s = arg;
  uint64_t rng = s->seed;
  atomic_fetch_add(s->started, 1);
  /* Last blocks first: the early blocks run while they are submitted, the
   * later ones find them cached. */
  for (int pass = 0; pass < 2; pass++) {
    for (int b = BLOCKS - 1; b >= 0; b--) {
      if ((b % 2 == s->who) == (pass == 1))
        continue;
      for (int t = 0; t < TXS;) {
        int k = 1 + (int)(tsan_rand(&rng) % 16);
        if (k > TXS - t)
          k = TXS - t;
        cx_submit_ticket tk;
        cx_error err = {0};
        /* A corrupted copy now and then: never cached, never a hit. */
        uint8_t bad[CX_TX_MAX_LEN];
        const uint8_t *bp = bad;
        size_t bl = s->g->lens[b][t];
        memcpy(bad, s->g->wire[b][t], bl);
        bad[tsan_rand(&rng) % bl] ^= 0x20;
        TSAN_CHECK(cx_engine_submit(s->e, &bp, &bl, 1, NULL, &err) == 0, "%s",
                   err.message);
        TSAN_CHECK(cx_engine_submit(s->e, s->g->ptrs[b] + t,
                                    s->g->lens[b] + t, (size_t)k, &tk,
                                    &err) == 0,
                   "%s", err.message);
        if (tsan_rand(&rng) % 3 == 0)
          TSAN_CHECK(cx_engine_submit_wait(s->e, &tk, &err) == 0, "%s",
                     err.message);
        t += k;
      }
    }
  }
  return NULL;
}

typedef struct reader {
  cx_engine *e;
  atomic_int stop;
} reader;

static void *read_metrics(void *p) {
  reader *r = p;
  static char buf[1 << 16];
  while (!atomic_load(&r->stop)) {
    TSAN_CHECK(cx_engine_metrics(r->e, buf, sizeof buf) > 0, "metrics");
    cx_preverify_stats s;
    cx_engine_preverify_stats(r->e, &s);
    TSAN_CHECK(s.entries <= s.capacity, "entries %llu > capacity %llu",
               (unsigned long long)s.entries,
               (unsigned long long)s.capacity);
  }
  return NULL;
}

static cx_engine *open_engine(const gen *g, const cx_config *cfg) {
  cx_error err = {0};
  cx_engine *e = cx_engine_open(cfg, &err);
  TSAN_CHECK(e != NULL, "%s", err.message);
  cx_genesis_account acct[ACCOUNTS];
  memset(acct, 0, sizeof acct);
  for (int i = 0; i < ACCOUNTS; i++) {
    memcpy(acct[i].address, g->addr[i], 20);
    acct[i].balance = 1000000;
  }
  TSAN_CHECK(cx_engine_load_genesis(e, acct, ACCOUNTS, NULL, 0, NULL, &err) ==
                 0,
             "%s", err.message);
  return e;
}

static void same(const cx_block_result *got, const cx_block_result *want,
                 size_t v, int b) {
  TSAN_CHECK(memcmp(got->statuses, want->statuses, TXS) == 0,
             "variant %zu block %d: statuses differ", v, b);
  TSAN_CHECK(memcmp(got->state_root, want->state_root, 32) == 0 &&
                 memcmp(got->receipts_root, want->receipts_root, 32) == 0 &&
                 memcmp(got->tx_root, want->tx_root, 32) == 0,
             "variant %zu block %d: roots differ", v, b);
}

int main(void) {
  static gen g;
  uint64_t rng = cx_test_seed("tsan_preverify");
  g.s = cx_signer_create();
  TSAN_CHECK(g.s != NULL, "signer");
  for (int i = 0; i < ACCOUNTS; i++) {
    cx_signer_keypair(g.s, 700 + (uint64_t)i, g.sk[i], g.pk[i]);
    cx_address_of(g.pk[i], g.addr[i]);
  }
  static const struct {
    unsigned threads;
    cx_strategy_kind strategy;
    const char *gpu;
    size_t cache;
    bool overlapped;
  } variants[] = {
      {2, CX_STRATEGY_KIND_CPU, NULL, (size_t)1 << 20, true},
      {3, CX_STRATEGY_KIND_GPU, "sim:fail=0.2,wrong=0.1,delay_us=100",
       (size_t)1 << 20, false},
      {2, CX_STRATEGY_KIND_CPU, NULL, 1024, true}, /* evicting all along */
  };
  uint64_t rounds = cx_test_iters(1);
  uint64_t hits = 0;
  for (uint64_t round = 0; round < rounds; round++) {
    memset(g.nonce, 0, sizeof g.nonce);
    gen_blocks(&g, &rng);
    cx_config cfg;
    cx_config_default(&cfg);
    cfg.threads = 1;
    cfg.strategy = CX_STRATEGY_KIND_CPU;
    cfg.pipeline = false;
    cfg.durability = CX_NOSYNC;
    cfg.sigcache_bytes = 0;
    cx_engine *ref = open_engine(&g, &cfg);
    cx_block_result want[BLOCKS];
    size_t done = 0;
    cx_error err = {0};
    TSAN_CHECK(cx_engine_execute_blocks(ref, BLOCKS, g.blocks, want, &done,
                                        &err) == 0,
               "%s", err.message);
    cx_engine_close(ref);
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
      cx_config_default(&cfg);
      cfg.threads = variants[v].threads;
      cfg.strategy = variants[v].strategy;
      cfg.gpu = variants[v].gpu;
      cfg.durability = CX_NOSYNC;
      cfg.sigcache_bytes = variants[v].cache;
      cx_engine *e = open_engine(&g, &cfg);
      reader r = {.e = e};
      atomic_init(&r.stop, 0);
      atomic_int started;
      atomic_init(&started, 0);
      submitter subs[2] = {{e, &g, tsan_rand(&rng), 0, &started},
                           {e, &g, tsan_rand(&rng), 1, &started}};
      pthread_t tr, ts[2];
      TSAN_CHECK(pthread_create(&tr, NULL, read_metrics, &r) == 0, "thread");
      for (int k = 0; k < 2; k++)
        TSAN_CHECK(pthread_create(&ts[k], NULL, submit_all, &subs[k]) == 0,
                   "thread");
      while (atomic_load(&started) < 2)
        sched_yield();
      cx_block_result out[BLOCKS];
      if (variants[v].overlapped) {
        TSAN_CHECK(cx_engine_execute_blocks(e, BLOCKS, g.blocks, out, &done,
                                            &err) == 0 &&
                       done == BLOCKS,
                   "%s", err.message);
      } else {
        for (int b = 0; b < BLOCKS; b++)
          TSAN_CHECK(cx_engine_execute_block(e, &g.blocks[b], &out[b],
                                             &err) == 0,
                     "%s", err.message);
      }
      for (int k = 0; k < 2; k++)
        pthread_join(ts[k], NULL);
      atomic_store(&r.stop, 1);
      pthread_join(tr, NULL);
      for (int b = 0; b < BLOCKS; b++) {
        same(&out[b], &want[b], v, b);
        hits += out[b].counters.verify_cache_hits;
        cx_block_result_free(&out[b]);
      }
      cx_preverify_stats s;
      cx_engine_preverify_stats(e, &s);
      TSAN_CHECK(s.bytes <= variants[v].cache, "cache over its limit");
      cx_engine_close(e);
    }
    for (int b = 0; b < BLOCKS; b++)
      cx_block_result_free(&want[b]);
  }
  cx_signer_destroy(g.s);
  fprintf(stderr,
          "tsan_preverify: %llu rounds, %zu variants: identical (%llu cache "
          "hits in blocks)\n",
          (unsigned long long)rounds, sizeof variants / sizeof variants[0],
          (unsigned long long)hits);
  return 0;
}
