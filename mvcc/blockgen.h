/* Random blocks for differential tests of the executors (and a harness
 * for the ThreadSanitizer drivers): a "world" of accounts and hot kv keys
 * with a random genesis, and blocks over it that mix every op kind (APPEND
 * chains included), injected bad signatures, malformed flags and bad
 * nonces, insufficient funds and values at 2^64-1.
 *
 * Worlds range from 2 accounts (every transaction conflicts) to 10,000
 * (almost none do). Transactions carry a fixed dummy pubkey and signature:
 * the executor takes senders and signature verdicts as inputs, so they are
 * drawn directly. Deterministic for a seed. Not thread-safe.
 */
#ifndef CX_MVCC_BLOCKGEN_H
#define CX_MVCC_BLOCKGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memstate.h"
#include "mvcc.h"

#define CX_BLOCKGEN_MAX_TXS 1200u

typedef struct cx_blockgen cx_blockgen;

/* A generator with a first world; NULL when out of memory. */
cx_blockgen *cx_blockgen_create(uint64_t seed);
void cx_blockgen_destroy(cx_blockgen *g);

/* Replaces the world (accounts, keys, genesis). Returns 0 or CX_ENOMEM. */
int cx_blockgen_new_world(cx_blockgen *g);

/* Generates a block of n <= CX_BLOCKGEN_MAX_TXS transactions (senders'
 * nonces mostly right as of the current state) and points *in at it; the
 * block stays valid until the next call. Returns 0 or CX_EINVAL. */
int cx_blockgen_block(cx_blockgen *g, size_t n, cx_exec_input *in);

/* A block size: mostly under 80, sometimes 200..1199. */
size_t cx_blockgen_size(cx_blockgen *g);

/* The world's current state (the base of the next block); apply a block's
 * write set with cx_memstate_put to move on. */
cx_memstate *cx_blockgen_state(cx_blockgen *g);

/* Accounts in the current world. */
unsigned cx_blockgen_accounts(const cx_blockgen *g);

/* One executor run, as compared by cx_exec_same(). */
typedef struct cx_exec_result {
  size_t n;                /* transactions */
  const uint8_t *statuses; /* n entries */
  const cx_entry *writes;
  size_t n_writes;
} cx_exec_result;

/* True when a and b have the same statuses and write sets (keys and
 * values); otherwise writes the first difference to why (a NUL-terminated
 * line of at most why_len bytes). */
bool cx_exec_same(const cx_exec_result *a, const cx_exec_result *b,
                  char *why, size_t why_len);

#endif /* CX_MVCC_BLOCKGEN_H */
