/* One cell of `bench tps`: generate, baseline verify loop, engine run,
 * sequential run. See bench_tps.h. */
#include <pthread.h>
#include <secp256k1.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_tps.h"
#include "fixture.h"
#include "fixture_gen.h"
#include "tx.h"
#include "bench_util.h"

/* --- baseline: the plain verify loop ------------------------------------ */

typedef struct verify_item {
  const uint8_t *pub, *sig;
  uint8_t digest[32];
} verify_item;

typedef struct verify_job {
  const secp256k1_context *ctx;
  const verify_item *items;
  size_t begin, end;
  size_t valid;
} verify_job;

/* What any verifier must do per signature: parse the key and the compact
 * signature, then verify. */
static void *verify_range(void *arg) {
  verify_job *j = arg;
  for (size_t i = j->begin; i < j->end; i++) {
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature sig;
    const verify_item *it = &j->items[i];
    if (secp256k1_ec_pubkey_parse(j->ctx, &pk, it->pub, 33) &&
        secp256k1_ecdsa_signature_parse_compact(j->ctx, &sig, it->sig) &&
        secp256k1_ecdsa_verify(j->ctx, &sig, it->digest, &pk))
      j->valid++;
  }
  return NULL;
}

static int run_baseline(tps_cell *c, const cx_fixture *f, cx_error *err) {
  size_t n = 0;
  for (size_t b = 0; b < f->n_blocks; b++)
    n += f->blocks[b].tx_count;
  verify_item *items = malloc((n ? n : 1) * sizeof *items);
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  if (!items || !ctx) {
    free(items);
    if (ctx)
      secp256k1_context_destroy(ctx);
    return cx_error_set(err, CX_ENOMEM, "out of memory for the baseline");
  }
  size_t m = 0;
  for (size_t b = 0; b < f->n_blocks; b++) {
    for (size_t j = 0; j < f->blocks[b].tx_count; j++) {
      cx_tx tx;
      if (!cx_tx_decode(f->blocks[b].txs[j], f->blocks[b].tx_lens[j], &tx))
        continue;
      items[m].pub = tx.pubkey;
      items[m].sig = tx.sig;
      cx_tx_hash(&tx, items[m].digest); /* hashing is not part of it */
      m++;
    }
  }
  unsigned t = c->threads > 64 ? 64 : c->threads;
  pthread_t th[64];
  bool started[64] = {false};
  verify_job jobs[64];
  double t0 = cx_bench_now();
  for (unsigned k = 0; k < t; k++) {
    jobs[k] = (verify_job){ctx, items, m * k / t, m * (k + 1) / t, 0};
    if (k + 1 < t)
      started[k] = pthread_create(&th[k], NULL, verify_range, &jobs[k]) == 0;
  }
  for (unsigned k = 0; k < t; k++)
    if (!started[k])
      verify_range(&jobs[k]);
  for (unsigned k = 0; k < t; k++)
    if (started[k])
      pthread_join(th[k], NULL);
  c->baseline_s = cx_bench_now() - t0;
  c->baseline_verify_per_s = c->baseline_s > 0 ? (double)m / c->baseline_s : 0;
  free(items);
  secp256k1_context_destroy(ctx);
  return CX_OK;
}

/* --- engine runs ------------------------------------------------------- */

static void add_counters(cx_block_counters *s, const cx_block_counters *b) {
  s->executions += b->executions;
  s->reexecutions += b->reexecutions;
  s->validation_failures += b->validation_failures;
  s->dependency_waits += b->dependency_waits;
  s->verify_gpu_items += b->verify_gpu_items;
  s->verify_cpu_items += b->verify_cpu_items;
  s->verify_cache_hits += b->verify_cache_hits;
  s->verify_device_busy_s += b->verify_device_busy_s;
  s->verify_device_kernel_s += b->verify_device_kernel_s;
  s->decode_s += b->decode_s;
  s->hash_s += b->hash_s;
  s->verify_s += b->verify_s;
  s->execute_s += b->execute_s;
  s->roots_s += b->roots_s;
  s->commit_s += b->commit_s;
}

/* Runs every block of f on an engine opened with cfg: the first `warm`
 * untimed, then the rest timed; the wall time covers
 * cx_engine_execute_blocks only (wire bytes in, durable commits done).
 * When c is not NULL the timed blocks' counters are summed into it. */
static int run_engine(const cx_config *cfg, const cx_fixture *f, size_t warm,
                      double *wall, uint8_t final_root[32], tps_cell *c,
                      cx_error *err) {
  size_t n = f->n_blocks;
  cx_block *views = calloc(n ? n : 1, sizeof *views);
  cx_block_result *res = calloc(n ? n : 1, sizeof *res);
  cx_engine *e = NULL;
  int rc = CX_OK;
  uint8_t groot[32];
  if (!views || !res)
    rc = cx_error_set(err, CX_ENOMEM, "out of memory for a benchmark run");
  else if (!(e = cx_engine_open(cfg, err)))
    rc = err ? err->code : CX_EINVAL;
  else
    rc = cx_engine_load_genesis(e, f->accounts, f->n_accounts, f->kv, f->n_kv,
                                groot, err);
  size_t done = 0;
  if (!rc) {
    for (size_t i = 0; i < n; i++)
      cx_fixture_block_view(f, i, &views[i]);
    rc = cx_engine_execute_blocks(e, warm, views, res, &done, err);
    if (!rc) {
      double t0 = cx_bench_now();
      rc = cx_engine_execute_blocks(e, n - warm, views + warm, res + warm,
                                    &done, err);
      *wall = cx_bench_now() - t0;
      done += warm;
    }
    cx_engine_state_root(e, final_root);
  }
  for (size_t i = warm; i < done && c; i++) {
    add_counters(&c->sum, &res[i].counters);
    c->parallel_blocks += res[i].counters.parallel;
    c->committed += res[i].status_counts[0];
  }
  for (size_t i = 0; res && i < n; i++)
    cx_block_result_free(&res[i]);
  cx_engine_close(e);
  free(views);
  free(res);
  return rc;
}

int tps_cell_run(tps_cell *c, cx_error *err) {
  cx_fixture_gen_params p = {.accounts = c->accounts,
                             .blocks = c->blocks + c->warmup,
                             .txs = c->txs,
                             .mix = CX_FIXTURE_MIX_TRANSFER,
                             .seed = c->seed,
                             .threads = c->threads,
                             .compute_expect = false};
  cx_fixture *f = NULL;
  double t0 = cx_bench_now();
  int rc = cx_fixture_generate(&p, &f, err);
  c->gen_s = cx_bench_now() - t0;
  if (rc)
    return cx_error_wrap(err, "generating blocks");
  c->total_txs = c->txs * c->blocks;
  memset(&c->sum, 0, sizeof c->sum);
  c->committed = c->parallel_blocks = 0;
  uint8_t root_par[32], root_seq[32];
  rc = run_baseline(c, f, err);
  if (!rc && (rc = run_engine(&c->cfg, f, c->warmup, &c->wall_s, root_par, c,
                              err)))
    cx_error_wrap(err, "engine run");
  if (!rc) {
    cx_config seq = c->cfg;
    seq.threads = 1;
    seq.strategy = CX_STRATEGY_KIND_CPU;
    seq.gpu = NULL;
    seq.pipeline = false;
    if ((rc = run_engine(&seq, f, c->warmup, &c->sequential_wall_s, root_seq,
                         NULL, err)))
      cx_error_wrap(err, "sequential run");
  }
  if (!rc && memcmp(root_par, root_seq, 32))
    rc = cx_error_set(err, CX_EMISMATCH,
                      "the engine and the sequential run end in different "
                      "state roots (accounts %llu, txs %llu): a bug",
                      (unsigned long long)c->accounts,
                      (unsigned long long)c->txs);
  if (!rc && c->preverify && (rc = tps_cell_preverify(c, f, err)))
    cx_error_wrap(err, "pre-verification run");
  if (!rc) {
    c->tps = c->wall_s > 0 ? (double)c->total_txs / c->wall_s : 0;
    c->sequential_tps = c->sequential_wall_s > 0
                            ? (double)c->total_txs / c->sequential_wall_s
                            : 0;
  }
  cx_fixture_free(f);
  return rc;
}
