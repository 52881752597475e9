/* State entries, leaves and block roots (SPEC sections 2 and 5). */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include "cx_error.h"
#include "merkle.h"
#include "sha256.h"
#include "tx.h"

static size_t key_len(uint8_t kind) { return kind == CX_ENTRY_ACCOUNT ? 20 : 32; }

int cx_key_cmp(const cx_key *a, const cx_key *b) {
  if (a->kind != b->kind)
    return a->kind < b->kind ? -1 : 1;
  return memcmp(a->bytes, b->bytes, key_len(a->kind));
}

static int entry_cmp(const void *x, const void *y) {
  return cx_key_cmp(&((const cx_entry *)x)->key, &((const cx_entry *)y)->key);
}

void cx_entries_sort(cx_entry *e, size_t n) {
  if (n > 1)
    qsort(e, n, sizeof *e, entry_cmp);
}

size_t cx_entry_leaf(const cx_entry *e, uint8_t out[CX_LEAF_MAX_LEN]) {
  out[0] = e->key.kind;
  if (e->key.kind == CX_ENTRY_ACCOUNT) {
    memcpy(out + 1, e->key.bytes, 20);
    cx_store_u64le(out + 21, e->v0);
    cx_store_u64le(out + 29, e->v1);
    return CX_LEAF_ACCOUNT_LEN;
  }
  memcpy(out + 1, e->key.bytes, 32);
  cx_store_u64le(out + 33, e->v0);
  return CX_LEAF_KV_LEN;
}

int cx_entries_root(const cx_entry *sorted, size_t n, uint8_t out[32]) {
  if (n == 0) {
    cx_sha256(NULL, 0, out);
    return CX_OK;
  }
  /* Leaves have two widths; lay them out at a fixed stride and pass
   * per-leaf lengths. */
  uint8_t *buf = malloc(n * CX_LEAF_MAX_LEN);
  const uint8_t **ptrs = malloc(n * sizeof *ptrs);
  size_t *lens = malloc(n * sizeof *lens);
  int rc = CX_ENOMEM;
  if (buf && ptrs && lens) {
    for (size_t i = 0; i < n; i++) {
      ptrs[i] = buf + i * CX_LEAF_MAX_LEN;
      lens[i] = cx_entry_leaf(&sorted[i], buf + i * CX_LEAF_MAX_LEN);
    }
    rc = cx_merkle_root(n, ptrs, lens, out);
  }
  free(buf);
  free(ptrs);
  free(lens);
  return rc;
}

void cx_state_root_next(const uint8_t prev[32], const uint8_t write_root[32],
                        uint8_t out[32]) {
  uint8_t msg[65];
  msg[0] = 0x02;
  memcpy(msg + 1, prev, 32);
  memcpy(msg + 33, write_root, 32);
  cx_sha256(msg, sizeof msg, out);
}

int cx_genesis_root(const cx_entry *sorted, size_t n, uint8_t out[32]) {
  static const uint8_t zero[32];
  uint8_t mth[32];
  int rc = cx_entries_root(sorted, n, mth);
  if (rc != CX_OK)
    return rc;
  cx_state_root_next(zero, mth, out);
  return CX_OK;
}

cx_key cx_key_account(const uint8_t addr20[20]) {
  cx_key k;
  memset(&k, 0, sizeof k);
  k.kind = CX_ENTRY_ACCOUNT;
  memcpy(k.bytes, addr20, 20);
  return k;
}

cx_key cx_key_kv(const uint8_t key32[32]) {
  cx_key k;
  k.kind = CX_ENTRY_KV;
  memcpy(k.bytes, key32, 32);
  return k;
}
