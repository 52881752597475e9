/* Bump allocator for one worker, reset per block.
 *
 * Invariants: chunks form a list; `cur` is the chunk being carved and
 * [ptr, end) its free part (ptr 16-byte aligned; all NULL before the first
 * allocation); chunks after `cur` are empty spares kept from earlier
 * blocks. Allocation never frees; cx_arena_reset() makes every chunk
 * reusable without returning memory to libc, so a steady state allocates
 * nothing. One arena belongs to one thread at a time.
 * The fast path is inline: the multi-version memory allocates a slot or a
 * version per write, and a call per allocation showed in profiles.
 */
#ifndef CX_MVCC_ARENA_H
#define CX_MVCC_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct cx_arena_chunk cx_arena_chunk;

typedef struct cx_arena {
  cx_arena_chunk *head, *cur;
  unsigned char *ptr, *end;
} cx_arena;

/* Out-of-line path of the two allocators below: moves to a chunk with room
 * for `size` bytes (a multiple of 16) at `align` (a power of two, 16 to 64). */
void *cx_arena_alloc_slow(cx_arena *a, size_t size, size_t align);

/* 16-byte aligned, uninitialised memory valid until the next reset or
 * free; NULL when malloc fails. */
static inline void *cx_arena_alloc(cx_arena *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  /* Integer arithmetic: ptr and end are NULL in an empty arena; size 0
   * takes the slow path, which never returns NULL for it. */
  if (size - 1 < (size_t)((uintptr_t)a->end - (uintptr_t)a->ptr)) {
    void *p = a->ptr;
    a->ptr += size;
    return p;
  }
  return cx_arena_alloc_slow(a, size, 16);
}

/* The same at `align` bytes (a power of two, 16 to 64), for objects that
 * must not straddle a cache line (the multi-version memory's versions);
 * size must not be 0. */
static inline void *cx_arena_alloc_aligned(cx_arena *a, size_t size,
                                           size_t align) {
  size = (size + 15) & ~(size_t)15;
  uintptr_t p = ((uintptr_t)a->ptr + align - 1) & ~(uintptr_t)(align - 1);
  /* An empty arena has ptr = end = NULL, so p + size > end there too. */
  if (p + size <= (uintptr_t)a->end) {
    a->ptr = (unsigned char *)p + size;
    return (void *)p;
  }
  return cx_arena_alloc_slow(a, size, align);
}

/* Shrinks p, the arena's latest allocation, to its first `size` bytes (at
 * most what was asked), so the rest serves the next allocation: a buffer
 * sized for the worst case costs only what it used. */
static inline void cx_arena_trim(cx_arena *a, void *p, size_t size) {
  a->ptr = (unsigned char *)p + ((size + 15) & ~(size_t)15);
}

/* Makes all memory reusable (pointers handed out become invalid). */
void cx_arena_reset(cx_arena *a);

/* Returns the memory to libc; the arena is left empty and usable. */
void cx_arena_free(cx_arena *a);

#endif /* CX_MVCC_ARENA_H */
