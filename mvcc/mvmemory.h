/* Multi-version memory of Block-STM: for every key touched in the block,
 * the values written by each transaction's latest incarnation.
 *
 * Layout and invariants:
 * - Keys live in slots found through a bucket array of insert-only chains.
 *   A chain link is written once, before the slot is published by a
 *   release CAS on the bucket head, and never changes; slots are never
 *   removed during a block. Lookups are therefore lock-free.
 * - A slot's versions form a list ordered by txn index, descending, with at
 *   most one node per transaction. The list and every field of a version
 *   node except `stamp` (and the immutable slot/txn) are guarded by the
 *   slot's own spin lock.
 * - A node is `deleted` when its transaction's latest incarnation no longer
 *   writes the key (kept in place so the transaction can revive it), and
 *   `estimate` while that incarnation is aborted and not yet re-executed.
 *   Readers skip deleted nodes and report estimates as a dependency.
 * - `stamp` belongs to the node's transaction: only the thread executing
 *   (or aborting) that transaction touches it; the scheduler's status lock
 *   orders successive owners.
 * - Slots and nodes come from the inserting worker's arena; each worker
 *   keeps a list of the slots it created (`owned`), walked by the final
 *   pass that materialises the write set.
 */
#ifndef CX_MVCC_MVMEMORY_H
#define CX_MVCC_MVMEMORY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "spin.h"
#include "state.h"

#define CX_MV_STORAGE UINT32_MAX /* "version" of a value read from the base */

typedef struct cx_mv_slot cx_mv_slot;

typedef struct cx_mv_version {
  struct cx_mv_version *next; /* lower txn index */
  cx_mv_slot *slot;
  uint32_t txn, incarnation;
  uint8_t estimate, deleted;
  uint32_t stamp; /* owner's marker, see above */
  uint64_t v0, v1;
} cx_mv_version;

/* One cache line (64 bytes, line-aligned in the arena): a lookup, a read
 * and a write of a key each touch one line of it. */
struct cx_mv_slot {
  cx_mv_slot *chain;      /* next slot in the bucket (immutable) */
  cx_mv_version *head;    /* highest txn first; under `lock` */
  cx_mv_slot *owned_next; /* next slot created by the same worker */
  cx_spin lock;
  cx_key key;
};

/* The list of slots one worker created in this block. */
typedef struct cx_mv_owned {
  cx_mv_slot *head;
  size_t count;
} cx_mv_owned;

typedef struct cx_mvmemory {
  _Atomic(cx_mv_slot *) *buckets;
  size_t bucket_mask, bucket_cap;
} cx_mvmemory;

/* What a read saw. */
enum cx_mv_read_kind { CX_MV_READ_STORAGE, CX_MV_READ_VALUE,
                       CX_MV_READ_ESTIMATE };
typedef struct cx_mv_read {
  int kind;
  uint32_t txn, incarnation; /* VALUE: version read; ESTIMATE: blocker */
  uint64_t v0, v1;
} cx_mv_read;

/* An empty memory (no allocation until the first reset). */
void cx_mv_init(cx_mvmemory *m);
void cx_mv_destroy(cx_mvmemory *m);

/* Empties the memory for a block expected to touch about `keys` keys
 * (sizes the bucket array). Single-threaded. Returns 0 or CX_ENOMEM. */
int cx_mv_reset(cx_mvmemory *m, size_t keys);

/* The slot of key (hash = cx_vm_key_hash(key)), created from `arena` and
 * added to `owned` when absent. NULL only when the arena is out of memory.
 * Thread-safe. */
cx_mv_slot *cx_mv_slot_get(cx_mvmemory *m, const cx_key *key, uint64_t hash,
                           cx_arena *arena, cx_mv_owned *owned);

/* The value of the slot as transaction `txn` sees it: the newest live
 * version of a lower transaction. Thread-safe. */
void cx_mv_read_at(cx_mv_slot *slot, uint32_t txn,
                   cx_mv_read *out);

/* True when a read by `txn` now would see the same version (txn,
 * incarnation), or storage again when `txn_read` is CX_MV_STORAGE; false
 * on an estimate or any other version. Thread-safe. */
int cx_mv_read_still(cx_mv_slot *slot, uint32_t txn,
                     uint32_t txn_read, uint32_t incarnation_read);

/* Stores the value of (txn, incarnation) in slot; returns its node, and
 * sets *fresh when the key was not written by txn's previous incarnation
 * (node created or revived). NULL only when the arena is out of memory.
 * Thread-safe for distinct txns; one txn is written by one thread. */
cx_mv_version *cx_mv_write(cx_mv_slot *slot, uint32_t txn,
                           uint32_t incarnation, uint64_t v0, uint64_t v1,
                           cx_arena *arena, int *fresh);

/* Marks a node ESTIMATE (its incarnation was aborted) or deleted (the
 * latest incarnation does not write the key). Thread-safe. */
void cx_mv_mark_estimate(cx_mv_version *v);
void cx_mv_mark_deleted(cx_mv_version *v);

/* Final value of a slot after the block: the newest live version, or NULL
 * when no committed transaction wrote it. Only after all workers stopped. */
const cx_mv_version *cx_mv_final(const cx_mv_slot *slot);

#endif /* CX_MVCC_MVMEMORY_H */
