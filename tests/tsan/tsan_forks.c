/* ThreadSanitizer driver for blocks on branches (see tsan_driver.h):
 * speculative execution, forkchoice and reads at a block interleaved with
 * the overlapped pipeline (prepare and commit threads, execution on the
 * pool, the `sim` device with faults) while another thread reads the
 * metrics. Block 2 executed speculatively on block 1 must give exactly
 * what the pipeline gives when it commits block 2 after it; making the
 * speculative twin the head reverts blocks 2..4 and commits it; block 3
 * then executes on it as the pipeline did. Any difference, or any race
 * TSan sees, fails it. CX_TEST_ITERS for more rounds. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "chainexec.h"
#include "signer.h"
#include "tsan_driver.h"
#include "tx.h"

enum { ACCOUNTS = 12, BLOCKS = 5, TXS = 60 };

static cx_signer *signer;
static uint8_t sk[ACCOUNTS][32], pk[ACCOUNTS][33], addr[ACCOUNTS][20];
static uint8_t wire[BLOCKS][TXS][CX_TX_MAX_LEN];
static size_t lens[BLOCKS][TXS];
static const uint8_t *ptrs[BLOCKS][TXS];
static cx_block blocks[BLOCKS];

/* Transfers and APPENDs on one hot key, nonces in order. */
static void make_blocks(uint64_t *rng) {
  uint64_t nonce[ACCOUNTS] = {0};
  uint8_t hot[32] = {0xb0};
  for (int b = 0; b < BLOCKS; b++) {
    for (int t = 0; t < TXS; t++) {
      size_t from = tsan_rand(rng) % ACCOUNTS;
      cx_tx_builder tb;
      cx_tx_build_begin(&tb, wire[b][t], pk[from], nonce[from]++);
      if (tsan_rand(rng) % 4)
        cx_tx_build_op(&tb, CX_OP_TRANSFER, addr[tsan_rand(rng) % ACCOUNTS],
                       NULL, tsan_rand(rng) % 500);
      else
        cx_tx_build_op(&tb, CX_OP_APPEND, hot, NULL, tsan_rand(rng) % 500);
      lens[b][t] = cx_signer_finish_tx(signer, sk[from], &tb);
      TSAN_CHECK(lens[b][t] > 0, "signing");
      ptrs[b][t] = wire[b][t];
    }
    blocks[b] = (cx_block){TXS, ptrs[b], lens[b]};
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

static void same(const cx_block_result *a, const cx_block_result *b,
                 const char *what) {
  TSAN_CHECK(a->height == b->height && a->tx_count == b->tx_count, "%s", what);
  TSAN_CHECK(memcmp(a->statuses, b->statuses, a->tx_count) == 0,
             "%s: statuses differ", what);
  TSAN_CHECK(memcmp(a->state_root, b->state_root, 32) == 0 &&
                 memcmp(a->receipts_root, b->receipts_root, 32) == 0,
             "%s: roots differ", what);
}

static void round_on(unsigned threads, const char *gpu) {
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.threads = threads;
  cfg.strategy = gpu ? CX_STRATEGY_KIND_GPU : CX_STRATEGY_KIND_CPU;
  cfg.gpu = gpu;
  cfg.durability = CX_NOSYNC;
  cx_error err = {0};
  cx_engine *e = cx_engine_open(&cfg, &err);
  TSAN_CHECK(e != NULL, "%s", err.message);
  cx_genesis_account acct[ACCOUNTS];
  memset(acct, 0, sizeof acct);
  for (int i = 0; i < ACCOUNTS; i++) {
    memcpy(acct[i].address, addr[i], 20);
    acct[i].balance = 1000000;
  }
  TSAN_CHECK(cx_engine_load_genesis(e, acct, ACCOUNTS, NULL, 0, NULL, &err) ==
                 0,
             "%s", err.message);
  reader r = {.e = e};
  atomic_init(&r.stop, 0);
  pthread_t t;
  TSAN_CHECK(pthread_create(&t, NULL, read_metrics, &r) == 0, "thread");

  cx_block_result out[BLOCKS], spec2, spec3;
  size_t done = 0;
  TSAN_CHECK(cx_engine_execute_blocks(e, 2, blocks, out, &done, &err) == 0,
             "%s", err.message);
  cx_block_id at2, id2, id3;
  TSAN_CHECK(cx_engine_block_at(e, 2, &at2, &err) == 0, "%s", err.message);
  /* blocks[1] committed as height 2; its child is blocks[2]. */
  TSAN_CHECK(cx_engine_execute_on(e, at2, &blocks[2], &id2, &spec2, &err) == 0,
             "%s", err.message);
  TSAN_CHECK(cx_engine_execute_blocks(e, 3, blocks + 2, out + 2, &done,
                                      &err) == 0,
             "%s", err.message);
  same(&spec2, &out[2], "speculative twin of block 3");
  TSAN_CHECK(cx_engine_make_head(e, id2, &err) == 0, "%s", err.message);
  TSAN_CHECK(cx_engine_height(e) == 3, "height after the switch");
  TSAN_CHECK(cx_engine_execute_on(e, id2, &blocks[3], &id3, &spec3, &err) == 0,
             "%s", err.message);
  same(&spec3, &out[3], "block 4 on the committed twin");
  uint64_t bal, nonce;
  TSAN_CHECK(cx_engine_get_account_at(e, id3, addr[0], &bal, &nonce, &err) ==
                 0,
             "%s", err.message);
  atomic_store(&r.stop, 1);
  pthread_join(t, NULL);
  cx_block_result_free(&spec2);
  cx_block_result_free(&spec3);
  for (int b = 0; b < BLOCKS; b++)
    cx_block_result_free(&out[b]);
  cx_engine_close(e);
}

int main(void) {
  uint64_t rng = cx_test_seed("tsan_forks");
  signer = cx_signer_create();
  TSAN_CHECK(signer != NULL, "signer");
  for (int i = 0; i < ACCOUNTS; i++) {
    cx_signer_keypair(signer, 900 + (uint64_t)i, sk[i], pk[i]);
    cx_address_of(pk[i], addr[i]);
  }
  uint64_t rounds = cx_test_iters(2);
  for (uint64_t round = 0; round < rounds; round++) {
    make_blocks(&rng);
    round_on(2, NULL);
    round_on(3, "sim:fail=0.2,wrong=0.1,delay_us=100");
  }
  cx_signer_destroy(signer);
  fprintf(stderr, "tsan_forks: %llu rounds: identical\n", (unsigned long long)rounds);
  return 0;
}
