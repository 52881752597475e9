/* Multi-version memory; invariants in mvmemory.h. */
#include "mvmemory.h"

#include <stdlib.h>
#include <string.h>

#include "cx_error.h"
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
  m->bucket_mask = cap - 1;
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

cx_mv_slot *cx_mv_slot_get(cx_mvmemory *m, const cx_key *key, uint64_t hash,
                           cx_arena *arena, cx_mv_owned *owned) {
  _Atomic(cx_mv_slot *) *b = &m->buckets[hash & m->bucket_mask];
  cx_mv_slot *head = atomic_load_explicit(b, memory_order_acquire);
  cx_mv_slot *s = mv_scan(head, NULL, key);
  if (s)
    return s;
  _Static_assert(sizeof(cx_mv_slot) <= 64, "a slot fills one cache line");
  cx_mv_slot *fresh = cx_arena_alloc_line(arena, sizeof *fresh);
  if (!fresh)
    return NULL;
  fresh->key = *key;
  fresh->head = NULL;
  cx_spin_init(&fresh->lock);
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

/* Newest live version below txn; caller holds the slot's lock. */
static cx_mv_version *mv_visible(cx_mv_slot *s, uint32_t txn) {
  cx_mv_version *v = s->head;
  while (v && (v->txn >= txn || v->deleted))
    v = v->next;
  return v;
}

void cx_mv_read_at(cx_mv_slot *slot, uint32_t txn,
                   cx_mv_read *out) {
  cx_spin_lock(&slot->lock);
  cx_mv_version *v = mv_visible(slot, txn);
  if (!v) {
    out->kind = CX_MV_READ_STORAGE;
  } else if (v->estimate) {
    out->kind = CX_MV_READ_ESTIMATE;
    out->txn = v->txn;
  } else {
    out->kind = CX_MV_READ_VALUE;
    out->txn = v->txn;
    out->incarnation = v->incarnation;
    out->v0 = v->v0;
    out->v1 = v->v1;
  }
  cx_spin_unlock(&slot->lock);
}

int cx_mv_read_still(cx_mv_slot *slot, uint32_t txn,
                     uint32_t txn_read, uint32_t incarnation_read) {
  cx_spin_lock(&slot->lock);
  cx_mv_version *v = mv_visible(slot, txn);
  int same;
  if (!v)
    same = txn_read == CX_MV_STORAGE;
  else
    same = !v->estimate && v->txn == txn_read &&
           v->incarnation == incarnation_read;
  cx_spin_unlock(&slot->lock);
  return same;
}

cx_mv_version *cx_mv_write(cx_mv_slot *slot, uint32_t txn,
                           uint32_t incarnation, uint64_t v0, uint64_t v1,
                           cx_arena *arena, int *fresh) {
  cx_spin_lock(&slot->lock);
  cx_mv_version **link = &slot->head;
  while (*link && (*link)->txn > txn)
    link = &(*link)->next;
  cx_mv_version *v = *link;
  if (v && v->txn == txn) {
    *fresh = v->deleted;
  } else {
    v = cx_arena_alloc_line(arena, sizeof *v);
    if (!v) {
      cx_spin_unlock(&slot->lock);
      return NULL;
    }
    v->next = *link;
    v->slot = slot;
    v->txn = txn;
    v->stamp = 0;
    *link = v;
    *fresh = 1;
  }
  v->incarnation = incarnation;
  v->estimate = 0;
  v->deleted = 0;
  v->v0 = v0;
  v->v1 = v1;
  cx_spin_unlock(&slot->lock);
  return v;
}

void cx_mv_mark_estimate(cx_mv_version *v) {
  cx_spin_lock(&v->slot->lock);
  v->estimate = 1;
  cx_spin_unlock(&v->slot->lock);
}

void cx_mv_mark_deleted(cx_mv_version *v) {
  cx_spin_lock(&v->slot->lock);
  v->deleted = 1;
  v->estimate = 0;
  cx_spin_unlock(&v->slot->lock);
}

const cx_mv_version *cx_mv_final(const cx_mv_slot *slot) {
  const cx_mv_version *v = slot->head;
  while (v && v->deleted)
    v = v->next;
  return v;
}
