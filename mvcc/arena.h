/* Bump allocator for one worker, reset per block.
 *
 * Invariants: chunks form a list; `cur` is the chunk being carved, `used`
 * its fill; chunks after `cur` are empty spares kept from earlier blocks.
 * Allocation never frees; cx_arena_reset() makes every chunk reusable
 * without returning memory to libc, so a steady state allocates nothing.
 * One arena belongs to one thread at a time.
 */
#ifndef CX_MVCC_ARENA_H
#define CX_MVCC_ARENA_H

#include <stddef.h>

typedef struct cx_arena_chunk cx_arena_chunk;

typedef struct cx_arena {
  cx_arena_chunk *head, *cur;
  size_t used;
} cx_arena;

/* 16-byte aligned, uninitialised memory valid until the next reset or
 * free; NULL when malloc fails. */
void *cx_arena_alloc(cx_arena *a, size_t size);

/* The same, 64-byte aligned (one cache line for objects of up to 64 bytes:
 * the multi-version memory's slots and versions). */
void *cx_arena_alloc_line(cx_arena *a, size_t size);

/* Makes all memory reusable (pointers handed out become invalid). */
void cx_arena_reset(cx_arena *a);

/* Returns the memory to libc; the arena is left empty and usable. */
void cx_arena_free(cx_arena *a);

#endif /* CX_MVCC_ARENA_H */
