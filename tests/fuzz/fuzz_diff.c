/* libFuzzer harness: differential execution of a fuzzed block.
 *
 * The fuzz input describes a block over a small universe of accounts and
 * storage keys (so transactions conflict a lot, APPEND chains collide with
 * direct writes, balances sit near 0 and near 2^64-1). The same block runs
 * three ways and every status and the final write set must agree:
 *   1. an independent reference interpreter written here from SPEC section 4
 *      (not from mvcc/), over a tiny linear map;
 *   2. the mvcc executor forced onto its sequential path;
 *   3. the mvcc executor forced onto Block-STM with 1..8 worker threads;
 *   4. the mvcc executor forced onto the planned path with as many (the
 *      two APPEND slot keys in the universe make its run-time key check
 *      fall back to the sequential path often; that run must agree too).
 * Parallel runs are not deterministic; libFuzzer keeps any crashing input
 * even when the failure needs a particular interleaving, and the input's
 * first byte picks the thread count so a finding replays the same shape.
 *
 * Input layout (a cursor; the block ends when the bytes do):
 *   u8 threads-1 (low 3 bits) | flags, u8 base-state profile,
 *   per tx: u8 head: sender = bits 0-2; kind = bits 3-5 (0..5 valid,
 *           6 bad signature, 7 MALFORMED: one byte short); nonce = bits
 *           6-7 (0, 1: the sender's next nonce assuming its earlier
 *           transactions committed; 2: that nonce again without counting
 *           it; 3: 2^64-1),
 *           u8 op count-1 (mod 6), per op: u8 opcode (mod 7 + 1),
 *           u8 first key index, u8 second key index (COPY dst),
 *           u8 amount selector (>= 248: 8 raw bytes follow).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "mvcc.h"
#include "sha256.h"
#include "state.h"
#include "tx.h"

#define N_SENDERS 8u
#define N_ADDRS 12u  /* senders 0..7 plus 4 receive-only addresses */
#define N_KEYS 12u   /* 10 plain keys plus two APPEND slots of key 0 */
#define MAX_TXS 64u
#define MAX_OPS 6u

static const uint64_t k_values[8] = {
    0, 1, 5, 100, 1000, 1ull << 63, UINT64_MAX - 1, UINT64_MAX};

/* ---- The universe ------------------------------------------------------ */

typedef struct universe {
  uint8_t pubkeys[N_SENDERS][33];
  uint8_t addrs[N_ADDRS][20];
  uint8_t keys[N_KEYS][32];
  uint8_t profile;
} universe;

static void universe_init(universe *u, uint8_t profile) {
  u->profile = profile;
  for (unsigned i = 0; i < N_SENDERS; i++) {
    memset(u->pubkeys[i], (int)(0x40 + i), 33);
    u->pubkeys[i][0] = 0x02; /* never verified: sig_ok comes from the input */
    cx_address_of(u->pubkeys[i], u->addrs[i]);
  }
  for (unsigned i = N_SENDERS; i < N_ADDRS; i++)
    memset(u->addrs[i], (int)(0xa0 + i), 20);
  for (unsigned i = 0; i < 10; i++)
    memset(u->keys[i], (int)(0x10 + i), 32);
  /* APPEND slots 0 and 1 of counter keys[0]: H(counter || u64le(c)). */
  for (unsigned c = 0; c < 2; c++) {
    uint8_t buf[40];
    memcpy(buf, u->keys[0], 32);
    cx_store_u64le(buf + 32, c);
    cx_sha256(buf, 40, u->keys[10 + c]);
  }
}

/* Base state, a pure function of (key, profile): the same for every reader
 * and every thread. */
static void base_value(uint8_t profile, const cx_key *k, uint64_t *v0,
                       uint64_t *v1) {
  uint32_t h = 2166136261u ^ profile;
  h = (h ^ k->kind) * 16777619u;
  for (unsigned i = 0; i < 32; i++)
    h = (h ^ k->bytes[i]) * 16777619u;
  *v0 = k_values[(h >> 3) & 7];
  *v1 = 0;
  if (k->kind == CX_ENTRY_ACCOUNT) {
    unsigned n = (h >> 11) & 7;
    *v1 = n == 0 ? UINT64_MAX : n == 1 ? 1 : 0;
  }
}

static int base_read(void *ctx, const cx_key *key, uint64_t *v0, uint64_t *v1) {
  const universe *u = ctx;
  base_value(u->profile, key, v0, v1);
  return 0;
}

/* ---- Decoding the fuzz input into a block ------------------------------- */

typedef struct cursor {
  const uint8_t *p, *end;
} cursor;

static bool take(cursor *c, uint8_t *out) {
  if (c->p >= c->end)
    return false;
  *out = *c->p++;
  return true;
}

static uint64_t take_amount(cursor *c) {
  uint8_t sel = 0;
  if (!take(c, &sel))
    return 0;
  if (sel < 200)
    return sel % 8;
  if (sel < 248)
    return k_values[sel % 8];
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) {
    uint8_t b = 0;
    take(c, &b);
    v = v << 8 | b;
  }
  return v;
}

typedef struct block {
  size_t n;
  uint8_t wire[MAX_TXS][CX_TX_HEADER_LEN + MAX_OPS * 65 + CX_TX_SIG_LEN];
  size_t lens[MAX_TXS];
  cx_tx txs[MAX_TXS];
  uint8_t sig_ok[MAX_TXS];
  uint8_t senders[MAX_TXS][20];
} block;

static void block_build(const universe *u, cursor *c, block *b) {
  uint64_t next_nonce[N_SENDERS];
  for (unsigned s = 0; s < N_SENDERS; s++) {
    cx_key k = cx_key_account(u->addrs[s]);
    uint64_t bal;
    base_value(u->profile, &k, &bal, &next_nonce[s]);
  }
  b->n = 0;
  uint8_t head;
  while (b->n < MAX_TXS && take(c, &head)) {
    size_t i = b->n++;
    unsigned s = head & 7, kind = (head >> 3) & 7, nsel = head >> 6;
    bool malformed = kind == 7, bad_sig = kind == 6;
    uint64_t nonce = nsel == 3 ? UINT64_MAX : next_nonce[s];
    if (nsel < 2 && !malformed && !bad_sig)
      next_nonce[s]++;
    cx_tx_builder tb;
    cx_tx_build_begin(&tb, b->wire[i], u->pubkeys[s], nonce);
    uint8_t ops = 0;
    take(c, &ops);
    for (unsigned j = 0; j < 1u + ops % MAX_OPS; j++) {
      uint8_t code = 0, ia = 0, ib = 0;
      take(c, &code);
      take(c, &ia);
      take(c, &ib);
      code = (uint8_t)(1 + code % 7);
      const uint8_t *a = code == CX_OP_TRANSFER ? u->addrs[ia % N_ADDRS]
                                                : u->keys[ia % N_KEYS];
      const uint8_t *bk = code == CX_OP_COPY ? u->keys[ib % N_KEYS] : NULL;
      FUZZ_CHECK(cx_tx_build_op(&tb, code, a, bk, take_amount(c)));
    }
    static const uint8_t zero_sig[64];
    b->lens[i] = cx_tx_build_finish(&tb, zero_sig);
    if (malformed)
      b->lens[i] -= 1; /* one byte short of a signature: MALFORMED */
    bool ok = cx_tx_decode(b->wire[i], b->lens[i], &b->txs[i]);
    FUZZ_CHECK(ok == !malformed);
    b->sig_ok[i] = !bad_sig;
    memcpy(b->senders[i], u->addrs[s], 20);
  }
}

/* ---- Reference interpreter (SPEC section 4) ----------------------------- */

/* A tiny map of entries; the block never touches more than
 * N_ADDRS + N_KEYS + MAX_TXS * MAX_OPS keys (APPEND slots beyond the two
 * in the universe are fresh hashes). */
#define REF_CAP (N_ADDRS + N_KEYS + MAX_TXS * MAX_OPS + 8)

typedef struct ref_map {
  size_t n;
  cx_entry e[REF_CAP];
  bool written[REF_CAP];
} ref_map;

static cx_entry *ref_get(ref_map *m, const ref_map *under, uint8_t profile,
                         const cx_key *k) {
  for (size_t i = 0; i < m->n; i++)
    if (memcmp(&m->e[i].key, k, sizeof *k) == 0)
      return &m->e[i];
  FUZZ_CHECK(m->n < REF_CAP);
  cx_entry *e = &m->e[m->n];
  m->written[m->n++] = false;
  e->key = *k;
  const cx_entry *found = NULL;
  for (size_t i = 0; under && i < under->n; i++)
    if (memcmp(&under->e[i].key, k, sizeof *k) == 0)
      found = &under->e[i];
  if (found) {
    e->v0 = found->v0;
    e->v1 = found->v1;
  } else {
    base_value(profile, k, &e->v0, &e->v1);
  }
  return e;
}

static cx_entry *ref_touch(ref_map *tx, const ref_map *blk, uint8_t profile,
                           const cx_key *k) {
  cx_entry *e = ref_get(tx, blk, profile, k);
  tx->written[e - tx->e] = true;
  return e;
}

static cx_key key_kv(const uint8_t *k32) { return cx_key_kv(k32); }

static uint8_t ref_run_ops(const cx_tx *t, ref_map *tx, const ref_map *blk,
                           uint8_t prof, cx_entry *sender) {
  const uint8_t *cur = t->ops;
  for (unsigned j = 0; j < t->op_count; j++) {
    cx_op op;
    cx_tx_next_op(&cur, &op);
    cx_key ka = op.code == CX_OP_TRANSFER ? cx_key_account(op.a) : key_kv(op.a);
    switch (op.code) {
    case CX_OP_TRANSFER: {
      if (sender->v0 < op.amount)
        return CX_TX_INSUFFICIENT_FUNDS;
      sender->v0 -= op.amount;
      cx_entry *to = ref_touch(tx, blk, prof, &ka);
      if (to->v0 > UINT64_MAX - op.amount)
        return CX_TX_OVERFLOW;
      to->v0 += op.amount;
      break;
    }
    case CX_OP_SET:
      ref_touch(tx, blk, prof, &ka)->v0 = op.amount;
      break;
    case CX_OP_ADD: {
      cx_entry *e = ref_touch(tx, blk, prof, &ka);
      if (e->v0 > UINT64_MAX - op.amount)
        return CX_TX_OVERFLOW;
      e->v0 += op.amount;
      break;
    }
    case CX_OP_SUB: {
      cx_entry *e = ref_touch(tx, blk, prof, &ka);
      if (e->v0 < op.amount)
        return CX_TX_INSUFFICIENT_FUNDS;
      e->v0 -= op.amount;
      break;
    }
    case CX_OP_COPY: {
      uint64_t v = ref_get(tx, blk, prof, &ka)->v0;
      cx_key kb = key_kv(op.b);
      ref_touch(tx, blk, prof, &kb)->v0 = v;
      break;
    }
    case CX_OP_ASSERT_GE:
      if (ref_get(tx, blk, prof, &ka)->v0 < op.amount)
        return CX_TX_ASSERT_FAILED;
      break;
    case CX_OP_APPEND: {
      uint64_t c = ref_get(tx, blk, prof, &ka)->v0;
      if (c == UINT64_MAX)
        return CX_TX_OVERFLOW;
      uint8_t buf[40], slot[32];
      memcpy(buf, op.a, 32);
      cx_store_u64le(buf + 32, c);
      cx_sha256(buf, 40, slot);
      cx_key ks = key_kv(slot);
      ref_touch(tx, blk, prof, &ks)->v0 = op.amount;
      ref_touch(tx, blk, prof, &ka)->v0 = c + 1;
      break;
    }
    default:
      FUZZ_CHECK(!"decoder accepted an unknown opcode");
    }
  }
  return CX_TX_COMMITTED;
}

/* Runs the block; statuses[] and the block's write set in blk (entries
 * with written[] set). */
static void ref_execute(const universe *u, const block *b, ref_map *blk,
                        ref_map *tx, uint8_t *statuses) {
  blk->n = 0;
  for (size_t i = 0; i < b->n; i++) {
    const cx_tx *t = &b->txs[i];
    if (t->malformed) {
      statuses[i] = CX_TX_MALFORMED;
      continue;
    }
    if (!b->sig_ok[i]) {
      statuses[i] = CX_TX_BAD_SIGNATURE;
      continue;
    }
    tx->n = 0;
    cx_key ks = cx_key_account(b->senders[i]);
    cx_entry *sender = ref_touch(tx, blk, u->profile, &ks);
    if (t->nonce != sender->v1) {
      statuses[i] = CX_TX_BAD_NONCE;
      continue;
    }
    uint8_t st = ref_run_ops(t, tx, blk, u->profile, sender);
    if (st == CX_TX_COMMITTED) {
      if (sender->v1 == UINT64_MAX)
        st = CX_TX_OVERFLOW;
      else
        sender->v1++;
    }
    statuses[i] = st;
    if (st != CX_TX_COMMITTED)
      continue;
    for (size_t j = 0; j < tx->n; j++) {
      if (!tx->written[j])
        continue;
      cx_entry *e = ref_get(blk, NULL, u->profile, &tx->e[j].key);
      e->v0 = tx->e[j].v0;
      e->v1 = tx->e[j].v1;
      blk->written[e - blk->e] = true;
    }
  }
}

/* ---- The executor under test ------------------------------------------- */

typedef struct worker_job {
  cx_worker_fn fn;
  void *arg;
  unsigned w;
} worker_job;

static void *worker_main(void *p) {
  worker_job *j = p;
  j->fn(j->arg, j->w);
  return NULL;
}

/* cx_run_workers_fn over plain pthreads: k threads really at once. */
static void run_workers(void *runner, unsigned k, cx_worker_fn fn, void *arg) {
  (void)runner;
  pthread_t th[8];
  worker_job jobs[8];
  FUZZ_CHECK(k >= 1 && k <= 8);
  for (unsigned w = 0; w < k; w++) {
    jobs[w] = (worker_job){fn, arg, w};
    FUZZ_CHECK(pthread_create(&th[w], NULL, worker_main, &jobs[w]) == 0);
  }
  for (unsigned w = 0; w < k; w++)
    pthread_join(th[w], NULL);
}

static void run_executor(const universe *u, const block *b, unsigned threads,
                         int path, uint8_t *statuses, cx_entry *writes,
                         size_t *n_writes) {
  cx_executor_config cfg = {.threads = threads, .run = run_workers,
                            .runner = NULL, .min_parallel_txs = 1,
                            .force_path = path};
  cx_error err = {0};
  cx_executor *x = cx_executor_create(&cfg, &err);
  FUZZ_CHECK(x != NULL);
  cx_exec_input in = {.n = b->n, .txs = b->txs, .sig_ok = b->sig_ok,
                      .senders = (const uint8_t(*)[20])b->senders};
  cx_exec_output out = {.statuses = statuses};
  int rc = cx_executor_run(x, &in, base_read, (void *)u, &out, &err);
  if (rc != 0)
    fprintf(stderr, "cx_executor_run: %s\n", err.message);
  FUZZ_CHECK(rc == 0);
  FUZZ_CHECK(out.counters.path == path ||
             (path == CX_EXEC_PLANNED &&
              out.counters.path == CX_EXEC_SEQUENTIAL &&
              out.counters.reason == CX_EXEC_WHY_CONFLICT));
  FUZZ_CHECK(out.n_writes <= REF_CAP);
  *n_writes = out.n_writes;
  if (out.n_writes)
    memcpy(writes, out.writes, out.n_writes * sizeof *writes);
  cx_executor_destroy(x);
}

static int entry_cmp(const void *a, const void *b) {
  return cx_key_cmp(&((const cx_entry *)a)->key, &((const cx_entry *)b)->key);
}

static void check_same(const uint8_t *want_st, const cx_entry *want_w,
                       size_t want_n, const uint8_t *got_st,
                       const cx_entry *got_w, size_t got_n, size_t n_txs,
                       const char *what) {
  for (size_t i = 0; i < n_txs; i++)
    if (want_st[i] != got_st[i]) {
      fprintf(stderr, "%s: tx %zu status %u, reference %u\n", what, i,
              got_st[i], want_st[i]);
      FUZZ_CHECK(want_st[i] == got_st[i]);
    }
  if (want_n != got_n)
    fprintf(stderr, "%s: %zu writes, reference %zu\n", what, got_n, want_n);
  FUZZ_CHECK(want_n == got_n);
  for (size_t i = 0; i < want_n; i++) {
    FUZZ_CHECK(memcmp(&want_w[i].key, &got_w[i].key, sizeof(cx_key)) == 0);
    FUZZ_CHECK(want_w[i].v0 == got_w[i].v0 && want_w[i].v1 == got_w[i].v1);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  /* Large structures live in one static scratch block (the harness runs
   * one input at a time), keeping the stack small under ASan. */
  static universe u;
  static block b;
  static ref_map rblk, rtx;
  static uint8_t st_ref[MAX_TXS], st_seq[MAX_TXS], st_par[MAX_TXS];
  static cx_entry w_ref[REF_CAP], w_seq[REF_CAP], w_par[REF_CAP];

  unsigned threads = 1 + (data[0] & 7);
  universe_init(&u, data[1]);
  cursor c = {data + 2, data + size};
  block_build(&u, &c, &b);

  ref_execute(&u, &b, &rblk, &rtx, st_ref);
  size_t n_ref = 0;
  for (size_t i = 0; i < rblk.n; i++)
    if (rblk.written[i])
      w_ref[n_ref++] = rblk.e[i];
  qsort(w_ref, n_ref, sizeof *w_ref, entry_cmp);

  size_t n_seq = 0, n_par = 0;
  run_executor(&u, &b, 1, CX_EXEC_SEQUENTIAL, st_seq, w_seq, &n_seq);
  check_same(st_ref, w_ref, n_ref, st_seq, w_seq, n_seq, b.n, "sequential");
  run_executor(&u, &b, threads, CX_EXEC_PARALLEL, st_par, w_par, &n_par);
  check_same(st_ref, w_ref, n_ref, st_par, w_par, n_par, b.n, "parallel");
  run_executor(&u, &b, threads, CX_EXEC_PLANNED, st_par, w_par, &n_par);
  check_same(st_ref, w_ref, n_ref, st_par, w_par, n_par, b.n, "planned");
  return 0;
}
