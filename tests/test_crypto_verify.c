/* secp256k1 verification against every Wycheproof vector in
 * ../shared/vectors/wycheproof/, plus the low-S and batch rules.
 *
 * p1363 file: sig is raw r||s (64 bytes; any other size is invalid for
 * us). SPEC section 3 requires low-S, which Wycheproof's generic ECDSA
 * does not: a "valid" vector whose s > n/2 is expected INVALID here, and
 * the test checks that its normalised (n - s) form is then accepted.
 * bitcoin file: DER signatures (low-S already required), decoded to
 * compact with secp256k1_ecdsa_signature_parse_der; a decode failure is
 * invalid. Messages are hashed with SHA-256; the uncompressed keys
 * (04||x||y) are compressed to 02/03||x. Counts go to stderr. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_test.h"
#include "sha256.h"
#include "verify.h"

/* n/2, big-endian: s above this is high-S. */
static const uint8_t half_order[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
    0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

typedef struct counts {
  size_t total, valid, invalid, high_s_valid, bad_der, bad_size;
} counts;

static cJSON *load_json(const char *rel) {
  const char *file = cx_test_shared_path(rel);
  char *text = cx_test_read_file(file, NULL);
  cJSON *root = cJSON_Parse(text);
  free(text);
  cr_assert_not_null(root, "cannot parse %s as JSON", file);
  return root;
}

static const char *str_field(const cJSON *obj, const char *name) {
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, name);
  cr_assert(cJSON_IsString(f), "missing string field '%s'", name);
  return f->valuestring;
}

/* Hex string to malloc'd bytes; false when not even-length hex. */
static bool unhex_alloc(const char *hex, uint8_t **out, size_t *len) {
  size_t n = strlen(hex);
  if (n % 2)
    return false;
  *len = n / 2;
  *out = malloc(*len + 1);
  cr_assert_not_null(*out);
  return cx_test_unhex(hex, *out, *len);
}

/* Group public key: uncompressed 04||x||y (65 bytes) to 33 bytes. */
static void group_pubkey(const cJSON *group, uint8_t pub33[33]) {
  const cJSON *pk = cJSON_GetObjectItemCaseSensitive(group, "publicKey");
  cr_assert_not_null(pk);
  const char *hex = str_field(pk, "uncompressed");
  uint8_t full[65];
  cr_assert(strlen(hex) == 130 && cx_test_unhex(hex, full, 65) &&
                full[0] == 0x04,
            "bad uncompressed key %s", hex);
  pub33[0] = (uint8_t)(0x02 | (full[64] & 1));
  memcpy(pub33 + 1, full + 1, 32);
}

typedef bool (*to_compact_fn)(const secp256k1_context *ctx, const uint8_t *sig,
                              size_t len, uint8_t out[64], counts *c);

static bool p1363_to_compact(const secp256k1_context *ctx, const uint8_t *sig,
                             size_t len, uint8_t out[64], counts *c) {
  (void)ctx;
  if (len != 64) {
    c->bad_size++;
    return false;
  }
  memcpy(out, sig, 64);
  return true;
}

static bool der_to_compact(const secp256k1_context *ctx, const uint8_t *sig,
                           size_t len, uint8_t out[64], counts *c) {
  secp256k1_ecdsa_signature s;
  if (!secp256k1_ecdsa_signature_parse_der(ctx, &s, sig, len)) {
    c->bad_der++;
    return false;
  }
  secp256k1_ecdsa_signature_serialize_compact(ctx, out, &s);
  return true;
}

/* Runs one Wycheproof file. For a "valid" vector with high S, expects
 * rejection and that the normalised signature is accepted. */
static counts run_file(const char *rel, to_compact_fn to_compact) {
  cJSON *root = load_json(rel);
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  cx_verifier *v = cx_verifier_create();
  cr_assert(ctx && v);
  counts c = {0};
  const cJSON *groups = cJSON_GetObjectItemCaseSensitive(root, "testGroups");
  cr_assert(cJSON_IsArray(groups), "%s has no testGroups", rel);
  const cJSON *group;
  cJSON_ArrayForEach(group, groups) {
    uint8_t pub[33];
    group_pubkey(group, pub);
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(group, "tests");
    cr_assert(cJSON_IsArray(tests));
    const cJSON *t;
    cJSON_ArrayForEach(t, tests) {
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "tcId");
      int tc = cJSON_IsNumber(id) ? id->valueint : -1;
      const char *result = str_field(t, "result");
      cr_assert(strcmp(result, "valid") == 0 || strcmp(result, "invalid") == 0,
                "%s tcId %d: unexpected result '%s' (acceptable vectors "
                "would need a decision)", rel, tc, result);
      bool expect = strcmp(result, "valid") == 0;
      uint8_t *msg, *sig, digest[32], compact[64];
      size_t msg_len, sig_len;
      cr_assert(unhex_alloc(str_field(t, "msg"), &msg, &msg_len));
      cx_sha256(msg, msg_len, digest);
      bool have_sig = unhex_alloc(str_field(t, "sig"), &sig, &sig_len) &&
                      to_compact(ctx, sig, sig_len, compact, &c);
      bool high_s = have_sig && memcmp(compact + 32, half_order, 32) > 0;
      if (expect && high_s) {
        c.high_s_valid++;
        expect = false;
        /* Rejected only for its S: the low-S twin must verify. */
        secp256k1_ecdsa_signature s;
        uint8_t low[64];
        cr_assert(secp256k1_ecdsa_signature_parse_compact(ctx, &s, compact));
        secp256k1_ecdsa_signature_normalize(ctx, &s, &s);
        secp256k1_ecdsa_signature_serialize_compact(ctx, low, &s);
        cr_assert(cx_verify(v, pub, digest, low),
                  "%s tcId %d: normalised high-S signature rejected", rel, tc);
      }
      bool got = have_sig && cx_verify(v, pub, digest, compact);
      cr_assert_eq(got, expect, "%s tcId %d (%s): cx_verify says %s, expected "
                   "%s", rel, tc, str_field(t, "comment"),
                   got ? "valid" : "invalid", expect ? "valid" : "invalid");
      /* The batch form agrees with the single call. */
      if (have_sig) {
        const uint8_t *pk[1] = {pub}, *dg[1] = {digest}, *sg[1] = {compact};
        uint8_t verdict = 2;
        cx_verify_batch(v, 1, pk, dg, sg, &verdict);
        cr_assert_eq(verdict, got ? 1 : 0, "%s tcId %d: batch disagrees", rel,
                     tc);
      }
      c.total++;
      if (expect)
        c.valid++;
      else
        c.invalid++;
      free(msg);
      free(sig);
    }
  }
  const cJSON *num = cJSON_GetObjectItemCaseSensitive(root, "numberOfTests");
  cr_assert(cJSON_IsNumber(num));
  cr_assert_eq(c.total, (size_t)num->valueint,
               "%s: checked %zu vectors but the file declares %d", rel,
               c.total, num->valueint);
  cx_verifier_destroy(v);
  secp256k1_context_destroy(ctx);
  cJSON_Delete(root);
  return c;
}

Test(crypto_verify, wycheproof_p1363) {
  counts c = run_file("vectors/wycheproof/ecdsa_secp256k1_sha256_p1363_test.json",
                      p1363_to_compact);
  fprintf(stderr, "wycheproof_p1363: %zu vectors checked: %zu valid, %zu "
          "invalid (of which %zu Wycheproof-valid but high-S, rejected as "
          "SPEC requires; %zu of wrong size)\n", c.total, c.valid, c.invalid,
          c.high_s_valid, c.bad_size);
  cr_assert_gt(c.valid, 0);
  cr_assert_gt(c.high_s_valid, 0, "the file has high-S valid vectors; none "
               "seen means the low-S check is not being exercised");
}

Test(crypto_verify, wycheproof_bitcoin) {
  counts c = run_file(
      "vectors/wycheproof/ecdsa_secp256k1_sha256_bitcoin_test.json",
      der_to_compact);
  fprintf(stderr, "wycheproof_bitcoin: %zu vectors checked: %zu valid, %zu "
          "invalid (%zu failed DER decoding, %zu valid-but-high-S)\n", c.total,
          c.valid, c.invalid, c.bad_der, c.high_s_valid);
  cr_assert_gt(c.valid, 0);
  cr_assert_eq(c.high_s_valid, 0, "bitcoin vectors already require low-S");
}

Test(crypto_verify, rejects_bad_keys_and_ranges) {
  /* A valid signature from libsecp256k1 directly, then each input
   * broken in turn. */
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  cx_verifier *v = cx_verifier_create();
  cr_assert(ctx && v);
  uint8_t sk[32], digest[32], pub[33], sig[64];
  cx_sha256("verify test key", 15, sk);
  cx_sha256("verify test message", 19, digest);
  secp256k1_pubkey pk;
  secp256k1_ecdsa_signature s;
  size_t plen = 33;
  cr_assert(secp256k1_ec_pubkey_create(ctx, &pk, sk));
  secp256k1_ec_pubkey_serialize(ctx, pub, &plen, &pk, SECP256K1_EC_COMPRESSED);
  cr_assert(secp256k1_ecdsa_sign(ctx, &s, digest, sk, NULL, NULL));
  secp256k1_ecdsa_signature_serialize_compact(ctx, sig, &s);
  cr_assert(cx_verify(v, pub, digest, sig));

  uint8_t bad[64], badpub[33], baddig[32];
  /* Wrong key prefixes: 04, 00, 05 and the other parity. */
  static const uint8_t prefixes[] = {0x00, 0x04, 0x05, 0x06, 0x07};
  for (size_t i = 0; i < sizeof prefixes; i++) {
    memcpy(badpub, pub, 33);
    badpub[0] = prefixes[i];
    cr_assert_not(cx_verify(v, badpub, digest, sig), "prefix %02x", prefixes[i]);
  }
  memcpy(badpub, pub, 33);
  badpub[0] ^= 1; /* 02 <-> 03: the negated point */
  cr_assert_not(cx_verify(v, badpub, digest, sig));
  /* x >= p. */
  memset(badpub + 1, 0xff, 32);
  badpub[0] = 0x02;
  cr_assert_not(cx_verify(v, badpub, digest, sig));
  /* r = 0, s = 0, r = n, s >= n. */
  memcpy(bad, sig, 64);
  memset(bad, 0, 32);
  cr_assert_not(cx_verify(v, pub, digest, bad));
  memcpy(bad, sig, 64);
  memset(bad + 32, 0, 32);
  cr_assert_not(cx_verify(v, pub, digest, bad));
  memcpy(bad, sig, 64);
  memset(bad + 32, 0xff, 32);
  cr_assert_not(cx_verify(v, pub, digest, bad));
  /* High-S twin of a valid signature. */
  secp256k1_ecdsa_signature neg;
  uint8_t s_be[32], n_minus_s[32];
  memcpy(s_be, sig + 32, 32);
  static const uint8_t order[32] = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
      0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
  int borrow = 0;
  for (int i = 31; i >= 0; i--) {
    int d = order[i] - s_be[i] - borrow;
    borrow = d < 0;
    n_minus_s[i] = (uint8_t)(d + (borrow ? 256 : 0));
  }
  memcpy(bad, sig, 32);
  memcpy(bad + 32, n_minus_s, 32);
  cr_assert(secp256k1_ecdsa_signature_parse_compact(ctx, &neg, bad));
  cr_assert_not(cx_verify(v, pub, digest, bad), "high-S must be rejected");
  /* It is the same signature up to S: normalising gives the original. */
  uint8_t back[64];
  cr_assert(secp256k1_ecdsa_signature_normalize(ctx, &neg, &neg));
  secp256k1_ecdsa_signature_serialize_compact(ctx, back, &neg);
  cr_assert_eq(memcmp(back, sig, 64), 0);
  cr_assert_not(secp256k1_ecdsa_signature_normalize(ctx, NULL, &s),
                "the signer's own output was low-S");
  /* Another digest. */
  memcpy(baddig, digest, 32);
  baddig[31] ^= 1;
  cr_assert_not(cx_verify(v, pub, baddig, sig));
  cx_verifier_destroy(v);
  cx_verifier_destroy(NULL);
  secp256k1_context_destroy(ctx);
}

Test(crypto_verify, batch_matches_single_with_repeated_keys) {
  /* Runs of one sender, a bad key inside a run, and good signatures after
   * it: the batch's key reuse must give exactly the single verdicts. */
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  cx_verifier *v = cx_verifier_create();
  cr_assert(ctx && v);
  cx_rng rng = {cx_test_seed("crypto_verify.batch_matches_single")};
  enum { N = 96 };
  uint8_t pubs[3][33], sks[3][32], digests[N][32], sigs[N][64], bad_pub[33];
  const uint8_t *pk[N], *dg[N], *sg[N];
  for (int k = 0; k < 3; k++) {
    secp256k1_pubkey p;
    size_t len = 33;
    do
      cx_rng_bytes(&rng, sks[k], 32);
    while (!secp256k1_ec_seckey_verify(ctx, sks[k]));
    cr_assert(secp256k1_ec_pubkey_create(ctx, &p, sks[k]));
    secp256k1_ec_pubkey_serialize(ctx, pubs[k], &len, &p,
                                  SECP256K1_EC_COMPRESSED);
  }
  memcpy(bad_pub, pubs[0], 33);
  bad_pub[0] = 0x04; /* does not parse as 33 bytes */
  size_t expect_valid = 0;
  for (size_t i = 0; i < N; i++) {
    int k = (int)((i / 8) % 3); /* runs of 8 by one key */
    secp256k1_ecdsa_signature s;
    cx_rng_bytes(&rng, digests[i], 32);
    cr_assert(secp256k1_ecdsa_sign(ctx, &s, digests[i], sks[k], NULL, NULL));
    secp256k1_ecdsa_signature_serialize_compact(ctx, sigs[i], &s);
    pk[i] = pubs[k];
    dg[i] = digests[i];
    sg[i] = sigs[i];
    if (i % 11 == 5)
      sigs[i][40] ^= 1; /* broken signature */
    if (i % 17 == 3)
      pk[i] = bad_pub;
  }
  uint8_t verdicts[N];
  memset(verdicts, 7, sizeof verdicts);
  cx_verify_batch(v, N, pk, dg, sg, verdicts);
  for (size_t i = 0; i < N; i++) {
    bool single = cx_verify(v, pk[i], dg[i], sg[i]);
    cr_assert_eq(verdicts[i], single ? 1 : 0, "item %zu", i);
    cr_assert_eq(single, i % 11 != 5 && i % 17 != 3, "item %zu", i);
    expect_valid += single;
  }
  fprintf(stderr, "batch_matches_single_with_repeated_keys: %d items, %zu "
          "valid\n", N, expect_valid);
  cx_verifier_destroy(v);
  secp256k1_context_destroy(ctx);
}
