/* The parsed-key cache (crypto/keycache.h) and the verifier that uses it:
 * a lookup finds the exact key or misses, never another key's value; an
 * entry keeps what the last put stored (valid or not); and verdicts with
 * the cache equal verdicts without it, on valid and bad signatures, keys
 * that do not parse, and keys seen again (cache hits). The concurrent
 * case runs in tests/tsan/tsan_crypto.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "cx_test.h"
#include "keycache.h"
#include "sha256.h"
#include "signer.h"
#include "verify.h"

/* A key-like string of bytes from a seed, and a value tied to it. */
static void fake_key(uint64_t seed, uint8_t key[33]) {
  uint8_t h[32];
  cx_sha256(&seed, sizeof seed, h);
  key[0] = 2 | (h[0] & 1);
  memcpy(key + 1, h, 32);
}

static void value_of(const uint8_t key[33], uint8_t value[64]) {
  cx_sha256(key, 33, value);
  cx_sha256(value, 32, value + 32);
}

Test(crypto_keycache, finds_what_was_put_and_nothing_else) {
  cx_keycache *c = cx_keycache_create(64);
  cr_assert_not_null(c);
  uint8_t k1[33], k2[33], v[64], want[64], got[64];
  fake_key(1, k1);
  fake_key(2, k2);
  cr_assert_eq(cx_keycache_get(c, k1, got), CX_KEYCACHE_MISS);
  value_of(k1, want);
  cx_keycache_put(c, k1, 1, want);
  memset(got, 0, sizeof got);
  cr_assert_eq(cx_keycache_get(c, k1, got), CX_KEYCACHE_VALID);
  cr_assert_eq(memcmp(got, want, 64), 0);
  /* A key that does not parse is cached as such. */
  cx_keycache_put(c, k2, 0, NULL);
  cr_assert_eq(cx_keycache_get(c, k2, got), CX_KEYCACHE_INVALID);
  /* The same key with another prefix byte is another key. */
  uint8_t k1b[33];
  memcpy(k1b, k1, 33);
  k1b[0] ^= 1;
  cr_assert_eq(cx_keycache_get(c, k1b, got), CX_KEYCACHE_MISS);
  /* A later put replaces the entry. */
  value_of(k2, v);
  cx_keycache_put(c, k1, 0, NULL);
  cr_assert_eq(cx_keycache_get(c, k1, got), CX_KEYCACHE_INVALID);
  cx_keycache_put(c, k1, 1, v);
  cr_assert_eq(cx_keycache_get(c, k1, got), CX_KEYCACHE_VALID);
  cr_assert_eq(memcmp(got, v, 64), 0);
  cx_keycache_destroy(c);
  cx_keycache_destroy(NULL);
}

Test(crypto_keycache, colliding_keys_evict_and_never_alias) {
  /* One entry: every key collides with every other. */
  cx_keycache *c = cx_keycache_create(1);
  cr_assert_not_null(c);
  uint8_t prev[33], key[33], v[64], got[64];
  for (uint64_t i = 0; i < 200; i++) {
    fake_key(i, key);
    value_of(key, v);
    cx_keycache_put(c, key, (int)(i % 3 != 0), v);
    if (i > 0) /* the previous key was evicted: a miss, not its value */
      cr_assert_eq(cx_keycache_get(c, prev, got), CX_KEYCACHE_MISS);
    int r = cx_keycache_get(c, key, got);
    cr_assert_eq(r, i % 3 != 0 ? CX_KEYCACHE_VALID : CX_KEYCACHE_INVALID);
    if (r == CX_KEYCACHE_VALID)
      cr_assert_eq(memcmp(got, v, 64), 0);
    memcpy(prev, key, 33);
  }
  cx_keycache_destroy(c);
}

/* One verification case: a key (maybe not parsing), a digest, a
 * signature (maybe bad). */
typedef struct vcase {
  uint8_t pub[33], digest[32], sig[64];
} vcase;

/* Cases over `keys` signers, so keys repeat: valid signatures, flipped
 * bits in the signature or digest, a key swapped for another signer's, and
 * keys that cannot parse (x >= p, bad prefix, x off the curve). */
static void make_cases(vcase *cs, size_t n, unsigned keys, uint64_t seed) {
  cx_signer *s = cx_signer_create();
  cr_assert_not_null(s);
  cx_rng rng = {seed};
  for (size_t i = 0; i < n; i++) {
    vcase *c = &cs[i];
    uint8_t sk[32], msg[8];
    uint64_t who = cx_rng_next(&rng) % keys, r = cx_rng_next(&rng);
    cx_signer_keypair(s, who, sk, c->pub);
    memcpy(msg, &r, 8);
    cx_sha256(msg, 8, c->digest);
    cr_assert(cx_signer_sign(s, sk, c->digest, c->sig));
    switch (r % 8) {
    case 0:
      c->sig[r % 64] ^= (uint8_t)(1u << (r >> 8) % 8);
      break;
    case 1:
      c->digest[r % 32] ^= 1;
      break;
    case 2: { /* another signer's key */
      uint8_t sk2[32];
      cx_signer_keypair(s, who + 1, sk2, c->pub);
      break;
    }
    case 3: /* x above p, or a random x (off the curve half the time) */
      if (r >> 8 & 1) {
        memset(c->pub + 1, 0xff, 32);
        c->pub[32] = (uint8_t)(0x2f - (r >> 9) % 4);
      } else {
        cx_sha256(c->digest, 32, c->pub + 1);
      }
      break;
    case 4: /* no such prefix */
      c->pub[0] = (uint8_t)(4 + (r >> 8) % 4);
      break;
    default:
      break;
    }
  }
  cx_signer_destroy(s);
}

Test(crypto_keycache, verdicts_equal_those_without_the_cache) {
  enum { N = 600 };
  static vcase cs[N];
  make_cases(cs, N, 40,
             cx_test_seed("crypto_keycache.verdicts_equal_those_without"));
  cx_verifier *plain = cx_verifier_create_with_cache(0);
  cx_verifier *cached = cx_verifier_create_with_cache(16); /* collisions */
  cx_verifier *big = cx_verifier_create();
  cr_assert(plain && cached && big);
  unsigned valid = 0, bad_keys = 0;
  for (int pass = 0; pass < 2; pass++) /* the second pass mostly hits */
    for (size_t i = 0; i < N; i++) {
      const vcase *c = &cs[i];
      bool want = cx_verify(plain, c->pub, c->digest, c->sig);
      cr_assert_eq(cx_verify(cached, c->pub, c->digest, c->sig), want,
                   "case %zu, pass %d", i, pass);
      cr_assert_eq(cx_verify(big, c->pub, c->digest, c->sig), want,
                   "case %zu, pass %d", i, pass);
      valid += want;
      bad_keys += (c->pub[0] & ~1u) != 2 || c->pub[1] == 0xff;
    }
  /* Both kinds were exercised. */
  cr_assert_gt(valid, N / 4);
  cr_assert_gt(bad_keys, N / 8);
  /* The batch form over runs of equal keys agrees too. */
  const uint8_t *pk[N], *dg[N], *sg[N];
  uint8_t got[N], want[N];
  for (size_t i = 0; i < N; i++) {
    size_t j = i / 4; /* runs of four signatures over one case's key */
    pk[i] = cs[j].pub;
    dg[i] = cs[i].digest;
    sg[i] = cs[i].sig;
  }
  cx_verify_batch(plain, N, pk, dg, sg, want);
  cx_verify_batch(cached, N, pk, dg, sg, got);
  cr_assert_eq(memcmp(got, want, N), 0);
  cx_verify_batch(big, N, pk, dg, sg, got);
  cr_assert_eq(memcmp(got, want, N), 0);
  cx_verifier_destroy(plain);
  cx_verifier_destroy(cached);
  cx_verifier_destroy(big);
}
