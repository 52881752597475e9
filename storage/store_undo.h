/* Undo data of a committed block (storage/ only): for every key the block
 * wrote, the value it had before, or that it did not exist. One sealed
 * value per block in table `undo` (key: height u64 BE), so a commit adds
 * one row and prunes one row whatever the block's size.
 *
 * Payload: count u32 LE, then `count` entries in the block's write order
 * (cx_key_cmp, strictly increasing):
 *   tag u8: the key kind (CX_ENTRY_ACCOUNT or CX_ENTRY_KV), | 0x80 when the
 *           key existed before the block
 *   key:    20 (account) or 32 (kv) bytes
 *   value:  only when it existed: the previous payload, 16 or 8 bytes
 * then the record checksum (store_codec.h).
 */
#ifndef CX_STORE_UNDO_H
#define CX_STORE_UNDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

#define CX_UNDO_EXISTED 0x80u

/* One undo entry: the key and its value before the block (zeros and
 * existed == false when it did not exist). */
typedef struct cx_undo_item {
  cx_entry e;
  bool existed;
} cx_undo_item;

/* Bytes a payload of n entries needs at most (checksum included). */
static inline size_t cx_undo_max_len(size_t n) {
  return 4 + n * (1 + 32 + 16) + 4;
}

/* Appends an entry at p: key k, previous payload prev (NULL: absent) of
 * its kind's width. Returns the end of the entry. */
uint8_t *cx_undo_put(uint8_t *p, const cx_key *k, const uint8_t *prev);

/* Reads the entries of a payload in order. */
typedef struct cx_undo_iter {
  const uint8_t *p, *end;
  uint32_t left;
} cx_undo_iter;

/* Starts reading payload p[0..len) (checksum already removed). False
 * when it is too short to hold the count. */
bool cx_undo_iter_init(cx_undo_iter *it, const uint8_t *p, size_t len);

/* Next entry into out: 1 read, 0 at a clean end (count reached, no bytes
 * left), -1 when malformed (unknown tag, truncated, bytes left over, or
 * keys not strictly increasing: pass the previous entry in prev, or NULL
 * for the first). */
int cx_undo_next(cx_undo_iter *it, const cx_undo_item *prev,
                 cx_undo_item *out);

#endif /* CX_STORE_UNDO_H */
