/* CX_HD ECDSA verify (host build of the kernel code) against libsecp256k1:
 * every Wycheproof secp256k1/SHA-256 vector (bitcoin = DER, p1363 = r||s)
 * and CX_TEST_ITERS (default 10,000) random signatures, valid and
 * corrupted in the ways that matter (bit flips, high-S, zero and
 * out-of-range r/s, bad key prefix, x >= p, x off the curve). The verdict
 * must equal libsecp256k1's every time (SPEC section 3). */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <secp256k1.h>
#include <stdlib.h>
#include <string.h>

#include "cx_test.h"
#include "host_math.h"
#include "sha256.h"

/* libsecp256k1's verdict: key parses, compact r||s parses (r, s < n),
 * verify accepts (low-S, nonzero). */
static int ref_verify(const secp256k1_context *ctx, const uint8_t pub33[33],
                      const uint8_t digest[32], const uint8_t sig64[64]) {
  secp256k1_pubkey pk;
  secp256k1_ecdsa_signature sig;
  if (!secp256k1_ec_pubkey_parse(ctx, &pk, pub33, 33)) return 0;
  if (!secp256k1_ecdsa_signature_parse_compact(ctx, &sig, sig64)) return 0;
  return secp256k1_ecdsa_verify(ctx, &sig, digest, &pk);
}

static size_t unhex_alloc(const char *hex, uint8_t **out) {
  size_t n = strlen(hex) / 2;
  *out = malloc(n ? n : 1);
  cr_assert_not_null(*out);
  cr_assert(cx_test_unhex(hex, *out, n), "bad hex in vector");
  return n;
}

typedef struct wp_counts {
  size_t vectors, valid, der_rejected, high_s, differ_expected;
} wp_counts;

static void run_wycheproof(const char *file, int der, wp_counts *c) {
  const char *path = cx_test_shared_path(file);
  char *text = cx_test_read_file(path, NULL);
  cJSON *root = cJSON_Parse(text);
  cr_assert_not_null(root, "cannot parse %s", path);
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  cJSON *groups = cJSON_GetObjectItem(root, "testGroups"), *g;
  size_t declared = (size_t)cJSON_GetObjectItem(root, "numberOfTests")->valuedouble;
  cJSON_ArrayForEach(g, groups) {
    const char *unc = cJSON_GetObjectItem(cJSON_GetObjectItem(g, "publicKey"),
                                          "uncompressed")->valuestring;
    uint8_t *key;
    cr_assert_eq(unhex_alloc(unc, &key), 65, "key of %s is not 04||x||y", file);
    uint8_t pub33[33];
    pub33[0] = (uint8_t)(0x02 | (key[64] & 1));
    memcpy(pub33 + 1, key + 1, 32);
    free(key);
    cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests")) {
      int id = cJSON_GetObjectItem(t, "tcId")->valueint;
      const char *result = cJSON_GetObjectItem(t, "result")->valuestring;
      uint8_t *msg, *sigb, digest[32], sig64[64];
      size_t mlen = unhex_alloc(cJSON_GetObjectItem(t, "msg")->valuestring, &msg);
      size_t slen = unhex_alloc(cJSON_GetObjectItem(t, "sig")->valuestring, &sigb);
      cx_sha256(msg, mlen, digest);
      int parsed;
      if (der) {
        secp256k1_ecdsa_signature s;
        parsed = secp256k1_ecdsa_signature_parse_der(ctx, &s, sigb, slen);
        if (parsed) secp256k1_ecdsa_signature_serialize_compact(ctx, sig64, &s);
      } else {
        parsed = slen == 64;
        if (parsed) memcpy(sig64, sigb, 64);
      }
      int want = 0, got = 0;
      if (parsed) {
        want = ref_verify(ctx, pub33, digest, sig64);
        got = cx_hd_verify(pub33, digest, sig64);
        cr_assert_eq(got, want, "%s tcId %d: gpu code says %d, libsecp256k1 %d",
                     file, id, got, want);
        /* a high-S variant is the only way p1363's "valid" may be refused */
        secp256k1_ecdsa_signature s, norm;
        if (secp256k1_ecdsa_signature_parse_compact(ctx, &s, sig64) &&
            secp256k1_ecdsa_signature_normalize(ctx, &norm, &s))
          c->high_s++;
      } else {
        c->der_rejected++;
      }
      int expect_valid = strcmp(result, "valid") == 0;
      if (got != expect_valid && strcmp(result, "acceptable") != 0) {
        /* Only p1363 high-S may disagree with Wycheproof's verdict. */
        secp256k1_ecdsa_signature s, norm;
        int high = parsed && secp256k1_ecdsa_signature_parse_compact(ctx, &s, sig64) &&
                   secp256k1_ecdsa_signature_normalize(ctx, &norm, &s);
        cr_assert(!der && high && expect_valid,
                  "%s tcId %d: verdict %d but Wycheproof says %s", file, id,
                  got, result);
        c->differ_expected++;
      }
      c->valid += (size_t)got;
      c->vectors++;
      free(msg);
      free(sigb);
    }
  }
  cr_assert_eq(c->vectors, declared, "%s: ran %zu of %zu vectors", file,
               c->vectors, declared);
  secp256k1_context_destroy(ctx);
  cJSON_Delete(root);
  free(text);
}

Test(gpu_ecdsa, wycheproof_bitcoin_der) {
  wp_counts c = {0};
  run_wycheproof("vectors/wycheproof/ecdsa_secp256k1_sha256_bitcoin_test.json", 1, &c);
  cr_log_info("gpu_ecdsa bitcoin: %zu vectors, %zu valid, %zu rejected by DER "
              "parse, %zu high-S", c.vectors, c.valid, c.der_rejected, c.high_s);
  cr_assert_gt(c.valid, 100);
}

Test(gpu_ecdsa, wycheproof_p1363) {
  wp_counts c = {0};
  run_wycheproof("vectors/wycheproof/ecdsa_secp256k1_sha256_p1363_test.json", 0, &c);
  cr_log_info("gpu_ecdsa p1363: %zu vectors, %zu valid, %zu high-S valid in "
              "Wycheproof and rejected as libsecp256k1 does", c.vectors,
              c.valid, c.differ_expected);
  cr_assert_gt(c.valid, 50);
  cr_assert_gt(c.differ_expected, 0, "no high-S vector seen: parsing broken?");
}

/* Big-endian constants for corruptions. */
static const uint8_t N_BE[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
    0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};

/* out = n - in (big-endian, in < n). */
static void neg_mod_n(uint8_t out[32], const uint8_t in[32]) {
  int borrow = 0;
  for (int i = 31; i >= 0; i--) {
    int d = (int)N_BE[i] - (int)in[i] - borrow;
    borrow = d < 0;
    out[i] = (uint8_t)(d + (borrow ? 256 : 0));
  }
}

Test(gpu_ecdsa, random_valid_and_corrupted) {
  cx_rng rng = {cx_test_seed("gpu_ecdsa.random")};
  uint64_t iters = cx_test_iters(10000);
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  size_t valid = 0, kinds[12] = {0};
  for (uint64_t it = 0; it < iters; it++) {
    uint8_t sk[32], digest[32], pub33[33], sig64[64];
    do cx_rng_bytes(&rng, sk, 32);
    while (!secp256k1_ec_seckey_verify(ctx, sk));
    cx_rng_bytes(&rng, digest, 32);
    secp256k1_pubkey pk;
    cr_assert(secp256k1_ec_pubkey_create(ctx, &pk, sk));
    size_t pl = 33;
    secp256k1_ec_pubkey_serialize(ctx, pub33, &pl, &pk, SECP256K1_EC_COMPRESSED);
    secp256k1_ecdsa_signature sig;
    cr_assert(secp256k1_ecdsa_sign(ctx, &sig, digest, sk, NULL, NULL));
    secp256k1_ecdsa_signature_serialize_compact(ctx, sig64, &sig);
    int kind = (int)cx_rng_below(&rng, 12);
    kinds[kind]++;
    switch (kind) {
    case 0: case 1: case 2: break; /* valid */
    case 3: sig64[cx_rng_below(&rng, 64)] ^= (uint8_t)(1u << cx_rng_below(&rng, 8)); break;
    case 4: digest[cx_rng_below(&rng, 32)] ^= (uint8_t)(1u << cx_rng_below(&rng, 8)); break;
    case 5: pub33[1 + cx_rng_below(&rng, 32)] ^= (uint8_t)(1u << cx_rng_below(&rng, 8)); break;
    case 6: pub33[0] ^= 1; break; /* the other y: a different key */
    case 7: neg_mod_n(sig64 + 32, sig64 + 32); break; /* high-S twin */
    case 8: /* r or s zero, or n, or above n */
      memset(sig64 + 32 * cx_rng_below(&rng, 2), 0, 32);
      if (cx_rng_below(&rng, 2)) memcpy(sig64 + 32 * cx_rng_below(&rng, 2), N_BE, 32);
      if (cx_rng_below(&rng, 2)) memset(sig64 + 32 * cx_rng_below(&rng, 2), 0xFF, 32);
      break;
    case 9: pub33[0] = (uint8_t)cx_rng_below(&rng, 8); break; /* bad prefix */
    case 10: memset(pub33 + 1, 0xFF, 32 - cx_rng_below(&rng, 2)); break; /* x >= p, or near */
    default: cx_rng_bytes(&rng, pub33 + 1, 32); break; /* random x: ~half off-curve */
    }
    int want = ref_verify(ctx, pub33, digest, sig64);
    int got = cx_hd_verify(pub33, digest, sig64);
    cr_assert_eq(got, want, "iteration %llu (corruption %d): gpu code %d, "
                 "libsecp256k1 %d", (unsigned long long)it, kind, got, want);
    valid += (size_t)want;
  }
  cr_assert(valid >= iters / 6, "too few valid signatures (%zu of %llu)", valid,
            (unsigned long long)iters);
  cr_log_info("gpu_ecdsa: %llu random signatures, %zu valid, all agree with "
              "libsecp256k1", (unsigned long long)iters, valid);
  secp256k1_context_destroy(ctx);
}

Test(gpu_ecdsa, batch_matches_single) {
  cx_rng rng = {cx_test_seed("gpu_ecdsa.batch")};
  enum { N = 64 };
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  uint8_t pubs[N * 33], digs[N * 32], sigs[N * 64], verdicts[N];
  for (int i = 0; i < N; i++) {
    uint8_t sk[32];
    do cx_rng_bytes(&rng, sk, 32);
    while (!secp256k1_ec_seckey_verify(ctx, sk));
    cx_rng_bytes(&rng, digs + 32 * i, 32);
    secp256k1_pubkey pk;
    cr_assert(secp256k1_ec_pubkey_create(ctx, &pk, sk));
    size_t pl = 33;
    secp256k1_ec_pubkey_serialize(ctx, pubs + 33 * i, &pl, &pk, SECP256K1_EC_COMPRESSED);
    secp256k1_ecdsa_signature sig;
    cr_assert(secp256k1_ecdsa_sign(ctx, &sig, digs + 32 * i, sk, NULL, NULL));
    secp256k1_ecdsa_signature_serialize_compact(ctx, sigs + 64 * i, &sig);
    if (i % 3 == 1) sigs[64 * i + 5] ^= 0x10;
  }
  cx_hd_verify_batch(N, pubs, digs, sigs, verdicts);
  for (int i = 0; i < N; i++)
    cr_assert_eq(verdicts[i], (i % 3 != 1), "batch verdict %d", i);
  secp256k1_context_destroy(ctx);
}
