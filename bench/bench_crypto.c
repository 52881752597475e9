/* `chainexec bench crypto`: see bench_crypto.h. */
#include "bench_crypto.h"

#include <openssl/sha.h>
#include <secp256k1.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "merkle.h"
#include "sha256.h"
#include "signer.h"
#include "verify.h"
#include "bench_util.h"
#include "cli_util.h"

typedef struct opts {
  bool json, quick;
} opts;

typedef struct sizes {
  size_t msgs;   /* 128-byte messages and Merkle leaves */
  size_t sigs;   /* signatures */
  int rounds;    /* best of */
} sizes;

/* Seconds for all messages: chunk bests summed, except batch_whole_s (the
 * best whole run, the Merkle comparison). */
typedef struct sha_result {
  double openssl_s, batch_fixed_s, batch_ptr_s, oneshot_s, batch_whole_s;
} sha_result;

typedef struct verify_result {
  double plain_s, preparsed_s, cx_s;
} verify_result;

static double min_d(double a, double b) { return a < b ? a : b; }

static int usage(FILE *f) {
  fprintf(f, "usage: chainexec bench crypto [--json] [--quick] [--help]\n"
             "  SHA-256 batch vs OpenSSL SHA256(), Merkle of 2^20 leaves vs "
             "the batch API,\n  cx_verify vs a plain libsecp256k1 loop "
             "(single thread).\n");
  return f == stdout ? 0 : 2;
}

/* --- SHA-256 and Merkle ------------------------------------------------ */

/* Like the verify loops below, the four hashing forms alternate over
 * chunks of SHA_CHUNK messages in a rotating order; each chunk's time per
 * form is its best over the rounds, and the bests are summed. */
#define SHA_CHUNK 1024

static int bench_sha(const sizes *sz, sha_result *r, double *merkle_s) {
  const size_t n = sz->msgs, len = 128;
  uint8_t *data = malloc(n * len);
  uint8_t(*want)[32] = malloc(n * 32);
  uint8_t(*got)[32] = malloc(n * 32);
  const uint8_t **ptrs = malloc(n * sizeof *ptrs);
  size_t *lens = malloc(n * sizeof *lens);
  uint8_t *leaves = malloc(n * 32);
  if (!data || !want || !got || !ptrs || !lens || !leaves) {
    fprintf(stderr, "chainexec bench crypto: out of memory for %zu messages\n", n);
    free(data), free(want), free(got), free(ptrs), free(lens), free(leaves);
    return 1;
  }
  cx_bench_fill(data, n * len, 1);
  cx_bench_fill(leaves, n * 32, 2);
  for (size_t i = 0; i < n; i++) {
    ptrs[i] = data + i * len;
    lens[i] = len;
  }
  /* Reference digests, untimed, so every timed form can be checked. */
  for (size_t i = 0; i < n; i++)
    SHA256(data + i * len, len, want[i]);
  double *total[4] = {&r->openssl_s, &r->batch_fixed_s, &r->batch_ptr_s,
                      &r->oneshot_s};
  for (int f = 0; f < 4; f++)
    *total[f] = 0;
  int rc = 0;
  for (size_t from = 0, c = 0; rc == 0 && from < n; from += SHA_CHUNK, c++) {
    size_t m = n - from < SHA_CHUNK ? n - from : SHA_CHUNK;
    const uint8_t *d = data + from * len;
    double best[4] = {1e30, 1e30, 1e30, 1e30};
    for (int round = 0; round < sz->rounds; round++) {
      for (size_t k = 0; k < 4; k++) {
        size_t form = (c + (size_t)round + k) % 4;
        uint8_t(*o)[32] = got + from;
        memset(o, 0, m * 32);
        double t = cx_bench_now();
        if (form == 0) {
          for (size_t i = 0; i < m; i++)
            SHA256(d + i * len, len, o[i]);
        } else if (form == 1) {
          cx_sha256_batch_fixed(m, d, len, o);
        } else if (form == 2) {
          cx_sha256_batch(m, ptrs + from, lens + from, o);
        } else {
          for (size_t i = 0; i < m; i++)
            cx_sha256(d + i * len, len, o[i]);
        }
        best[form] = min_d(best[form], cx_bench_now() - t);
        if (memcmp(o, want + from, m * 32) != 0)
          rc = 1;
      }
    }
    for (int f = 0; f < 4; f++)
      *total[f] += best[f];
  }
  /* A Merkle root cannot be cut into chunks, so it is compared with whole
   * runs of the batch, alternating, best of the rounds for each. */
  *merkle_s = r->batch_whole_s = 1e30;
  uint8_t root[32];
  for (int round = 0; round < sz->rounds && rc == 0; round++) {
    double t = cx_bench_now();
    cx_sha256_batch_fixed(n, data, len, got);
    r->batch_whole_s = min_d(r->batch_whole_s, cx_bench_now() - t);
    t = cx_bench_now();
    if (cx_merkle_root_fixed(n, leaves, 32, root) != 0)
      rc = 1;
    *merkle_s = min_d(*merkle_s, cx_bench_now() - t);
  }
  if (rc)
    fprintf(stderr, "chainexec bench crypto: SHA-256 (%s) digests differ from "
            "OpenSSL's, or the Merkle root failed\n", cx_sha256_impl_name());
  free(data), free(want), free(got), free(ptrs), free(lens), free(leaves);
  return rc;
}

/* --- Verify ------------------------------------------------------------ */

typedef struct sig_set {
  size_t n;
  uint8_t (*pub)[33];
  uint8_t (*digest)[32];
  uint8_t (*sig)[64];
} sig_set;

static int make_sigs(size_t n, sig_set *set) {
  enum { KEYS = 64 };
  set->n = n;
  set->pub = malloc(n * 33);
  set->digest = malloc(n * 32);
  set->sig = malloc(n * 64);
  cx_signer *s = cx_signer_create();
  uint8_t (*sk)[32] = malloc(KEYS * 32), (*pk)[33] = malloc(KEYS * 33);
  int rc = 0;
  if (!set->pub || !set->digest || !set->sig || !s || !sk || !pk) {
    fprintf(stderr, "chainexec bench crypto: out of memory for %zu signatures\n", n);
    rc = 1;
  }
  for (size_t k = 0; rc == 0 && k < KEYS; k++)
    cx_signer_keypair(s, 1000 + k, sk[k], pk[k]);
  cx_bench_fill(rc == 0 ? (uint8_t *)set->digest : NULL, rc == 0 ? n * 32 : 0, 3);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    memcpy(set->pub[i], pk[i % KEYS], 33);
    if (!cx_signer_sign(s, sk[i % KEYS], set->digest[i], set->sig[i]))
      rc = 1;
  }
  cx_signer_destroy(s);
  free(sk);
  free(pk);
  return rc;
}

static void free_sigs(sig_set *set) {
  free(set->pub);
  free(set->digest);
  free(set->sig);
}

/* The baseline a libsecp256k1 user writes for wire bytes. */
static size_t plain_loop(const secp256k1_context *ctx, const sig_set *set,
                         size_t from, size_t to) {
  size_t ok = 0;
  for (size_t i = from; i < to; i++) {
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature sig;
    ok += secp256k1_ec_pubkey_parse(ctx, &pk, set->pub[i], 33) &&
          secp256k1_ecdsa_signature_parse_compact(ctx, &sig, set->sig[i]) &&
          secp256k1_ecdsa_verify(ctx, &sig, set->digest[i], &pk);
  }
  return ok;
}

static size_t cx_loop(const cx_verifier *v, const sig_set *set, size_t from,
                      size_t to) {
  size_t ok = 0;
  for (size_t i = from; i < to; i++)
    ok += cx_verify(v, set->pub[i], set->digest[i], set->sig[i]);
  return ok;
}

static size_t preparsed_loop(const secp256k1_context *ctx,
                             const secp256k1_pubkey *pks,
                             const secp256k1_ecdsa_signature *sigs,
                             const sig_set *set, size_t from, size_t to) {
  size_t ok = 0;
  for (size_t i = from; i < to; i++)
    ok += (size_t)secp256k1_ecdsa_verify(ctx, &sigs[i], set->digest[i],
                                         &pks[i]);
  return ok;
}

/* The three loops alternate over chunks of VERIFY_CHUNK signatures, in a
 * rotating order; each chunk's time per loop is the best over the rounds,
 * and the chunk bests are summed. On a shared machine a preemption then
 * costs one chunk of one round, which another round replaces, instead of
 * skewing one whole run. */
#define VERIFY_CHUNK 16

static int bench_verify(const sizes *sz, verify_result *r) {
  sig_set set;
  if (make_sigs(sz->sigs, &set) != 0) {
    free_sigs(&set);
    return 1;
  }
  const size_t n = set.n;
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  cx_verifier *v = cx_verifier_create();
  secp256k1_pubkey *pks = malloc(n * sizeof *pks);
  secp256k1_ecdsa_signature *sigs = malloc(n * sizeof *sigs);
  int rc = 0;
  if (!ctx || !v || !pks || !sigs) {
    fprintf(stderr, "chainexec bench crypto: cannot create verification contexts\n");
    rc = 1;
  }
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (!secp256k1_ec_pubkey_parse(ctx, &pks[i], set.pub[i], 33) ||
        !secp256k1_ecdsa_signature_parse_compact(ctx, &sigs[i], set.sig[i]))
      rc = 1;
  r->plain_s = r->preparsed_s = r->cx_s = 0;
  size_t ok[3] = {0, 0, 0};
  for (size_t from = 0, c = 0; rc == 0 && from < n; from += VERIFY_CHUNK, c++) {
    size_t to = from + VERIFY_CHUNK < n ? from + VERIFY_CHUNK : n;
    double best[3] = {1e30, 1e30, 1e30};
    for (int round = 0; round < sz->rounds; round++) {
      for (size_t k = 0; k < 3; k++) {
        size_t which = (c + (size_t)round + k) % 3, got;
        double t = cx_bench_now();
        if (which == 0)
          got = plain_loop(ctx, &set, from, to);
        else if (which == 1)
          got = cx_loop(v, &set, from, to);
        else
          got = preparsed_loop(ctx, pks, sigs, &set, from, to);
        best[which] = min_d(best[which], cx_bench_now() - t);
        if (round == 0)
          ok[which] += got;
      }
    }
    r->plain_s += best[0];
    r->cx_s += best[1];
    r->preparsed_s += best[2];
  }
  if (rc == 0 && (ok[0] != n || ok[1] != n || ok[2] != n))
    rc = 1;
  if (rc)
    fprintf(stderr, "chainexec bench crypto: a generated signature did not verify\n");
  free(pks);
  free(sigs);
  cx_verifier_destroy(v);
  if (ctx)
    secp256k1_context_destroy(ctx);
  free_sigs(&set);
  return rc;
}

/* --- Report ------------------------------------------------------------ */

static void report(const opts *o, const sizes *sz, const sha_result *s,
                   double merkle_s, const verify_result *v) {
  double n = (double)sz->msgs, ns = (double)sz->sigs;
  double sha_ratio = s->openssl_s / s->batch_fixed_s;
  double merkle_ratio = merkle_s / s->batch_whole_s;
  double verify_ratio = v->plain_s / v->cx_s;
  if (o->json) {
    printf("{\"sha256\": {\"msg_bytes\": 128, \"count\": %zu, "
           "\"msgs_per_s\": %.0f, \"impl\": \"%s\", "
           "\"batch_ptr_msgs_per_s\": %.0f, \"oneshot_msgs_per_s\": %.0f, "
           "\"baseline_openssl_msgs_per_s\": %.0f, \"ratio_vs_openssl\": "
           "%.3f}, ",
           sz->msgs, n / s->batch_fixed_s, cx_sha256_impl_name(),
           n / s->batch_ptr_s, n / s->oneshot_s, n / s->openssl_s, sha_ratio);
    printf("\"merkle\": {\"leaves\": %zu, \"leaf_bytes\": 32, \"seconds\": "
           "%.6f, \"batch_seconds\": %.6f, \"ratio_vs_batch\": %.3f}, ",
           sz->msgs, merkle_s, s->batch_whole_s, merkle_ratio);
    printf("\"verify\": {\"threads\": 1, \"count\": %zu, \"sigs_per_s\": "
           "%.0f, \"baseline_plain_sigs_per_s\": %.0f, "
           "\"baseline_preparsed_sigs_per_s\": %.0f, \"ratio_vs_plain\": "
           "%.3f, \"ratio_vs_preparsed\": %.3f}, ",
           sz->sigs, ns / v->cx_s, ns / v->plain_s, ns / v->preparsed_s,
           verify_ratio, v->preparsed_s / v->cx_s);
    printf("\"rounds\": %d, \"quick\": %s}\n", sz->rounds,
           o->quick ? "true" : "false");
    return;
  }
  printf("chainexec bench crypto (single thread, best of %d rounds%s)\n",
         sz->rounds,
         o->quick ? ", quick" : "");
  printf("%-44s %14s %14s %8s\n", "measure", "chainexec", "baseline", "ratio");
  printf("%-44s %12.0f/s %12.0f/s %7.2fx\n",
         "SHA-256 batch 128 B msgs (vs OpenSSL SHA256)", n / s->batch_fixed_s,
         n / s->openssl_s, sha_ratio);
  printf("%-44s %12.0f/s %12.0f/s %7.2fx\n", "  pointer-form batch",
         n / s->batch_ptr_s, n / s->openssl_s, s->openssl_s / s->batch_ptr_s);
  printf("%-44s %12.0f/s %12.0f/s %7.2fx\n", "  one-shot loop", n / s->oneshot_s,
         n / s->openssl_s, s->openssl_s / s->oneshot_s);
  printf("%-44s %13.4fs %13.4fs %7.2fx\n",
         "Merkle 32 B leaves (time vs batch, lower ok)", merkle_s,
         s->batch_whole_s, merkle_ratio);
  printf("%-44s %12.0f/s %12.0f/s %7.2fx\n",
         "verify (vs parse+parse+verify loop)", ns / v->cx_s, ns / v->plain_s,
         verify_ratio);
  printf("%-44s %12.0f/s %12.0f/s %7.2fx\n",
         "  vs secp256k1_ecdsa_verify on parsed input", ns / v->cx_s,
         ns / v->preparsed_s, v->preparsed_s / v->cx_s);
  printf("SHA-256 implementation: %s; %zu messages/leaves, %zu signatures\n",
         cx_sha256_impl_name(), sz->msgs, sz->sigs);
}

int cx_bench_crypto(int argc, char **argv) {
  opts o = {false, false};
  cx_cli_args a;
  cx_cli_args_init(&a, "bench crypto", argc, argv);
  while (cx_cli_args_more(&a)) {
    if (cx_cli_flag(&a, "--json"))
      o.json = true;
    else if (cx_cli_flag(&a, "--quick"))
      o.quick = true;
    else if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h"))
      return usage(stdout);
    else
      return cx_cli_usage("bench crypto", "unknown argument '%s'",
                          cx_cli_args_cur(&a));
  }
  sizes sz = o.quick ? (sizes){1u << 16, 1024, 1} : (sizes){1u << 20, 8192, 5};
  sha_result s;
  verify_result v;
  double merkle_s;
  if (bench_sha(&sz, &s, &merkle_s) != 0 || bench_verify(&sz, &v) != 0)
    return 1;
  report(&o, &sz, &s, merkle_s, &v);
  return 0;
}
