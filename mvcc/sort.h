/* Sorting a write set into leaf order (cx_key_cmp), faster than qsort:
 * an LSD radix sort of (key prefix, position) pairs, then a gather. The
 * prefix is the kind byte and the first 3 key bytes, big-endian, so the
 * numeric order of prefixes agrees with leaf order; runs of equal prefixes
 * (rare: keys are hashes) are finished on the full key (insertion sort, or
 * qsort for long runs of structured keys).
 */
#ifndef CX_MVCC_SORT_H
#define CX_MVCC_SORT_H

#include <stddef.h>

#include "arena.h"
#include "state.h"

/* Writes src[0..n) sorted by key to dst (they must not overlap). Scratch
 * memory (32 bytes per entry) comes from `scratch`. Keys must be unique.
 * Returns 0 or CX_ENOMEM. Thread-safe for distinct arenas. */
int cx_mv_sort(const cx_entry *src, size_t n, cx_entry *dst,
               cx_arena *scratch);

/* The same for entries not yet built, one per item: item i's key is the
 * cx_key at byte key_off of *items[i], and fill(ctx, i, e) writes entry i
 * to e, once per entry, in sorted order, so the caller needs no array of
 * unsorted entries. Keys must be unique. Returns 0 or CX_ENOMEM. */
int cx_mv_sort_items(const void *const *items, size_t key_off, size_t n,
                     void (*fill)(void *ctx, size_t i, cx_entry *e),
                     void *ctx, cx_entry *dst, cx_arena *scratch);

#endif /* CX_MVCC_SORT_H */
