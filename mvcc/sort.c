/* Write-set sort; see sort.h. */
#include "sort.h"

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

int cx_mv_sort(const cx_entry *src, size_t n, cx_entry *dst,
               cx_arena *scratch) {
  if (n == 0)
    return CX_OK;
  pair *a = cx_arena_alloc(scratch, n * sizeof *a);
  pair *b = cx_arena_alloc(scratch, n * sizeof *b);
  if (!a || !b)
    return CX_ENOMEM;
  uint64_t all_or = 0, all_and = UINT64_MAX;
  for (size_t i = 0; i < n; i++) {
    a[i].prefix = key_prefix(&src[i].key);
    a[i].pos = i;
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
  for (size_t i = 0; i < n; i++)
    dst[i] = src[a[i].pos];
  /* Runs of equal top bits: finish on the full key, by insertion when the
   * run is short, else by qsort (structured keys, e.g. counters, can share
   * long prefixes). */
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
  return CX_OK;
}
