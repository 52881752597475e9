/* Multi-version memory; invariants in mvmemory.h. */
#include "mvmemory.h"

#include <stdlib.h>
#include <string.h>

#include "cx_error.h"
#include "spin.h"
#include "vm.h"

void cx_mv_init(cx_mvmemory *m) { memset(m, 0, sizeof *m); }

void cx_mv_destroy(cx_mvmemory *m) {
  free(m->slots);
  memset(m, 0, sizeof *m);
}

#define MV_MAX_GEN 0x7fffffffu /* 2 * gen + 1 must fit a tag */

int cx_mv_reset(cx_mvmemory *m, size_t keys, int exact) {
  if (keys > CX_MV_MAX_KEYS)
    return CX_ELIMIT;
  size_t cap = 64;
  while (cap < 2 * keys)
    cap *= 2;
  int zero = 0;
  if (cap > m->cap) {
    _Static_assert(sizeof(cx_mv_slot) == 64, "a slot fills one cache line");
    cx_mv_slot *s = aligned_alloc(64, cap * sizeof *s);
    if (!s)
      return CX_ENOMEM;
    free(m->slots);
    m->slots = s;
    m->cap = cap;
    zero = 1;
  }
  /* A new generation empties every slot; only fresh memory, and tags about
   * to repeat after 2^31 blocks, need zeroing (tag 0 is no generation's).
   * Single-threaded, before any worker runs: plain zeroing is the
   * initialisation of the atomics. */
  if (zero || m->gen >= MV_MAX_GEN) {
    memset((void *)m->slots, 0, m->cap * sizeof *m->slots);
    m->gen = 0;
  }
  m->gen++;
  m->mask = cap - 1;
  m->limit = cap / 2;
  size_t chunk = cap / 512;
  m->chunk = exact ? 0 : chunk > 64 ? 64u : chunk < 1 ? 1u : (uint32_t)chunk;
  atomic_store_explicit(&m->reserved, 0, memory_order_relaxed);
  return CX_OK;
}

cx_mv_slot *cx_mv_slot_probe(cx_mvmemory *m, const cx_key *key, size_t *at,
                             cx_mv_owned *owned, cx_mv_version *first,
                             int *inserted) {
  const unsigned busy = 2 * m->gen, ready = busy + 1;
  size_t i = *at;
  for (;;) {
    *at = i;
    cx_mv_slot *s = &m->slots[i];
    unsigned tag = atomic_load_explicit(&s->tag, memory_order_acquire);
    if (tag == busy) { /* being filled: its key is not known yet */
      unsigned spins = 0;
      while ((tag = atomic_load_explicit(&s->tag, memory_order_acquire)) ==
             busy)
        cx_spin_backoff(&spins);
    }
    if (tag == ready) {
      if (cx_vm_key_eq(&s->key, key))
        return s;
      i = (i + 1) & m->mask;
      continue;
    }
    /* Empty (another generation's): the key is absent. Claim the slot, or
     * look again when another thread claimed it first (it may be
     * inserting this very key). Room in `owned` first, so a claimed slot
     * is always published. */
    if (!owned)
      return NULL;
    if (owned->budget == 0 && m->chunk > 0) {
      size_t r = atomic_fetch_add_explicit(&m->reserved, m->chunk,
                                           memory_order_relaxed);
      if (r >= m->limit) {
        owned->full = 1;
        return NULL;
      }
      owned->budget = r + m->chunk <= m->limit ? m->chunk
                                               : (uint32_t)(m->limit - r);
    }
    unsigned part = cx_mv_part(key);
    cx_mv_owned_block *b = owned->head[part];
    if (!b || b->n == CX_MV_OWNED_BLOCK) {
      b = cx_arena_alloc(owned->arena, sizeof *b);
      if (!b)
        return NULL;
      b->next = owned->head[part];
      b->n = 0;
      owned->head[part] = b;
    }
    if (!atomic_compare_exchange_strong_explicit(&s->tag, &tag, busy,
                                                 memory_order_acquire,
                                                 memory_order_relaxed))
      continue;
    s->key = *key;
    atomic_store_explicit(&s->seq, 0, memory_order_relaxed);
    atomic_store_explicit(&s->head, first, memory_order_relaxed);
    atomic_store_explicit(&s->tag, ready, memory_order_release);
    *inserted = 1;
    b->s[b->n++] = s;
    owned->count[part]++;
    if (owned->budget > 0)
      owned->budget--;
    return s;
  }
}

unsigned cx_mv_lock_wait(cx_mv_slot *s) {
  unsigned spins = 0, held;
  while (!cx_mv_try_lock(s, &held))
    cx_spin_backoff(&spins);
  return held;
}

unsigned cx_mv_read_wait(cx_mv_slot *s) {
  unsigned spins = 0;
  for (;;) {
    unsigned q = atomic_load_explicit(&s->seq, memory_order_acquire);
    if (!(q & 1))
      return q;
    cx_spin_backoff(&spins);
  }
}

/* Clears then sets flags of txn's node under the slot's lock (the list is
 * walked under it: marks are rare, so written keys are kept as slot
 * indices, without node pointers). */
static void mv_set_flags(cx_mv_slot *slot, uint32_t txn, unsigned clear,
                         unsigned set) {
  unsigned held = cx_mv_lock(slot);
  cx_mv_version *v = atomic_load_explicit(&slot->head, memory_order_relaxed);
  while (v && v->txn != txn)
    v = atomic_load_explicit(&v->next, memory_order_relaxed);
  if (v) {
    unsigned m = atomic_load_explicit(&v->meta, memory_order_relaxed);
    atomic_store_explicit(&v->meta, (m & ~clear) | set, memory_order_release);
  }
  cx_mv_unlock(slot, held);
}

void cx_mv_mark_estimate(cx_mv_slot *slot, uint32_t txn) {
  mv_set_flags(slot, txn, 0, CX_MV_ESTIMATE);
}

void cx_mv_mark_deleted(cx_mv_slot *slot, uint32_t txn) {
  mv_set_flags(slot, txn, CX_MV_ESTIMATE, CX_MV_DELETED);
}

int cx_mv_final(const cx_mv_slot *slot, uint64_t *v0, uint64_t *v1) {
  cx_mv_version *v = atomic_load_explicit(&slot->head, memory_order_relaxed);
  while (v && (atomic_load_explicit(&v->meta, memory_order_relaxed) &
               CX_MV_DELETED))
    v = atomic_load_explicit(&v->next, memory_order_relaxed);
  if (!v)
    return 0;
  if (v0) {
    *v0 = atomic_load_explicit(&v->v0, memory_order_relaxed);
    *v1 = atomic_load_explicit(&v->v1, memory_order_relaxed);
  }
  return 1;
}
