/* Overlay map of the sequential executor; invariants in keymap.h. */
#include "keymap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cx_error.h"
#include "vm.h"

int cx_keymap_reset(cx_keymap *m, size_t limit) {
  if (limit >= (1u << 31)) {
    m->n = m->limit = 0;
    return CX_ELIMIT;
  }
  size_t cap = 16;
  while (cap < 2 * limit)
    cap *= 2;
  if (cap > m->index_cap) {
    uint32_t *idx = malloc(cap * sizeof *idx);
    if (!idx)
      goto oom;
    free(m->index);
    m->index = idx;
    m->index_cap = cap;
  }
  if (limit > m->entries_cap) {
    cx_entry *e = malloc((limit ? limit : 1) * sizeof *e);
    if (!e)
      goto oom;
    free(m->entries);
    m->entries = e;
    m->entries_cap = limit;
  }
  m->cap = cap; /* may be below index_cap: only this part is used */
  memset(m->index, 0, cap * sizeof *m->index);
  m->n = 0;
  m->limit = limit;
  return CX_OK;
oom:
  m->n = m->limit = 0;
  return CX_ENOMEM;
}

/* Slot of `key` in the index: its own, or the empty one where it would go. */
static size_t keymap_probe(const cx_keymap *m, const cx_key *key) {
  size_t mask = m->cap - 1;
  size_t i = (size_t)cx_vm_key_hash(key) & mask;
  for (;;) {
    uint32_t p = m->index[i];
    if (p == 0 || cx_vm_key_eq(&m->entries[p - 1].key, key))
      return i;
    i = (i + 1) & mask;
  }
}

cx_entry *cx_keymap_find(const cx_keymap *m, const cx_key *key) {
  if (m->cap == 0)
    return NULL;
  uint32_t p = m->index[keymap_probe(m, key)];
  return p ? &m->entries[p - 1] : NULL;
}

cx_entry *cx_keymap_upsert(cx_keymap *m, const cx_key *key) {
  size_t i = keymap_probe(m, key);
  if (m->index[i])
    return &m->entries[m->index[i] - 1];
  assert(m->n < m->limit);
  cx_entry *e = &m->entries[m->n++];
  e->key = *key;
  e->v0 = e->v1 = 0;
  m->index[i] = (uint32_t)m->n;
  return e;
}

int cx_keymap_reserve(cx_keymap *m, size_t extra) {
  size_t need = m->n + extra;
  if (need <= m->limit)
    return CX_OK;
  if (need >= (1u << 30))
    return CX_ELIMIT;
  size_t limit = 2 * need, cap = 16;
  while (cap < 2 * limit)
    cap *= 2;
  cx_entry *e = malloc(limit * sizeof *e);
  uint32_t *idx = calloc(cap, sizeof *idx);
  if (!e || !idx) {
    free(e), free(idx);
    return CX_ENOMEM;
  }
  if (m->n)
    memcpy(e, m->entries, m->n * sizeof *e);
  free(m->entries), free(m->index);
  m->entries = e, m->entries_cap = limit, m->limit = limit;
  m->index = idx, m->index_cap = m->cap = cap;
  for (size_t i = 0; i < m->n; i++)
    m->index[keymap_probe(m, &e[i].key)] = (uint32_t)(i + 1);
  return CX_OK;
}

void cx_keymap_free(cx_keymap *m) {
  free(m->entries);
  free(m->index);
  memset(m, 0, sizeof *m);
}
