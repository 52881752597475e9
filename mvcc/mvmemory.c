/* Multi-version memory; invariants in mvmemory.h. */
#include "mvmemory.h"

#include <stdlib.h>
#include <string.h>

#include "cx_error.h"
#include "spin.h"
#include "vm.h"

void cx_mv_init(cx_mvmemory *m) { memset(m, 0, sizeof *m); }

void cx_mv_destroy(cx_mvmemory *m) {
  free((void *)m->buckets);
  memset(m, 0, sizeof *m);
}

int cx_mv_reset(cx_mvmemory *m, size_t keys) {
  size_t cap = 64;
  while (cap < keys)
    cap *= 2;
  if (cap > m->bucket_cap) {
    void *b = malloc(cap * sizeof *m->buckets);
    if (!b)
      return CX_ENOMEM;
    free((void *)m->buckets);
    m->buckets = b;
    m->bucket_cap = cap;
  }
  unsigned bits = 0;
  while (((size_t)1 << bits) < cap)
    bits++;
  m->bucket_shift = 64 - bits;
  /* Before any worker runs: plain zeroing is the initialisation (an
   * all-zero atomic pointer is NULL on every platform we build for). */
  memset((void *)m->buckets, 0, cap * sizeof *m->buckets);
  return CX_OK;
}

static cx_mv_slot *mv_scan(cx_mv_slot *from, const cx_mv_slot *until,
                           const cx_key *key) {
  for (cx_mv_slot *s = from; s != until; s = s->chain)
    if (cx_vm_key_eq(&s->key, key))
      return s;
  return NULL;
}

cx_mv_slot *cx_mv_slot_insert(const cx_key *key, _Atomic(cx_mv_slot *) *b,
                              cx_mv_slot *head, cx_arena *arena,
                              cx_mv_owned *owned) {
  cx_mv_slot *s;
  _Static_assert(sizeof(cx_mv_slot) <= 64, "a slot fills one cache line");
  cx_mv_slot *fresh = cx_arena_alloc_line(arena, sizeof *fresh);
  if (!fresh)
    return NULL;
  fresh->key = *key;
  atomic_init(&fresh->head, NULL);
  atomic_init(&fresh->seq, 0);
  for (;;) {
    fresh->chain = head;
    if (atomic_compare_exchange_weak_explicit(b, &head, fresh,
                                              memory_order_acq_rel,
                                              memory_order_acquire))
      break;
    /* Someone pushed first: only the slots above our old head are new. */
    s = mv_scan(head, fresh->chain, key);
    if (s)
      return s; /* ours stays unused in the arena until the block ends */
  }
  fresh->owned_next = owned->head;
  owned->head = fresh;
  owned->count++;
  return fresh;
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

/* Clears then sets flags of a node's meta under its slot's lock. */
static void mv_set_flags(cx_mv_version *v, uint64_t clear, uint64_t set) {
  unsigned held = cx_mv_lock(v->slot);
  uint64_t m = atomic_load_explicit(&v->meta, memory_order_relaxed);
  atomic_store_explicit(&v->meta, (m & ~clear) | set, memory_order_release);
  cx_mv_unlock(v->slot, held);
}

void cx_mv_mark_estimate(cx_mv_version *v) {
  mv_set_flags(v, 0, CX_MV_ESTIMATE);
}

void cx_mv_mark_deleted(cx_mv_version *v) {
  mv_set_flags(v, CX_MV_ESTIMATE, CX_MV_DELETED);
}

int cx_mv_final(cx_mv_slot *slot, uint64_t *v0, uint64_t *v1) {
  cx_mv_version *v = atomic_load_explicit(&slot->head, memory_order_relaxed);
  while (v && (atomic_load_explicit(&v->meta, memory_order_relaxed) &
               CX_MV_DELETED))
    v = atomic_load_explicit(&v->next, memory_order_relaxed);
  if (!v)
    return 0;
  *v0 = atomic_load_explicit(&v->v0, memory_order_relaxed);
  *v1 = atomic_load_explicit(&v->v1, memory_order_relaxed);
  return 1;
}
