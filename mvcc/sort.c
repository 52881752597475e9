/* Write-set sort; see sort.h. */
#include "sort.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cx_error.h"

typedef struct pair {
  uint64_t prefix;
  uint64_t pos;
} pair;

static uint64_t key_prefix(const cx_key *k) {
  uint64_t p = k->kind;
  for (int i = 0; i < 3; i++)
    p = (p << 8) | k->bytes[i];
  return p << 32;
}

/* Sorts a[0..n) (prefixes set, b as scratch) by prefix; returns the
 * sorted array (a or b). */
static pair *sort_pairs(pair *a, pair *b, size_t n) {
  uint64_t all_or = 0, all_and = UINT64_MAX;
  for (size_t i = 0; i < n; i++) {
    all_or |= a[i].prefix;
    all_and &= a[i].prefix;
  }
  /* One stable counting pass per byte of the top 32 prefix bits, skipping
   * bytes all keys share; keys are hashes, so ties on 32 bits are rare and
   * the full-key pass below settles them. */
  for (unsigned shift = 32; shift < 64; shift += 8) {
    if ((((all_or ^ all_and) >> shift) & 0xff) == 0)
      continue;
    size_t count[256] = {0};
    for (size_t i = 0; i < n; i++)
      count[(a[i].prefix >> shift) & 0xff]++;
    size_t sum = 0;
    for (unsigned d = 0; d < 256; d++) {
      size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      b[count[(a[i].prefix >> shift) & 0xff]++] = a[i];
    pair *t = a;
    a = b;
    b = t;
  }
  return a;
}

/* dst[0..n) is in prefix order (a, sorted): finishes runs of equal top
 * bits on the full key, by insertion when the run is short, else by qsort
 * (structured keys, e.g. counters, can share long prefixes). */
static void finish_runs(cx_entry *dst, const pair *a, size_t n) {
  for (size_t i = 0; i < n;) {
    uint64_t top = a[i].prefix >> 32;
    size_t j = i + 1;
    while (j < n && a[j].prefix >> 32 == top)
      j++;
    if (j - i > 16) {
      cx_entries_sort(dst + i, j - i);
    } else {
      for (size_t k = i + 1; k < j; k++) {
        cx_entry e = dst[k];
        size_t m = k;
        while (m > i && cx_key_cmp(&dst[m - 1].key, &e.key) > 0) {
          dst[m] = dst[m - 1];
          m--;
        }
        dst[m] = e;
      }
    }
    i = j;
  }
}

/* Where the keys to sort are: at key_off in items[i] when items is not
 * NULL, else at key_off in the i-th element of stride bytes from base. */
typedef struct key_src {
  const void *const *items;
  const char *base;
  size_t stride, key_off;
} key_src;

static const cx_key *key_at(const key_src *s, size_t i) {
  const char *p =
      s->items ? (const char *)s->items[i] : s->base + i * s->stride;
  return (const cx_key *)(p + s->key_off);
}

/* The n keys of s as (prefix, position) pairs in prefix order; NULL when
 * out of memory. */
static pair *sorted_pairs(const key_src *s, size_t n, cx_arena *scratch) {
  pair *a = cx_arena_alloc(scratch, n * sizeof *a);
  pair *b = cx_arena_alloc(scratch, n * sizeof *b);
  if (!a || !b)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    a[i].prefix = key_prefix(key_at(s, i));
    a[i].pos = i;
  }
  return sort_pairs(a, b, n);
}

int cx_mv_sort(const cx_entry *src, size_t n, cx_entry *dst,
               cx_arena *scratch) {
  key_src s = {NULL, (const char *)src, sizeof *src, offsetof(cx_entry, key)};
  pair *a = n ? sorted_pairs(&s, n, scratch) : NULL;
  if (n && !a)
    return CX_ENOMEM;
  for (size_t i = 0; i < n; i++)
    dst[i] = src[a[i].pos];
  finish_runs(dst, a, n);
  return CX_OK;
}

int cx_mv_sort_items(const void *const *items, size_t key_off, size_t n,
                     void (*fill)(void *ctx, size_t i, cx_entry *e),
                     void *ctx, cx_entry *dst, cx_arena *scratch) {
  key_src s = {items, NULL, 0, key_off};
  pair *a = n ? sorted_pairs(&s, n, scratch) : NULL;
  if (n && !a)
    return CX_ENOMEM;
  for (size_t i = 0; i < n; i++)
    fill(ctx, a[i].pos, &dst[i]);
  finish_runs(dst, a, n);
  return CX_OK;
}
