/* ThreadSanitizer driver for the engine pipeline (see tsan_driver.h): the
 * overlapped cx_engine_execute_blocks() (prepare thread, execution on the
 * pool, commit thread, a metrics reader thread, the `sim` device with
 * faults) against a one-thread, CPU-only, non-overlapped engine on the
 * same signed blocks; any difference in a status or root, or any race TSan
 * sees, fails it. The comparison with an independent reference is in
 * tests/test_engine_pipeline.c; CX_TEST_ITERS for more rounds. */
#include <pthread.h>
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

/* Transfers and kv ops on two hot keys; a few corrupted signatures and
 * truncations. Nonces advance only for transactions meant to commit. */
static void gen_blocks(gen *g, uint64_t *rng) {
  uint8_t hot[2][32] = {{0xa0}, {0xa1}};
  for (int b = 0; b < BLOCKS; b++) {
    for (int t = 0; t < TXS; t++) {
      size_t from = tsan_rand(rng) % ACCOUNTS;
      uint64_t roll = tsan_rand(rng) % 100, amount = tsan_rand(rng) % 1000;
      cx_tx_builder tb;
      cx_tx_build_begin(&tb, g->wire[b][t], g->pk[from], g->nonce[from]);
      if (roll < 60)
        cx_tx_build_op(&tb, CX_OP_TRANSFER,
                       g->addr[tsan_rand(rng) % ACCOUNTS], NULL, amount);
      else if (roll < 80)
        cx_tx_build_op(&tb, CX_OP_APPEND, hot[roll & 1], NULL, amount);
      else
        cx_tx_build_op(&tb, CX_OP_ADD, hot[roll & 1], NULL, amount);
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

typedef struct reader {
  cx_engine *e;
  atomic_int stop;
} reader;

static void *read_metrics(void *p) {
  reader *r = p;
  static char buf[1 << 16];
  while (!atomic_load(&r->stop))
    TSAN_CHECK(cx_engine_metrics(r->e, buf, sizeof buf) > 0, "metrics");
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

static void run(cx_engine *e, const gen *g, cx_block_result *out) {
  size_t done = 0;
  cx_error err = {0};
  TSAN_CHECK(cx_engine_execute_blocks(e, BLOCKS, g->blocks, out, &done,
                                      &err) == 0,
             "%s", err.message);
  TSAN_CHECK(done == BLOCKS, "%zu blocks done", done);
}

int main(void) {
  static gen g;
  uint64_t rng = cx_test_seed("tsan_engine");
  g.s = cx_signer_create();
  TSAN_CHECK(g.s != NULL, "signer");
  for (int i = 0; i < ACCOUNTS; i++) {
    cx_signer_keypair(g.s, 500 + (uint64_t)i, g.sk[i], g.pk[i]);
    cx_address_of(g.pk[i], g.addr[i]);
  }
  static const struct {
    unsigned threads;
    cx_strategy_kind strategy;
    const char *gpu;
  } variants[] = {
      {2, CX_STRATEGY_KIND_CPU, NULL},
      {3, CX_STRATEGY_KIND_GPU, "sim:fail=0.2,wrong=0.1,delay_us=100"},
      {2, CX_STRATEGY_KIND_BALANCE, "sim:threads=2"},
  };
  uint64_t rounds = cx_test_iters(2);
  for (uint64_t round = 0; round < rounds; round++) {
    memset(g.nonce, 0, sizeof g.nonce);
    gen_blocks(&g, &rng);
    cx_config cfg;
    cx_config_default(&cfg);
    cfg.threads = 1;
    cfg.strategy = CX_STRATEGY_KIND_CPU;
    cfg.pipeline = false;
    cfg.durability = CX_NOSYNC;
    cx_engine *ref = open_engine(&g, &cfg);
    cx_block_result want[BLOCKS];
    run(ref, &g, want);
    cx_engine_close(ref);
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
      cx_config_default(&cfg);
      cfg.threads = variants[v].threads;
      cfg.strategy = variants[v].strategy;
      cfg.gpu = variants[v].gpu;
      cfg.durability = CX_NOSYNC;
      cx_engine *e = open_engine(&g, &cfg);
      reader r = {.e = e};
      atomic_init(&r.stop, 0);
      pthread_t t;
      TSAN_CHECK(pthread_create(&t, NULL, read_metrics, &r) == 0, "thread");
      cx_block_result out[BLOCKS];
      run(e, &g, out);
      atomic_store(&r.stop, 1);
      pthread_join(t, NULL);
      for (int b = 0; b < BLOCKS; b++) {
        TSAN_CHECK(memcmp(out[b].statuses, want[b].statuses, TXS) == 0,
                   "variant %zu block %d: statuses differ", v, b);
        TSAN_CHECK(memcmp(out[b].state_root, want[b].state_root, 32) == 0 &&
                       memcmp(out[b].receipts_root, want[b].receipts_root,
                              32) == 0 &&
                       memcmp(out[b].tx_root, want[b].tx_root, 32) == 0,
                   "variant %zu block %d: roots differ", v, b);
        cx_block_result_free(&out[b]);
      }
      cx_engine_close(e);
    }
    /* The error path: block 2 over the size limit stops the run after
     * blocks 0 and 1, with the helper threads still busy around it. */
    cx_config_default(&cfg);
    cfg.threads = 2;
    cfg.gpu = "sim:delay_us=50";
    cfg.durability = CX_NOSYNC;
    cx_engine *e = open_engine(&g, &cfg);
    cx_block bad[BLOCKS];
    memcpy(bad, g.blocks, sizeof bad);
    size_t huge = (size_t)CX_MAX_BLOCK_BYTES + 1;
    bad[2] = (cx_block){1, g.ptrs[2], &huge};
    cx_block_result out[BLOCKS];
    size_t done = 0;
    cx_error err = {0};
    TSAN_CHECK(cx_engine_execute_blocks(e, BLOCKS, bad, out, &done, &err) ==
                   CX_ELIMIT,
               "expected CX_ELIMIT: %s", err.message);
    TSAN_CHECK(done == 2 && cx_engine_height(e) == 2, "%zu done", done);
    for (int b = 0; b < 2; b++) {
      TSAN_CHECK(memcmp(out[b].state_root, want[b].state_root, 32) == 0,
                 "block %d before the failure differs", b);
      cx_block_result_free(&out[b]);
    }
    cx_engine_close(e);
    for (int b = 0; b < BLOCKS; b++)
      cx_block_result_free(&want[b]);
  }
  cx_signer_destroy(g.s);
  fprintf(stderr, "tsan_engine: %llu rounds, %zu variants: identical\n",
          (unsigned long long)rounds,
          sizeof variants / sizeof variants[0]);
  return 0;
}
