/* The block tree's bookkeeping: ids, lookup, adding and dropping nodes.
 * The tree is small (bounded by speculative_mem_limit and the retention),
 * so lookups scan the node array; sweeps mark doomed nodes by walking
 * parent chains, which are short. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "branch.h"

#define SERIAL_BITS 48
#define SERIAL_MASK ((UINT64_C(1) << SERIAL_BITS) - 1)

/* Bookkeeping charged per node on top of its write set and statuses. */
#define NODE_OVERHEAD (sizeof(cx_node) + sizeof(cx_node *))

void cx_branches_init(cx_branches *b, size_t limit) {
  memset(b, 0, sizeof *b);
  uint16_t tag = 0;
  /* A random tag tells one engine's ids from another's; the fallback
   * only has to differ between engines of one process. */
  if (getrandom(&tag, sizeof tag, GRND_NONBLOCK) != (ssize_t)sizeof tag)
    tag = (uint16_t)((uintptr_t)b >> 4 ^ (uint64_t)time(NULL));
  if (tag == 0)
    tag = 1;
  b->tag = (uint64_t)tag << SERIAL_BITS;
  b->next_serial = 1;
  b->limit = limit;
}

static void node_free(cx_node *n) {
  free(n->writes);
  free(n->statuses);
  free(n);
}

void cx_branches_free(cx_branches *b) {
  for (size_t i = 0; i < b->n; i++)
    node_free(b->nodes[i]);
  free(b->nodes);
  memset(b, 0, sizeof *b);
}

cx_block_id cx_branches_id(const cx_branches *b, const cx_node *n) {
  return b->tag | n->serial;
}

int cx_branches_find(const cx_branches *b, cx_block_id id, cx_node **out,
                     cx_error *err) {
  *out = NULL;
  if (id == 0)
    return cx_error_set(err, CX_EINVAL, "block id 0 names no block");
  if ((id & ~SERIAL_MASK) != b->tag)
    return cx_error_set(err, CX_EINVAL,
                        "block id %#llx belongs to another engine",
                        (unsigned long long)id);
  uint64_t serial = id & SERIAL_MASK;
  for (size_t i = 0; i < b->n; i++)
    if (b->nodes[i]->serial == serial) {
      *out = b->nodes[i];
      return CX_OK;
    }
  return cx_error_set(err, CX_ENOTFOUND,
                      serial < b->next_serial
                          ? "block id %#llx is gone: it was discarded, "
                            "reverted, or its chain fell below the undo "
                            "retention (execute it again on a live parent)"
                          : "block id %#llx was never issued by this engine",
                      (unsigned long long)id);
}

cx_node *cx_branches_committed(const cx_branches *b, uint64_t height) {
  for (size_t i = 0; i < b->n; i++)
    if (b->nodes[i]->kind == CX_NODE_COMMITTED &&
        b->nodes[i]->height == height)
      return b->nodes[i];
  return NULL;
}

static cx_node *push(cx_branches *b, cx_node *n) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 16;
    cx_node **p = realloc(b->nodes, cap * sizeof *p);
    if (p == NULL)
      return NULL;
    b->nodes = p;
    b->cap = cap;
  }
  n->serial = b->next_serial++;
  b->nodes[b->n++] = n;
  b->bytes += n->bytes;
  return n;
}

cx_node *cx_branches_add_committed(cx_branches *b, uint64_t height,
                                   const uint8_t state_root[32]) {
  cx_node *n = calloc(1, sizeof *n);
  if (n == NULL)
    return NULL;
  n->kind = CX_NODE_COMMITTED;
  n->height = height;
  memcpy(n->state_root, state_root, 32);
  n->bytes = NODE_OVERHEAD;
  if (push(b, n) == NULL) {
    free(n);
    return NULL;
  }
  return n;
}

int cx_branches_add_speculative(cx_branches *b, cx_node *parent,
                                const cx_block_record *rec, cx_entry *writes,
                                size_t n_writes, uint8_t *statuses,
                                cx_node **out, cx_error *err) {
  size_t bytes = NODE_OVERHEAD + n_writes * sizeof *writes + rec->tx_count;
  if (b->bytes + bytes > b->limit) {
    free(writes);
    free(statuses);
    return cx_error_set(err, CX_ELIMIT,
                        "speculative blocks would use %zu bytes, above "
                        "speculative_mem_limit (%zu bytes): discard "
                        "speculative blocks or make one the head, or raise "
                        "the limit",
                        b->bytes + bytes, b->limit);
  }
  cx_node *n = calloc(1, sizeof *n);
  if (n == NULL) {
    free(writes);
    free(statuses);
    return cx_error_set(err, CX_ENOMEM, "no memory for a speculative block");
  }
  n->kind = CX_NODE_SPECULATIVE;
  n->height = rec->height;
  n->parent = parent;
  memcpy(n->state_root, rec->state_root, 32);
  n->writes = writes;
  n->n_writes = n_writes;
  n->statuses = statuses;
  n->rec = *rec;
  n->rec.statuses = statuses;
  n->bytes = bytes;
  if (push(b, n) == NULL) {
    node_free(n);
    return cx_error_set(err, CX_ENOMEM, "no memory for a speculative block");
  }
  *out = n;
  return CX_OK;
}

cx_node *cx_branches_base(cx_node *n) {
  while (n->kind == CX_NODE_SPECULATIVE)
    n = n->parent;
  return n;
}

size_t cx_branches_depth(const cx_node *n) {
  size_t d = 0;
  for (; n->kind == CX_NODE_SPECULATIVE; n = n->parent)
    d++;
  return d;
}

void cx_branches_mark_committed(cx_branches *b, cx_node *n) {
  free(n->writes);
  free(n->statuses);
  n->writes = NULL;
  n->statuses = NULL;
  n->n_writes = 0;
  n->rec.statuses = NULL;
  n->kind = CX_NODE_COMMITTED;
  n->parent = NULL;
  b->bytes -= n->bytes - NODE_OVERHEAD;
  n->bytes = NODE_OVERHEAD;
}

/* Frees every node marked doomed, and every speculative node whose parent
 * chain reaches a doomed node. */
static void sweep(cx_branches *b) {
  for (size_t i = 0; i < b->n; i++) {
    cx_node *n = b->nodes[i];
    for (cx_node *p = n; !n->doomed && p->kind == CX_NODE_SPECULATIVE;
         p = p->parent)
      if (p->parent->doomed)
        n->doomed = true;
  }
  size_t k = 0;
  for (size_t i = 0; i < b->n; i++) {
    cx_node *n = b->nodes[i];
    if (n->doomed) {
      b->bytes -= n->bytes;
      node_free(n);
    } else {
      b->nodes[k++] = n;
    }
  }
  b->n = k;
}

void cx_branches_drop(cx_branches *b, cx_node *n) {
  n->doomed = true;
  sweep(b);
}

void cx_branches_reverted(cx_branches *b, uint64_t height) {
  for (size_t i = 0; i < b->n; i++)
    if (b->nodes[i]->kind == CX_NODE_COMMITTED && b->nodes[i]->height > height)
      b->nodes[i]->doomed = true;
  sweep(b);
}

void cx_branches_prune(cx_branches *b, uint64_t floor) {
  bool any = false;
  for (size_t i = 0; i < b->n; i++)
    if (b->nodes[i]->kind == CX_NODE_COMMITTED && b->nodes[i]->height < floor)
      any = b->nodes[i]->doomed = true;
  if (any)
    sweep(b);
}
