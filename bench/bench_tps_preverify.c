/* `bench tps --preverify`: block latency with and without pre-verified
 * transactions, and pre-verification throughput against the CPU pool's
 * verify rate on the same signatures. See bench_tps.h. */
#include <stdlib.h>
#include <string.h>

#include "bench_tps.h"
#include "bench_util.h"
#include "cx_sched.h"
#include "fixture.h"
#include "tx.h"

/* The pool verify reference: a CPU-only scheduler of the same thread
 * count over the block's decoded signatures (digests computed up front:
 * only verification is timed). */
typedef struct pool_ref {
  cx_pool *pool;
  cx_verifier *verifier;
  cx_sched *sched;
  const uint8_t **pub, **dig, **sig;
  uint8_t (*digests)[32];
  uint8_t *ok;
  size_t cap;
} pool_ref;

static int pool_ref_open(pool_ref *r, unsigned threads, size_t cap,
                         cx_error *err) {
  memset(r, 0, sizeof *r);
  cx_sched_config sc;
  cx_sched_config_default(&sc);
  sc.strategy = CX_STRATEGY_CPU;
  r->cap = cap ? cap : 1;
  r->pub = malloc(3 * r->cap * sizeof *r->pub);
  r->digests = malloc(r->cap * 32);
  r->ok = malloc(r->cap);
  if (!r->pub || !r->digests || !r->ok)
    return cx_error_set(err, CX_ENOMEM, "out of memory for the pool verify");
  r->dig = r->pub + r->cap;
  r->sig = r->pub + 2 * r->cap;
  if (!(r->pool = cx_pool_create(threads, err)))
    return err->code;
  if (!(r->verifier = cx_verifier_create()))
    return cx_error_set(err, CX_ENOMEM, "out of memory for a verifier");
  if (!(r->sched = cx_sched_create(&sc, r->pool, r->verifier, err)))
    return err->code;
  return CX_OK;
}

static void pool_ref_close(pool_ref *r) {
  cx_sched_destroy(r->sched);
  cx_verifier_destroy(r->verifier);
  cx_pool_destroy(r->pool);
  free((void *)r->pub);
  free(r->digests);
  free(r->ok);
}

/* Verifies the signatures of txs [from, to) of block b: *n their number,
 * *s the time. */
static int pool_ref_verify(pool_ref *r, const cx_fixture_block *b,
                           size_t from, size_t to, size_t *n, double *s,
                           cx_error *err) {
  size_t m = 0;
  for (size_t j = from; j < to && m < r->cap; j++) {
    cx_tx tx;
    if (!cx_tx_decode(b->txs[j], b->tx_lens[j], &tx))
      continue;
    cx_tx_hash(&tx, r->digests[m]);
    r->pub[m] = tx.pubkey;
    r->dig[m] = r->digests[m];
    r->sig[m++] = tx.sig;
  }
  double t0 = cx_bench_now();
  int rc = cx_sched_verify(r->sched, m, r->pub, r->dig, r->sig, r->ok, err);
  *s = cx_bench_now() - t0;
  *n = m;
  return rc;
}

/* Submits txs [from, to) of the block and waits; *s the time. */
static int preverify_timed(cx_engine *e, const cx_block *v, size_t from,
                           size_t to, double *s, cx_error *err) {
  cx_submit_ticket t;
  double t0 = cx_bench_now();
  int rc = cx_engine_submit(e, v->txs + from, v->tx_lens + from, to - from,
                            &t, err);
  if (!rc)
    rc = cx_engine_submit_wait(e, &t, err);
  *s = cx_bench_now() - t0;
  return rc;
}

/* A block's pool verify and pre-verification, in pieces of one
 * pre-verification batch, alternately first (ABBA), so that a load
 * change on a shared machine weighs on both alike. Fills the two rates
 * over the whole block. */
static int compare_rates(pool_ref *r, cx_engine *pre, const cx_fixture *f,
                         size_t i, double *rate_pool, double *rate_pre,
                         cx_error *err) {
  cx_block v;
  cx_fixture_block_view(f, i, &v);
  double pool_s = 0, pre_s = 0;
  size_t sigs = 0;
  int rc = CX_OK;
  for (size_t from = 0, k = 0; from < v.tx_count && !rc;
       from += CX_PREVERIFY_BATCH, k++) {
    size_t to = v.tx_count - from < CX_PREVERIFY_BATCH
                    ? v.tx_count
                    : from + CX_PREVERIFY_BATCH;
    double ps = 0, vs = 0;
    size_t m = 0;
    if (k % 2)
      rc = preverify_timed(pre, &v, from, to, &vs, err);
    if (!rc)
      rc = pool_ref_verify(r, &f->blocks[i], from, to, &m, &ps, err);
    if (!rc && k % 2 == 0)
      rc = preverify_timed(pre, &v, from, to, &vs, err);
    pool_s += ps;
    pre_s += vs;
    sigs += m;
  }
  *rate_pool = pool_s > 0 ? (double)sigs / pool_s : 0;
  *rate_pre = pre_s > 0 ? (double)sigs / pre_s : 0;
  return rc;
}

static cx_engine *open_loaded(const cx_config *cfg, const cx_fixture *f,
                              cx_error *err) {
  cx_engine *e = cx_engine_open(cfg, err);
  if (e && cx_engine_load_genesis(e, f->accounts, f->n_accounts, f->kv,
                                  f->n_kv, NULL, err)) {
    cx_engine_close(e);
    e = NULL;
  }
  return e;
}

static int exec_timed(cx_engine *e, const cx_block *v, cx_block_result *out,
                      double *s, cx_error *err) {
  double t0 = cx_bench_now();
  int rc = cx_engine_execute_block(e, v, out, err);
  *s = cx_bench_now() - t0;
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median, min and max of v[0..n) (sorted in place). */
static tps_spread spread_of(double *v, size_t n) {
  tps_spread s = {0, 0, 0};
  if (n == 0)
    return s;
  qsort(v, n, sizeof *v, cmp_double);
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v[0];
  s.max = v[n - 1];
  return s;
}

static bool same_result(const cx_block_result *a, const cx_block_result *b) {
  return a->tx_count == b->tx_count &&
         !memcmp(a->state_root, b->state_root, 32) &&
         !memcmp(a->receipts_root, b->receipts_root, 32) &&
         !memcmp(a->tx_root, b->tx_root, 32) &&
         (a->tx_count == 0 ||
          !memcmp(a->statuses, b->statuses, a->tx_count));
}

int tps_cell_preverify(tps_cell *c, const cx_fixture *f, cx_error *err) {
  size_t n = f->n_blocks, cap = 0;
  for (size_t i = 0; i < n; i++)
    cap = f->blocks[i].tx_count > cap ? f->blocks[i].tx_count : cap;
  double *lat = calloc(4 * (n ? n : 1), sizeof *lat);
  cx_engine *plain = NULL, *pre = NULL;
  pool_ref ref;
  int rc = pool_ref_open(&ref, c->threads, cap, err);
  if (!rc && !lat)
    rc = cx_error_set(err, CX_ENOMEM, "out of memory");
  /* Fresh engines and databases: both start from the same genesis. */
  if (!rc && !(plain = open_loaded(&c->cfg, f, err)))
    rc = err->code;
  if (!rc && !(pre = open_loaded(&c->cfg, f, err)))
    rc = err->code;
  double *lat_pre = lat + n, *rate_pre = lat + 2 * n, *rate_pool = lat + 3 * n;
  size_t done = 0;
  /* Interleaved per block, so drift of a shared machine hits all four. */
  for (size_t i = 0; i < n && !rc; i++, done++) {
    cx_block v;
    cx_fixture_block_view(f, i, &v);
    cx_block_result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    rc = exec_timed(plain, &v, &a, &lat[i], err);
    if (!rc)
      rc = compare_rates(&ref, pre, f, i, &rate_pool[i], &rate_pre[i], err);
    if (!rc)
      rc = exec_timed(pre, &v, &b, &lat_pre[i], err);
    if (!rc && !same_result(&a, &b))
      rc = cx_error_set(err, CX_EMISMATCH,
                        "block %zu: the pre-verified run differs from the "
                        "plain one (statuses or roots): a bug",
                        i + 1);
    c->pre_hits += b.counters.verify_cache_hits;
    cx_block_result_free(&a);
    cx_block_result_free(&b);
  }
  if (!rc) {
    c->block_latency = spread_of(lat, done);
    c->preverified_latency = spread_of(lat_pre, done);
    c->preverify_rate = spread_of(rate_pre, done);
    c->pool_verify_rate = spread_of(rate_pool, done);
    cx_engine_preverify_stats(pre, &c->pre_stats);
    c->sigcache_limit = c->cfg.sigcache_bytes;
  }
  cx_engine_close(plain);
  cx_engine_close(pre);
  pool_ref_close(&ref);
  free(lat);
  return rc;
}
