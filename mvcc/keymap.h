/* A single-threaded map from cx_key to (v0, v1), for the sequential
 * executor's overlay: a dense array of entries plus an open-addressing
 * index of uint32 positions (linear probing).
 *
 * Invariants: entries[0..n) hold distinct keys in insertion order;
 * index[] has cap slots (a power of two), each 0 (empty) or 1 + the
 * position of an entry; n <= limit <= cap / 2, so probes always end. The
 * caller sizes the map for the most keys it can insert (cx_keymap_reset);
 * inserting more is a bug and asserts.
 */
#ifndef CX_MVCC_KEYMAP_H
#define CX_MVCC_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

typedef struct cx_keymap {
  cx_entry *entries;
  uint32_t *index;
  size_t n, limit, cap;
  size_t entries_cap, index_cap; /* allocated sizes */
} cx_keymap;

/* Empties the map and makes room for `limit` keys, reusing memory when it
 * is large enough. Returns 0 or CX_ENOMEM (the map is then empty with
 * limit 0); limits of 2^31 keys or more are refused with
 * CX_ELIMIT. */
int cx_keymap_reset(cx_keymap *m, size_t limit);

/* Makes room for `extra` more keys beyond the current n, keeping the
 * entries (rehashing when the index must grow). Returns 0, CX_ENOMEM or
 * CX_ELIMIT; the map is unchanged on failure. */
int cx_keymap_reserve(cx_keymap *m, size_t extra);

/* The entry of `key`, or NULL. Read-only: concurrent finds are safe while
 * nobody modifies the map. */
cx_entry *cx_keymap_find(const cx_keymap *m, const cx_key *key);

/* The entry of `key`, inserted with zero values when absent. */
cx_entry *cx_keymap_upsert(cx_keymap *m, const cx_key *key);

/* Frees the map's memory (the map is left empty, usable after a reset). */
void cx_keymap_free(cx_keymap *m);

#endif /* CX_MVCC_KEYMAP_H */
