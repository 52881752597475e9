/* The op VM of SPEC section 4: runs one transaction against a read
 * interface, through a transaction-local buffer of cells.
 *
 * Invariants of a cx_vm_buf during and after a run:
 * - each key appears in at most one cell (cells[0..n));
 * - a cell's v0/v1 hold the key's value as the ops so far left it; `read`
 *   is 1 when the value came from the read interface (once per key and
 *   run), 0 when the first touch was a blind write (SET, COPY dst, APPEND
 *   slot);
 * - `written` is 1 when some op (or the nonce increment) wrote the key;
 * - n <= CX_VM_MAX_CELLS: a tx touches its sender plus at most two keys per
 *   op, so the buffer never overflows.
 * The VM itself has no state and allocates nothing; it is safe to run any
 * number of VMs concurrently on distinct buffers.
 */
#ifndef CX_MVCC_VM_H
#define CX_MVCC_VM_H

#include <stdint.h>
#include <string.h>

#include "state.h"
#include "tx.h"

#define CX_VM_MAX_CELLS (1u + 2u * CX_TX_MAX_OPS)

/* Returned by a read function (and then by cx_vm_execute) when the value
 * is not available yet: the run is abandoned without an outcome. */
#define CX_VM_SUSPEND (-1)

/* Status meaning "the transaction must run" (cx_vm_prestatus). */
#define CX_VM_RUN 0xffu

typedef struct cx_vm_cell {
  cx_key key;
  uint8_t read;
  uint8_t written;
  uint64_t v0, v1;
  void *hint; /* the read function's handle for this key (the parallel
                 executor's read record); NULL until a read sets it */
} cx_vm_cell;

typedef struct cx_vm_buf {
  unsigned n;
  cx_vm_cell cells[CX_VM_MAX_CELLS];
} cx_vm_buf;

/* Fills cell->v0/v1 (zeros for an absent key) from the state as of this
 * transaction's position, and may set cell->hint. Returns 0,
 * CX_VM_SUSPEND, or a cx code (an error that aborts the block). */
typedef int (*cx_vm_read_fn)(void *ctx, cx_vm_cell *cell);

/* Status of a transaction that takes its status without running:
 * CX_TX_MALFORMED, CX_TX_BAD_SIGNATURE, or CX_VM_RUN when it must run. */
static inline unsigned cx_vm_prestatus(const cx_tx *tx, uint8_t sig_ok) {
  if (tx->malformed)
    return CX_TX_MALFORMED;
  return sig_ok ? CX_VM_RUN : CX_TX_BAD_SIGNATURE;
}

/* Runs the well-formed, correctly signed `tx` sent by `sender`: BAD_NONCE
 * check, ops in order (each seeing the earlier ones), nonce overflow check
 * and nonce increment. Returns 0 with *status set (buf then holds every key
 * the run touched; the `written` cells are the write set, meaningful only
 * when *status is CX_TX_COMMITTED), or what `read` returned when that was
 * not 0. buf is reset at the start. */
int cx_vm_execute(const cx_tx *tx, const uint8_t sender[20],
                  cx_vm_read_fn read, void *ctx, cx_vm_buf *buf,
                  uint8_t *status);

/* Builds the state key of an account / a kv slot (unused bytes zero). */
static inline void cx_vm_key_account(cx_key *k, const uint8_t addr[20]) {
  k->kind = CX_ENTRY_ACCOUNT;
  memcpy(k->bytes, addr, 20);
  memset(k->bytes + 20, 0, 12);
}
static inline void cx_vm_key_kv(cx_key *k, const uint8_t key[32]) {
  k->kind = CX_ENTRY_KV;
  memcpy(k->bytes, key, 32);
}

/* Equality of two keys built as above (all 33 bytes significant; cx_key
 * has no padding). */
static inline int cx_vm_key_eq(const cx_key *a, const cx_key *b) {
  uint64_t x[4], y[4];
  memcpy(x, a->bytes, 32); /* fixed-size copies compile to plain loads */
  memcpy(y, b->bytes, 32);
  return a->kind == b->kind &&
         ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
}

/* 64-bit mix of a key, for hash tables. */
static inline uint64_t cx_vm_key_hash(const cx_key *k) {
  uint64_t h = 0x9e3779b97f4a7c15ull * (uint64_t)(k->kind + 1u);
  for (int w = 0; w < 4; w++) {
    uint64_t x;
    memcpy(&x, k->bytes + w * 8, 8); /* host order: only used in-process */
    h = (h ^ x) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  return h;
}

#endif /* CX_MVCC_VM_H */
