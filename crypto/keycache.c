/* Cache of parsed public keys; invariants in keycache.h. */
#include "keycache.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define KEY_WORDS 5u   /* 33 key bytes + the "parses" byte, zero padded */
#define VALUE_WORDS 8u /* 64 value bytes */
#define VALID_BYTE 33u /* the "parses" byte, inside the key words */

typedef struct kc_entry {
  _Alignas(64) atomic_uint_fast64_t seq;
  atomic_uint_fast64_t key[KEY_WORDS];
  atomic_uint_fast64_t value[VALUE_WORDS];
} kc_entry;

_Static_assert(sizeof(kc_entry) == 128, "an entry fills two cache lines");

struct cx_keycache {
  kc_entry *slots; /* mapped zeroed: every entry starts never written */
  size_t mask, bytes;
};

cx_keycache *cx_keycache_create(size_t slots) {
  size_t n = 1;
  while (n < slots && n < ((size_t)1 << 40))
    n *= 2;
  cx_keycache *c = malloc(sizeof *c);
  if (!c)
    return NULL;
  c->bytes = n * sizeof(kc_entry);
  /* Anonymous memory is zeroed, page-aligned and only backed once
   * touched, so a large table costs what its keys use. */
  void *m = mmap(NULL, c->bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    free(c);
    return NULL;
  }
  c->slots = m;
  c->mask = n - 1;
  return c;
}

void cx_keycache_destroy(cx_keycache *c) {
  if (!c)
    return;
  munmap(c->slots, c->bytes);
  free(c);
}

/* The key's entry: a multiplicative hash of its x coordinate's bytes
 * (the prefix byte only picks the point's parity). */
static kc_entry *entry_of(const cx_keycache *c, const uint8_t key33[33]) {
  uint64_t a, b;
  memcpy(&a, key33 + 1, 8);
  memcpy(&b, key33 + 9, 8);
  uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xbf58476d1ce4e5b9ull) ^
               key33[0];
  h *= 0xff51afd7ed558ccdull;
  return &c->slots[(h ^ (h >> 32)) & c->mask];
}

int cx_keycache_get(const cx_keycache *c, const uint8_t key33[33],
                    uint8_t value64[64]) {
  kc_entry *e = entry_of(c, key33);
  uint_fast64_t s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
  if (s1 == 0 || (s1 & 1))
    return CX_KEYCACHE_MISS;
  uint64_t k[KEY_WORDS], v[VALUE_WORDS];
  for (unsigned i = 0; i < KEY_WORDS; i++)
    k[i] = atomic_load_explicit(&e->key[i], memory_order_acquire);
  if (memcmp(k, key33, 33) != 0)
    return CX_KEYCACHE_MISS;
  for (unsigned i = 0; i < VALUE_WORDS; i++)
    v[i] = atomic_load_explicit(&e->value[i], memory_order_acquire);
  /* The acquire loads above keep this load after them: an unchanged even
   * sequence means no write overlapped them. */
  if (atomic_load_explicit(&e->seq, memory_order_relaxed) != s1)
    return CX_KEYCACHE_MISS;
  if (!((const uint8_t *)k)[VALID_BYTE])
    return CX_KEYCACHE_INVALID;
  memcpy(value64, v, 64);
  return CX_KEYCACHE_VALID;
}

void cx_keycache_put(cx_keycache *c, const uint8_t key33[33], int valid,
                     const uint8_t *value64) {
  kc_entry *e = entry_of(c, key33);
  uint_fast64_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);
  if ((s & 1) || !atomic_compare_exchange_strong_explicit(
                     &e->seq, &s, s + 1, memory_order_acquire,
                     memory_order_relaxed))
    return; /* another writer has it: a cache may drop a put */
  uint64_t k[KEY_WORDS] = {0}, v[VALUE_WORDS] = {0};
  memcpy(k, key33, 33);
  ((uint8_t *)k)[VALID_BYTE] = valid ? 1 : 0;
  if (valid)
    memcpy(v, value64, 64);
  /* Release: a reader that loads any of these words also sees the odd
   * sequence stored before them, so it reports a miss. */
  for (unsigned i = 0; i < KEY_WORDS; i++)
    atomic_store_explicit(&e->key[i], k[i], memory_order_release);
  for (unsigned i = 0; i < VALUE_WORDS; i++)
    atomic_store_explicit(&e->value[i], v[i], memory_order_release);
  atomic_store_explicit(&e->seq, s + 2, memory_order_release);
}
