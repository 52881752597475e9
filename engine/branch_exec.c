/* Blocks on branches: speculative execution, forkchoice, discard, revert
 * (chainexec.h, "Blocks on branches"). The tree's bookkeeping is
 * branch.c; the reads are branch_reader.c; the store makes every change of
 * the committed chain one transaction (cx_store_reorg). */
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "stage_thread.h"

void cx_engine_branches_pruned(cx_engine *e) {
  cx_branches *b = &e->branches;
  cx_branches_prune(b, cx_store_retention_floor(e->store));
  uint64_t held = 0;
  for (size_t i = 0; i < b->n; i++)
    held += b->nodes[i]->kind == CX_NODE_SPECULATIVE;
  atomic_store_explicit(&e->stats.spec_held, held, memory_order_relaxed);
  atomic_store_explicit(&e->stats.spec_bytes, b->bytes, memory_order_relaxed);
}

/* Common checks of the calls that change or extend the chain. */
static int check_chain(cx_engine *e, const char *what, cx_error *err) {
  if (e->cfg.read_only)
    return cx_engine_refuse_read_only(e, what, err);
  if (!cx_store_has_genesis(e->store))
    return cx_error_set(err, CX_ESTATE,
                        "%s: %s has no genesis: load one "
                        "(cx_engine_load_genesis) first",
                        what, e->db_path);
  return CX_OK;
}

static int find_node(cx_engine *e, cx_block_id id, cx_node **n,
                     cx_error *err) {
  cx_engine_branches_pruned(e);
  return cx_branches_find(&e->branches, id, n, err);
}

/* Executes the prepared block in w on `parent` and keeps it as a new
 * speculative node. On failure frees w's statuses. */
static int execute_prepared(cx_engine *e, cx_block_work *w, cx_node *parent,
                            cx_node **made, cx_block_result *out,
                            cx_error *err) {
  cx_branches *b = &e->branches;
  int rc = CX_OK;
  if (b->bytes >= b->limit)
    rc = cx_error_set(err, CX_ELIMIT,
                      "speculative blocks use %zu bytes, the whole "
                      "speculative_mem_limit (%zu bytes): discard "
                      "speculative blocks or make one the head, or raise "
                      "the limit",
                      b->bytes, b->limit);
  if (rc == CX_OK) {
    cx_at_reader a;
    rc = cx_at_reader_open(e, parent, true, &a, err);
    if (rc == CX_OK) {
      rc = cx_work_execute_with(e, w, &a.r, err);
      cx_at_reader_close(&a);
    }
  }
  if (rc == CX_OK)
    rc = cx_work_roots(w, parent->height + 1, parent->state_root, err);
  cx_entry *writes = NULL;
  uint8_t *statuses = NULL;
  if (rc == CX_OK) {
    writes = malloc((w->n_writes ? w->n_writes : 1) * sizeof *writes);
    statuses = malloc(w->n ? w->n : 1);
    if (writes == NULL || statuses == NULL) {
      free(writes);
      free(statuses);
      rc = cx_error_set(err, CX_ENOMEM,
                        "no memory to keep a speculative block");
    }
  }
  if (rc == CX_OK) {
    if (w->n_writes)
      memcpy(writes, w->writes, w->n_writes * sizeof *writes);
    if (w->n)
      memcpy(statuses, w->statuses, w->n);
    rc = cx_branches_add_speculative(b, parent, &w->rec, writes, w->n_writes,
                                     statuses, made, err);
  }
  if (rc != CX_OK) {
    free(w->statuses);
    w->statuses = NULL;
    return rc;
  }
  cx_work_result(w, out);
  atomic_fetch_add_explicit(&e->stats.spec_executed, 1, memory_order_relaxed);
  return CX_OK;
}

static int execute_on(cx_engine *e, cx_node *parent, const cx_block *in,
                      cx_node **made, cx_block_result *out, cx_error *err) {
  cx_block_work *w = &e->work[0];
  int rc = cx_work_prepare(e, w, in, err);
  if (rc != CX_OK) {
    free(w->statuses);
    w->statuses = NULL;
    return rc;
  }
  return execute_prepared(e, w, parent, made, out, err);
}

int cx_engine_execute_on(cx_engine *e, cx_block_id parent, const cx_block *in,
                         cx_block_id *out_id, cx_block_result *out,
                         cx_error *err) {
  cx_error_clear(err);
  if (e == NULL || in == NULL || out == NULL || out_id == NULL)
    return cx_error_set(err, CX_EINVAL, "execute on a block: NULL argument");
  memset(out, 0, sizeof *out);
  *out_id = 0;
  int rc = check_chain(e, "executing a speculative block", err);
  cx_node *p = NULL, *made = NULL;
  if (rc == CX_OK)
    rc = find_node(e, parent, &p, err);
  if (rc == CX_OK)
    rc = execute_on(e, p, in, &made, out, err);
  if (rc != CX_OK) {
    if (p != NULL)
      cx_error_wrap(err, "executing a block on block %#llx (height %llu)",
                    (unsigned long long)parent,
                    (unsigned long long)p->height);
    return rc;
  }
  *out_id = cx_branches_id(&e->branches, made);
  cx_engine_branches_pruned(e);
  return CX_OK;
}

typedef struct chain_prep {
  cx_engine *e;
  cx_block_work *w;
  const cx_block *in;
  cx_error err;
} chain_prep;

static int run_chain_prep(void *arg) {
  chain_prep *j = arg;
  cx_error_clear(&j->err);
  return cx_work_prepare(j->e, j->w, j->in, &j->err);
}

/* The overlapped loop of cx_engine_execute_chain_on: block i+1 is
 * prepared in e->work[(i + 1) % 2] on the helper thread while block i
 * executes in e->work[i % 2] on the calling thread. */
static int chain_loop(cx_engine *e, cx_stage_thread *t, cx_node *p, size_t n,
                      const cx_block *blocks, cx_block_id *ids,
                      cx_block_result *out, size_t *n_done, cx_error *err) {
  chain_prep job = {e, &e->work[0], &blocks[0], {0}};
  cx_stage_thread_submit(t, run_chain_prep, &job);
  for (size_t i = 0; i < n; i++) {
    cx_block_work *w = &e->work[i % 2];
    int rc = cx_stage_thread_wait(t);
    if (rc != CX_OK) {
      if (err != NULL)
        *err = job.err;
      return cx_error_wrap(err, "blocks[%zu]", i);
    }
    if (i + 1 < n) {
      job = (chain_prep){e, &e->work[(i + 1) % 2], &blocks[i + 1], {0}};
      cx_stage_thread_submit(t, run_chain_prep, &job);
    }
    cx_node *made;
    rc = execute_prepared(e, w, p, &made, &out[i], err);
    if (rc != CX_OK)
      return cx_error_wrap(err, "blocks[%zu]", i);
    ids[i] = cx_branches_id(&e->branches, made);
    p = made;
    *n_done = i + 1;
  }
  return CX_OK;
}

int cx_engine_execute_chain_on(cx_engine *e, cx_block_id parent, size_t n,
                               const cx_block *blocks, cx_block_id *ids,
                               cx_block_result *out, size_t *n_done,
                               cx_error *err) {
  cx_error_clear(err);
  size_t done = 0;
  if (n_done != NULL)
    *n_done = 0;
  if (e == NULL || (n > 0 && (blocks == NULL || ids == NULL || out == NULL)))
    return cx_error_set(err, CX_EINVAL, "execute a chain: NULL argument");
  for (size_t i = 0; i < n; i++) {
    memset(&out[i], 0, sizeof out[i]);
    ids[i] = 0;
  }
  int rc = check_chain(e, "executing speculative blocks", err);
  cx_node *p = NULL;
  if (rc == CX_OK)
    rc = find_node(e, parent, &p, err);
  if (rc != CX_OK || n == 0)
    return rc;
  cx_stage_thread t;
  if (!e->cfg.pipeline || n == 1 || cx_stage_thread_start(&t) != 0) {
    /* No overlap: the same blocks one after another. */
    for (; done < n && rc == CX_OK; done++) {
      cx_node *made;
      rc = execute_on(e, p, &blocks[done], &made, &out[done], err);
      if (rc != CX_OK) {
        cx_error_wrap(err, "blocks[%zu]", done);
        break;
      }
      ids[done] = cx_branches_id(&e->branches, made);
      p = made;
    }
  } else {
    rc = chain_loop(e, &t, p, n, blocks, ids, out, &done, err);
    /* A prepare submitted before a failure reads the caller's blocks: it
     * must end before we return; its statuses are never handed out. */
    cx_stage_thread_stop(&t);
    for (size_t i = 0; i < 2; i++) {
      free(e->work[i].statuses);
      e->work[i].statuses = NULL;
    }
  }
  if (n_done != NULL)
    *n_done = done;
  cx_engine_branches_pruned(e);
  return rc;
}

/* Counts a change of the committed chain in the stats. */
static void count_head_change(cx_engine *e, uint64_t old_head,
                              uint64_t fork_point, uint64_t committed,
                              uint64_t txs) {
  cx_engine_stats *st = &e->stats;
  atomic_store_explicit(&st->height, cx_store_height(e->store),
                        memory_order_relaxed);
  atomic_fetch_add_explicit(&st->head_changes, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&st->reverted_blocks, old_head - fork_point,
                            memory_order_relaxed);
  atomic_fetch_add_explicit(&st->blocks, committed, memory_order_relaxed);
  atomic_fetch_add_explicit(&st->txs, txs, memory_order_relaxed);
}

static int revert_to(cx_engine *e, uint64_t height, cx_error *err) {
  uint64_t head = cx_store_height(e->store);
  if (height > head)
    return cx_error_set(err, CX_ENOTFOUND,
                        "cannot revert to height %llu: the chain is at "
                        "height %llu",
                        (unsigned long long)height, (unsigned long long)head);
  if (height == head)
    return CX_OK;
  int rc = cx_store_revert(e->store, height, err);
  if (rc != CX_OK)
    return cx_error_wrap(err,
                         "reverting %s from height %llu to %llu (nothing "
                         "changed)",
                         e->db_path, (unsigned long long)head,
                         (unsigned long long)height);
  cx_branches_reverted(&e->branches, height);
  count_head_change(e, head, height, 0, 0);
  cx_engine_branches_pruned(e);
  return CX_OK;
}

int cx_engine_revert(cx_engine *e, uint64_t height, cx_error *err) {
  cx_error_clear(err);
  if (e == NULL)
    return cx_error_set(err, CX_EINVAL, "revert: NULL engine");
  int rc = check_chain(e, "reverting the chain", err);
  return rc != CX_OK ? rc : revert_to(e, height, err);
}

int cx_engine_make_head(cx_engine *e, cx_block_id id, cx_error *err) {
  cx_error_clear(err);
  if (e == NULL)
    return cx_error_set(err, CX_EINVAL, "make head: NULL engine");
  int rc = check_chain(e, "making a block the head", err);
  cx_node *n = NULL;
  if (rc == CX_OK)
    rc = find_node(e, id, &n, err);
  if (rc != CX_OK)
    return rc;
  if (n->kind == CX_NODE_COMMITTED)
    return revert_to(e, n->height, err);
  size_t depth = cx_branches_depth(n);
  cx_node **path = malloc(depth * sizeof *path);
  struct cx_store_block *blocks = malloc(depth * sizeof *blocks);
  if (path == NULL || blocks == NULL) {
    free(path);
    free(blocks);
    return cx_error_set(err, CX_ENOMEM, "no memory to make a block the head");
  }
  cx_node *p = n;
  for (size_t i = depth; i-- > 0; p = p->parent)
    path[i] = p;
  cx_node *base = p; /* committed: the fork point */
  uint64_t txs = 0;
  for (size_t i = 0; i < depth; i++) {
    blocks[i] = (struct cx_store_block){&path[i]->rec, path[i]->writes,
                                 path[i]->n_writes};
    txs += path[i]->rec.tx_count;
  }
  uint64_t head = cx_store_height(e->store);
  rc = cx_store_reorg(e->store, base->height, blocks, depth, err);
  free(blocks);
  if (rc != CX_OK) {
    free(path);
    return cx_error_wrap(err,
                         "making block %#llx (height %llu) the head: the "
                         "chain stays at height %llu",
                         (unsigned long long)id, (unsigned long long)n->height,
                         (unsigned long long)head);
  }
  /* The old chain above the fork point is gone, and with it whatever was
   * built on it; the new chain's blocks stay, now committed. */
  cx_branches_reverted(&e->branches, base->height);
  for (size_t i = 0; i < depth; i++)
    cx_branches_mark_committed(&e->branches, path[i]);
  free(path);
  count_head_change(e, head, base->height, depth, txs);
  cx_engine_branches_pruned(e);
  return CX_OK;
}

int cx_engine_discard(cx_engine *e, cx_block_id id, cx_error *err) {
  cx_error_clear(err);
  if (e == NULL)
    return cx_error_set(err, CX_EINVAL, "discard: NULL engine");
  cx_node *n = NULL;
  int rc = find_node(e, id, &n, err);
  if (rc != CX_OK)
    return rc;
  if (n->kind == CX_NODE_COMMITTED)
    return cx_error_set(err, CX_ESTATE,
                        "block %#llx (height %llu) is committed: revert the "
                        "chain below it instead of discarding it",
                        (unsigned long long)id, (unsigned long long)n->height);
  cx_branches_drop(&e->branches, n);
  cx_engine_branches_pruned(e);
  return CX_OK;
}
