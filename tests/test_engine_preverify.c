/* Pre-verification and the signature cache never change a status or a
 * root: random blocks of which random subsets were pre-verified (in all
 * three ways: cx_engine_preverify, submit + wait, submit without waiting
 * while the block runs), including transactions pre-verification found
 * invalid, transactions changed by one byte after pre-verification,
 * high-S twins, and the same transaction in two blocks, give the results
 * of the independent reference and of an engine without the cache, at 1,
 * 2 and 4 threads. A full cache under pressure stays correct and bounded.
 * CX_TEST_LABEL_CONCURRENCY */
#include "sigcache.h"
#include "test_engine_util.h"

#define N_BLOCKS 5

/* secp256k1's group order n, big-endian. */
static const uint8_t curve_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
    0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

/* The high-S twin of a signed wire tx: s replaced by n - s, a signature
 * ECDSA accepts and SPEC section 3 rejects. */
static void high_s_twin(uint8_t *wire, size_t len) {
  uint8_t *s = wire + len - 32;
  int borrow = 0;
  for (int i = 31; i >= 0; i--) {
    int d = curve_n[i] - s[i] - borrow;
    borrow = d < 0;
    s[i] = (uint8_t)(d + (borrow ? 256 : 0));
  }
}

/* A wire transaction to submit (owned copy). */
typedef struct sub {
  uint8_t *wire;
  size_t len;
} sub;

typedef struct chain {
  te_keys keys;
  cx_genesis_account *genesis;
  te_block blocks[N_BLOCKS];
  te_ref_result want[N_BLOCKS];
  /* Per block: what is pre-verified before (or while) it runs. */
  sub *subs[N_BLOCKS];
  size_t n_subs[N_BLOCKS];
} chain;

static void add_sub(chain *c, int b, const uint8_t *wire, size_t len) {
  c->subs[b] = realloc(c->subs[b], (c->n_subs[b] + 1) * sizeof(sub));
  cr_assert_not_null(c->subs[b]);
  sub *s = &c->subs[b][c->n_subs[b]++];
  s->wire = malloc(len ? len : 1);
  cr_assert_not_null(s->wire);
  memcpy(s->wire, wire, len);
  s->len = len;
}

static void chain_build(chain *c, uint64_t seed, size_t txs) {
  memset(c, 0, sizeof *c);
  cx_rng rng = {seed};
  te_keys_init(&c->keys, 24, seed);
  c->genesis = te_genesis_accounts(&c->keys, 100000000);
  te_ref ref;
  te_ref_init(&ref, c->genesis, c->keys.n, NULL, 0);
  for (int b = 0; b < N_BLOCKS; b++) {
    te_block *blk = &c->blocks[b];
    te_random_block(blk, &c->keys, &rng, txs);
    size_t base = blk->n;
    /* The same transaction in two blocks: a copy of one of the previous
     * block's (its nonce is spent: BAD_NONCE, with a valid signature). */
    if (b > 0) {
      const te_block *prev = &c->blocks[b - 1];
      size_t j = (size_t)cx_rng_below(&rng, prev->n);
      te_block_push(blk, prev->txs[j], prev->lens[j]);
    }
    for (size_t i = 0; i < base; i++) {
      uint64_t roll = cx_rng_below(&rng, 100);
      if (roll < 45) /* a random subset, whatever its verdict */
        add_sub(c, b, blk->txs[i], blk->lens[i]);
      if (roll >= 45 && roll < 52 && blk->lens[i] > CX_TX_MIN_LEN) {
        /* Changed by one byte after pre-verification. */
        add_sub(c, b, blk->txs[i], blk->lens[i]);
        size_t at = (size_t)cx_rng_below(&rng, blk->lens[i]);
        blk->txs[i][at] ^= (uint8_t)(1u << cx_rng_below(&rng, 8));
      }
      if (roll >= 52 && roll < 58 && blk->lens[i] > CX_TX_MIN_LEN) {
        /* High-S twins: the block carries the twin of a pre-verified
         * transaction, or the original of a pre-verified twin. */
        uint8_t twin[CX_TX_MAX_LEN];
        memcpy(twin, blk->txs[i], blk->lens[i]);
        high_s_twin(twin, blk->lens[i]);
        add_sub(c, b, roll & 1 ? blk->txs[i] : twin, blk->lens[i]);
        if (roll & 1)
          memcpy(blk->txs[i], twin, blk->lens[i]);
      }
    }
    /* The copy from the previous block is pre-verified again at times. */
    if (b > 0 && cx_rng_below(&rng, 2))
      add_sub(c, b, blk->txs[blk->n - 1], blk->lens[blk->n - 1]);
    te_ref_block(&ref, blk, &c->want[b]);
    te_keys_sync(&c->keys, &ref);
  }
  te_ref_free(&ref);
  size_t seen[7] = {0};
  for (int b = 0; b < N_BLOCKS; b++)
    for (size_t t = 0; t < c->blocks[b].n; t++)
      seen[c->want[b].statuses[t]]++;
  for (int s = 0; s < 7; s++)
    cr_assert_gt(seen[s], 0, "no transaction with status %d", s);
}

static void chain_free(chain *c) {
  for (int b = 0; b < N_BLOCKS; b++) {
    te_block_free(&c->blocks[b]);
    free(c->want[b].statuses);
    for (size_t i = 0; i < c->n_subs[b]; i++)
      free(c->subs[b][i].wire);
    free(c->subs[b]);
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

/* The verdict pre-verification must give, from crypto/ alone. */
static uint8_t ref_verdict(const cx_verifier *v, const sub *s) {
  cx_tx tx;
  if (!cx_tx_decode(s->wire, s->len, &tx))
    return CX_PREVERDICT_MALFORMED;
  uint8_t h[32];
  cx_tx_hash(&tx, h);
  return cx_verify(v, tx.pubkey, h, tx.sig) ? CX_PREVERDICT_VALID
                                            : CX_PREVERDICT_BAD_SIGNATURE;
}

/* Wire bytes of the valid submissions so far: a block tx with the same
 * bytes must hit once its submission was waited for. */
typedef struct cached_set {
  uint8_t (*h)[32];
  size_t n, cap;
} cached_set;

static void set_add(cached_set *s, const uint8_t *wire, size_t len) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    s->h = realloc(s->h, s->cap * 32);
    cr_assert_not_null(s->h);
  }
  cx_sha256(wire, len, s->h[s->n++]);
}

static bool set_has(const cached_set *s, const uint8_t *wire, size_t len) {
  uint8_t h[32];
  cx_sha256(wire, len, h);
  for (size_t i = 0; i < s->n; i++)
    if (!memcmp(s->h[i], h, 32))
      return true;
  return false;
}

enum mode { SYNC, WAIT, NOWAIT, MODES };

/* Pre-verifies block b's submissions in `mode` and records the valid ones
 * in *set. Returns the ticket to wait for (NOWAIT: after the block). */
static cx_submit_ticket preverify(cx_engine *e, const chain *c, int b,
                                  enum mode mode, const cx_verifier *v,
                                  cached_set *set) {
  cx_submit_ticket t1 = {0}, t2 = {0};
  size_t n = c->n_subs[b];
  const uint8_t **txs = malloc((n ? n : 1) * sizeof *txs);
  size_t *lens = malloc((n ? n : 1) * sizeof *lens);
  uint8_t *verdicts = malloc(n ? n : 1);
  cr_assert(txs && lens && verdicts);
  for (size_t i = 0; i < n; i++) {
    txs[i] = c->subs[b][i].wire;
    lens[i] = c->subs[b][i].len;
  }
  cx_error err = {0};
  if (mode == SYNC) {
    cr_assert_eq(cx_engine_preverify(e, txs, lens, n, verdicts, &err), 0,
                 "%s", err.message);
    for (size_t i = 0; i < n; i++)
      cr_assert_eq(verdicts[i], ref_verdict(v, &c->subs[b][i]),
                   "block %d submission %zu: verdict %u", b, i, verdicts[i]);
  } else {
    /* Two submissions, as a mempool sees transactions trickle in. */
    cr_assert_eq(cx_engine_submit(e, txs, lens, n / 2, &t1, &err), 0, "%s",
                 err.message);
    cr_assert_eq(cx_engine_submit(e, txs + n / 2, lens + n / 2, n - n / 2,
                                  &t2, &err),
                 0, "%s", err.message);
    if (mode == WAIT)
      cr_assert_eq(cx_engine_submit_wait(e, &t2, &err), 0, "%s",
                   err.message);
  }
  for (size_t i = 0; i < n; i++)
    if (ref_verdict(v, &c->subs[b][i]) == CX_PREVERDICT_VALID)
      set_add(set, txs[i], lens[i]);
  free(txs);
  free(lens);
  free(verdicts);
  return t2;
}

/* Hits the block must have: its well-formed, validly signed transactions
 * whose exact bytes were pre-verified and waited for. */
static size_t expected_hits(const chain *c, int b, const cx_verifier *v,
                            const cached_set *set) {
  size_t k = 0;
  for (size_t i = 0; i < c->blocks[b].n; i++) {
    sub s = {c->blocks[b].txs[i], c->blocks[b].lens[i]};
    k += ref_verdict(v, &s) == CX_PREVERDICT_VALID &&
         set_has(set, s.wire, s.len);
  }
  return k;
}

static size_t well_formed(const te_ref_result *want, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += want->statuses[i] != CX_TX_MALFORMED;
  return k;
}

/* Runs the chain block by block, pre-verifying before each block (mode
 * drawn per block), and checks every block against the reference. With
 * `exact`, the hits must be exactly those expected (no eviction). */
static void run_chain(const chain *c, const cx_config *cfg, cx_rng *rng,
                      bool exact, const char *what) {
  cx_engine *e = chain_engine(c, cfg);
  cx_verifier *v = cx_verifier_create();
  cached_set set = {0};
  uint64_t total_hits = 0;
  for (int b = 0; b < N_BLOCKS; b++) {
    enum mode mode = (enum mode)cx_rng_below(rng, MODES);
    /* Hits the block must have, and may have when its own submissions
     * race with it (NOWAIT). */
    size_t lo = expected_hits(c, b, v, &set);
    cx_submit_ticket t = {0};
    if (cfg->sigcache_bytes > 0)
      t = preverify(e, c, b, mode, v, &set);
    size_t hi = expected_hits(c, b, v, &set);
    if (mode != NOWAIT)
      lo = hi;
    cx_block_result out;
    cx_error err = {0};
    cr_assert_eq(cx_engine_execute_block(e, &c->blocks[b].view, &out, &err),
                 0, "%s: %s", what, err.message);
    char label[200];
    snprintf(label, sizeof label, "%s, block %d, mode %d", what, b,
             (int)mode);
    te_expect_same(&out, &c->want[b], c->blocks[b].n, (uint64_t)b + 1,
                   label);
    const cx_block_counters *k = &out.counters;
    cr_assert_eq(k->verify_gpu_items + k->verify_cpu_items +
                     k->verify_cache_hits,
                 well_formed(&c->want[b], c->blocks[b].n),
                 "%s: each well-formed tx verified or hit once", label);
    /* Without eviction every waited-for verdict hits; a small cache may
     * have forgotten some. Never a hit that was not submitted. */
    cr_assert(k->verify_cache_hits <= hi &&
                  (!exact || k->verify_cache_hits >= lo),
              "%s: %llu hits, want %zu..%zu", label,
              (unsigned long long)k->verify_cache_hits, exact ? lo : 0, hi);
    if (cfg->sigcache_bytes == 0)
      cr_assert_eq(k->verify_cache_hits, 0, "%s: hits without a cache",
                   label);
    total_hits += k->verify_cache_hits;
    cx_block_result_free(&out);
    if (t.seq)
      cr_assert_eq(cx_engine_submit_wait(e, &t, &err), 0, "%s", err.message);
  }
  cx_preverify_stats s;
  cx_engine_preverify_stats(e, &s);
  if (cfg->sigcache_bytes > 0 && exact)
    cr_assert_gt(total_hits, 0, "%s: the cache was never used", what);
  if (cfg->sigcache_bytes > 0) {
    cr_assert_eq(s.block_hits, total_hits, "%s", what);
    cr_assert_leq(s.bytes, cfg->sigcache_bytes, "%s: cache bytes", what);
    cr_assert_leq(s.resident_bytes, s.bytes, "%s: resident", what);
    cr_assert_eq(s.evictions, s.inserts - s.entries, "%s", what);
  }
  cx_engine_close(e);
  cx_verifier_destroy(v);
  free(set.h);
}

Test(preverify, property_identical_to_reference) {
  uint64_t seed = cx_test_seed("engine.preverify.property");
  uint64_t rounds = cx_test_iters(1);
  for (uint64_t round = 0; round < rounds; round++) {
    chain c;
    chain_build(&c, seed + round, 120);
    cx_rng rng = {seed ^ 0x5bd1e995u};
    static const unsigned threads[] = {1, 2, 4};
    for (size_t t = 0; t < 3; t++) {
      for (int cached = 0; cached < 2; cached++) {
        cx_config cfg;
        cx_config_default(&cfg);
        cfg.threads = threads[t];
        cfg.durability = CX_NOSYNC;
        if (!cached)
          cfg.sigcache_bytes = 0; /* the run without the cache */
        char what[96];
        snprintf(what, sizeof what, "round %llu, %u threads, cache %s",
                 (unsigned long long)round, threads[t], cached ? "on" : "off");
        run_chain(&c, &cfg, &rng, true, what);
      }
    }
    chain_free(&c);
  }
}

/* The device path: pre-verification and the block go through the `sim`
 * device with faults, and the results still match. */
Test(preverify, sim_device_with_faults) {
  uint64_t seed = cx_test_seed("engine.preverify.sim");
  chain c;
  chain_build(&c, seed, 100);
  cx_rng rng = {seed};
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.threads = 2;
  cfg.strategy = CX_STRATEGY_KIND_GPU;
  cfg.gpu = "sim:fail=0.2,wrong=0.1,delay_us=100,seed=5";
  cfg.durability = CX_NOSYNC;
  run_chain(&c, &cfg, &rng, true, "sim with faults");
  chain_free(&c);
}

/* Under pressure: a cache of a few dozen entries takes every submission;
 * results stay identical, memory stays within the limit, evictions are
 * counted. */
Test(preverify, tiny_cache_under_pressure) {
  uint64_t seed = cx_test_seed("engine.preverify.tiny");
  chain c;
  chain_build(&c, seed, 150);
  cx_rng rng = {seed};
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.threads = 2;
  cfg.durability = CX_NOSYNC;
  cfg.sigcache_bytes = 1024;
  run_chain(&c, &cfg, &rng, false, "tiny cache");
  /* Again, counting evictions once everything was submitted. */
  cx_engine *e = chain_engine(&c, &cfg);
  cx_error err = {0};
  for (int b = 0; b < N_BLOCKS; b++)
    for (size_t i = 0; i < c.n_subs[b]; i++) {
      const uint8_t *w = c.subs[b][i].wire;
      cr_assert_eq(
          cx_engine_preverify(e, &w, &c.subs[b][i].len, 1, NULL, &err), 0,
          "%s", err.message);
    }
  cx_preverify_stats s;
  cx_engine_preverify_stats(e, &s);
  cr_assert_leq(s.bytes, 1024);
  cr_assert_leq(s.resident_bytes, 1024);
  cr_assert_leq(s.entries, s.capacity);
  cr_assert_gt(s.verified_valid, s.capacity, "not under pressure");
  cr_assert_gt(s.evictions, 0, "a full cache must evict");
  cr_assert_eq(s.evictions, s.inserts - s.entries);
  for (int b = 0; b < N_BLOCKS; b++) {
    cx_block_result out;
    cr_assert_eq(cx_engine_execute_block(e, &c.blocks[b].view, &out, &err), 0,
                 "%s", err.message);
    te_expect_same(&out, &c.want[b], c.blocks[b].n, (uint64_t)b + 1,
                   "tiny cache, all submitted first");
    cx_block_result_free(&out);
  }
  cx_engine_close(e);
  chain_free(&c);
}

Test(preverify, api_errors_and_metrics) {
  cx_error err = {0};
  cx_config cfg;
  cx_config_default(&cfg);
  cr_assert_eq(cfg.sigcache_bytes, CX_SIGCACHE_DEFAULT_BYTES);
  cfg.sigcache_bytes = 10;
  cr_assert_null(cx_engine_open(&cfg, &err));
  cr_assert_eq(err.code, CX_EINVAL);
  cr_assert(strstr(err.message, "sigcache_bytes"), "%s", err.message);
  cfg.sigcache_bytes = 0;
  cx_engine *e = cx_engine_open(&cfg, &err);
  cr_assert_not_null(e, "%s", err.message);
  const uint8_t *none = NULL;
  size_t zero = 0;
  cx_submit_ticket t = {0};
  cr_assert_eq(cx_engine_submit(e, &none, &zero, 1, &t, &err), CX_ESTATE);
  cr_assert(strstr(err.message, "disabled"), "%s", err.message);
  cx_preverify_stats s;
  cx_engine_preverify_stats(e, &s);
  cr_assert_eq(s.capacity, 0);
  cx_engine_close(e);

  cx_config_default(&cfg);
  cfg.threads = 2;
  e = cx_engine_open(&cfg, &err);
  cr_assert_not_null(e, "%s", err.message);
  cr_assert_eq(cx_engine_submit(e, NULL, NULL, 3, &t, &err), CX_EINVAL);
  size_t five = 5;
  cr_assert_eq(cx_engine_submit(e, &none, &five, 1, &t, &err), CX_EINVAL);
  cx_submit_ticket bogus = {99};
  cr_assert_eq(cx_engine_submit_wait(e, &bogus, &err), CX_EINVAL);
  /* Garbage and empty transactions are accepted, counted malformed. */
  uint8_t junk[40] = {1};
  const uint8_t *txs[3] = {junk, NULL, junk};
  size_t lens[3] = {sizeof junk, 0, (size_t)CX_TX_MAX_LEN + 1};
  cr_assert_eq(cx_engine_submit(e, txs, lens, 2, &t, &err), 0, "%s",
               err.message);
  cr_assert_eq(cx_engine_submit_wait(e, &t, &err), 0, "%s", err.message);
  uint8_t verdicts[3];
  lens[2] = sizeof junk;
  cr_assert_eq(cx_engine_preverify(e, txs, lens, 3, verdicts, &err), 0);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(verdicts[i], CX_PREVERDICT_MALFORMED);
  cx_engine_preverify_stats(e, &s);
  cr_assert_eq(s.submissions, 2);
  cr_assert_eq(s.submitted_txs, 5);
  cr_assert_eq(s.malformed, 5);
  cr_assert_eq(s.pending_txs, 0);
  char buf[1 << 16];
  cr_assert_gt(cx_engine_metrics(e, buf, sizeof buf), 0);
  static const char *const names[] = {
      "chainexec_preverify_submissions_total 2",
      "chainexec_preverify_results_total{result=\"malformed\"} 5",
      "chainexec_sigcache_lookups_total{result=\"hit\"}",
      "chainexec_sigcache_evictions_total",
      "chainexec_sigcache_bytes{kind=\"resident\"}",
      "chainexec_preverify_signatures_per_second"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    cr_assert(strstr(buf, names[i]), "metrics lack %s", names[i]);
  /* Closing with submissions queued drops them (no call in flight). */
  cr_assert_eq(cx_engine_submit(e, txs, lens, 3, NULL, &err), 0);
  cx_engine_close(e);
}

/* The same transactions on two competing branches (speculative blocks on
 * the genesis, cx_engine_execute_on): both hit, and both give the results
 * of an engine without the cache; making the second the head commits
 * them. */
Test(preverify, competing_branches_hit_on_both) {
  uint64_t seed = cx_test_seed("engine.preverify.branches");
  chain c;
  chain_build(&c, seed, 120);
  /* Branch B: block 0's transactions in reverse order. */
  te_block rev = {0};
  for (size_t i = c.blocks[0].n; i-- > 0;)
    te_block_push(&rev, c.blocks[0].txs[i], c.blocks[0].lens[i]);
  const cx_block *branch[2] = {&c.blocks[0].view, &rev.view};
  cx_block_result want[2], got[2];
  for (int cached = 0; cached < 2; cached++) {
    cx_config cfg;
    cx_config_default(&cfg);
    cfg.threads = 2;
    cfg.durability = CX_NOSYNC;
    if (!cached)
      cfg.sigcache_bytes = 0;
    cx_engine *e = chain_engine(&c, &cfg);
    cx_error err = {0};
    size_t valid = 0;
    if (cached) {
      cx_submit_ticket t;
      cr_assert_eq(cx_engine_submit(e, branch[0]->txs, branch[0]->tx_lens,
                                    branch[0]->tx_count, &t, &err),
                   0, "%s", err.message);
      cr_assert_eq(cx_engine_submit_wait(e, &t, &err), 0, "%s", err.message);
      cx_verifier *v = cx_verifier_create();
      for (size_t i = 0; i < c.blocks[0].n; i++) {
        sub s = {c.blocks[0].txs[i], c.blocks[0].lens[i]};
        valid += ref_verdict(v, &s) == CX_PREVERDICT_VALID;
      }
      cx_verifier_destroy(v);
      cr_assert_gt(valid, 0);
    }
    cx_block_id genesis, ids[2];
    cr_assert_eq(cx_engine_block_at(e, 0, &genesis, &err), 0, "%s",
                 err.message);
    cx_block_result *out = cached ? got : want;
    for (int b = 0; b < 2; b++) {
      cr_assert_eq(cx_engine_execute_on(e, genesis, branch[b], &ids[b],
                                        &out[b], &err),
                   0, "%s", err.message);
      cr_assert_eq(out[b].counters.verify_cache_hits, valid,
                   "branch %d: %llu hits, want %zu", b,
                   (unsigned long long)out[b].counters.verify_cache_hits,
                   valid);
    }
    cr_assert_eq(cx_engine_make_head(e, ids[1], &err), 0, "%s", err.message);
    cx_engine_close(e);
  }
  te_expect_same(&want[0], &c.want[0], c.blocks[0].n, 1, "branch A");
  for (int b = 0; b < 2; b++) {
    size_t n = branch[b]->tx_count;
    cr_assert_arr_eq(got[b].statuses, want[b].statuses, n, "branch %d", b);
    cr_assert_arr_eq(got[b].state_root, want[b].state_root, 32);
    cr_assert_arr_eq(got[b].receipts_root, want[b].receipts_root, 32);
    cr_assert_arr_eq(got[b].tx_root, want[b].tx_root, 32);
    cx_block_result_free(&got[b]);
    cx_block_result_free(&want[b]);
  }
  te_block_free(&rev);
  chain_free(&c);
}
