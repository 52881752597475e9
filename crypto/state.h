/* State entries, their Merkle leaves, and block roots (SPEC sections 2, 5).
 *
 * A cx_entry is one state key with its value: an account (address in
 * key[0..20], rest zero; v0 = balance, v1 = nonce) or a storage slot
 * (key[0..32]; v0 = value, v1 = 0). Ordering entries by (kind, key) is the
 * same as ordering their leaves bytewise, since the leaf starts with the
 * kind byte followed by the key.
 */
#ifndef CX_STATE_H
#define CX_STATE_H

#include <stddef.h>
#include <stdint.h>

enum cx_entry_kind { CX_ENTRY_ACCOUNT = 1, CX_ENTRY_KV = 2 };

#define CX_LEAF_ACCOUNT_LEN 37u
#define CX_LEAF_KV_LEN 41u
#define CX_LEAF_MAX_LEN 41u

typedef struct cx_key {
  uint8_t kind; /* cx_entry_kind */
  uint8_t bytes[32];
} cx_key;

typedef struct cx_entry {
  cx_key key;
  uint64_t v0; /* balance, or kv value */
  uint64_t v1; /* nonce, or 0 */
} cx_entry;

/* Bytewise order of the keys' leaves: <0, 0, >0. */
int cx_key_cmp(const cx_key *a, const cx_key *b);

/* Sorts entries by key (leaf order). */
void cx_entries_sort(cx_entry *e, size_t n);

/* Writes the leaf of e to out (37 or 41 bytes) and returns its length. */
size_t cx_entry_leaf(const cx_entry *e, uint8_t out[CX_LEAF_MAX_LEN]);

/* MTH over the leaves of n entries already sorted by key, each key once.
 * Returns 0 or CX_ENOMEM. */
int cx_entries_root(const cx_entry *sorted, size_t n, uint8_t out[32]);

/* state_root(h) = H(0x02 || prev || write_root). */
void cx_state_root_next(const uint8_t prev[32], const uint8_t write_root[32],
                        uint8_t out[32]);

/* state_root(0) = H(0x02 || 32 zero bytes || MTH(sorted genesis leaves)).
 * `sorted` must be sorted with unique keys. Returns 0 or CX_ENOMEM. */
int cx_genesis_root(const cx_entry *sorted, size_t n, uint8_t out[32]);

/* Convenience constructors. */
cx_key cx_key_account(const uint8_t addr20[20]);
cx_key cx_key_kv(const uint8_t key32[32]);

#endif /* CX_STATE_H */
