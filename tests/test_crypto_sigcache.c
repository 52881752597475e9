/* crypto/sigcache: the key covers pubkey, message and signature (a change
 * of one byte in any of them misses), the salt moves keys and slots, a
 * full cache stays within its memory and counts its evictions, and it
 * never reports a key it was not given. */
#include <criterion/criterion.h>
#include <string.h>

#include "cx_test.h"
#include "sigcache.h"

typedef struct triple {
  uint8_t pub[33], dig[32], sig[64];
} triple;

static void random_triple(cx_rng *r, triple *t) {
  cx_rng_bytes(r, t, sizeof *t);
  t->pub[0] = 0x02;
}

static void key_of(const cx_sigcache *c, const triple *t, uint8_t k[32]) {
  cx_sigcache_key(c, t->pub, t->dig, t->sig, k);
}

static cx_sigcache *make(size_t bytes, uint8_t salt_byte) {
  uint8_t salt[CX_SIGCACHE_SALT_LEN];
  memset(salt, salt_byte, sizeof salt);
  cx_sigcache *c = cx_sigcache_create(bytes, salt);
  cr_assert_not_null(c);
  return c;
}

Test(sigcache, insert_then_hit) {
  cx_rng r = {cx_test_seed("crypto.sigcache.basic")};
  cx_sigcache *c = make(1 << 20, 1);
  triple t[64];
  uint8_t k[64][32];
  for (int i = 0; i < 64; i++) {
    random_triple(&r, &t[i]);
    key_of(c, &t[i], k[i]);
    cr_assert(!cx_sigcache_contains(c, k[i]), "empty cache hits");
  }
  for (int i = 0; i < 64; i++)
    cr_assert(cx_sigcache_insert(c, k[i]));
  for (int i = 0; i < 64; i++)
    cr_assert(cx_sigcache_contains(c, k[i]), "key %d lost", i);
  cr_assert(cx_sigcache_insert(c, k[0]), "re-insert is a hit");
  /* All 32 stored bytes are compared (a key differing in any byte but
   * the bucket-picking first word lands in the same bucket). */
  for (int i = 8; i < 32; i++) {
    uint8_t k2[32];
    memcpy(k2, k[1], 32);
    k2[i] ^= 0x10;
    cr_assert(!cx_sigcache_contains(c, k2), "hit with key byte %d changed",
              i);
  }
  cx_sigcache_stats s;
  cx_sigcache_stats_get(c, &s);
  cr_assert_eq(s.inserts, 64, "a key present is not inserted twice");
  cr_assert_eq(s.entries, 64);
  cr_assert_eq(s.evictions, 0);
  cr_assert_leq(s.bytes, (size_t)1 << 20);
  cr_assert_leq(s.resident_bytes, s.bytes);
  /* The batch form gives the same keys. */
  const uint8_t *p[64], *d[64], *g[64];
  for (int i = 0; i < 64; i++) {
    p[i] = t[i].pub;
    d[i] = t[i].dig;
    g[i] = t[i].sig;
  }
  uint8_t kb[64][32];
  cx_sigcache_keys(c, 64, p, d, g, kb);
  cr_assert_arr_eq(kb, k, sizeof k);
  cx_sigcache_destroy(c);
}

/* The key test: a hit only for the exact (pubkey, message,
 * signature) inserted; one flipped byte anywhere in any of them misses. */
Test(sigcache, no_hit_when_one_part_differs) {
  cx_rng r = {cx_test_seed("crypto.sigcache.parts")};
  cx_sigcache *c = make(1 << 20, 7);
  for (int round = 0; round < 8; round++) {
    triple t;
    random_triple(&r, &t);
    uint8_t k[32];
    key_of(c, &t, k);
    cr_assert(cx_sigcache_insert(c, k));
    uint8_t *parts[3] = {t.pub, t.dig, t.sig};
    const size_t lens[3] = {33, 32, 64};
    const char *names[3] = {"pubkey", "message", "signature"};
    for (int part = 0; part < 3; part++) {
      for (size_t i = 0; i < lens[part]; i++) {
        uint8_t bit = (uint8_t)(1u << cx_rng_below(&r, 8));
        parts[part][i] ^= bit;
        uint8_t k2[32];
        key_of(c, &t, k2);
        cr_assert(!cx_sigcache_contains(c, k2),
                  "hit with only the %s changed (byte %zu)", names[part], i);
        parts[part][i] ^= bit;
      }
    }
    cr_assert(cx_sigcache_contains(c, k));
  }
  cx_sigcache_destroy(c);
}

/* A different salt gives different keys, and so different slots. */
Test(sigcache, salt_moves_slots) {
  cx_rng r = {cx_test_seed("crypto.sigcache.salt")};
  cx_sigcache *a = make(1 << 20, 1), *b = make(1 << 20, 2);
  int same_bucket = 0;
  for (int i = 0; i < 256; i++) {
    triple t;
    random_triple(&r, &t);
    uint8_t ka[32], kb[32];
    key_of(a, &t, ka);
    key_of(b, &t, kb);
    cr_assert(memcmp(ka, kb, 32) != 0, "salt does not change the key");
    same_bucket += cx_sigcache_bucket(a, ka) == cx_sigcache_bucket(b, kb);
    cr_assert(cx_sigcache_insert(a, ka));
    cr_assert(!cx_sigcache_contains(b, kb));
    cr_assert(!cx_sigcache_contains(a, kb), "other salt's key hits");
  }
  /* About 8160 buckets: by chance 0.03 of 256 keys share one. */
  cr_assert_leq(same_bucket, 3, "%d of 256 keys kept their bucket",
                same_bucket);
  cx_sigcache_destroy(a);
  cx_sigcache_destroy(b);
}

/* Under pressure: a tiny cache takes 20x its capacity of keys. It stays
 * within its limit, counts evictions, keeps the latest key, and never
 * hits on a key it was not given. */
Test(sigcache, full_cache_bounded) {
  cx_rng r = {cx_test_seed("crypto.sigcache.full")};
  size_t limit = 2048;
  cx_sigcache *c = make(limit, 3);
  cx_sigcache_stats s;
  cx_sigcache_stats_get(c, &s);
  size_t cap = s.capacity;
  cr_assert_gt(cap, 0);
  cr_assert_leq(s.bytes, limit);
  size_t n = 20 * cap;
  for (size_t i = 0; i < n; i++) {
    triple t;
    random_triple(&r, &t);
    uint8_t k[32];
    key_of(c, &t, k);
    cr_assert(cx_sigcache_insert(c, k));
    cr_assert(cx_sigcache_contains(c, k), "the latest key %zu is lost", i);
    triple u;
    random_triple(&r, &u);
    key_of(c, &u, k);
    cr_assert(!cx_sigcache_contains(c, k), "hit on a key never inserted");
  }
  cx_sigcache_stats_get(c, &s);
  cr_assert_eq(s.inserts, n);
  cr_assert_leq(s.entries, cap);
  cr_assert_geq(s.evictions, n - cap, "evictions %llu for %zu keys in %zu",
                (unsigned long long)s.evictions, n, cap);
  cr_assert_eq(s.evictions, s.inserts - s.entries);
  cr_assert_leq(s.bytes, limit);
  cr_assert_leq(s.resident_bytes, s.bytes);
  cx_sigcache_destroy(c);
}

Test(sigcache, limits_and_zero_key) {
  uint8_t salt[32] = {0};
  cr_assert_null(cx_sigcache_create(0, salt));
  cr_assert_null(cx_sigcache_create(cx_sigcache_min_bytes() - 1, salt));
  cx_sigcache *c = cx_sigcache_create(cx_sigcache_min_bytes(), salt);
  cr_assert_not_null(c, "the smallest cache opens");
  cx_sigcache_stats s;
  cx_sigcache_stats_get(c, &s);
  cr_assert_eq(s.capacity, CX_SIGCACHE_WAYS);
  cr_assert_leq(s.bytes, cx_sigcache_min_bytes());
  /* An all-zero key is stored remapped, so it does not read as empty. */
  uint8_t zero[32] = {0};
  cr_assert(!cx_sigcache_contains(c, zero));
  cr_assert(cx_sigcache_insert(c, zero));
  cr_assert(cx_sigcache_contains(c, zero));
  cx_sigcache_destroy(c);
  /* The default limit holds the default's promise. */
  c = cx_sigcache_create(CX_SIGCACHE_DEFAULT_BYTES, salt);
  cr_assert_not_null(c);
  cx_sigcache_stats_get(c, &s);
  cr_assert_leq(s.bytes, CX_SIGCACHE_DEFAULT_BYTES);
  cr_assert_geq(s.capacity, 780000);
  cr_assert_lt(s.resident_bytes, (size_t)1 << 20, "untouched pages backed");
  cx_sigcache_destroy(c);
}
