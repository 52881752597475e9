/* ThreadSanitizer driver for crypto/ (see tsan_driver.h): the parsed-key
 * cache under concurrent lookups and puts on a few contended entries
 * (every hit must carry its own key's value and validity, never a torn
 * or another key's one), and one cached verifier shared by threads, whose
 * verdicts must equal those of a verifier without a cache.
 * CX_TEST_ITERS for more rounds. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "keycache.h"
#include "sha256.h"
#include "signer.h"
#include "tsan_driver.h"
#include "verify.h"

enum { THREADS = 4, KEYS = 48, CASES = 64 };

typedef struct fake {
  uint8_t key[33], value[64];
  int valid;
} fake;

static fake fakes[KEYS];

static void make_fakes(void) {
  for (uint64_t i = 0; i < KEYS; i++) {
    uint8_t h[32];
    cx_sha256(&i, sizeof i, h);
    fakes[i].key[0] = 2 | (h[0] & 1);
    memcpy(fakes[i].key + 1, h, 32);
    cx_sha256(fakes[i].key, 33, fakes[i].value);
    cx_sha256(fakes[i].value, 32, fakes[i].value + 32);
    fakes[i].valid = i % 3 != 0;
  }
}

typedef struct cache_job {
  cx_keycache *cache;
  uint64_t seed, rounds;
  atomic_ulong hits, misses;
} cache_job;

static void *hammer(void *arg) {
  cache_job *j = arg;
  uint64_t s = j->seed;
  unsigned long hits = 0, misses = 0;
  for (uint64_t r = 0; r < j->rounds; r++) {
    const fake *f = &fakes[tsan_rand(&s) % KEYS];
    uint8_t got[64];
    int res = cx_keycache_get(j->cache, f->key, got);
    if (res == CX_KEYCACHE_MISS) {
      misses++;
      cx_keycache_put(j->cache, f->key, f->valid, f->value);
      continue;
    }
    hits++;
    TSAN_CHECK(res == (f->valid ? CX_KEYCACHE_VALID : CX_KEYCACHE_INVALID),
               "key %td: cached validity %d", f - fakes, res);
    TSAN_CHECK(res != CX_KEYCACHE_VALID || memcmp(got, f->value, 64) == 0,
               "key %td: a hit returned another value", f - fakes);
  }
  atomic_fetch_add(&j->hits, hits);
  atomic_fetch_add(&j->misses, misses);
  return NULL;
}

/* Few entries for many keys: every entry is fought over. */
static void check_cache(uint64_t iters, uint64_t seed) {
  cache_job j = {cx_keycache_create(8), seed, 4000 * iters, 0, 0};
  TSAN_CHECK(j.cache != NULL, "out of memory");
  pthread_t t[THREADS];
  cache_job jobs[THREADS];
  for (int i = 0; i < THREADS; i++) {
    jobs[i] = j;
    jobs[i].seed = seed + (uint64_t)i * 7919;
    atomic_init(&jobs[i].hits, 0);
    atomic_init(&jobs[i].misses, 0);
    TSAN_CHECK(pthread_create(&t[i], NULL, hammer, &jobs[i]) == 0,
               "pthread_create");
  }
  unsigned long hits = 0, misses = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(t[i], NULL);
    hits += atomic_load(&jobs[i].hits);
    misses += atomic_load(&jobs[i].misses);
  }
  TSAN_CHECK(hits > 0 && misses > 0, "hits %lu, misses %lu", hits, misses);
  cx_keycache_destroy(j.cache);
}

typedef struct verify_job {
  const cx_verifier *v;
  const uint8_t (*pub)[33], (*digest)[32], (*sig)[64];
  const uint8_t *want;
  uint64_t seed, rounds;
} verify_job;

static void *verify_loop(void *arg) {
  verify_job *j = arg;
  uint64_t s = j->seed;
  for (uint64_t r = 0; r < j->rounds; r++) {
    size_t i = tsan_rand(&s) % CASES;
    bool got = cx_verify(j->v, j->pub[i], j->digest[i], j->sig[i]);
    TSAN_CHECK(got == (j->want[i] != 0), "case %zu: verdict %d", i, got);
  }
  return NULL;
}

/* Signatures by a few signers (keys repeat), every fourth one damaged,
 * every eighth key unparseable, checked from several threads at once. */
static void check_verifier(uint64_t iters, uint64_t seed) {
  static uint8_t pub[CASES][33], digest[CASES][32], sig[CASES][64];
  static uint8_t want[CASES];
  cx_signer *s = cx_signer_create();
  cx_verifier *plain = cx_verifier_create_with_cache(0);
  cx_verifier *cached = cx_verifier_create_with_cache(4);
  TSAN_CHECK(s && plain && cached, "out of memory");
  for (uint64_t i = 0; i < CASES; i++) {
    uint8_t sk[32];
    cx_signer_keypair(s, seed + i % 5, sk, pub[i]);
    cx_sha256(&i, sizeof i, digest[i]);
    TSAN_CHECK(cx_signer_sign(s, sk, digest[i], sig[i]), "sign");
    if (i % 4 == 3)
      sig[i][i % 64] ^= 1;
    if (i % 8 == 5)
      pub[i][0] = 7;
    want[i] = cx_verify(plain, pub[i], digest[i], sig[i]);
  }
  pthread_t t[THREADS];
  verify_job jobs[THREADS];
  for (int i = 0; i < THREADS; i++) {
    jobs[i] = (verify_job){cached, pub, digest, sig, want,
                           seed + (uint64_t)i, 40 * iters};
    TSAN_CHECK(pthread_create(&t[i], NULL, verify_loop, &jobs[i]) == 0,
               "pthread_create");
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  cx_verifier_destroy(cached);
  cx_verifier_destroy(plain);
  cx_signer_destroy(s);
}

int main(void) {
  uint64_t seed = cx_test_seed("tsan.crypto");
  uint64_t iters = cx_test_iters(4);
  make_fakes();
  check_cache(iters, seed);
  check_verifier(iters, seed);
  printf("tsan_crypto: key cache and shared verifier agree (%llu rounds, "
         "seed %llu)\n",
         (unsigned long long)iters, (unsigned long long)seed);
  return 0;
}
