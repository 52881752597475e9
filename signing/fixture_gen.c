/* Fixture generator: signed blocks for `chainexec gen` and `bench tps`.
 *
 * Determinism: every random choice is drawn from one splitmix64 stream in
 * transaction order, on one thread; only signing (RFC 6979, itself
 * deterministic) runs on several threads. So the bytes depend on the
 * parameters and the seed, never on the thread count.
 *
 * Nonces: the generator models the state (balances, the shared keys and
 * counters) and runs each well-signed transaction's ops on the model, so
 * it knows which ones commit: only those advance the sender's nonce, and
 * later transactions stay valid. Injected bad ones (signature, nonce,
 * bytes) never commit. The engine is used only to compute `expect`.
 */
#include "chainexec.h"
#include "fixture.h"
#include "fixture_gen.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "signer.h"
#include "tx.h"

#define GEN_CHUNK 1024 /* transactions signed per parallel round */
#define GEN_KV_KEYS 16 /* shared storage keys of the mixed workload */
#define GEN_COUNTERS 4 /* APPEND counters of the mixed workload */
#define GEN_BALANCE 1000000000000ull

typedef struct gen_rng {
  uint64_t s;
} gen_rng;

static uint64_t rng_next(gen_rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t rng_below(gen_rng *r, uint64_t n) { return rng_next(r) % n; }

static bool rng_chance(gen_rng *r, double p) {
  return p > 0 && (double)(rng_next(r) >> 11) * 0x1.0p-53 < p;
}

enum bad_kind { BAD_NONE, BAD_SIG, BAD_NONCE, BAD_BYTES };

/* One transaction being built; buf holds CX_TX_MAX_LEN bytes. */
typedef struct gen_slot {
  cx_tx_builder b;
  const uint8_t *seckey;
  int bad;
  uint64_t bad_param;
} gen_slot;

typedef struct gen_state {
  const cx_fixture_gen_params *p;
  cx_signer *signer;
  uint8_t (*seckeys)[32];
  uint8_t (*pubkeys)[33];
  uint64_t *nonces;   /* model of the state: next nonce per account, */
  uint64_t *balances; /* balances, and the shared keys and counters */
  uint64_t kv_vals[GEN_KV_KEYS];
  uint64_t ctr_vals[GEN_COUNTERS];
  const cx_genesis_account *addrs; /* the fixture's accounts */
  uint8_t kv_keys[GEN_KV_KEYS][32];
  uint8_t counters[GEN_COUNTERS][32];
  gen_rng rng;
  uint8_t *slot_bufs; /* GEN_CHUNK * CX_TX_MAX_LEN */
  gen_slot slots[GEN_CHUNK];
} gen_state;

typedef struct sign_job {
  gen_state *g;
  size_t begin, end;
  bool ok;
} sign_job;

static void *sign_range(void *arg) {
  sign_job *j = arg;
  j->ok = true;
  for (size_t i = j->begin; i < j->end; i++) {
    gen_slot *s = &j->g->slots[i];
    if (!cx_signer_finish_tx(j->g->signer, s->seckey, &s->b))
      j->ok = false;
  }
  return NULL;
}

/* Signs slots[0..n) on up to p->threads threads. */
static int sign_slots(gen_state *g, size_t n, cx_error *err) {
  unsigned t = g->p->threads ? g->p->threads : 1;
  if (t > 16)
    t = 16;
  if (t > n)
    t = n ? (unsigned)n : 1;
  pthread_t th[16];
  bool started[16] = {false};
  sign_job jobs[16];
  for (unsigned k = 0; k < t; k++)
    jobs[k] = (sign_job){g, n * k / t, n * (k + 1) / t, false};
  /* The last share runs here; a thread that cannot start is signed here. */
  for (unsigned k = 0; k + 1 < t; k++)
    started[k] = pthread_create(&th[k], NULL, sign_range, &jobs[k]) == 0;
  for (unsigned k = 0; k < t; k++) {
    if (!started[k])
      sign_range(&jobs[k]);
  }
  bool ok = true;
  for (unsigned k = 0; k < t; k++) {
    if (started[k])
      pthread_join(th[k], NULL);
    ok = ok && jobs[k].ok;
  }
  return ok ? CX_OK
            : cx_error_set(err, CX_EINVAL, "signing failed (bad secret key)");
}

/* One planned op: indices into the accounts, shared keys or counters. */
typedef struct gen_op {
  uint8_t code;
  uint32_t a, b; /* TRANSFER: to account; kv ops: key (COPY: src, dst);
                    APPEND: counter */
  uint64_t amount;
} gen_op;

static gen_op plan_mixed_op(gen_state *g) {
  gen_rng *r = &g->rng;
  gen_op op = {0};
  op.a = (uint32_t)rng_below(r, GEN_KV_KEYS);
  switch (rng_below(r, 7)) {
  case 0:
    op.code = CX_OP_TRANSFER;
    op.a = (uint32_t)rng_below(r, g->p->accounts);
    op.amount = 1 + rng_below(r, 1000);
    break;
  case 1:
    op.code = CX_OP_SET;
    op.amount = rng_below(r, 1000);
    break;
  case 2: /* occasionally huge, so ADD can overflow */
    op.code = CX_OP_ADD;
    op.amount =
        rng_chance(r, 0.05) ? UINT64_MAX - rng_below(r, 10) : rng_below(r, 100);
    break;
  case 3:
    op.code = CX_OP_SUB;
    op.amount = rng_below(r, 200);
    break;
  case 4:
    op.code = CX_OP_COPY;
    op.b = (uint32_t)rng_below(r, GEN_KV_KEYS);
    break;
  case 5:
    op.code = CX_OP_ASSERT_GE;
    op.amount = rng_below(r, 300);
    break;
  default:
    op.code = CX_OP_APPEND;
    op.a = (uint32_t)rng_below(r, GEN_COUNTERS);
    op.amount = rng_next(r);
    break;
  }
  return op;
}

/* Runs a well-signed transaction's ops on the generator's model of the
 * state (SPEC section 4) and keeps the effects only when every op
 * succeeds; returns whether it commits. This keeps nonces exact: a
 * failing transaction does not consume its nonce. APPEND slots are never
 * read by later ops, so only the counters are modelled. */
static bool simulate(gen_state *g, uint64_t from, const gen_op *ops,
                     unsigned n) {
  uint64_t kv[GEN_KV_KEYS], ctr[GEN_COUNTERS];
  memcpy(kv, g->kv_vals, sizeof kv);
  memcpy(ctr, g->ctr_vals, sizeof ctr);
  struct {
    uint64_t idx, old;
  } undo[2 * 4];
  unsigned nu = 0;
  bool ok = true;
  for (unsigned k = 0; k < n && ok; k++) {
    const gen_op *o = &ops[k];
    switch (o->code) {
    case CX_OP_TRANSFER:
      if (g->balances[from] < o->amount ||
          (o->a != from && g->balances[o->a] > UINT64_MAX - o->amount)) {
        ok = false;
        break;
      }
      undo[nu].idx = from;
      undo[nu++].old = g->balances[from];
      undo[nu].idx = o->a;
      undo[nu++].old = g->balances[o->a];
      g->balances[from] -= o->amount;
      g->balances[o->a] += o->amount;
      break;
    case CX_OP_SET:
      kv[o->a] = o->amount;
      break;
    case CX_OP_ADD:
      ok = kv[o->a] <= UINT64_MAX - o->amount;
      kv[o->a] += ok ? o->amount : 0;
      break;
    case CX_OP_SUB:
      ok = kv[o->a] >= o->amount;
      kv[o->a] -= ok ? o->amount : 0;
      break;
    case CX_OP_COPY:
      kv[o->b] = kv[o->a];
      break;
    case CX_OP_ASSERT_GE:
      ok = kv[o->a] >= o->amount;
      break;
    default: /* APPEND */
      ok = ctr[o->a] != UINT64_MAX;
      ctr[o->a] += ok;
      break;
    }
  }
  if (!ok) {
    while (nu > 0) {
      nu--;
      g->balances[undo[nu].idx] = undo[nu].old;
    }
    return false;
  }
  memcpy(g->kv_vals, kv, sizeof kv);
  memcpy(g->ctr_vals, ctr, sizeof ctr);
  return true;
}

static void encode_op(gen_state *g, cx_tx_builder *b, const gen_op *o) {
  const uint8_t *a = o->code == CX_OP_TRANSFER ? g->addrs[o->a].address
                     : o->code == CX_OP_APPEND ? g->counters[o->a]
                                               : g->kv_keys[o->a];
  const uint8_t *dst = o->code == CX_OP_COPY ? g->kv_keys[o->b] : NULL;
  cx_tx_build_op(b, o->code, a, dst, o->amount);
}

/* Plans one transaction, updates the model of the state, and builds its
 * unsigned form into slot s. */
static void build_tx(gen_state *g, gen_slot *s, uint8_t *buf) {
  const cx_fixture_gen_params *p = g->p;
  gen_rng *r = &g->rng;
  uint64_t from = rng_below(r, p->accounts);
  s->bad = BAD_NONE;
  if (rng_chance(r, p->bad_rate))
    s->bad = 1 + (int)rng_below(r, 3);
  s->bad_param = rng_next(r);
  gen_op ops[4];
  unsigned n = 1;
  if (p->mix == CX_FIXTURE_MIX_TRANSFER) {
    uint64_t to = rng_below(r, p->accounts);
    if (to == from && p->accounts > 1)
      to = (to + 1) % p->accounts;
    ops[0] = (gen_op){CX_OP_TRANSFER, (uint32_t)to, 0, 1 + rng_below(r, 100)};
  } else {
    n = 1 + (unsigned)rng_below(r, 4);
    for (unsigned k = 0; k < n; k++)
      ops[k] = plan_mixed_op(g);
  }
  uint64_t nonce = g->nonces[from];
  if (s->bad == BAD_NONCE)
    nonce += 1 + s->bad_param % 3;
  else if (s->bad == BAD_NONE && simulate(g, from, ops, n))
    g->nonces[from]++;
  s->seckey = g->seckeys[from];
  cx_tx_build_begin(&s->b, buf, g->pubkeys[from], nonce);
  for (unsigned k = 0; k < n; k++)
    encode_op(g, &s->b, &ops[k]);
}

/* Applies an injected signature or byte fault to a signed transaction and
 * returns the final wire length. */
static size_t corrupt(gen_slot *s, size_t len) {
  uint64_t q = s->bad_param;
  if (s->bad == BAD_SIG) {
    s->b.buf[len - 1 - (q >> 8) % CX_TX_SIG_LEN] ^= (uint8_t)(1u << (q % 8));
    return len;
  }
  if (s->bad != BAD_BYTES)
    return len;
  switch (q % 4) {
  case 0:
    return 0; /* empty transaction */
  case 1:
    return len - 1; /* signature one byte short */
  case 2:
    s->b.buf[0] = 2; /* unknown version */
    return len;
  default:
    s->b.buf[len] = (uint8_t)q; /* one byte too many */
    return len + 1;
  }
}

/* Appends n bytes to a growing arena; offsets become pointers later. */
static int arena_put(uint8_t **arena, size_t *len, size_t *cap,
                     const uint8_t *src, size_t n, cx_error *err) {
  if (n == 0) /* an empty transaction; the arena may not exist yet, and
               * memcpy's pointers must not be NULL even for 0 bytes */
    return CX_OK;
  if (*len + n > *cap) {
    size_t nc = *cap ? *cap : 4096;
    while (nc < *len + n)
      nc *= 2;
    uint8_t *na = realloc(*arena, nc);
    if (!na)
      return cx_error_set(err, CX_ENOMEM, "out of memory generating a block");
    *arena = na;
    *cap = nc;
  }
  memcpy(*arena + *len, src, n);
  *len += n;
  return CX_OK;
}

static int gen_block(gen_state *g, cx_fixture_block *b, cx_error *err) {
  size_t n = g->p->txs, len = 0, cap = 0;
  b->txs = calloc(n ? n : 1, sizeof *b->txs);
  b->tx_lens = calloc(n ? n : 1, sizeof *b->tx_lens);
  if (!b->txs || !b->tx_lens)
    return cx_error_set(err, CX_ENOMEM, "out of memory generating a block");
  size_t *offs = calloc(n ? n : 1, sizeof *offs);
  if (!offs)
    return cx_error_set(err, CX_ENOMEM, "out of memory generating a block");
  int rc = CX_OK;
  for (size_t base = 0; base < n && !rc; base += GEN_CHUNK) {
    size_t m = n - base < GEN_CHUNK ? n - base : GEN_CHUNK;
    for (size_t i = 0; i < m; i++)
      build_tx(g, &g->slots[i], g->slot_bufs + i * (CX_TX_MAX_LEN + 1));
    rc = sign_slots(g, m, err);
    for (size_t i = 0; i < m && !rc; i++) {
      size_t wl = corrupt(&g->slots[i], g->slots[i].b.len);
      offs[base + i] = len;
      b->tx_lens[base + i] = wl;
      rc = arena_put(&b->arena, &len, &cap, g->slots[i].b.buf, wl, err);
    }
  }
  if (!rc && !b->arena && !(b->arena = malloc(1)))
    rc = cx_error_set(err, CX_ENOMEM, "out of memory generating a block");
  for (size_t i = 0; i < n && !rc; i++)
    b->txs[i] = b->arena + offs[i];
  b->tx_count = rc ? 0 : n;
  free(offs);
  return rc;
}

static void gen_genesis(gen_state *g, cx_fixture *f) {
  const cx_fixture_gen_params *p = g->p;
  for (uint64_t i = 0; i < p->accounts; i++) {
    cx_signer_keypair(g->signer, p->seed * 0x100000001b3ull + i, g->seckeys[i],
                      g->pubkeys[i]);
    cx_address_of(g->pubkeys[i], f->accounts[i].address);
    f->accounts[i].balance = GEN_BALANCE;
    g->balances[i] = GEN_BALANCE;
  }
  g->addrs = f->accounts;
  f->n_accounts = p->accounts;
  if (p->mix != CX_FIXTURE_MIX_MIXED)
    return;
  uint8_t in[16];
  for (int i = 0; i < GEN_KV_KEYS + GEN_COUNTERS; i++) {
    cx_store_u64le(in, p->seed);
    cx_store_u64le(in + 8, (uint64_t)i);
    cx_sha256(in, sizeof in,
              i < GEN_KV_KEYS ? g->kv_keys[i] : g->counters[i - GEN_KV_KEYS]);
  }
  /* Half of the shared keys start funded, one near the top of u64. */
  for (int i = 0; i < GEN_KV_KEYS / 2; i++) {
    memcpy(f->kv[i].key, g->kv_keys[i], 32);
    f->kv[i].value = i == 0 ? UINT64_MAX - 5 : 100 + rng_below(&g->rng, 400);
    g->kv_vals[i] = f->kv[i].value;
  }
  f->n_kv = GEN_KV_KEYS / 2;
}

/* Opens the sequential reference engine and loads the genesis. */
static cx_engine *open_reference(cx_fixture *f, cx_error *err) {
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.threads = 1;
  cfg.strategy = CX_STRATEGY_KIND_CPU;
  cfg.durability = CX_NOSYNC; /* a temporary database, removed at close */
  cfg.pipeline = false;
  cx_engine *e = cx_engine_open(&cfg, err);
  if (!e)
    return NULL;
  if (cx_engine_load_genesis(e, f->accounts, f->n_accounts, f->kv, f->n_kv,
                             f->expect_genesis_root, err)) {
    cx_engine_close(e);
    return NULL;
  }
  return e;
}

static int run_reference(cx_engine *e, cx_fixture *f, size_t i, cx_error *err) {
  cx_block blk;
  cx_block_result r;
  memset(&r, 0, sizeof r);
  cx_fixture_block_view(f, i, &blk);
  int rc = cx_engine_execute_block(e, &blk, &r, err);
  if (!rc)
    rc = cx_fixture_expect_from_result(&r, &f->expect[i], err);
  cx_block_result_free(&r);
  return rc;
}

static int check_params(const cx_fixture_gen_params *p, cx_error *err) {
  if (p->accounts < 1 || p->accounts > 10000000)
    return cx_error_set(err, CX_EINVAL, "accounts must be 1..10000000");
  if (p->txs > CX_MAX_BLOCK_TXS || p->blocks > 1000000)
    return cx_error_set(err, CX_EINVAL,
                        "at most 1000000 blocks of 1000000 "
                        "transactions (CX_MAX_BLOCK_TXS)");
  if (!(p->bad_rate >= 0 && p->bad_rate <= 1))
    return cx_error_set(err, CX_EINVAL, "bad rate must be within 0..1");
  return CX_OK;
}

int cx_fixture_generate(const cx_fixture_gen_params *p, cx_fixture **out,
                        cx_error *err) {
  if (!p || !out)
    return cx_error_set(err, CX_EINVAL, "cx_fixture_generate: NULL argument");
  *out = NULL;
  int rc = check_params(p, err);
  if (rc)
    return rc;
  gen_state *g = calloc(1, sizeof *g);
  cx_fixture *f = calloc(1, sizeof *f);
  if (g) {
    g->p = p;
    g->rng.s = p->seed;
    g->signer = cx_signer_create();
    g->seckeys = calloc(p->accounts, sizeof *g->seckeys);
    g->pubkeys = calloc(p->accounts, sizeof *g->pubkeys);
    g->nonces = calloc(p->accounts, sizeof *g->nonces);
    g->balances = calloc(p->accounts, sizeof *g->balances);
    g->slot_bufs = malloc((size_t)GEN_CHUNK * (CX_TX_MAX_LEN + 1));
  }
  if (f) {
    f->accounts = calloc(p->accounts, sizeof *f->accounts);
    f->kv = calloc(GEN_KV_KEYS, sizeof *f->kv);
    f->blocks = calloc(p->blocks ? p->blocks : 1, sizeof *f->blocks);
    f->expect = calloc(p->blocks ? p->blocks : 1, sizeof *f->expect);
  }
  if (!g || !f || !g->signer || !g->seckeys || !g->pubkeys || !g->nonces ||
      !g->balances || !g->slot_bufs || !f->accounts || !f->kv || !f->blocks ||
      !f->expect)
    rc = cx_error_set(err, CX_ENOMEM, "out of memory generating a fixture");
  cx_engine *ref = NULL;
  if (!rc) {
    gen_genesis(g, f);
    if (p->compute_expect && !(ref = open_reference(f, err)))
      rc = err ? err->code : CX_EINVAL;
    f->has_expect = p->compute_expect;
  }
  for (uint64_t i = 0; i < p->blocks && !rc; i++) {
    f->blocks[i].parent = (int64_t)i - 1; /* one linear chain */
    f->blocks[i].height = (uint64_t)i + 1;
    rc = gen_block(g, &f->blocks[i], err);
    f->n_blocks++;
    if (!rc && ref)
      rc = run_reference(ref, f, (size_t)i, err);
  }
  cx_engine_close(ref);
  if (g) {
    cx_signer_destroy(g->signer);
    free(g->seckeys);
    free(g->pubkeys);
    free(g->nonces);
    free(g->balances);
    free(g->slot_bufs);
    free(g);
  }
  if (rc) {
    cx_fixture_free(f);
    return rc;
  }
  *out = f;
  return CX_OK;
}
