/* `chainexec bench hybrid`: see bench_hybrid.h. */
#include "bench_hybrid.h"

#include <pthread.h>
#include <secp256k1.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cx_sched.h"
#include "host_math.h"
#include "pool.h"
#include "signer.h"
#include "verify.h"
#include "bench_util.h"
#include "cli_util.h"

typedef struct hb_set {
  size_t n;
  uint8_t (*pub)[33], (*dig)[32], (*sig)[64];
  const uint8_t **pp, **pd, **ps;
  uint8_t *verdicts;
} hb_set;

static int hb_usage(FILE *f) {
  fprintf(f, "usage: chainexec bench hybrid [--json] [--quick] [--help]\n"
             "  signature verification through the scheduler on 1 and 2 "
             "pool threads vs a\n  plain secp256k1_ecdsa_verify loop, a "
             "pool chunk-size sweep, and a sim\n  device crossover sweep "
             "(batch size at which the device beats the pool).\n");
  return f == stdout ? 0 : 2;
}

static void hb_set_free(hb_set *s) {
  free(s->pub); free(s->dig); free(s->sig);
  free(s->pp); free(s->pd); free(s->ps); free(s->verdicts);
}

static int hb_set_make(hb_set *s, size_t n) {
  memset(s, 0, sizeof *s);
  s->n = n;
  s->pub = malloc(n * 33);
  s->dig = malloc(n * 32);
  s->sig = malloc(n * 64);
  s->pp = malloc(n * sizeof *s->pp);
  s->pd = malloc(n * sizeof *s->pd);
  s->ps = malloc(n * sizeof *s->ps);
  s->verdicts = malloc(n);
  cx_signer *signer = cx_signer_create();
  if (!signer || !s->pub || !s->dig || !s->sig || !s->pp || !s->pd ||
      !s->ps || !s->verdicts) {
    cx_signer_destroy(signer);
    return -1;
  }
  /* 64 keys: the verifier cannot profit from repeated keys anyway. */
  uint8_t sk[64][32], pk[64][33];
  for (int k = 0; k < 64; k++)
    cx_signer_keypair(signer, 1000 + (uint64_t)k, sk[k], pk[k]);
  uint64_t x = 0x243f6a8885a308d3ull;
  for (size_t i = 0; i < n; i++) {
    for (int j = 0; j < 32; j++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      s->dig[i][j] = (uint8_t)(x >> 56);
    }
    memcpy(s->pub[i], pk[i % 64], 33);
    if (!cx_signer_sign(signer, sk[i % 64], s->dig[i], s->sig[i])) {
      cx_signer_destroy(signer);
      return -1;
    }
    s->pp[i] = s->pub[i];
    s->pd[i] = s->dig[i];
    s->ps[i] = s->sig[i];
  }
  cx_signer_destroy(signer);
  return 0;
}

/* The baseline: what a libsecp256k1 user writes for wire bytes. */
typedef struct hb_plain {
  const secp256k1_context *ctx;
  const hb_set *set;
  size_t lo, hi, ok;
} hb_plain;

static void *hb_plain_loop(void *arg) {
  hb_plain *p = arg;
  size_t ok = 0;
  for (size_t i = p->lo; i < p->hi; i++) {
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature sig;
    ok += secp256k1_ec_pubkey_parse(p->ctx, &pk, p->set->pub[i], 33) &&
          secp256k1_ecdsa_signature_parse_compact(p->ctx, &sig,
                                                  p->set->sig[i]) &&
          secp256k1_ecdsa_verify(p->ctx, &sig, p->set->dig[i], &pk);
  }
  p->ok = ok;
  return NULL;
}

/* Signatures per second of `threads` plain loops over the set; -1 when a
 * verdict is wrong. */
static double hb_plain_rate(const secp256k1_context *ctx, const hb_set *set,
                            unsigned threads) {
  hb_plain parts[2];
  pthread_t tid[2];
  double t0 = cx_bench_now();
  for (unsigned t = 0; t < threads; t++) {
    parts[t] = (hb_plain){ctx, set, set->n * t / threads,
                          set->n * (t + 1) / threads, 0};
    if (t > 0 && pthread_create(&tid[t], NULL, hb_plain_loop, &parts[t]))
      return -1;
  }
  hb_plain_loop(&parts[0]);
  size_t ok = parts[0].ok;
  for (unsigned t = 1; t < threads; t++) {
    pthread_join(tid[t], NULL);
    ok += parts[t].ok;
  }
  double dt = cx_bench_now() - t0;
  return ok == set->n ? (double)set->n / dt : -1;
}

/* Signatures per second through the scheduler on `s`; -1 on a wrong
 * verdict or an error. */
static double hb_sched_rate(cx_sched *s, const hb_set *set, size_t n) {
  double t0 = cx_bench_now();
  if (cx_sched_verify(s, n, set->pp, set->pd, set->ps, set->verdicts,
                      NULL) != CX_OK)
    return -1;
  double dt = cx_bench_now() - t0;
  for (size_t i = 0; i < n; i++)
    if (set->verdicts[i] != 1)
      return -1;
  return (double)n / dt;
}

static cx_sched *hb_sched(cx_pool *pool, const cx_verifier *v,
                          cx_strategy st, const char *gpu, size_t chunk) {
  cx_sched_config c;
  cx_sched_config_default(&c);
  c.strategy = st;
  c.gpu = gpu;
  c.cpu_chunk = chunk;
  c.trust_after = 1;
  c.deadline_ms = 60000;
  return cx_sched_create(&c, pool, v, NULL);
}

static double hb_max(double a, double b) { return a > b ? a : b; }

#define HB_CHUNKS 8
#define HB_DELAYS 3
#define HB_SIZES 5
#define HB_QUICK_SIZES 3

typedef struct hb_results {
  unsigned online;
  double plain1, plain2, sched[2], chunk_rate[HB_CHUNKS], hd_rate;
  double pool_us[HB_SIZES], sim_us[HB_DELAYS][HB_SIZES];
  long crossover[HB_DELAYS];
} hb_results;

static const size_t hb_chunks[HB_CHUNKS] = {1, 4, 16, 64, 256, 1024, 4096,
                                            0};
static const unsigned hb_delays[HB_DELAYS] = {50, 300, 1000};
static const size_t hb_sizes[HB_SIZES] = {16, 64, 256, 1024, 4096};

/* Mean wall time of one batch of `size` in microseconds, best of rounds. */
static double hb_batch_us(cx_sched *s, const hb_set *set, size_t size,
                          size_t budget, int rounds) {
  size_t reps = budget / size ? budget / size : 1;
  double best = 1e300;
  for (int r = 0; r < rounds; r++) {
    double t0 = cx_bench_now();
    for (size_t k = 0; k < reps; k++)
      if (hb_sched_rate(s, set, size) < 0)
        return -1;
    double us = (cx_bench_now() - t0) * 1e6 / (double)reps;
    best = us < best ? us : best;
  }
  return best;
}

static int hb_run(hb_results *r, bool quick) {
  size_t n = quick ? 2000 : 16384;
  int rounds = quick ? 1 : 2;
  hb_set set;
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  cx_verifier *v = cx_verifier_create();
  cx_pool *pools[2] = {cx_pool_create(1, NULL), cx_pool_create(2, NULL)};
  int rc = -1;
  if (!ctx || !v || !pools[0] || !pools[1] || hb_set_make(&set, n) != 0)
    goto out;
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  r->online = online > 0 ? (unsigned)online : 1;

  /* Baselines and the scheduler, alternating round by round. */
  cx_sched *cpu[2] = {hb_sched(pools[0], v, CX_STRATEGY_CPU, NULL, 0),
                      hb_sched(pools[1], v, CX_STRATEGY_CPU, NULL, 0)};
  if (!cpu[0] || !cpu[1])
    goto sched_out;
  for (int round = 0; round < rounds; round++) {
    double p1 = hb_plain_rate(ctx, &set, 1), p2 = hb_plain_rate(ctx, &set, 2);
    double s1 = hb_sched_rate(cpu[0], &set, n);
    double s2 = hb_sched_rate(cpu[1], &set, n);
    if (p1 < 0 || p2 < 0 || s1 < 0 || s2 < 0)
      goto sched_out;
    r->plain1 = hb_max(r->plain1, p1);
    r->plain2 = hb_max(r->plain2, p2);
    r->sched[0] = hb_max(r->sched[0], s1);
    r->sched[1] = hb_max(r->sched[1], s2);
  }
  /* Chunk sweep on 2 threads. */
  for (int c = 0; c < HB_CHUNKS; c++) {
    cx_sched *s = hb_sched(pools[1], v, CX_STRATEGY_CPU, NULL, hb_chunks[c]);
    for (int round = 0; s && round < rounds; round++)
      r->chunk_rate[c] = hb_max(r->chunk_rate[c],
                                hb_sched_rate(s, &set, quick ? n : n / 2));
    cx_sched_destroy(s);
    if (r->chunk_rate[c] <= 0)
      goto sched_out;
  }
  /* The sim's arithmetic (gpu/ host math) on one thread, for reference. */
  {
    size_t m = quick ? 200 : 2000;
    uint8_t *pub = malloc(m * 33), *dig = malloc(m * 32),
            *sig = malloc(m * 64), *ver = malloc(m);
    bool ok = pub && dig && sig && ver;
    for (size_t i = 0; ok && i < m; i++) {
      memcpy(pub + 33 * i, set.pub[i], 33);
      memcpy(dig + 32 * i, set.dig[i], 32);
      memcpy(sig + 64 * i, set.sig[i], 64);
    }
    double t0 = cx_bench_now();
    if (ok)
      cx_hd_verify_batch(m, pub, dig, sig, ver);
    r->hd_rate = (double)m / (cx_bench_now() - t0);
    for (size_t i = 0; ok && i < m; i++)
      ok = ver[i] == 1;
    free(pub); free(dig); free(sig); free(ver);
    if (!ok)
      goto sched_out;
  }
  /* Crossover: one batch on the 2-thread pool vs on a trusted sim; each
   * point averages `budget` items (the sim is slow: one round). */
  size_t budget = quick ? 256 : 2048;
  int sizes = quick ? HB_QUICK_SIZES : HB_SIZES;
  for (int z = 0; z < sizes; z++)
    if ((r->pool_us[z] = hb_batch_us(cpu[1], &set, hb_sizes[z], budget,
                                     1)) < 0)
      goto sched_out;
  for (int d = 0; d < HB_DELAYS; d++) {
    char spec[96];
    snprintf(spec, sizeof spec, "sim:threads=2,delay_us=%u,max_batch=%zu",
             hb_delays[d], hb_sizes[HB_SIZES - 1]);
    cx_sched *s = hb_sched(pools[1], v, CX_STRATEGY_GPU, spec, 0);
    /* Warm-up: the first clean batch makes the sim trusted. */
    if (!s || hb_sched_rate(s, &set, 64) < 0) {
      cx_sched_destroy(s);
      goto sched_out;
    }
    r->crossover[d] = -1;
    for (int z = 0; z < sizes; z++) {
      r->sim_us[d][z] = hb_batch_us(s, &set, hb_sizes[z], budget, 1);
      if (r->sim_us[d][z] < 0) {
        cx_sched_destroy(s);
        goto sched_out;
      }
      if (r->crossover[d] < 0 && r->sim_us[d][z] < r->pool_us[z])
        r->crossover[d] = (long)hb_sizes[z];
    }
    cx_sched_destroy(s);
  }
  rc = 0;
sched_out:
  cx_sched_destroy(cpu[0]);
  cx_sched_destroy(cpu[1]);
  hb_set_free(&set);
out:
  cx_pool_destroy(pools[0]);
  cx_pool_destroy(pools[1]);
  cx_verifier_destroy(v);
  if (ctx)
    secp256k1_context_destroy(ctx);
  return rc;
}

static void hb_print_json(const hb_results *r, bool quick) {
  int sizes = quick ? HB_QUICK_SIZES : HB_SIZES;
  printf("{\"bench\": \"hybrid\", \"quick\": %s, \"cpus_online\": %u,\n",
         quick ? "true" : "false", r->online);
  printf(" \"baseline\": {\"plain_1_thread_sigs_per_s\": %.0f, "
         "\"plain_2_threads_sigs_per_s\": %.0f},\n",
         r->plain1, r->plain2);
  printf(" \"verify\": [");
  for (int t = 0; t < 2; t++)
    printf("%s{\"threads\": %d, \"sigs_per_s\": %.0f, "
           "\"vs_threads_x_plain\": %.3f, \"vs_plain_same_threads\": %.3f}",
           t ? ", " : "", t + 1, r->sched[t],
           r->sched[t] / ((t + 1) * r->plain1),
           r->sched[t] / (t ? r->plain2 : r->plain1));
  printf("],\n \"chunk_sweep\": [");
  for (int c = 0; c < HB_CHUNKS; c++) {
    char chunk[32] = "\"auto\"";
    if (hb_chunks[c])
      snprintf(chunk, sizeof chunk, "%zu", hb_chunks[c]);
    printf("%s{\"chunk\": %s, \"threads\": 2, \"sigs_per_s\": %.0f}",
           c ? ", " : "", chunk, r->chunk_rate[c]);
  }
  printf("],\n \"sim_math_1_thread_sigs_per_s\": %.0f,\n", r->hd_rate);
  printf(" \"sim_crossover\": {\"pool_threads\": 2, \"sim_threads\": 2, "
         "\"batch\": [");
  for (int z = 0; z < sizes; z++)
    printf("%s%zu", z ? ", " : "", hb_sizes[z]);
  printf("], \"pool_us\": [");
  for (int z = 0; z < sizes; z++)
    printf("%s%.1f", z ? ", " : "", r->pool_us[z]);
  printf("], \"devices\": [");
  for (int d = 0; d < HB_DELAYS; d++) {
    printf("%s{\"delay_us\": %u, \"sim_us\": [", d ? ", " : "",
           hb_delays[d]);
    for (int z = 0; z < sizes; z++)
      printf("%s%.1f", z ? ", " : "", r->sim_us[d][z]);
    if (r->crossover[d] < 0)
      printf("], \"crossover_batch\": null}");
    else
      printf("], \"crossover_batch\": %ld}", r->crossover[d]);
  }
  printf("]}}\n");
}

static void hb_print_table(const hb_results *r, bool quick) {
  int sizes = quick ? HB_QUICK_SIZES : HB_SIZES;
  printf("hybrid benchmark (%u CPUs online%s)\n\n", r->online,
         quick ? ", quick" : "");
  printf("%-44s %12s %10s\n", "signature verification", "sigs/s", "ratio");
  printf("%-44s %12.0f %10s\n", "plain secp256k1 loop, 1 thread", r->plain1,
         "1.000");
  printf("%-44s %12.0f %10.3f\n", "plain secp256k1 loop, 2 threads",
         r->plain2, r->plain2 / (2 * r->plain1));
  for (int t = 0; t < 2; t++) {
    char label[64];
    snprintf(label, sizeof label, "scheduler (strategy cpu), pool of %d",
             t + 1);
    printf("%-44s %12.0f %10.3f\n", label, r->sched[t],
           r->sched[t] / ((t + 1) * r->plain1));
  }
  printf("(ratio = sigs/s / (threads x plain 1-thread); target >= 0.95)\n");
  printf("scheduler vs plain loops at the same thread count: 1: %.3f, "
         "2: %.3f\n\n", r->sched[0] / r->plain1, r->sched[1] / r->plain2);
  printf("%-20s %12s\n", "pool chunk (2 thr)", "sigs/s");
  for (int c = 0; c < HB_CHUNKS; c++) {
    if (hb_chunks[c])
      printf("%-20zu %12.0f\n", hb_chunks[c], r->chunk_rate[c]);
    else
      printf("%-20s %12.0f\n", "auto", r->chunk_rate[c]);
  }
  printf("\nsim device arithmetic (gpu/ host math), 1 thread: %.0f sigs/s\n",
         r->hd_rate);
  printf("\nsim crossover: one verify batch, microseconds (pool 2 threads "
         "vs sim 2 threads, trusted)\n%-8s %12s", "batch", "pool");
  for (int d = 0; d < HB_DELAYS; d++)
    printf("  sim d=%-5u", hb_delays[d]);
  printf("\n");
  for (int z = 0; z < sizes; z++) {
    printf("%-8zu %12.1f", hb_sizes[z], r->pool_us[z]);
    for (int d = 0; d < HB_DELAYS; d++)
      printf("  %11.1f", r->sim_us[d][z]);
    printf("\n");
  }
  printf("%-8s %12s", "wins at", "");
  for (int d = 0; d < HB_DELAYS; d++) {
    if (r->crossover[d] < 0)
      printf("  %11s", "never");
    else
      printf("  %11ld", r->crossover[d]);
  }
  printf("\n");
}

int cx_bench_hybrid(int argc, char **argv) {
  bool json = false, quick = false;
  cx_cli_args a;
  cx_cli_args_init(&a, "bench hybrid", argc, argv);
  while (cx_cli_args_more(&a)) {
    if (cx_cli_flag(&a, "--json"))
      json = true;
    else if (cx_cli_flag(&a, "--quick"))
      quick = true;
    else if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h"))
      return hb_usage(stdout);
    else
      return cx_cli_usage("bench hybrid", "unknown argument '%s'",
                          cx_cli_args_cur(&a));
  }
  hb_results r;
  memset(&r, 0, sizeof r);
  if (hb_run(&r, quick) != 0) {
    fprintf(stderr, "chainexec bench hybrid: setup failed or a verdict differed from "
                    "the baseline\n");
    return 1;
  }
  if (json)
    hb_print_json(&r, quick);
  else
    hb_print_table(&r, quick);
  return 0;
}
