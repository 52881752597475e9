/* Helpers shared by the engine suites: signed test blocks and an
 * independent reference for their results.
 *
 * The reference runs beside the engine, never through it: state is a
 * sorted in-memory cx_entry array, transactions are decoded, hashed and
 * verified one by one with crypto/ (cx_tx_hash, cx_address_of, cx_verify),
 * executed by mvcc's sequential executor (the SPEC reference path), and
 * the roots are built with cx_merkle_root over individually built leaves.
 * Every helper fails the current Criterion test on a setup error.
 */
#ifndef CX_TEST_ENGINE_UTIL_H
#define CX_TEST_ENGINE_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainexec.h"
#include "cx_test.h"
#include "merkle.h"
#include "mvcc.h"
#include "sha256.h"
#include "signer.h"
#include "state.h"
#include "tx.h"
#include "verify.h"

#define TE_MAX_ACCOUNTS 64

/* Keys, addresses and the nonces the generator believes are current. */
typedef struct te_keys {
  cx_signer *signer;
  size_t n;
  uint8_t sk[TE_MAX_ACCOUNTS][32];
  uint8_t pk[TE_MAX_ACCOUNTS][33];
  uint8_t addr[TE_MAX_ACCOUNTS][20];
  uint64_t nonce[TE_MAX_ACCOUNTS];
} te_keys;

static inline void te_keys_init(te_keys *k, size_t n, uint64_t seed) {
  cr_assert(n <= TE_MAX_ACCOUNTS);
  memset(k, 0, sizeof *k);
  k->signer = cx_signer_create();
  cr_assert_not_null(k->signer);
  k->n = n;
  for (size_t i = 0; i < n; i++) {
    cx_signer_keypair(k->signer, seed * 1000 + i, k->sk[i], k->pk[i]);
    cx_address_of(k->pk[i], k->addr[i]);
  }
}

static inline void te_keys_free(te_keys *k) { cx_signer_destroy(k->signer); }

/* A block owning its wire bytes; `view` is what the engine takes. */
typedef struct te_block {
  size_t n, cap;
  uint8_t **txs;
  size_t *lens;
  cx_block view;
} te_block;

static inline void te_block_push(te_block *b, const uint8_t *wire,
                                 size_t len) {
  if (b->n == b->cap) {
    b->cap = b->cap ? 2 * b->cap : 16;
    b->txs = realloc(b->txs, b->cap * sizeof *b->txs);
    b->lens = realloc(b->lens, b->cap * sizeof *b->lens);
    cr_assert(b->txs && b->lens);
  }
  b->txs[b->n] = malloc(len ? len : 1);
  cr_assert_not_null(b->txs[b->n]);
  if (len)
    memcpy(b->txs[b->n], wire, len);
  b->lens[b->n++] = len;
  b->view.tx_count = b->n;
  b->view.txs = (const uint8_t *const *)b->txs;
  b->view.tx_lens = b->lens;
}

static inline void te_block_free(te_block *b) {
  for (size_t i = 0; i < b->n; i++)
    free(b->txs[i]);
  free(b->txs);
  free(b->lens);
  memset(b, 0, sizeof *b);
}

/* Appends a signed transaction of `from` with the given ops
 * (code, a, b32, amount) at `nonce`. Returns its wire length. */
typedef struct te_op {
  uint8_t code;
  const uint8_t *a, *b;
  uint64_t amount;
} te_op;

static inline size_t te_push_tx(te_block *b, te_keys *k, size_t from,
                                uint64_t nonce, const te_op *ops,
                                size_t n_ops) {
  uint8_t buf[CX_TX_MAX_LEN];
  cx_tx_builder tb;
  cx_tx_build_begin(&tb, buf, k->pk[from], nonce);
  for (size_t i = 0; i < n_ops; i++)
    cr_assert(cx_tx_build_op(&tb, ops[i].code, ops[i].a, ops[i].b,
                             ops[i].amount));
  size_t len = cx_signer_finish_tx(k->signer, k->sk[from], &tb);
  cr_assert_gt(len, 0);
  te_block_push(b, buf, len);
  return len;
}

/* A signed transfer at the account's current nonce (advanced). */
static inline void te_push_transfer(te_block *b, te_keys *k, size_t from,
                                    const uint8_t to[20], uint64_t amount) {
  te_op op = {CX_OP_TRANSFER, to, NULL, amount};
  te_push_tx(b, k, from, k->nonce[from]++, &op, 1);
}

/* A random block: mostly transfers, kv ops on a few hot keys (APPEND
 * chains included), and transactions built to fail: bad signatures, stale
 * nonces, malformed bytes, insufficient funds, overflow, a failed
 * assertion. Balances must be
 * large (>= 1e8) so the plain transfers succeed; the generator then knows
 * which transactions commit and keeps every sender's nonce exact (a
 * failing transaction does not consume its nonce). */
static inline void te_random_block(te_block *b, te_keys *k, cx_rng *r,
                                   size_t n_txs) {
  uint8_t hot[4][32];
  memset(hot, 0, sizeof hot);
  for (int i = 0; i < 4; i++)
    hot[i][0] = (uint8_t)(0xa0 + i);
  for (size_t t = 0; t < n_txs; t++) {
    size_t from = (size_t)cx_rng_below(r, k->n);
    uint64_t roll = cx_rng_below(r, 100);
    te_op ops[3];
    size_t n_ops = 1;
    const uint8_t *to = k->addr[cx_rng_below(r, k->n)];
    uint64_t amount = cx_rng_below(r, 5000);
    const uint8_t *key = hot[cx_rng_below(r, 4)];
    const uint8_t *key2 = hot[cx_rng_below(r, 4)];
    bool fails = false;
    if (roll < 55) {
      ops[0] = (te_op){CX_OP_TRANSFER, to, NULL, amount};
    } else if (roll < 62) {
      ops[0] = (te_op){CX_OP_ADD, key, NULL, amount};
      ops[1] = (te_op){CX_OP_SUB, key, NULL, amount / 2};
      n_ops = 2;
    } else if (roll < 68) {
      ops[0] = (te_op){CX_OP_APPEND, key, NULL, amount};
      ops[1] = (te_op){CX_OP_ASSERT_GE, key, NULL, 1};
      n_ops = 2;
    } else if (roll < 73) {
      ops[0] = (te_op){CX_OP_SET, key, NULL, amount};
      ops[1] = (te_op){CX_OP_COPY, key, key2, 0};
      ops[2] = (te_op){CX_OP_TRANSFER, to, NULL, 1};
      n_ops = 3;
    } else if (roll < 76) {
      /* x + MAX overflows for x >= 1, and MAX + 1 does for x = 0. */
      ops[0] = (te_op){CX_OP_ADD, key, NULL, UINT64_MAX};
      ops[1] = (te_op){CX_OP_ADD, key, NULL, 1};
      n_ops = 2;
      fails = true;
    } else if (roll < 78) {
      ops[0] = (te_op){CX_OP_TRANSFER, to, NULL, UINT64_MAX / 2};
      fails = true;
    } else if (roll < 80) {
      ops[0] = (te_op){CX_OP_SET, key2, NULL, amount};
      ops[1] = (te_op){CX_OP_ASSERT_GE, key, NULL, UINT64_MAX}; /* fails */
      n_ops = 2;
      fails = true;
    } else {
      ops[0] = (te_op){CX_OP_TRANSFER, to, NULL, amount};
      fails = roll < 91; /* the three corruptions below */
    }
    uint64_t nonce = k->nonce[from];
    bool stale = roll >= 80 && roll < 84;
    te_push_tx(b, k, from, stale ? nonce + 3 : nonce, ops, n_ops);
    if (!fails)
      k->nonce[from]++;
    if (roll >= 84 && roll < 88)
      b->txs[b->n - 1][b->lens[b->n - 1] - 10] ^= 0x40; /* bad signature */
    if (roll >= 88 && roll < 91)
      b->lens[b->n - 1] -= 1 + cx_rng_below(r, 20); /* malformed */
  }
}

/* --- Reference ---------------------------------------------------------- */

typedef struct te_ref {
  cx_entry *e; /* sorted by key, unique */
  size_t n, cap;
  uint8_t state_root[32];
  uint64_t height;
  cx_verifier *verifier;
  cx_executor *exec;
} te_ref;

typedef struct te_ref_result {
  uint8_t *statuses;
  uint8_t tx_root[32], receipts_root[32], write_root[32], state_root[32];
} te_ref_result;

static inline size_t te_ref_find(const te_ref *r, const cx_key *key,
                                 bool *found) {
  size_t lo = 0, hi = r->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cx_key_cmp(&r->e[mid].key, key);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

static inline void te_ref_put(te_ref *r, const cx_entry *ent) {
  bool found;
  size_t i = te_ref_find(r, &ent->key, &found);
  if (found) {
    r->e[i] = *ent;
    return;
  }
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 64;
    r->e = realloc(r->e, r->cap * sizeof *r->e);
    cr_assert_not_null(r->e);
  }
  memmove(&r->e[i + 1], &r->e[i], (r->n - i) * sizeof *r->e);
  r->e[i] = *ent;
  r->n++;
}

static inline int te_ref_read(void *ctx, const cx_key *key, uint64_t *v0,
                              uint64_t *v1) {
  const te_ref *r = ctx;
  bool found;
  size_t i = te_ref_find(r, key, &found);
  *v0 = found ? r->e[i].v0 : 0;
  *v1 = found ? r->e[i].v1 : 0;
  return 0;
}

/* Genesis: `n_acct` accounts of keys k with `balance` each, plus kv. */
static inline void te_ref_init(te_ref *r, const cx_genesis_account *acct,
                               size_t n_acct, const cx_genesis_kv *kv,
                               size_t n_kv) {
  memset(r, 0, sizeof *r);
  for (size_t i = 0; i < n_acct; i++) {
    cx_entry e = {cx_key_account(acct[i].address), acct[i].balance,
                  acct[i].nonce};
    te_ref_put(r, &e);
  }
  for (size_t i = 0; i < n_kv; i++) {
    cx_entry e = {cx_key_kv(kv[i].key), kv[i].value, 0};
    te_ref_put(r, &e);
  }
  cr_assert_eq(cx_genesis_root(r->e, r->n, r->state_root), 0);
  r->verifier = cx_verifier_create();
  cx_executor_config xc = {.threads = 1, .force_path = CX_EXEC_SEQUENTIAL};
  cx_error err = {0};
  r->exec = cx_executor_create(&xc, &err);
  cr_assert_not_null(r->exec, "%s", err.message);
}

static inline void te_ref_free(te_ref *r) {
  cx_executor_destroy(r->exec);
  cx_verifier_destroy(r->verifier);
  free(r->e);
}

/* MTH over n leaves of `len` bytes at data, through the variable-length
 * API (the engine uses the fixed-length one). */
static inline void te_mth(const uint8_t *data, size_t n, size_t len,
                          uint8_t out[32]) {
  const uint8_t **p = malloc((n ? n : 1) * sizeof *p);
  size_t *l = malloc((n ? n : 1) * sizeof *l);
  cr_assert(p && l);
  for (size_t i = 0; i < n; i++) {
    p[i] = data + i * len;
    l[i] = len;
  }
  cr_assert_eq(cx_merkle_root(n, p, l, out), 0);
  free(p);
  free(l);
}

/* Runs block b on the reference; res->statuses is malloc'd. */
static inline void te_ref_block(te_ref *r, const te_block *b,
                                te_ref_result *res) {
  size_t n = b->n;
  cx_tx *txs = calloc(n ? n : 1, sizeof *txs);
  uint8_t *sig_ok = calloc(n ? n : 1, 1);
  uint8_t(*senders)[20] = calloc(n ? n : 1, 20);
  uint8_t *hashes = calloc(n ? n : 1, 32);
  uint8_t *receipts = calloc(n ? n : 1, 33);
  res->statuses = calloc(n ? n : 1, 1);
  cr_assert(txs && sig_ok && senders && hashes && receipts && res->statuses);
  for (size_t i = 0; i < n; i++) {
    bool ok = cx_tx_decode(b->txs[i], b->lens[i], &txs[i]);
    cx_tx_hash(&txs[i], hashes + 32 * i);
    if (ok) {
      cx_address_of(txs[i].pubkey, senders[i]);
      sig_ok[i] =
          cx_verify(r->verifier, txs[i].pubkey, hashes + 32 * i, txs[i].sig);
    }
  }
  cx_exec_input in = {n, txs, sig_ok, (const uint8_t(*)[20])senders};
  cx_exec_output out = {.statuses = res->statuses};
  cx_error err = {0};
  cr_assert_eq(cx_executor_run(r->exec, &in, te_ref_read, r, &out, &err), 0,
               "%s", err.message);
  for (size_t i = 0; i < n; i++) {
    memcpy(receipts + 33 * i, hashes + 32 * i, 32);
    receipts[33 * i + 32] = res->statuses[i];
  }
  te_mth(hashes, n, 32, res->tx_root);
  te_mth(receipts, n, 33, res->receipts_root);
  /* write_root from leaves built one by one. */
  uint8_t *leaves = calloc(out.n_writes ? out.n_writes : 1, CX_LEAF_MAX_LEN);
  const uint8_t **lp = calloc(out.n_writes ? out.n_writes : 1, sizeof *lp);
  size_t *ll = calloc(out.n_writes ? out.n_writes : 1, sizeof *ll);
  cr_assert(leaves && lp && ll);
  for (size_t i = 0; i < out.n_writes; i++) {
    lp[i] = leaves + CX_LEAF_MAX_LEN * i;
    ll[i] = cx_entry_leaf(&out.writes[i], leaves + CX_LEAF_MAX_LEN * i);
    if (i > 0)
      cr_assert_lt(cx_key_cmp(&out.writes[i - 1].key, &out.writes[i].key), 0);
  }
  cr_assert_eq(cx_merkle_root(out.n_writes, lp, ll, res->write_root), 0);
  for (size_t i = 0; i < out.n_writes; i++)
    te_ref_put(r, &out.writes[i]);
  uint8_t pre[65];
  pre[0] = 0x02;
  memcpy(pre + 1, r->state_root, 32);
  memcpy(pre + 33, res->write_root, 32);
  cx_sha256(pre, sizeof pre, res->state_root);
  memcpy(r->state_root, res->state_root, 32);
  r->height++;
  free(leaves);
  free(lp);
  free(ll);
  free(txs);
  free(sig_ok);
  free(senders);
  free(hashes);
  free(receipts);
}

/* Resets the generator's nonces to the reference state's. */
static inline void te_keys_sync(te_keys *k, const te_ref *r) {
  for (size_t i = 0; i < k->n; i++) {
    cx_key key = cx_key_account(k->addr[i]);
    uint64_t bal, nonce;
    te_ref_read((void *)r, &key, &bal, &nonce);
    k->nonce[i] = nonce;
  }
}

/* The engine's result equals the reference's. */
static inline void te_expect_same(const cx_block_result *got,
                                  const te_ref_result *want, size_t n,
                                  uint64_t height, const char *what) {
  cr_assert_eq(got->height, height, "%s: height %llu, want %llu", what,
               (unsigned long long)got->height, (unsigned long long)height);
  cr_assert_eq(got->tx_count, n, "%s: tx_count", what);
  cr_assert_not_null(got->statuses, "%s: statuses", what);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(got->statuses[i], want->statuses[i],
                 "%s: block %llu tx %zu status %u, want %u", what,
                 (unsigned long long)height, i, got->statuses[i],
                 want->statuses[i]);
  cr_assert_arr_eq(got->tx_root, want->tx_root, 32, "%s: tx_root", what);
  cr_assert_arr_eq(got->receipts_root, want->receipts_root, 32,
                   "%s: receipts_root", what);
  cr_assert_arr_eq(got->write_root, want->write_root, 32, "%s: write_root",
                   what);
  cr_assert_arr_eq(got->state_root, want->state_root, 32, "%s: state_root",
                   what);
  uint32_t counts[7] = {0};
  for (size_t i = 0; i < n; i++)
    counts[want->statuses[i]]++;
  for (int s = 0; s < 7; s++)
    cr_assert_eq(got->status_counts[s], counts[s], "%s: status_counts[%d]",
                 what, s);
}

/* Genesis accounts for keys k with `balance` each. */
static inline cx_genesis_account *te_genesis_accounts(const te_keys *k,
                                                      uint64_t balance) {
  cx_genesis_account *a = calloc(k->n, sizeof *a);
  cr_assert_not_null(a);
  for (size_t i = 0; i < k->n; i++) {
    memcpy(a[i].address, k->addr[i], 20);
    a[i].balance = balance;
  }
  return a;
}



/* A fresh directory for a database the test owns, under $TMPDIR;
 * te_rmtree removes it, and the test's exit does when an assertion failed
 * first (cx_test_mkdtemp). */
static inline char *te_mkdtemp(void) {
  char *p = cx_test_mkdtemp("engine-test");
  cr_assert_not_null(p, "cannot create a temporary directory");
  return p;
}

static inline void te_rmtree(char *p) {
  cx_test_rmtree(p);
  free(p);
}
#endif /* CX_TEST_ENGINE_UTIL_H */
