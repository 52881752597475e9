/* The engine's block tree (SPEC section 9): the speculative blocks it
 * executed and the committed blocks it handed out ids for.
 *
 * A node is either
 *  - speculative: executed on a parent node, held in memory (its sorted
 *    write set, statuses and block row); its parent chain always ends at a
 *    committed node, its *base*; or
 *  - committed: a block of the chain in the store, named by its height and
 *    state root. A committed node has no parent pointer (the store is the
 *    chain), and holds no write set.
 * Ids are (engine tag << 48) | serial; serials are never reused, so an id
 * whose node is gone is recognised as such.
 *
 * Invariants, kept by the functions below and the engine:
 *  - every committed node's height is within [retention floor, height()]
 *    of the store and its state root is the store's at that height (the
 *    engine drops nodes of reverted blocks and prunes below the floor);
 *  - a speculative node's height is its parent's + 1;
 *  - `bytes` is the sum of the nodes' accounted sizes.
 * Not thread-safe: the engine's one-thread-at-a-time rule covers it.
 */
#ifndef CX_BRANCH_H
#define CX_BRANCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chainexec.h"
#include "state.h"
#include "store.h"

typedef enum cx_node_kind {
  CX_NODE_SPECULATIVE = 0,
  CX_NODE_COMMITTED = 1
} cx_node_kind;

typedef struct cx_node {
  uint64_t serial;
  cx_node_kind kind;
  uint64_t height;
  struct cx_node *parent; /* speculative nodes only; NULL when committed */
  uint8_t state_root[32];
  /* Speculative nodes only (NULL/0 once committed). */
  cx_entry *writes; /* sorted by cx_key_cmp, unique */
  size_t n_writes;
  uint8_t *statuses; /* rec.tx_count entries; rec.statuses points here */
  cx_block_record rec;
  size_t bytes; /* accounted memory of this node */
  bool doomed;  /* scratch of the sweeps below */
} cx_node;

typedef struct cx_branches {
  uint64_t tag;         /* high 16 bits of every id of this engine */
  uint64_t next_serial; /* starts at 1 */
  cx_node **nodes;
  size_t n, cap;
  size_t bytes, limit;
} cx_branches;

/* Starts an empty tree with a random tag and a memory limit in bytes. */
void cx_branches_init(cx_branches *b, size_t limit);

/* Frees every node. */
void cx_branches_free(cx_branches *b);

/* The id of a node. */
cx_block_id cx_branches_id(const cx_branches *b, const cx_node *n);

/* Looks up an id: CX_OK with *out, CX_EINVAL (0, or another engine's id)
 * or CX_ENOTFOUND (gone or never issued), with a message. */
int cx_branches_find(const cx_branches *b, cx_block_id id, cx_node **out,
                     cx_error *err);

/* The committed node at `height`, or NULL. */
cx_node *cx_branches_committed(const cx_branches *b, uint64_t height);

/* Adds a committed node (height, state root). NULL when out of memory. */
cx_node *cx_branches_add_committed(cx_branches *b, uint64_t height,
                                   const uint8_t state_root[32]);

/* Adds a speculative node on `parent`, taking ownership of writes and
 * statuses (both malloc'd; freed on failure too) and copying rec (whose
 * statuses pointer is set to the node's). CX_ELIMIT naming
 * speculative_mem_limit when the node would pass the limit, CX_ENOMEM. */
int cx_branches_add_speculative(cx_branches *b, cx_node *parent,
                                const cx_block_record *rec, cx_entry *writes,
                                size_t n_writes, uint8_t *statuses,
                                cx_node **out, cx_error *err);

/* The committed node a speculative chain rests on (n itself when
 * committed). */
cx_node *cx_branches_base(cx_node *n);

/* Number of speculative nodes from n (included) down to its base. */
size_t cx_branches_depth(const cx_node *n);

/* Turns a speculative node into a committed one (after the store committed
 * it), releasing its write set and statuses. */
void cx_branches_mark_committed(cx_branches *b, cx_node *n);

/* Drops n and every speculative node built on it. */
void cx_branches_drop(cx_branches *b, cx_node *n);

/* After the store reverted to `height`: drops the committed nodes above
 * it and everything built on them. */
void cx_branches_reverted(cx_branches *b, uint64_t height);

/* Drops the committed nodes below `floor` and the speculative nodes built
 * on them: those can no longer become canonical. */
void cx_branches_prune(cx_branches *b, uint64_t floor);

#endif /* CX_BRANCH_H */
