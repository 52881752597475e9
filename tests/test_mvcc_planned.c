/* The planned executor against keys known only at run time: APPEND writes
 * H(counter || value), and other ops may name that very key on purpose
 * (SET, ADD, SUB, COPY src and dst, ASSERT_GE), before or after the
 * APPEND, in the same transaction or in others, with the counter moved by
 * earlier transactions. Whatever the thread count, the planned path (and
 * the automatic choice) must give the sequential executor's statuses and
 * write set; a block whose run-time key meets a planned key falls back to
 * the sequential path, one where it only meets its own keys does not.
 * CX_TEST_SEED, CX_TEST_ITERS (random blocks).
 * CX_TEST_LABEL_CONCURRENCY */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "blockgen.h"
#include "cx_test.h"
#include "memstate.h"
#include "mvcc.h"
#include "pool.h"
#include "sha256.h"
#include "tx.h"

enum { MAX_TXS = 400, SENDERS = 48, COUNTERS = 3, SLOTS_PER = 4 };

typedef struct block {
  size_t n;
  uint8_t wire[MAX_TXS][CX_TX_MAX_LEN];
  cx_tx txs[MAX_TXS];
  uint8_t sig_ok[MAX_TXS], senders[MAX_TXS][20];
  cx_tx_builder b;
} block;

static uint8_t sender_addr[SENDERS][20];

static void addr_of(unsigned s, uint8_t out[20]) {
  memset(out, 0, 20);
  out[0] = 0x5e;
  out[1] = (uint8_t)(s * 37);
  out[2] = (uint8_t)s;
}

/* The APPEND slot key of counter `c` at value v. */
static void slot_key(const uint8_t c[32], uint64_t v, uint8_t out[32]) {
  uint8_t msg[40];
  memcpy(msg, c, 32);
  cx_store_u64le(msg + 32, v);
  cx_sha256(msg, sizeof msg, out);
}

static void counter_key(unsigned i, uint8_t out[32]) {
  memset(out, 0, 32);
  out[0] = 0xc0;
  out[1] = (uint8_t)i;
}

static void begin(block *bl, unsigned sender, uint64_t nonce) {
  static const uint8_t pubkey[33] = {2};
  cx_tx_build_begin(&bl->b, bl->wire[bl->n], pubkey, nonce);
  memcpy(bl->senders[bl->n], sender_addr[sender], 20);
}

static void op(block *bl, uint8_t code, const uint8_t *a, const uint8_t *b2,
               uint64_t v) {
  cr_assert(cx_tx_build_op(&bl->b, code, a, b2, v));
}

static void finish(block *bl) {
  static const uint8_t sig[64];
  size_t len = cx_tx_build_finish(&bl->b, sig);
  cr_assert(cx_tx_decode(bl->wire[bl->n], len, &bl->txs[bl->n]));
  bl->sig_ok[bl->n] = 1;
  bl->n++;
}

static cx_memstate *genesis(void) {
  cx_memstate *m = cx_memstate_create();
  cr_assert_not_null(m);
  for (unsigned s = 0; s < SENDERS; s++) {
    addr_of(s, sender_addr[s]);
    cx_entry e = {cx_key_account(sender_addr[s]), 1000000, 0};
    cr_assert_eq(cx_memstate_put(m, &e, 1), 0);
  }
  return m;
}

static cx_executor *make(cx_pool *pool, unsigned threads, int path) {
  cx_executor_config cfg = {.threads = threads, .run = cx_pool_run_workers,
                            .runner = pool, .force_path = path,
                            .min_parallel_txs = 1};
  cx_error err = {0};
  cx_executor *x = cx_executor_create(&cfg, &err);
  cr_assert_not_null(x, "%s", err.message);
  return x;
}

static const unsigned threads[] = {1, 2, 3, 4, 8};
enum { NT = sizeof threads / sizeof threads[0] };

typedef struct harness {
  cx_pool *pool;
  cx_executor *seq, *plan[NT], *autox;
  uint64_t fallbacks, planned;
} harness;

static void harness_init(harness *h) {
  cx_error err = {0};
  h->pool = cx_pool_create(8, &err);
  cr_assert_not_null(h->pool, "%s", err.message);
  h->seq = make(h->pool, 1, CX_EXEC_SEQUENTIAL);
  for (unsigned t = 0; t < NT; t++)
    h->plan[t] = make(h->pool, threads[t], CX_EXEC_PLANNED);
  h->autox = make(h->pool, 2, -1);
  h->fallbacks = h->planned = 0;
}

static void harness_free(harness *h) {
  for (unsigned t = 0; t < NT; t++)
    cx_executor_destroy(h->plan[t]);
  cx_executor_destroy(h->autox);
  cx_executor_destroy(h->seq);
  cx_pool_destroy(h->pool);
}

/* Runs bl on every executor against base; each must match sequential.
 * Returns the planned runs' common path when they agree (-1 if not), and
 * moves base to the block's end state. */
static int check(harness *h, const block *bl, cx_memstate *base,
                 const char *what) {
  static uint8_t ref_st[MAX_TXS], st[MAX_TXS];
  cx_exec_input in = {bl->n, bl->txs, bl->sig_ok,
                      (const uint8_t(*)[20])bl->senders};
  cx_error err = {0};
  cx_exec_output ref = {.statuses = ref_st};
  cr_assert_eq(cx_executor_run(h->seq, &in, cx_memstate_read, base, &ref,
                               &err),
               0, "%s", err.message);
  cx_exec_result want = {bl->n, ref_st, ref.writes, ref.n_writes};
  int path = -2;
  for (unsigned t = 0; t <= NT; t++) {
    cx_executor *x = t < NT ? h->plan[t] : h->autox;
    cx_exec_output out = {.statuses = st};
    cr_assert_eq(cx_executor_run(x, &in, cx_memstate_read, base, &out, &err),
                 0, "%s: %s", what, err.message);
    cx_exec_result got = {bl->n, st, out.writes, out.n_writes};
    char why[160];
    cr_assert(cx_exec_same(&got, &want, why, sizeof why),
              "%s, %s %u threads: %s (vs sequential)", what,
              t < NT ? "planned" : "automatic", t < NT ? threads[t] : 2, why);
    if (t == NT)
      continue;
    cr_assert_eq(out.counters.planned, 1);
    if (out.counters.path == CX_EXEC_SEQUENTIAL) {
      cr_assert_eq(out.counters.reason, CX_EXEC_WHY_CONFLICT);
      h->fallbacks++;
    } else {
      cr_assert_eq(out.counters.path, CX_EXEC_PLANNED);
      h->planned++;
    }
    path = path == -2 || path == out.counters.path ? out.counters.path : -1;
  }
  cr_assert_eq(cx_memstate_put(base, ref.writes, ref.n_writes), 0);
  return path;
}

/* Filler: transfers among senders 8.. that touch none of the keys under
 * test, so that the block is long enough for the workers to overlap. */
static void filler(block *bl, uint64_t *nonce, unsigned count) {
  for (unsigned i = 0; i < count; i++) {
    unsigned s = 8 + i % (SENDERS - 8), t = 8 + (i * 7 + 3) % (SENDERS - 8);
    begin(bl, s, nonce[s]++);
    op(bl, CX_OP_TRANSFER, sender_addr[t], NULL, 1);
    finish(bl);
  }
}

/* Directed cases: each names the slot key APPEND will write, by an op of
 * the given code, in a given place; `conflict` says whether another
 * transaction of the block touches it (the run must fall back), else only
 * the APPEND's own transaction does (the plan must hold). */
Test(mvcc_planned, append_keys_named_by_other_ops) {
  static const uint8_t codes[] = {CX_OP_SET, CX_OP_ADD, CX_OP_SUB,
                                  CX_OP_COPY, CX_OP_ASSERT_GE};
  enum { BEFORE_OTHER, AFTER_OTHER, SAME_BEFORE, SAME_AFTER, COPY_DST,
         MOVED_COUNTER, PLACES };
  static const char *const place_name[] = {
      "other tx before", "other tx after", "same tx, before the APPEND",
      "same tx, after the APPEND", "COPY dst in another tx",
      "counter moved by an earlier tx"};
  harness h;
  harness_init(&h);
  static block bl;
  for (unsigned place = 0; place < PLACES; place++)
    for (unsigned c = 0; c < sizeof codes; c++) {
      cx_memstate *base = genesis();
      uint64_t nonce[SENDERS] = {0};
      uint8_t ctr[32], k[32], other[32] = {0xaa};
      counter_key(0, ctr);
      /* A first block gives the counter and the slot key values. */
      bl.n = 0;
      begin(&bl, 0, nonce[0]++);
      op(&bl, CX_OP_SET, ctr, NULL, 2);
      slot_key(ctr, 2, k);
      op(&bl, CX_OP_SET, k, NULL, 50);
      op(&bl, CX_OP_SET, other, NULL, 9);
      finish(&bl);
      check(&h, &bl, base, "setup");
      bl.n = 0;
      filler(&bl, nonce, 40);
      uint64_t at = 2;
      if (place == MOVED_COUNTER) { /* the APPEND will write H(ctr || 7) */
        begin(&bl, 1, nonce[1]++);
        op(&bl, CX_OP_SET, ctr, NULL, 7);
        finish(&bl);
        at = 7;
      }
      slot_key(ctr, at, k);
      const uint8_t *a = k; /* COPY: k is the source */
      const uint8_t *b2 = codes[c] == CX_OP_COPY ? other : NULL;
      uint64_t v = codes[c] == CX_OP_SUB ? 3 : 20;
      int same = place == SAME_BEFORE || place == SAME_AFTER;
      if (place == BEFORE_OTHER || place == MOVED_COUNTER) {
        begin(&bl, 2, nonce[2]++);
        op(&bl, codes[c], a, b2, v);
        finish(&bl);
        filler(&bl, nonce, 30);
      }
      begin(&bl, 3, nonce[3]++);
      if (place == SAME_BEFORE)
        op(&bl, codes[c], a, b2, v);
      op(&bl, CX_OP_APPEND, ctr, NULL, 1234);
      if (place == SAME_AFTER)
        op(&bl, codes[c], a, b2, v);
      finish(&bl);
      if (place == AFTER_OTHER) {
        filler(&bl, nonce, 30);
        begin(&bl, 4, nonce[4]++);
        op(&bl, codes[c], a, b2, v);
        finish(&bl);
      }
      if (place == COPY_DST) { /* COPY other -> k: a blind write of k */
        begin(&bl, 4, nonce[4]++);
        op(&bl, CX_OP_COPY, other, k, 0);
        finish(&bl);
      }
      filler(&bl, nonce, 40);
      char what[96];
      snprintf(what, sizeof what, "op 0x%02x, %s", codes[c],
               place_name[place]);
      int path = check(&h, &bl, base, what);
      if (same)
        cr_assert_eq(path, CX_EXEC_PLANNED, "%s: the plan should hold",
                     what);
      else
        cr_assert_eq(path, CX_EXEC_SEQUENTIAL, "%s: should fall back", what);
      cx_memstate_destroy(base);
    }
  harness_free(&h);
}

/* Random blocks over a small pool of keys: counters, the slot keys their
 * next few values give, and plain keys; every op kind, many senders. */
Test(mvcc_planned, random_blocks_with_append_slot_keys) {
  cx_rng rng = {cx_test_seed("mvcc_planned")};
  uint64_t iters = cx_test_iters(300);
  harness h;
  harness_init(&h);
  static block bl;
  uint8_t keys[COUNTERS * (SLOTS_PER + 1) + 4][32];
  unsigned nk = 0;
  for (unsigned c = 0; c < COUNTERS; c++) {
    counter_key(c, keys[nk++]);
    for (unsigned v = 0; v < SLOTS_PER; v++)
      slot_key(keys[c * (SLOTS_PER + 1)], v, keys[nk++]);
  }
  for (unsigned i = 0; i < 4; i++) {
    memset(keys[nk], 0, 32);
    keys[nk][0] = 0x11;
    keys[nk++][1] = (uint8_t)i;
  }
  cx_memstate *base = NULL;
  uint64_t nonce[SENDERS];
  for (uint64_t it = 0; it < iters; it++) {
    if (it % 6 == 0) { /* a fresh world: counters back near 0 */
      cx_memstate_destroy(base);
      base = genesis();
      memset(nonce, 0, sizeof nonce);
    }
    bl.n = 0;
    size_t n = 64 + (size_t)(cx_rng_next(&rng) % 200);
    for (size_t i = 0; i < n; i++) {
      unsigned s = (unsigned)(cx_rng_next(&rng) % SENDERS);
      begin(&bl, s, nonce[s]++);
      unsigned ops = 1 + (unsigned)(cx_rng_next(&rng) % 3);
      for (unsigned o = 0; o < ops; o++) {
        uint64_t r = cx_rng_next(&rng);
        const uint8_t *a = keys[r % nk], *b2 = keys[(r >> 8) % nk];
        uint64_t v = (r >> 16) % 40;
        switch ((r >> 24) % 9) {
        case 0:
        case 1:
          op(&bl, CX_OP_APPEND, keys[((r >> 32) % COUNTERS) * (SLOTS_PER + 1)],
             NULL, v);
          break;
        case 2:
          op(&bl, CX_OP_SET, a, NULL, v);
          break;
        case 3:
          op(&bl, CX_OP_ADD, a, NULL, v);
          break;
        case 4:
          op(&bl, CX_OP_SUB, a, NULL, v % 5);
          break;
        case 5:
          op(&bl, CX_OP_COPY, a, b2, 0);
          break;
        case 6:
          op(&bl, CX_OP_ASSERT_GE, a, NULL, v % 10);
          break;
        default:
          op(&bl, CX_OP_TRANSFER, sender_addr[(r >> 40) % SENDERS], NULL,
             v);
        }
      }
      finish(&bl);
    }
    char what[64];
    snprintf(what, sizeof what, "random block %llu (n=%zu)",
             (unsigned long long)it, bl.n);
    check(&h, &bl, base, what);
    /* Nonces as the block left them (failed transactions consumed none). */
    for (unsigned s = 0; s < SENDERS; s++) {
      cx_key key = cx_key_account(sender_addr[s]);
      uint64_t bal;
      cr_assert_eq(cx_memstate_read(base, &key, &bal, &nonce[s]), 0);
    }
  }
  fprintf(stderr,
          "mvcc_planned: %llu blocks: %llu planned runs held, %llu fell "
          "back\n",
          (unsigned long long)iters, (unsigned long long)h.planned,
          (unsigned long long)h.fallbacks);
  cr_assert_gt(h.planned, 0);
  cr_assert_gt(h.fallbacks, 0);
  cx_memstate_destroy(base);
  harness_free(&h);
}

/* Edge blocks: empty, and only transactions that take their status without
 * running (malformed, bad signature): no key to plan, an empty write set. */
Test(mvcc_planned, blocks_with_nothing_to_plan) {
  harness h;
  harness_init(&h);
  static block bl;
  cx_memstate *base = genesis();
  bl.n = 0;
  check(&h, &bl, base, "empty block");
  uint64_t nonce[SENDERS] = {0};
  filler(&bl, nonce, 70);
  for (size_t i = 0; i < bl.n; i++) {
    bl.sig_ok[i] = 0;
    bl.txs[i].malformed = i % 2;
  }
  check(&h, &bl, base, "no runnable transaction");
  cx_memstate_destroy(base);
  harness_free(&h);
}
