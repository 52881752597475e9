/* Multi-version memory of Block-STM: for every key touched in the block,
 * the values written by each transaction's latest incarnation.
 *
 * Layout and invariants:
 * - Keys live in an open-addressing table of line-sized slots (linear
 *   probing), sized once per block for twice the keys the block is
 *   expected to touch, and never filled beyond half (cx_mv_limit: a block
 *   that would is run again with a table sized for its exact bound), so
 *   probes stay short and always end. A lookup touches one line per probe
 *   (the key is in the slot), and emptying the table for a new block costs
 *   nothing: a slot whose `tag` holds another block's generation is
 *   empty. `tag` is 2 * generation while the inserting thread fills the
 *   slot, 2 * generation + 1 once key, list and seq are published
 *   (release; a new slot may come with its first version already in the
 *   list, so writing a new key takes one atomic operation); a slot's key
 *   never changes within a block and slots are never removed, so lookups
 *   are lock-free (a reader finding a slot being filled waits for its
 *   publication).
 * - A slot's versions form a list ordered by txn index, descending, with at
 *   most one node per transaction; every node's `next` has a lower txn, at
 *   every moment, so a list is never cyclic. A node's `txn` is set before
 *   it is linked (release) and never changes.
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
 * - Version nodes (half a line) come from the writing worker's arena. Each
 *   worker keeps the slots it inserted in one list per key range
 *   (CX_MV_PARTS ranges in leaf order, cx_mv_part), so the final pass can
 *   materialise and sort the write set range by range, in parallel.
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
  uint32_t txn;
  atomic_uint meta;            /* incarnation << 2 | flags */
  atomic_uint_fast64_t v0, v1;
} cx_mv_version;

/* One cache line (the table is line-aligned): a lookup, a read and a
 * write of a key each touch one line of it. */
struct cx_mv_slot {
  _Alignas(64) atomic_uint tag;  /* generation, see above */
  atomic_uint seq;               /* sequence lock, see above */
  _Atomic(cx_mv_version *) head; /* highest txn first; written under seq */
  cx_key key;
};

/* Key ranges of the final pass: the kind, then the top 4 bits of the first
 * key byte, so part order is leaf order (cx_key_cmp). Enough parts to
 * share the pass among a few workers; few enough that a part's sort
 * (whose fixed cost is a few thousand instructions) has work to do. */
#define CX_MV_PARTS 32u
static inline unsigned cx_mv_part(const cx_key *k) {
  return (k->kind >= CX_ENTRY_KV ? 16u : 0u) | (unsigned)(k->bytes[0] >> 4);
}

/* The slots one worker inserted in this block, per part: blocks of
 * pointers, newest first, so the final pass loads many slots at once
 * instead of chasing one pointer per slot. Blocks come from `arena`;
 * count[q] is the total over part q's blocks. */
#define CX_MV_OWNED_BLOCK 14u
typedef struct cx_mv_owned_block {
  struct cx_mv_owned_block *next;
  uint32_t n;
  cx_mv_slot *s[CX_MV_OWNED_BLOCK];
} cx_mv_owned_block;

typedef struct cx_mv_owned {
  cx_mv_owned_block *head[CX_MV_PARTS];
  uint32_t count[CX_MV_PARTS];
  cx_arena *arena;
  uint32_t budget; /* inserts reserved from the memory's limit, unused */
  int full;        /* the limit was reached (cx_mv_slot_probe) */
} cx_mv_owned;

/* Keys a block may insert are capped at half the table (so probes stay
 * short and always end). When the table was sized from an estimate,
 * workers reserve inserts from the cap in chunks of `chunk` (at most 64,
 * and at most 1/512 of the cap, so reserved but unused inserts of up to
 * 64 workers stay under 1/8 of it), touching the shared counter once per
 * chunk; when it was sized for the block's exact bound, nothing is
 * counted. */
typedef struct cx_mvmemory {
  cx_mv_slot *slots;
  size_t cap;   /* slots allocated */
  size_t mask;  /* slots in use this block, minus one (a power of two) */
  size_t limit; /* most slots this block may insert: half the table */
  unsigned gen; /* this block's generation (1 .. 2^31 - 1) */
  uint32_t chunk; /* inserts per reservation; 0 = not counted (exact) */
  _Alignas(64) atomic_size_t reserved; /* inserts handed to workers */
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

/* The most keys a block may touch on the parallel path (slot indices then
 * fit 31 bits). */
#define CX_MV_MAX_KEYS (((size_t)1 << 30) - 1)

/* Empties the memory for a block expected to touch at most `keys` keys
 * (cx_mv_limit is then at least `keys`); `exact` says `keys` is a bound
 * the block cannot exceed, so inserts need no counting. Single-threaded.
 * Returns 0, CX_ENOMEM or CX_ELIMIT. */
int cx_mv_reset(cx_mvmemory *m, size_t keys, int exact);

/* Hash of a key: four independent products (they pipeline, unlike a
 * chained mix) folded by a multiplicative hash whose top bits are used,
 * so keys that differ only in high bytes (big-endian counters) still
 * spread. In-process only, so host byte order is fine. */
static inline uint64_t cx_mv_hash(const cx_key *k) {
  uint64_t x[4];
  memcpy(x, k->bytes, 32);
  uint64_t h = (x[0] * 0x9e3779b97f4a7c15ull) ^ (x[1] * 0xbf58476d1ce4e5b9ull) ^
               (x[2] * 0x94d049bb133111ebull) ^ (x[3] * 0xd6e8feb86659fd93ull) ^
               k->kind;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 32);
}

/* A slot's index in the table, and back (read sets keep 4-byte indices). */
static inline size_t cx_mv_slot_index(const cx_mvmemory *m,
                                      const cx_mv_slot *s) {
  return (size_t)(s - m->slots);
}
static inline cx_mv_slot *cx_mv_slot_at(const cx_mvmemory *m, size_t i) {
  return &m->slots[i];
}

/* The out-of-line half of the lookups below: probes from slot index *i
 * (the key is not in the slots before it in its probe sequence: they hold
 * other keys, and slots are never emptied), and leaves in *i the index
 * where it stopped. Returns the key's slot with
 * *inserted = 0, or, when the key is absent: NULL when `owned` is NULL
 * (a lookup only), else a slot inserted now (and added to `owned`) with
 * *inserted = 1 and `first` (NULL or a node of the caller's, `next` NULL)
 * as its only version, published with the slot; NULL then when owned's
 * arena is out of memory, or with owned->full set when the block would
 * insert more than cx_mv_limit keys (the caller then runs the block again
 * after a reset for the exact bound). */
cx_mv_slot *cx_mv_slot_probe(cx_mvmemory *m, const cx_key *key, size_t *i,
                             cx_mv_owned *owned, cx_mv_version *first,
                             int *inserted);

/* The most keys this block may insert (at least the `keys` of the reset). */
static inline size_t cx_mv_limit(const cx_mvmemory *m) { return m->limit; }

/* The slot of key (the first probe inline: it runs for every key a
 * transaction touches); see cx_mv_slot_probe for `owned`, `first` and
 * *inserted. Thread-safe. */
static inline cx_mv_slot *cx_mv_slot_lookup(cx_mvmemory *m, const cx_key *key,
                                            cx_mv_owned *owned,
                                            cx_mv_version *first,
                                            int *inserted) {
  size_t i = (size_t)cx_mv_hash(key) & m->mask;
  cx_mv_slot *s = &m->slots[i];
  *inserted = 0;
  if (atomic_load_explicit(&s->tag, memory_order_acquire) == 2 * m->gen + 1 &&
      cx_vm_key_eq(&s->key, key))
    return s;
  return cx_mv_slot_probe(m, key, &i, owned, first, inserted);
}

/* The slot of key, or NULL when no transaction inserted it yet, with *at
 * set to the empty slot that ended the probe (where a later
 * cx_mv_slot_probe for the key may start). */
static inline cx_mv_slot *cx_mv_slot_find(cx_mvmemory *m, const cx_key *key,
                                          size_t *at) {
  int inserted;
  *at = (size_t)cx_mv_hash(key) & m->mask;
  cx_mv_slot *s = &m->slots[*at];
  unsigned tag = atomic_load_explicit(&s->tag, memory_order_acquire);
  if (tag == 2 * m->gen + 1 && cx_vm_key_eq(&s->key, key))
    return s;
  if (tag >> 1 != m->gen) /* empty (another generation's): absent */
    return NULL;
  return cx_mv_slot_probe(m, key, at, NULL, NULL, &inserted);
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
                                           unsigned *meta) {
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
    unsigned meta = 0;
    cx_mv_version *v = cx_mv_visible(slot, txn, &meta);
    cx_mv_read r = {CX_MV_READ_STORAGE, 0, 0, q, 0, 0};
    if (v) {
      r.txn = v->txn;
      r.incarnation = meta >> 2;
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
    unsigned meta = 0;
    cx_mv_version *v = cx_mv_visible(slot, txn, &meta);
    int same = v ? v->txn == txn_read &&
                       meta == incarnation_read << 2 /* live */
                 : txn_read == CX_MV_STORAGE;
    if (cx_mv_read_ok(slot, q))
      return same;
  }
}

/* A node for txn's first write of a key that has no slot yet, to pass to
 * cx_mv_slot_lookup as `first`; NULL when the arena is out of memory. */
static inline cx_mv_version *cx_mv_version_new(cx_arena *arena, uint32_t txn,
                                               uint32_t incarnation,
                                               uint64_t v0, uint64_t v1) {
  cx_mv_version *n = cx_arena_alloc_aligned(arena, sizeof *n, 32);
  if (n) {
    atomic_init(&n->next, NULL);
    n->txn = txn;
    atomic_init(&n->meta, incarnation << 2);
    atomic_init(&n->v0, v0);
    atomic_init(&n->v1, v1);
  }
  return n;
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
    atomic_store_explicit(&v->meta, incarnation << 2, memory_order_release);
    atomic_store_explicit(&v->v0, v0, memory_order_release);
    atomic_store_explicit(&v->v1, v1, memory_order_release);
    cx_mv_unlock(slot, held);
    return v;
  }
  _Static_assert(sizeof(cx_mv_version) == 32, "a version is half a line");
  cx_mv_version *n = cx_mv_version_new(arena, txn, incarnation, v0, v1);
  if (n) {
    atomic_store_explicit(&n->next, v, memory_order_relaxed);
    /* publishes the node's fields */
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

/* Marks txn's node in slot ESTIMATE (its incarnation was aborted) or
 * deleted (the latest incarnation does not write the key); the node must
 * exist. Thread-safe. */
void cx_mv_mark_estimate(cx_mv_slot *slot, uint32_t txn);
void cx_mv_mark_deleted(cx_mv_slot *slot, uint32_t txn);

/* Final value of a slot after the block: 1 with the newest live version's
 * values in *v0 and *v1 (unless v0 is NULL), or 0 when no committed
 * transaction wrote it. Only after all workers stopped. */
int cx_mv_final(const cx_mv_slot *slot, uint64_t *v0, uint64_t *v1);

#endif /* CX_MVCC_MVMEMORY_H */
