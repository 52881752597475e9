/* `chainexec bench gpu`: see bench_gpu.h. */
#include "bench_gpu.h"

#include <secp256k1.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu.h"
#include "host_math.h"
#include "merkle.h"
#include "sha256.h"
#include "verify.h"
#include "bench_util.h"
#include "cli_util.h"

typedef struct opts {
  bool json, quick;
} opts;

/* One measured pair: candidate vs baseline, items per second. */
typedef struct pair {
  const char *what, *cand, *base;
  size_t items;
  double cand_per_s, base_per_s;
} pair;

/* Signed inputs: keys, digests, signatures (every 4th corrupted). */
typedef struct sigset {
  size_t n;
  uint8_t *pub, *dig, *sig, *want;
} sigset;

static int usage(FILE *f) {
  fprintf(f, "usage: chainexec bench gpu [--json] [--quick] [--help]\n"
             "  CUDA verify / SHA-256 / Merkle kernels vs the CPU (crypto/ on one\n"
             "  thread), kernel-only and end-to-end, batch 256..2^20, with the\n"
             "  crossover; and the host build of the kernel math (the `sim`\n"
             "  backend) vs libsecp256k1 and crypto/. Without a device, only\n"
             "  the host figures, and it says so.\n");
  return f == stdout ? 0 : 2;
}

static void sigset_free(sigset *s) {
  free(s->pub), free(s->dig), free(s->sig), free(s->want);
}

/* n signatures from `distinct` keys (signing dominates setup otherwise),
 * replicated; want[] holds libsecp256k1's verdicts. */
static int sigset_make(sigset *s, size_t n, size_t distinct) {
  memset(s, 0, sizeof *s);
  s->n = n;
  s->pub = malloc(33 * n), s->dig = malloc(32 * n), s->sig = malloc(64 * n);
  s->want = malloc(n);
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  if (!s->pub || !s->dig || !s->sig || !s->want || !ctx) {
    if (ctx) secp256k1_context_destroy(ctx);
    sigset_free(s);
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    if (i < distinct) {
      uint8_t sk[32];
      uint64_t seed = 1000 + i;
      do cx_bench_fill(sk, 32, seed++);
      while (!secp256k1_ec_seckey_verify(ctx, sk));
      cx_bench_fill(s->dig + 32 * i, 32, 7 * i + 3);
      secp256k1_pubkey pk;
      secp256k1_ecdsa_signature sig;
      size_t pl = 33;
      if (!secp256k1_ec_pubkey_create(ctx, &pk, sk) ||
          !secp256k1_ecdsa_sign(ctx, &sig, s->dig + 32 * i, sk, NULL, NULL)) {
        secp256k1_context_destroy(ctx);
        sigset_free(s);
        return 1;
      }
      secp256k1_ec_pubkey_serialize(ctx, s->pub + 33 * i, &pl, &pk,
                                    SECP256K1_EC_COMPRESSED);
      secp256k1_ecdsa_signature_serialize_compact(ctx, s->sig + 64 * i, &sig);
      if (i % 4 == 3) s->sig[64 * i + 10] ^= 0x40;
      s->want[i] = (uint8_t)(i % 4 != 3);
    } else {
      size_t j = i % distinct;
      memcpy(s->pub + 33 * i, s->pub + 33 * j, 33);
      memcpy(s->dig + 32 * i, s->dig + 32 * j, 32);
      memcpy(s->sig + 64 * i, s->sig + 64 * j, 64);
      s->want[i] = s->want[j];
    }
  }
  secp256k1_context_destroy(ctx);
  return 0;
}

/* --- host build of the kernel math vs the CPU libraries ---------------- */

static int host_verify(const sigset *s, pair *p) {
  uint8_t *got = malloc(s->n);
  uint8_t *ref = malloc(s->n);
  cx_verifier *v = cx_verifier_create();
  if (!got || !ref || !v) {
    free(got), free(ref);
    if (v) cx_verifier_destroy(v);
    fprintf(stderr, "chainexec bench gpu: out of memory\n");
    return 1;
  }
  /* Alternate chunks so a noisy neighbour slows both alike. */
  double tc = 0, tb = 0;
  const size_t chunk = 64;
  for (size_t i = 0; i < s->n; i += chunk) {
    size_t m = s->n - i < chunk ? s->n - i : chunk;
    double t0 = cx_bench_now();
    cx_hd_verify_batch(m, s->pub + 33 * i, s->dig + 32 * i, s->sig + 64 * i, got + i);
    double t1 = cx_bench_now();
    for (size_t k = i; k < i + m; k++)
      ref[k] = (uint8_t)cx_verify(v, s->pub + 33 * k, s->dig + 32 * k, s->sig + 64 * k);
    tb += cx_bench_now() - t1;
    tc += t1 - t0;
  }
  cx_verifier_destroy(v);
  int bad = memcmp(got, s->want, s->n) || memcmp(ref, s->want, s->n);
  free(got), free(ref);
  if (bad) {
    fprintf(stderr, "chainexec bench gpu: host CX_HD verify verdicts differ from libsecp256k1\n");
    return 1;
  }
  *p = (pair){"ecdsa verify", "cx_hd (host)", "libsecp256k1", s->n,
              (double)s->n / tc, (double)s->n / tb};
  return 0;
}

static int host_hash(size_t n, int rounds, pair *sha, pair *mk) {
  const size_t len = 128;
  uint8_t *data = malloc(n * len);
  uint32_t *off = malloc(n * sizeof *off), *lens = malloc(n * sizeof *lens);
  uint8_t(*a)[32] = malloc(n * 32), (*b)[32] = malloc(n * 32);
  int rc = 1;
  if (!data || !off || !lens || !a || !b) {
    fprintf(stderr, "chainexec bench gpu: out of memory\n");
    goto out;
  }
  cx_bench_fill(data, n * len, 5);
  for (size_t i = 0; i < n; i++) off[i] = (uint32_t)(i * len), lens[i] = (uint32_t)len;
  double bc = 1e30, bb = 1e30, mc = 1e30, mb = 1e30;
  uint8_t r1[32], r2[32];
  for (int r = 0; r < rounds; r++) {
    double t0 = cx_bench_now();
    cx_hd_sha256_batch(n, data, off, lens, a);
    double t1 = cx_bench_now();
    cx_sha256_batch_fixed(n, data, len, b);
    double t2 = cx_bench_now();
    if (cx_hd_merkle_root(n, data, 32, r1)) goto out;
    double t3 = cx_bench_now();
    if (cx_merkle_root_fixed(n, data, 32, r2)) goto out;
    double t4 = cx_bench_now();
    bc = t1 - t0 < bc ? t1 - t0 : bc;
    bb = t2 - t1 < bb ? t2 - t1 : bb;
    mc = t3 - t2 < mc ? t3 - t2 : mc;
    mb = t4 - t3 < mb ? t4 - t3 : mb;
  }
  if (memcmp(a, b, n * 32) || memcmp(r1, r2, 32)) {
    fprintf(stderr, "chainexec bench gpu: host CX_HD SHA-256/Merkle differ from crypto/\n");
    goto out;
  }
  *sha = (pair){"sha256 128B", "cx_hd (host)", cx_sha256_impl_name(), n,
                (double)n / bc, (double)n / bb};
  *mk = (pair){"merkle root (leaves/s)", "cx_hd (host)", "crypto/", n,
               (double)n / mc, (double)n / mb};
  rc = 0;
out:
  free(data), free(off), free(lens), free(a), free(b);
  return rc;
}

/* --- device runs -------------------------------------------------------- */

typedef struct dev_row {
  const char *what;
  size_t batch;
  double kernel_per_s, e2e_per_s, cpu_per_s;
} dev_row;

static int dev_verify(cx_gpu_ctx *g, const sigset *s, size_t batch,
                      dev_row *row, double cpu_per_s) {
  uint8_t *got = malloc(batch);
  cx_gpu_error err = {0};
  if (!got) return 1;
  /* warm-up grows the pools to this batch; its verdicts are checked too,
   * since fresh buffers are where a missing stream order shows */
  int rc = cx_gpu_verify_batch(g, batch, s->pub, s->dig, s->sig, got, &err);
  if (!rc && memcmp(got, s->want, batch)) {
    fprintf(stderr, "chainexec bench gpu: device verdicts differ from libsecp256k1 "
                    "(first batch of %zu)\n", batch);
    free(got);
    return 1;
  }
  double t0 = cx_bench_now();
  if (!rc) rc = cx_gpu_verify_batch(g, batch, s->pub, s->dig, s->sig, got, &err);
  double t = cx_bench_now() - t0;
  cx_gpu_timing tm;
  cx_gpu_last_timing(g, &tm);
  if (rc) fprintf(stderr, "chainexec bench gpu: verify on the device failed: %s\n", err.message);
  else if (memcmp(got, s->want, batch)) {
    fprintf(stderr, "chainexec bench gpu: device verdicts differ from libsecp256k1\n");
    rc = 1;
  }
  free(got);
  *row = (dev_row){"ecdsa verify", batch, batch / (tm.kernel_ms / 1e3),
                   batch / t, cpu_per_s};
  return rc;
}

static int dev_sha(cx_gpu_ctx *g, const uint8_t *data, const uint32_t *off,
                   const uint32_t *lens, const uint8_t (*want)[32], size_t batch,
                   dev_row *row, double cpu_per_s) {
  uint8_t(*got)[32] = malloc(batch * 32);
  cx_gpu_error err = {0};
  if (!got) return 1;
  int rc = cx_gpu_sha256_batch(g, batch, data, batch * 128, off, lens, got, &err);
  double t0 = cx_bench_now();
  if (!rc) rc = cx_gpu_sha256_batch(g, batch, data, batch * 128, off, lens, got, &err);
  double t = cx_bench_now() - t0;
  cx_gpu_timing tm;
  cx_gpu_last_timing(g, &tm);
  if (rc) fprintf(stderr, "chainexec bench gpu: SHA-256 on the device failed: %s\n", err.message);
  else if (memcmp(got, want, batch * 32)) {
    fprintf(stderr, "chainexec bench gpu: device SHA-256 differs from crypto/\n");
    rc = 1;
  }
  free(got);
  *row = (dev_row){"sha256 128B", batch, batch / (tm.kernel_ms / 1e3), batch / t,
                   cpu_per_s};
  return rc;
}

static int dev_merkle(cx_gpu_ctx *g, size_t n, dev_row *row) {
  uint8_t *leaves = malloc(n * 32), r1[32], r2[32];
  cx_gpu_error err = {0};
  if (!leaves) return 1;
  cx_bench_fill(leaves, n * 32, 9);
  double c0 = cx_bench_now();
  int rc = cx_merkle_root_fixed(n, leaves, 32, r2);
  double cpu = cx_bench_now() - c0;
  if (!rc) rc = cx_gpu_merkle_root(g, n, leaves, 32, r1, &err);
  double t0 = cx_bench_now();
  if (!rc) rc = cx_gpu_merkle_root(g, n, leaves, 32, r1, &err);
  double t = cx_bench_now() - t0;
  cx_gpu_timing tm;
  cx_gpu_last_timing(g, &tm);
  if (rc) fprintf(stderr, "chainexec bench gpu: Merkle on the device failed: %s\n", err.message);
  else if (memcmp(r1, r2, 32)) {
    fprintf(stderr, "chainexec bench gpu: device Merkle root differs from crypto/\n");
    rc = 1;
  }
  free(leaves);
  *row = (dev_row){"merkle root (leaves/s)", n, n / (tm.kernel_ms / 1e3), n / t,
                   n / cpu};
  return rc;
}

#define MAX_ROWS 64

static int run_device(const opts *o, int dev, const sigset *s, double cpu_verify,
                      dev_row *rows, int *nrows) {
  cx_gpu_error err = {0};
  cx_gpu_ctx *g = cx_gpu_open(dev, &err);
  if (!g) {
    fprintf(stderr, "chainexec bench gpu: %s\n", err.message);
    return 1;
  }
  int rc = 0;
  size_t max_batch = s->n;
  for (size_t b = 256; b <= max_batch && !rc; b *= 4)
    rc = dev_verify(g, s, b, &rows[(*nrows)++], cpu_verify);
  /* SHA-256 of 128-byte messages */
  uint8_t *data = malloc(max_batch * 128);
  uint32_t *off = malloc(max_batch * 4), *lens = malloc(max_batch * 4);
  uint8_t(*want)[32] = malloc(max_batch * 32);
  if (!data || !off || !lens || !want) rc = 1;
  if (!rc) {
    cx_bench_fill(data, max_batch * 128, 11);
    for (size_t i = 0; i < max_batch; i++) off[i] = (uint32_t)(128 * i), lens[i] = 128;
    double c0 = cx_bench_now();
    cx_sha256_batch_fixed(max_batch, data, 128, want);
    double cpu_sha = max_batch / (cx_bench_now() - c0);
    for (size_t b = 256; b <= max_batch && !rc; b *= 4)
      rc = dev_sha(g, data, off, lens, (const uint8_t(*)[32])want, b,
                   &rows[(*nrows)++], cpu_sha);
  }
  free(data), free(off), free(lens), free(want);
  size_t mk[2] = {(size_t)1 << 20, (size_t)1 << 24};
  if (o->quick) mk[0] = 1 << 14, mk[1] = 1 << 16;
  for (int k = 0; k < 2 && !rc; k++) rc = dev_merkle(g, mk[k], &rows[(*nrows)++]);
  cx_gpu_close(g);
  return rc;
}

/* Smallest batch where the device's end-to-end rate passes the CPU's. */
static size_t crossover(const dev_row *rows, int n, const char *what) {
  for (int i = 0; i < n; i++)
    if (!strcmp(rows[i].what, what) && rows[i].e2e_per_s > rows[i].cpu_per_s)
      return rows[i].batch;
  return 0;
}

static void print_pair_json(const pair *p, bool last) {
  printf("    {\"what\": \"%s\", \"items\": %zu, \"candidate\": \"%s\", "
         "\"candidate_per_s\": %.1f, \"baseline\": \"%s\", \"baseline_per_s\": "
         "%.1f, \"ratio\": %.4f}%s\n",
         p->what, p->items, p->cand, p->cand_per_s, p->base, p->base_per_s,
         p->cand_per_s / p->base_per_s, last ? "" : ",");
}

int cx_bench_gpu(int argc, char **argv) {
  opts o = {false, false};
  cx_cli_args a;
  cx_cli_args_init(&a, "bench gpu", argc, argv);
  while (cx_cli_args_more(&a)) {
    if (cx_cli_flag(&a, "--json"))
      o.json = true;
    else if (cx_cli_flag(&a, "--quick"))
      o.quick = true;
    else if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h"))
      return usage(stdout);
    else
      return cx_cli_usage("bench gpu", "unknown argument '%s'",
                          cx_cli_args_cur(&a));
  }
  char why[256];
  int ndev = cx_gpu_describe(why, sizeof why);
  cx_gpu_caps caps;
  memset(&caps, 0, sizeof caps);
  if (ndev > 0) {
    cx_gpu_error err = {0};
    if (cx_gpu_caps_get(0, &caps, &err)) {
      fprintf(stderr, "chainexec bench gpu: %s\n", err.message);
      return 1;
    }
  }
  if (!o.json) {
    if (ndev > 0)
      printf("device 0: %s (cc %d.%d, %d SMs, %.1f GiB)\n", caps.name,
             caps.cc_major, caps.cc_minor, caps.sm_count,
             (double)caps.total_mem / (1u << 30));
    else
      printf("%s: no device measurements; host build of the kernel math only\n", why);
  }

  /* Host figures: always. */
  size_t nsig = o.quick ? 512 : 4096, nmsg = o.quick ? (1u << 12) : (1u << 18);
  sigset hs;
  if (sigset_make(&hs, nsig, nsig)) {
    fprintf(stderr, "chainexec bench gpu: cannot build %zu signatures\n", nsig);
    return 1;
  }
  pair hp[3];
  int rc = host_verify(&hs, &hp[0]);
  sigset_free(&hs);
  if (!rc) rc = host_hash(nmsg, o.quick ? 1 : 3, &hp[1], &hp[2]);
  if (rc) return 1;

  dev_row rows[MAX_ROWS];
  int nrows = 0;
  if (ndev > 0) {
    sigset ds;
    size_t nd = o.quick ? ((size_t)1 << 12) : ((size_t)1 << 20);
    if (sigset_make(&ds, nd, 1024)) {
      fprintf(stderr, "chainexec bench gpu: cannot build %zu signatures\n", nd);
      return 1;
    }
    rc = run_device(&o, 0, &ds, hp[0].base_per_s, rows, &nrows);
    sigset_free(&ds);
    if (rc) return 1;
  }

  if (o.json) {
    printf("{\n  \"benchmark\": \"gpu\",\n  \"cuda_build\": %s,\n  \"devices\": %d,\n"
           "  \"summary\": \"%s\",\n",
           cx_gpu_built_with_cuda() ? "true" : "false", ndev, why);
    if (ndev > 0)
      printf("  \"device\": {\"name\": \"%s\", \"cc\": \"%d.%d\", \"sms\": %d},\n",
             caps.name, caps.cc_major, caps.cc_minor, caps.sm_count);
    else
      printf("  \"device\": null,\n");
    printf("  \"host\": [\n");
    for (int i = 0; i < 3; i++) print_pair_json(&hp[i], i == 2);
    printf("  ],\n  \"device_runs\": [\n");
    for (int i = 0; i < nrows; i++)
      printf("    {\"what\": \"%s\", \"batch\": %zu, \"kernel_per_s\": %.1f, "
             "\"end_to_end_per_s\": %.1f, \"cpu_1thread_per_s\": %.1f}%s\n",
             rows[i].what, rows[i].batch, rows[i].kernel_per_s,
             rows[i].e2e_per_s, rows[i].cpu_per_s, i + 1 < nrows ? "," : "");
    /* null: no device, or the device never passed the CPU */
    size_t cv = crossover(rows, nrows, "ecdsa verify");
    size_t cs = crossover(rows, nrows, "sha256 128B");
    char bv[32] = "null", bs[32] = "null";
    if (cv) snprintf(bv, sizeof bv, "%zu", cv);
    if (cs) snprintf(bs, sizeof bs, "%zu", cs);
    printf("  ],\n  \"crossover\": {\"ecdsa_verify\": %s, \"sha256\": %s}\n}\n",
           bv, bs);
    return 0;
  }
  printf("\nhost build of the kernel math (1 thread)\n");
  printf("%-24s %10s %16s %16s %16s %8s\n", "operation", "items", "cx_hd/s",
         "baseline", "baseline/s", "ratio");
  for (int i = 0; i < 3; i++)
    printf("%-24s %10zu %16.0f %16s %16.0f %8.3f\n", hp[i].what, hp[i].items,
           hp[i].cand_per_s, hp[i].base, hp[i].base_per_s,
           hp[i].cand_per_s / hp[i].base_per_s);
  if (nrows) {
    printf("\ndevice 0 vs crypto/ on 1 CPU thread\n");
    printf("%-24s %10s %16s %16s %16s\n", "operation", "batch", "kernel/s",
           "end-to-end/s", "cpu/s");
    for (int i = 0; i < nrows; i++)
      printf("%-24s %10zu %16.0f %16.0f %16.0f\n", rows[i].what, rows[i].batch,
             rows[i].kernel_per_s, rows[i].e2e_per_s, rows[i].cpu_per_s);
    static const char *kinds[2] = {"ecdsa verify", "sha256 128B"};
    printf("crossover (end-to-end passes 1 CPU thread):");
    for (int k = 0; k < 2; k++) {
      size_t c = crossover(rows, nrows, kinds[k]);
      if (c) printf(" %s at batch %zu;", kinds[k], c);
      else printf(" %s: not within the batches measured;", kinds[k]);
    }
    printf("\n");
  }
  return 0;
}
