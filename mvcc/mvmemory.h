/* Multi-version memory of Block-STM: for every key touched in the block,
 * the values written by each transaction's latest incarnation.
 *
 * Layout and invariants:
 * - Keys live in slots found through a bucket array of insert-only chains.
 *   A chain link is written once, before the slot is published by a
 *   release CAS on the bucket head, and never changes; slots are never
 *   removed during a block. Lookups are therefore lock-free.
 * - A slot's versions form a list ordered by txn index, descending, with at
 *   most one node per transaction; every node's `next` has a lower txn, at
 *   every moment, so a list is never cyclic. A node's `slot` and `txn` are
 *   set before it is linked (release) and never change.
 * - Writers (insert, value update, marks) hold the slot's sequence lock:
 *   `seq` is odd while one writes; each write is a release store, and the
 *   unlock bumps `seq` to the next even value. Readers take no lock
 *   (seqlock): they read `seq`, walk the list with acquire loads, and retry
 *   when `seq` was odd or has changed, so concurrent reads of one key never
 *   take its line exclusively, and a reader that saw any part of a write
 *   sees `seq` changed (the write's odd `seq` happens before it). `seq`
 *   starts at 0 with the slot and only grows during a block (it would take
 *   2^31 writes to one key to wrap), so an equal even value means no write
 *   in between: validation uses that as a shortcut (cx_mv_unchanged).
 * - `meta` holds the incarnation (<< 2) and two flags: DELETED when the
 *   transaction's latest incarnation no longer writes the key (the node is
 *   kept in place so the transaction can revive it), ESTIMATE while that
 *   incarnation is aborted and not yet re-executed. Readers skip deleted
 *   nodes and report estimates as a dependency.
 * - `stamp` belongs to the node's transaction: only the thread executing
 *   (or aborting) that transaction touches it; the scheduler's status
 *   transitions order successive owners.
 * - Slots and nodes come from the inserting worker's arena; each worker
 *   keeps a list of the slots it created (`owned`), walked by the final
 *   pass that materialises the write set.
 */
#ifndef CX_MVCC_MVMEMORY_H
#define CX_MVCC_MVMEMORY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "state.h"
#include "vm.h"

#define CX_MV_STORAGE UINT32_MAX /* "version" of a value read from the base */

typedef struct cx_mv_slot cx_mv_slot;

#define CX_MV_DELETED 1u
#define CX_MV_ESTIMATE 2u

typedef struct cx_mv_version {
  _Atomic(struct cx_mv_version *) next; /* lower txn index */
  cx_mv_slot *slot;
  uint32_t txn;
  uint32_t stamp;              /* owner's marker, see above */
  atomic_uint_fast64_t meta;   /* incarnation << 2 | flags */
  atomic_uint_fast64_t v0, v1;
} cx_mv_version;

/* One cache line (64 bytes, line-aligned in the arena): a lookup, a read
 * and a write of a key each touch one line of it. */
struct cx_mv_slot {
  cx_mv_slot *chain;            /* next slot in the bucket (immutable) */
  _Atomic(cx_mv_version *) head; /* highest txn first; written under seq */
  cx_mv_slot *owned_next;       /* next slot created by the same worker */
  atomic_uint seq;              /* sequence lock, see above */
  cx_key key;
};

/* The list of slots one worker created in this block. */
typedef struct cx_mv_owned {
  cx_mv_slot *head;
  size_t count;
} cx_mv_owned;

typedef struct cx_mvmemory {
  _Atomic(cx_mv_slot *) *buckets;
  size_t bucket_cap;
  unsigned bucket_shift; /* 64 - log2(buckets in use) */
} cx_mvmemory;

/* What a read saw. */
enum cx_mv_read_kind { CX_MV_READ_STORAGE, CX_MV_READ_VALUE,
                       CX_MV_READ_ESTIMATE };
typedef struct cx_mv_read {
  int kind;
  uint32_t txn, incarnation; /* VALUE: version read; ESTIMATE: blocker */
  unsigned seq;              /* the slot's (even) seq the read saw */
  uint64_t v0, v1;
} cx_mv_read;

/* An empty memory (no allocation until the first reset). */
void cx_mv_init(cx_mvmemory *m);
void cx_mv_destroy(cx_mvmemory *m);

/* Empties the memory for a block expected to touch about `keys` keys
 * (sizes the bucket array). Single-threaded. Returns 0 or CX_ENOMEM. */
int cx_mv_reset(cx_mvmemory *m, size_t keys);

/* The bucket of a key: four independent products (they pipeline, unlike a
 * chained mix) folded by a multiplicative hash whose top bits pick the
 * bucket, so keys that differ only in high bytes (big-endian counters)
 * still spread. In-process only, so host byte order is fine. */
static inline _Atomic(cx_mv_slot *) *cx_mv_bucket(const cx_mvmemory *m,
                                                  const cx_key *k) {
  uint64_t x[4];
  memcpy(x, k->bytes, 32);
  uint64_t h = (x[0] * 0x9e3779b97f4a7c15ull) ^ (x[1] * 0xbf58476d1ce4e5b9ull) ^
               (x[2] * 0x94d049bb133111ebull) ^ (x[3] * 0xd6e8feb86659fd93ull) ^
               k->kind;
  return &m->buckets[(h * 0xff51afd7ed558ccdull) >> m->bucket_shift];
}

/* The out-of-line half of cx_mv_slot_get: key was not in the chain from
 * `head`, which bucket b held; pushes a new slot unless another thread
 * pushed the key meanwhile. */
cx_mv_slot *cx_mv_slot_insert(const cx_key *key, _Atomic(cx_mv_slot *) *b,
                              cx_mv_slot *head, cx_arena *arena,
                              cx_mv_owned *owned);

/* The slot of key, created from `arena` and added to `owned` when absent.
 * NULL only when the arena is out of memory. Thread-safe. The lookup is
 * inline (it runs for every key a transaction touches). */
static inline cx_mv_slot *cx_mv_slot_get(cx_mvmemory *m, const cx_key *key,
                                         cx_arena *arena,
                                         cx_mv_owned *owned) {
  _Atomic(cx_mv_slot *) *b = cx_mv_bucket(m, key);
  cx_mv_slot *head = atomic_load_explicit(b, memory_order_acquire);
  for (cx_mv_slot *s = head; s; s = s->chain)
    if (cx_vm_key_eq(&s->key, key))
      return s;
  return cx_mv_slot_insert(key, b, head, arena, owned);
}

/* Reader side of a slot's sequence lock (see above), inline: validation
 * and every read of the executor run these. */

/* Waits until no writer holds s; returns the even sequence value. */
unsigned cx_mv_read_wait(cx_mv_slot *s);

static inline unsigned cx_mv_read_begin(cx_mv_slot *s) {
  unsigned q = atomic_load_explicit(&s->seq, memory_order_acquire);
  return (q & 1) ? cx_mv_read_wait(s) : q;
}

/* True when no write overlapped the reads since cx_mv_read_begin returned
 * q: those reads are acquire loads, so this load cannot move above them. */
static inline int cx_mv_read_ok(cx_mv_slot *s, unsigned q) {
  return atomic_load_explicit(&s->seq, memory_order_relaxed) == q;
}

/* Newest live version below txn and its meta, or NULL (lock-free, to be
 * checked with cx_mv_read_ok). */
static inline cx_mv_version *cx_mv_visible(cx_mv_slot *s, uint32_t txn,
                                           uint64_t *meta) {
  cx_mv_version *v = atomic_load_explicit(&s->head, memory_order_acquire);
  for (; v; v = atomic_load_explicit(&v->next, memory_order_acquire)) {
    if (v->txn >= txn)
      continue;
    *meta = atomic_load_explicit(&v->meta, memory_order_acquire);
    if (!(*meta & CX_MV_DELETED))
      return v;
  }
  return NULL;
}

/* The value of the slot as transaction `txn` sees it: the newest live
 * version of a lower transaction. Thread-safe. */
static inline void cx_mv_read_at(cx_mv_slot *slot, uint32_t txn,
                                 cx_mv_read *out) {
  for (;;) {
    unsigned q = cx_mv_read_begin(slot);
    uint64_t meta = 0;
    cx_mv_version *v = cx_mv_visible(slot, txn, &meta);
    cx_mv_read r = {CX_MV_READ_STORAGE, 0, 0, q, 0, 0};
    if (v) {
      r.txn = v->txn;
      r.incarnation = (uint32_t)(meta >> 2);
      if (meta & CX_MV_ESTIMATE) {
        r.kind = CX_MV_READ_ESTIMATE;
      } else {
        r.kind = CX_MV_READ_VALUE;
        r.v0 = atomic_load_explicit(&v->v0, memory_order_acquire);
        r.v1 = atomic_load_explicit(&v->v1, memory_order_acquire);
      }
    }
    if (cx_mv_read_ok(slot, q)) {
      *out = r;
      return;
    }
  }
}

/* True when a read by `txn` now would see the same version (txn,
 * incarnation), or storage again when `txn_read` is CX_MV_STORAGE; false
 * on an estimate or any other version. Thread-safe. */
static inline int cx_mv_read_still(cx_mv_slot *slot, uint32_t txn,
                                   uint32_t txn_read,
                                   uint32_t incarnation_read) {
  for (;;) {
    unsigned q = cx_mv_read_begin(slot);
    uint64_t meta = 0;
    cx_mv_version *v = cx_mv_visible(slot, txn, &meta);
    int same = v ? v->txn == txn_read &&
                       meta == (uint64_t)incarnation_read << 2 /* live */
                 : txn_read == CX_MV_STORAGE;
    if (cx_mv_read_ok(slot, q))
      return same;
  }
}

/* Writer side of a slot's sequence lock: returns the odd value held. The
 * wait is out of line, so the uncontended path inlined in cx_mv_write
 * needs no call-preserved registers. */
unsigned cx_mv_lock_wait(cx_mv_slot *s);

/* One attempt: 1 with *held set when the lock was free and is now ours. */
static inline int cx_mv_try_lock(cx_mv_slot *s, unsigned *held) {
  unsigned q = atomic_load_explicit(&s->seq, memory_order_relaxed);
  if ((q & 1) || !atomic_compare_exchange_strong_explicit(
                     &s->seq, &q, q + 1, memory_order_acquire,
                     memory_order_relaxed))
    return 0;
  *held = q + 1;
  return 1;
}

static inline unsigned cx_mv_lock(cx_mv_slot *s) {
  unsigned held;
  return cx_mv_try_lock(s, &held) ? held : cx_mv_lock_wait(s);
}

static inline void cx_mv_unlock(cx_mv_slot *s, unsigned held) {
  atomic_store_explicit(&s->seq, held + 1, memory_order_release);
}

/* Stores the value of (txn, incarnation) in slot; returns its node, and
 * sets *fresh when the key was not written by txn's previous incarnation
 * (node created or revived). When read_seq is not NULL it holds the seq
 * that txn's read of this slot saw (cx_mv_read.seq); if no other write
 * came in between, it is moved past this write, so that a later
 * validation finding the slot's seq still equal to it knows nothing but
 * txn's own write changed the slot since the read (and txn's own write is
 * invisible to txn's reads). NULL only when the arena is out of memory.
 * Thread-safe for distinct txns; one txn is written by one thread. */
static inline cx_mv_version *
cx_mv_write(cx_mv_slot *slot, uint32_t txn, uint32_t incarnation, uint64_t v0,
            uint64_t v1, cx_arena *arena, int *fresh, unsigned *read_seq) {
  unsigned held = cx_mv_lock(slot);
  /* seq only grows within a block, so held - 1 == *read_seq means no
   * write since the read; after ours the slot's seq will be held + 1. */
  if (read_seq && *read_seq == held - 1)
    *read_seq = held + 1;
  _Atomic(cx_mv_version *) *link = &slot->head;
  cx_mv_version *v;
  while ((v = atomic_load_explicit(link, memory_order_relaxed)) &&
         v->txn > txn)
    link = &v->next;
  if (v && v->txn == txn) { /* update in place (each store is release) */
    *fresh = atomic_load_explicit(&v->meta, memory_order_relaxed) &
             CX_MV_DELETED;
    atomic_store_explicit(&v->meta, (uint64_t)incarnation << 2,
                          memory_order_release);
    atomic_store_explicit(&v->v0, v0, memory_order_release);
    atomic_store_explicit(&v->v1, v1, memory_order_release);
    cx_mv_unlock(slot, held);
    return v;
  }
  cx_mv_version *n = cx_arena_alloc_line(arena, sizeof *n);
  if (n) {
    atomic_init(&n->next, v);
    n->slot = slot;
    n->txn = txn;
    n->stamp = 0;
    atomic_init(&n->meta, (uint64_t)incarnation << 2);
    atomic_init(&n->v0, v0);
    atomic_init(&n->v1, v1);
    /* publishes the fields above */
    atomic_store_explicit(link, n, memory_order_release);
    *fresh = 1;
  }
  cx_mv_unlock(slot, held);
  return n;
}

/* True when no write reached slot since a read saw `seq` (so a read now
 * would see the same). A cheap first check of a validation. */
static inline int cx_mv_unchanged(cx_mv_slot *slot, unsigned seq) {
  return atomic_load_explicit(&slot->seq, memory_order_acquire) == seq;
}

/* Marks a node ESTIMATE (its incarnation was aborted) or deleted (the
 * latest incarnation does not write the key). Thread-safe. */
void cx_mv_mark_estimate(cx_mv_version *v);
void cx_mv_mark_deleted(cx_mv_version *v);

/* Final value of a slot after the block: 1 with the newest live version's
 * values in *v0 and *v1, or 0 when no committed transaction wrote it. Only
 * after all workers stopped. */
int cx_mv_final(cx_mv_slot *slot, uint64_t *v0, uint64_t *v1);

#endif /* CX_MVCC_MVMEMORY_H */
