/* Salted cache of successful verifications; invariants in sigcache.h. */
#include "sigcache.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sha256.h"

#define KEY_WORDS 4u

typedef struct sc_bucket {
  _Alignas(64) atomic_uint_fast64_t seq;
  atomic_uint_fast64_t victim; /* next slot to overwrite when full */
  atomic_uint_fast64_t key[CX_SIGCACHE_WAYS][KEY_WORDS];
} sc_bucket;

_Static_assert(sizeof(sc_bucket) == CX_SIGCACHE_BUCKET_BYTES,
               "a bucket fills two cache lines");

struct cx_sigcache {
  sc_bucket *buckets; /* mapped zeroed: every slot starts empty */
  size_t n_buckets, map_bytes;
  uint8_t salt[CX_SIGCACHE_SALT_LEN];
  atomic_uint_fast64_t inserts, evictions, dropped;
};

static size_t page_size(void) {
  long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? (size_t)page : 4096;
}

size_t cx_sigcache_min_bytes(void) {
  return sizeof(cx_sigcache) + sizeof(sc_bucket);
}

cx_sigcache *cx_sigcache_create(size_t max_bytes, const uint8_t salt[32]) {
  /* The header counts against the limit, and above a page the table is
   * whole pages, so backed pages never pass it either. */
  size_t usable = max_bytes > sizeof(cx_sigcache) ? max_bytes - sizeof(cx_sigcache) : 0;
  size_t ps = page_size();
  if (usable >= ps)
    usable -= usable % ps;
  size_t n = usable / sizeof(sc_bucket);
  if (n == 0 || salt == NULL)
    return NULL;
  cx_sigcache *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->map_bytes = n * sizeof(sc_bucket);
  void *m = mmap(NULL, c->map_bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    free(c);
    return NULL;
  }
  c->buckets = m;
  c->n_buckets = n;
  memcpy(c->salt, salt, sizeof c->salt);
  return c;
}

void cx_sigcache_destroy(cx_sigcache *c) {
  if (!c)
    return;
  munmap(c->buckets, c->map_bytes);
  free(c);
}

#define MSG_LEN (CX_SIGCACHE_SALT_LEN + 33 + 32 + 64)

static void key_msg(const cx_sigcache *c, const uint8_t *pubkey33,
                    const uint8_t *digest32, const uint8_t *sig64,
                    uint8_t msg[MSG_LEN]) {
  memcpy(msg, c->salt, CX_SIGCACHE_SALT_LEN);
  memcpy(msg + CX_SIGCACHE_SALT_LEN, pubkey33, 33);
  memcpy(msg + CX_SIGCACHE_SALT_LEN + 33, digest32, 32);
  memcpy(msg + CX_SIGCACHE_SALT_LEN + 65, sig64, 64);
}

void cx_sigcache_key(const cx_sigcache *c, const uint8_t pubkey33[33],
                     const uint8_t digest32[32], const uint8_t sig64[64],
                     uint8_t key[32]) {
  uint8_t msg[MSG_LEN];
  key_msg(c, pubkey33, digest32, sig64, msg);
  cx_sha256(msg, sizeof msg, key);
}

void cx_sigcache_keys(const cx_sigcache *c, size_t n,
                      const uint8_t *const *pubkeys,
                      const uint8_t *const *digests,
                      const uint8_t *const *sigs, uint8_t (*keys)[32]) {
  enum { CHUNK = 32 };
  uint8_t msgs[CHUNK][MSG_LEN];
  for (size_t i = 0; i < n; i += CHUNK) {
    size_t k = n - i < CHUNK ? n - i : CHUNK;
    for (size_t j = 0; j < k; j++)
      key_msg(c, pubkeys[i + j], digests[i + j], sigs[i + j], msgs[j]);
    cx_sha256_batch_fixed(k, &msgs[0][0], MSG_LEN, keys + i);
  }
}

/* The key as stored: an all-zero key would read as an empty slot. */
static void key_words(const uint8_t key[32], uint64_t w[KEY_WORDS]) {
  memcpy(w, key, 32);
  if ((w[0] | w[1] | w[2] | w[3]) == 0)
    w[3] = 1;
}

static size_t bucket_of(const cx_sigcache *c, uint64_t w0) {
  /* The key is a hash: its first word is uniform, and a multiply-shift
   * maps it onto any bucket count. */
  return (size_t)(((unsigned __int128)w0 * c->n_buckets) >> 64);
}

size_t cx_sigcache_bucket(const cx_sigcache *c, const uint8_t key[32]) {
  uint64_t w[KEY_WORDS];
  key_words(key, w);
  return bucket_of(c, w[0]);
}

/* Slot of `w` in b, or -1; loads with acquire (see keycache.c). */
static int find_slot(sc_bucket *b, const uint64_t w[KEY_WORDS]) {
  for (unsigned s = 0; s < CX_SIGCACHE_WAYS; s++) {
    unsigned k = 0;
    while (k < KEY_WORDS &&
           atomic_load_explicit(&b->key[s][k], memory_order_acquire) == w[k])
      k++;
    if (k == KEY_WORDS)
      return (int)s;
  }
  return -1;
}

bool cx_sigcache_contains(const cx_sigcache *c, const uint8_t key[32]) {
  uint64_t w[KEY_WORDS];
  key_words(key, w);
  sc_bucket *b = &c->buckets[bucket_of(c, w[0])];
  uint_fast64_t s1 = atomic_load_explicit(&b->seq, memory_order_acquire);
  if (s1 & 1)
    return false;
  int slot = find_slot(b, w);
  /* The acquire loads keep this one after them: an unchanged even
   * sequence means no write overlapped the comparison. */
  return slot >= 0 &&
         atomic_load_explicit(&b->seq, memory_order_relaxed) == s1;
}

static void add(atomic_uint_fast64_t *c) {
  atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

bool cx_sigcache_insert(cx_sigcache *c, const uint8_t key[32]) {
  uint64_t w[KEY_WORDS];
  key_words(key, w);
  sc_bucket *b = &c->buckets[bucket_of(c, w[0])];
  uint_fast64_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);
  if ((s & 1) || !atomic_compare_exchange_strong_explicit(
                     &b->seq, &s, s + 1, memory_order_acquire,
                     memory_order_relaxed)) {
    add(&c->dropped);
    return false;
  }
  bool present = find_slot(b, w) >= 0;
  if (!present) {
    unsigned slot = CX_SIGCACHE_WAYS;
    for (unsigned i = 0; i < CX_SIGCACHE_WAYS && slot == CX_SIGCACHE_WAYS; i++)
      if (atomic_load_explicit(&b->key[i][0], memory_order_relaxed) == 0 &&
          atomic_load_explicit(&b->key[i][3], memory_order_relaxed) == 0 &&
          atomic_load_explicit(&b->key[i][1], memory_order_relaxed) == 0 &&
          atomic_load_explicit(&b->key[i][2], memory_order_relaxed) == 0)
        slot = i;
    if (slot == CX_SIGCACHE_WAYS) { /* full: the oldest goes */
      uint_fast64_t v =
          atomic_load_explicit(&b->victim, memory_order_relaxed);
      slot = (unsigned)(v % CX_SIGCACHE_WAYS);
      atomic_store_explicit(&b->victim, (v + 1) % CX_SIGCACHE_WAYS,
                            memory_order_relaxed);
      add(&c->evictions);
    } /* else: slots fill in order 0, 1, 2, so the victim (0) is oldest */
    /* Release: a reader that loads one of these words also sees the odd
     * sequence stored before them, and reports a miss. */
    for (unsigned k = 0; k < KEY_WORDS; k++)
      atomic_store_explicit(&b->key[slot][k], w[k], memory_order_release);
    add(&c->inserts);
  }
  atomic_store_explicit(&b->seq, s + 2, memory_order_release);
  return true;
}

void cx_sigcache_stats_get(const cx_sigcache *c, cx_sigcache_stats *out) {
  memset(out, 0, sizeof *out);
  out->capacity = c->n_buckets * CX_SIGCACHE_WAYS;
  out->bytes = c->map_bytes + sizeof *c;
  out->inserts = atomic_load_explicit(&c->inserts, memory_order_relaxed);
  out->evictions = atomic_load_explicit(&c->evictions, memory_order_relaxed);
  out->dropped = atomic_load_explicit(&c->dropped, memory_order_relaxed);
  out->entries = out->inserts - out->evictions;
  size_t ps = page_size();
  size_t pages = (c->map_bytes + ps - 1) / ps;
  unsigned char vec[1024];
  size_t resident = 0;
  for (size_t p = 0; p < pages; p += sizeof vec) {
    size_t k = pages - p < sizeof vec ? pages - p : sizeof vec;
    if (mincore((char *)c->buckets + p * ps, k * ps, vec) != 0)
      return; /* resident_bytes stays 0: unknown */
    for (size_t i = 0; i < k; i++)
      resident += vec[i] & 1;
  }
  resident *= ps;
  /* A table below one page shares its page with nothing of ours. */
  out->resident_bytes =
      (resident < c->map_bytes ? resident : c->map_bytes) + sizeof *c;
}
