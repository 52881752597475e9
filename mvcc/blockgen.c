/* Random worlds and blocks; see blockgen.h. */
#include "blockgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_error.h"

struct cx_blockgen {
  uint64_t rng;
  unsigned n_accounts, n_keys;
  uint8_t (*accounts)[20];
  uint8_t (*keys)[32];
  uint64_t *next_nonce; /* guess per account, resynced per block */
  uint32_t *seen;       /* block number of the last resync */
  uint32_t block_no;
  cx_memstate *state;
  uint8_t *wire; /* CX_BLOCKGEN_MAX_TXS * CX_TX_MAX_LEN */
  cx_tx txs[CX_BLOCKGEN_MAX_TXS];
  uint8_t sig_ok[CX_BLOCKGEN_MAX_TXS];
  uint8_t senders[CX_BLOCKGEN_MAX_TXS][20];
};

static uint64_t next(cx_blockgen *g) {
  uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t below(cx_blockgen *g, uint64_t n) { return next(g) % n; }

static void fill(cx_blockgen *g, uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t r = next(g);
    memcpy(p + i, &r, n - i < 8 ? n - i : 8);
  }
}

/* Edge values weigh heavily: 0, 2^64-1 and its neighbours. */
static uint64_t pick_u64(cx_blockgen *g) {
  switch (below(g, 8)) {
  case 0:
    return 0;
  case 1:
    return UINT64_MAX - below(g, 3);
  case 2:
    return next(g);
  default:
    return below(g, 1000);
  }
}

static void world_free(cx_blockgen *g) {
  free(g->accounts), free(g->keys), free(g->next_nonce), free(g->seen);
  cx_memstate_destroy(g->state);
  g->accounts = NULL, g->keys = NULL, g->next_nonce = NULL, g->seen = NULL;
  g->state = NULL;
}

int cx_blockgen_new_world(cx_blockgen *g) {
  static const unsigned sizes[] = {2, 2, 3, 5, 10, 20, 100, 1000, 10000};
  world_free(g);
  g->n_accounts = sizes[below(g, sizeof sizes / sizeof sizes[0])];
  g->n_keys = 1 + (unsigned)below(g, 12);
  g->accounts = malloc(g->n_accounts * sizeof *g->accounts);
  g->keys = malloc(g->n_keys * sizeof *g->keys);
  g->next_nonce = calloc(g->n_accounts, sizeof *g->next_nonce);
  g->seen = calloc(g->n_accounts, sizeof *g->seen);
  g->state = cx_memstate_create();
  g->block_no = 0;
  if (!g->accounts || !g->keys || !g->next_nonce || !g->seen || !g->state)
    return CX_ENOMEM;
  for (unsigned a = 0; a < g->n_accounts; a++) {
    fill(g, g->accounts[a], 20);
    if (below(g, 4) == 0)
      continue; /* absent: reads as (0, 0) */
    cx_entry e = {cx_key_account(g->accounts[a]), 0, 0};
    e.v0 = below(g, 3) ? 1000 + below(g, 100000) : pick_u64(g);
    e.v1 = below(g, 20) == 0 ? UINT64_MAX - below(g, 2) : 0;
    if (cx_memstate_put(g->state, &e, 1) != 0)
      return CX_ENOMEM;
  }
  for (unsigned k = 0; k < g->n_keys; k++) {
    fill(g, g->keys[k], 32);
    cx_entry e = {cx_key_kv(g->keys[k]), pick_u64(g), 0};
    if (below(g, 2) == 0 && cx_memstate_put(g->state, &e, 1) != 0)
      return CX_ENOMEM;
  }
  return CX_OK;
}

cx_blockgen *cx_blockgen_create(uint64_t seed) {
  cx_blockgen *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->rng = seed;
  g->wire = malloc((size_t)CX_BLOCKGEN_MAX_TXS * CX_TX_MAX_LEN);
  if (!g->wire || cx_blockgen_new_world(g) != 0) {
    cx_blockgen_destroy(g);
    return NULL;
  }
  return g;
}

void cx_blockgen_destroy(cx_blockgen *g) {
  if (!g)
    return;
  world_free(g);
  free(g->wire);
  free(g);
}

static void add_op(cx_blockgen *g, cx_tx_builder *b) {
  const uint8_t *k1 = g->keys[below(g, g->n_keys)];
  const uint8_t *k2 = g->keys[below(g, g->n_keys)];
  uint64_t amount = below(g, 4) ? below(g, 2000) : pick_u64(g);
  switch (below(g, 10)) {
  case 0:
  case 1:
  case 2:
    cx_tx_build_op(b, CX_OP_TRANSFER, g->accounts[below(g, g->n_accounts)],
                   NULL, amount);
    break;
  case 3:
    cx_tx_build_op(b, CX_OP_SET, k1, NULL, pick_u64(g));
    break;
  case 4:
    cx_tx_build_op(b, CX_OP_ADD, k1, NULL, amount);
    break;
  case 5:
    cx_tx_build_op(b, CX_OP_SUB, k1, NULL, amount);
    break;
  case 6:
    cx_tx_build_op(b, CX_OP_COPY, k1, k2, 0);
    break;
  case 7:
    cx_tx_build_op(b, CX_OP_ASSERT_GE, k1, NULL, below(g, 3000));
    break;
  default:
    cx_tx_build_op(b, CX_OP_APPEND, k1, NULL, pick_u64(g));
    break;
  }
}

size_t cx_blockgen_size(cx_blockgen *g) {
  return below(g, 40) == 0 ? 200 + below(g, 1000) : below(g, 80);
}

int cx_blockgen_block(cx_blockgen *g, size_t n, cx_exec_input *in) {
  static const uint8_t pubkey[33] = {2}, sig[64];
  if (n > CX_BLOCKGEN_MAX_TXS)
    return CX_EINVAL;
  g->block_no++;
  for (size_t i = 0; i < n; i++) {
    unsigned a = (unsigned)below(g, g->n_accounts);
    if (g->seen[a] != g->block_no) { /* first use in this block: resync */
      cx_key k = cx_key_account(g->accounts[a]);
      uint64_t balance;
      cx_memstate_read(g->state, &k, &balance, &g->next_nonce[a]);
      g->seen[a] = g->block_no;
    }
    uint64_t nonce = g->next_nonce[a];
    if (below(g, 12) == 0)
      nonce += below(g, 2) ? 1 : UINT64_MAX; /* bad nonce (+1 or -1) */
    else
      g->next_nonce[a]++;
    uint8_t *buf = g->wire + i * CX_TX_MAX_LEN;
    cx_tx_builder b;
    cx_tx_build_begin(&b, buf, pubkey, nonce);
    unsigned ops = below(g, 50) == 0 ? 1 + (unsigned)below(g, 64)
                                     : 1 + (unsigned)below(g, 4);
    for (unsigned o = 0; o < ops; o++)
      add_op(g, &b);
    size_t len = cx_tx_build_finish(&b, sig);
    if (!cx_tx_decode(buf, len, &g->txs[i]))
      return CX_EINVAL; /* the builder produced a bad encoding: a bug */
    if (below(g, 50) == 0)
      g->txs[i].malformed = true;
    g->sig_ok[i] = below(g, 25) != 0;
    memcpy(g->senders[i], g->accounts[a], 20);
  }
  in->n = n;
  in->txs = g->txs;
  in->sig_ok = g->sig_ok;
  in->senders = (const uint8_t(*)[20])g->senders;
  return CX_OK;
}

cx_memstate *cx_blockgen_state(cx_blockgen *g) { return g->state; }

unsigned cx_blockgen_accounts(const cx_blockgen *g) { return g->n_accounts; }

bool cx_exec_same(const cx_exec_result *a, const cx_exec_result *b,
                  char *why, size_t why_len) {
  if (a->n != b->n) {
    snprintf(why, why_len, "%zu vs %zu transactions", a->n, b->n);
    return false;
  }
  for (size_t i = 0; i < a->n; i++)
    if (a->statuses[i] != b->statuses[i]) {
      snprintf(why, why_len, "tx %zu: status %u vs %u", i, a->statuses[i],
               b->statuses[i]);
      return false;
    }
  if (a->n_writes != b->n_writes) {
    snprintf(why, why_len, "%zu vs %zu writes", a->n_writes, b->n_writes);
    return false;
  }
  for (size_t i = 0; i < a->n_writes; i++) {
    const cx_entry *x = &a->writes[i], *y = &b->writes[i];
    if (cx_key_cmp(&x->key, &y->key) != 0 || x->v0 != y->v0 ||
        x->v1 != y->v1) {
      snprintf(why, why_len, "write %zu differs (key kind %u vs %u)", i,
               x->key.kind, y->key.kind);
      return false;
    }
  }
  return true;
}
