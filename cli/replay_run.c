/* Running a fixture's blocks (SPEC section 9).
 *
 * Runs of canonical blocks (the path from the genesis to the last block)
 * are executed and committed on the head through
 * cx_engine_execute_blocks(), stages overlapped as for a linear chain.
 * A block off the canonical chain executes speculatively on its parent:
 * a committed block (read through the undo data when below the head) or
 * another speculative block; it is discarded as soon as no later block
 * builds on it, so memory follows the width of the tree, not its size.
 *
 * With --head-each every block executes speculatively and is then made
 * the head, as a node following its consensus block by block: each
 * switch of branch reverts and commits in one transaction. A parent that
 * such a switch reverted is executed again first (its result must not
 * change: checked). On a resumed database the blocks before the last
 * resumed one only execute (their results are printed); the forkchoices
 * start after it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "replay.h"
#include "replay_watch.h"
#include "replay_preverify.h"

#define CHUNK_BLOCKS                                                           \
  32 /* blocks per cx_engine_execute_blocks call: the stages overlap within   \
      * a call */

typedef struct tree_run {
  cx_engine *e;
  const cx_fixture *f;
  const replay_opts *o;
  replay_out *r;
  cx_block_id *ids;      /* per block: its live id, 0 when none */
  size_t *children_left; /* per block: later blocks on it not yet run */
  bool *canonical;
  uint64_t kill_at;
  uint64_t kill_after_heads; /* SIGKILL after this many forkchoices */
  uint64_t heads;
  size_t resume_at; /* 1 + the last block resumed from the database */
} tree_run;

/* Test hook for the crash test: SIGKILL this process right after the
 * given height is committed, so "killed midway" is exact. */
static uint64_t env_u64(const char *name) {
  const char *s = getenv(name);
  return s && *s ? strtoull(s, NULL, 10) : 0;
}

static void maybe_kill(const tree_run *t) {
  if (t->kill_at && cx_engine_height(t->e) >= t->kill_at)
    raise(SIGKILL);
}

static int record(tree_run *t, size_t i, const cx_block_result *res,
                  cx_error *err) {
  cx_fixture_expect_clear(&t->r->blocks[i]);
  memcpy(t->r->counts[i], res->status_counts, sizeof t->r->counts[0]);
  t->r->exec_txs += res->tx_count;
  return cx_fixture_expect_from_result(res, &t->r->blocks[i], err);
}

/* Canonical blocks i.. that follow each other in the file, executed on the
 * head and committed; *done tells how many. */
static int run_canonical(tree_run *t, size_t i, size_t *done,
                         cx_error *err) {
  size_t chunk = t->kill_at || t->o->preverify ? 1 : CHUNK_BLOCKS, n = 0;
  while (n < chunk && i + n < t->f->n_blocks && t->canonical[i + n] &&
         !t->r->resumed[i + n])
    n++;
  cx_block views[CHUNK_BLOCKS];
  memset(views, 0, sizeof views);
  cx_block_result res[CHUNK_BLOCKS];
  memset(res, 0, sizeof res);
  for (size_t k = 0; k < n; k++)
    cx_fixture_block_view(t->f, i + k, &views[k]);
  *done = 0;
  int rc = cx_engine_execute_blocks(t->e, n, views, res, done, err);
  for (size_t k = 0; k < *done; k++) {
    int crc = record(t, i + k, &res[k], rc ? NULL : err);
    if (!rc)
      rc = crc;
  }
  for (size_t k = 0; k < n; k++)
    cx_block_result_free(&res[k]);
  if (!rc && *done < n)
    rc = cx_error_set(err, CX_ESTATE, "engine stopped after %zu blocks",
                      i + *done);
  return rc;
}

static int ensure_live(tree_run *t, size_t i, int depth, cx_error *err);

/* The block to execute block i on. */
static int parent_of(tree_run *t, size_t i, int depth, cx_block_id *out,
                     cx_error *err) {
  int64_t p = t->f->blocks[i].parent;
  if (p < 0)
    return cx_engine_block_at(t->e, 0, out, err);
  if (!t->o->head_each && t->canonical[p])
    return cx_engine_block_at(t->e, t->f->blocks[p].height, out, err);
  int rc = ensure_live(t, (size_t)p, depth + 1, err);
  *out = t->ids[p];
  return rc;
}

/* Executes block i on its parent; the result is recorded the first time,
 * and must equal it on a re-execution. */
static int execute_spec(tree_run *t, size_t i, int depth, bool again,
                        cx_error *err) {
  cx_block_id parent, id;
  int rc = parent_of(t, i, depth, &parent, err);
  if (rc)
    return depth == 0 ? cx_error_wrap(err, "blocks[%zu]: its parent", i) : rc;
  cx_block view;
  cx_block_result res;
  cx_fixture_block_view(t->f, i, &view);
  rc = cx_engine_execute_on(t->e, parent, &view, &id, &res, err);
  if (rc)
    return cx_error_wrap(err, "blocks[%zu]", i);
  if (again) {
    /* The roots commit to the statuses (receipts_root), which a resumed
     * block may not have. */
    const cx_fixture_expect *x = &t->r->blocks[i];
    if (memcmp(x->receipts_root, res.receipts_root, 32) ||
        memcmp(x->write_root, res.write_root, 32) ||
        memcmp(x->state_root, res.state_root, 32) || x->height != res.height)
      rc = cx_error_set(err, CX_EMISMATCH,
                        "blocks[%zu] executed again on its parent gave "
                        "other roots: please report this bug",
                        i);
  } else {
    rc = record(t, i, &res, err);
  }
  cx_block_result_free(&res);
  t->ids[i] = id;
  return rc;
}

/* Block i has a live id (executing it again when a switch of branch
 * reverted it). */
static int ensure_live(tree_run *t, size_t i, int depth, cx_error *err) {
  cx_block_info info;
  if (t->ids[i] && cx_engine_block_info(t->e, t->ids[i], &info, NULL) == 0)
    return CX_OK;
  if (depth > 100000)
    return cx_error_set(err, CX_ELIMIT, "blocks[%zu]: chain too deep", i);
  return execute_spec(t, i, depth, true, err);
}

static void forget(tree_run *t, size_t i) {
  if (t->ids[i] && !t->o->head_each && !t->canonical[i])
    (void)cx_engine_discard(t->e, t->ids[i], NULL);
  t->ids[i] = 0;
}

static int run_one(tree_run *t, size_t i, cx_error *err) {
  int rc = execute_spec(t, i, 0, false, err);
  /* Blocks before the resume point arrived before the database's head:
   * their results are wanted, not a forkchoice. */
  if (!rc && t->o->head_each && i >= t->resume_at) {
    rc = cx_engine_make_head(t->e, t->ids[i], err);
    if (rc)
      cx_error_wrap(err, "blocks[%zu]", i);
    else if (t->kill_after_heads && ++t->heads >= t->kill_after_heads)
      raise(SIGKILL);
    else
      maybe_kill(t);
  }
  int64_t p = t->f->blocks[i].parent;
  if (p >= 0 && --t->children_left[p] == 0)
    forget(t, (size_t)p);
  if (t->children_left[i] == 0)
    forget(t, i);
  return rc;
}

int cx_replay_run(cx_engine *e, const cx_fixture *f, const replay_opts *o,
                  replay_out *r, cx_error *err) {
  size_t n = f->n_blocks ? f->n_blocks : 1;
  tree_run t = {e, f, o, r, calloc(n, sizeof *t.ids),
                calloc(n, sizeof *t.children_left), calloc(n, sizeof(bool)),
                env_u64("CHAINEXEC_TEST_KILL_AFTER_BLOCK"),
                env_u64("CHAINEXEC_TEST_KILL_AFTER_HEADS"), 0, 0};
  int rc = CX_OK;
  if (!t.ids || !t.children_left || !t.canonical)
    rc = cx_error_set(err, CX_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < f->n_blocks; i++) {
    t.canonical[i] = cx_fixture_canonical(f, i);
    if (f->blocks[i].parent >= 0)
      t.children_left[f->blocks[i].parent]++;
  }
  /* Blocks resumed from the database need no execution; their children
   * execute on them as committed blocks. */
  for (size_t i = 0; !rc && i < f->n_blocks; i++) {
    if (!r->resumed[i])
      continue;
    t.resume_at = i + 1;
    if (f->blocks[i].parent >= 0)
      t.children_left[f->blocks[i].parent]--;
    if (o->head_each &&
        cx_engine_block_at(e, f->blocks[i].height, &t.ids[i], NULL) != 0)
      t.ids[i] = 0; /* below the retention: executed again if needed */
  }
  cx_progress bar;
  cx_progress_init(&bar, "replay", f->n_blocks, o->quiet);
  uint64_t txs_total = 0, txs_done = 0;
  for (size_t i = 0; i < f->n_blocks; i++) {
    txs_total += f->blocks[i].tx_count;
    txs_done += r->resumed[i] ? f->blocks[i].tx_count : 0;
  }
  cx_progress_set_sub(&bar, "txs verified", txs_total);
  cx_progress_update_sub(&bar, txs_done);
  cx_progress_update(&bar, r->n_resumed);
  /* The watcher reads the committed height as blocks done: a linear chain
   * only; a tree's bar moves after each block. */
  cx_replay_watch *watch =
      cx_fixture_is_tree(f) || o->head_each
          ? NULL
          : cx_replay_watch_start(e, &bar, r->n_resumed, txs_done);
  double t0 = cx_cli_now();
  size_t ran = r->n_resumed;
  bool first = true;
  for (size_t i = 0; !rc && i < f->n_blocks;) {
    size_t done = 1;
    if (r->resumed[i]) {
      i++;
      continue;
    }
    /* --preverify: block i+1 is submitted while block i runs. */
    if (o->preverify && first)
      rc = cx_cli_preverify_block(e, f, i, err);
    if (o->preverify && !rc)
      rc = cx_cli_preverify_block(e, f, i + 1, err);
    first = false;
    if (rc)
      break;
    if (t.canonical[i] && !o->head_each) {
      rc = run_canonical(&t, i, &done, err);
      for (size_t k = 0; k < done; k++) {
        int64_t p = f->blocks[i + k].parent;
        if (p >= 0 && --t.children_left[p] == 0)
          forget(&t, (size_t)p);
      }
      if (done > 0)
        maybe_kill(&t);
    } else {
      rc = run_one(&t, i, err);
    }
    for (size_t k = 0; k < done; k++)
      txs_done += f->blocks[i + k].tx_count;
    i += done;
    ran += done;
    cx_progress_update_sub(&bar, txs_done);
    cx_progress_update(&bar, ran);
  }
  r->exec_s = cx_cli_now() - t0;
  cx_replay_watch_stop(watch);
  cx_progress_done(&bar);
  if (o->preverify && !o->quiet)
    cx_cli_preverify_report(e);
  free(t.ids);
  free(t.children_left);
  free(t.canonical);
  return rc;
}
