/* Per-worker bump allocator; invariants in arena.h. */
#include "arena.h"

#include <stdlib.h>

#define ARENA_CHUNK (256u * 1024u)

/* Chunks are allocated 64-byte aligned and their data starts on a line. */
struct cx_arena_chunk {
  cx_arena_chunk *next;
  size_t size;
  _Alignas(64) unsigned char data[];
};

void *cx_arena_alloc_slow(cx_arena *a, size_t size, size_t align) {
  /* The current chunk may still fit once aligned (the inline line path
   * gives up on an empty arena only). */
  if (a->cur) {
    size_t used = (size_t)(a->ptr - a->cur->data);
    used = (used + align - 1) & ~(align - 1);
    if (used <= a->cur->size && size <= a->cur->size - used) {
      a->ptr = a->cur->data + used + size;
      return a->cur->data + used;
    }
  }
  /* Move to the next spare chunk that fits, else add one after cur. Chunk
   * data starts on a line, so any alignment up to 64 holds there. */
  cx_arena_chunk **link = a->cur ? &a->cur->next : &a->head;
  while (*link && (*link)->size < size)
    link = &(*link)->next;
  cx_arena_chunk *c = *link;
  if (!c) {
    size_t cs = size > ARENA_CHUNK ? (size + 63) & ~(size_t)63 : ARENA_CHUNK;
    c = aligned_alloc(64, sizeof *c + cs);
    if (!c)
      return NULL;
    c->size = cs;
    c->next = NULL;
    *link = c;
  }
  /* Spares skipped above stay in the list, behind c: they are reused
   * after the next reset. */
  if (a->cur && a->cur->next != c) {
    *link = c->next;
    c->next = a->cur->next;
    a->cur->next = c;
  } else if (!a->cur && a->head != c) {
    *link = c->next;
    c->next = a->head;
    a->head = c;
  }
  a->cur = c;
  a->ptr = c->data + size;
  a->end = c->data + c->size;
  return c->data;
}

void cx_arena_reset(cx_arena *a) {
  a->cur = NULL;
  a->ptr = a->end = NULL;
}

void cx_arena_free(cx_arena *a) {
  cx_arena_chunk *c = a->head;
  while (c) {
    cx_arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  a->head = a->cur = NULL;
  a->ptr = a->end = NULL;
}
