/* cx_engine_execute_blocks() with overlapped stages.
 *
 * Three threads work on three consecutive blocks at once:
 *   prepare thread:  decode + hash + verify of block i+1 (needs no state)
 *   calling thread:  execute + roots of block i
 *   commit thread:   durable commit of block i-1
 * Block i must see block i-1's writes although i-1 may not be committed
 * yet: it reads through an overlay of i-1's sorted write set over a store
 * snapshot taken after block i-2's commit returned (the snapshot shows
 * i-2 or i-1; the overlay makes both read as i-1). Its state root chains
 * on i-1's computed root. So the outputs equal those of the sequential
 * path, whatever the timing.
 *
 * Slots: block i uses e->work[i % 3]. Slot (i+1) % 3 is reused for block
 * i+1's prepare only after block i-2's commit was waited for, which the
 * loop does before it submits block i-1's commit.
 *
 * Failure: whichever stage fails first stops the loop; the in-flight jobs
 * are waited for, a commit that succeeded is still published, and the rest
 * is discarded, so out[0..*n_done) are exactly the committed blocks.
 * The store may not grow its map while a snapshot is open; the calling
 * thread releases its snapshot before it waits for the commit thread, so
 * a growing commit never waits on a snapshot held by its own waiter.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "stage_thread.h"

typedef struct prep_job {
  cx_engine *e;
  cx_block_work *w;
  const cx_block *in;
  cx_error err;
} prep_job;

typedef struct commit_job {
  cx_engine *e;
  cx_block_work *w;
  cx_error err;
} commit_job;

static int run_prep(void *arg) {
  prep_job *j = arg;
  cx_error_clear(&j->err);
  return cx_work_prepare(j->e, j->w, j->in, &j->err);
}

static int run_commit(void *arg) {
  commit_job *j = arg;
  cx_error_clear(&j->err);
  return cx_work_commit(j->e, j->w, &j->err);
}

static void copy_err(cx_error *dst, const cx_error *src) {
  if (dst != NULL)
    *dst = *src;
}

typedef struct overlap {
  cx_engine *e;
  const cx_block *blocks;
  cx_block_result *out;
  size_t n;
  uint64_t h0; /* committed height before the call */
  cx_stage_thread prep_t, commit_t;
  prep_job prep;
  commit_job commit;
  size_t committing; /* block index in the commit thread, when busy */
  size_t committed;  /* blocks committed and published */
} overlap;

static cx_block_work *slot(overlap *o, size_t i) {
  return &o->e->work[i % 3];
}

static void submit_prep(overlap *o, size_t i) {
  o->prep.w = slot(o, i);
  o->prep.in = &o->blocks[i];
  cx_stage_thread_submit(&o->prep_t, run_prep, &o->prep);
}

/* Waits for the commit in flight (if any); publishes it on success.
 * Returns its result. */
static int finish_commit(overlap *o) {
  if (!cx_stage_thread_busy(&o->commit_t))
    return CX_OK;
  int rc = cx_stage_thread_wait(&o->commit_t);
  if (rc == CX_OK) {
    cx_work_publish(o->e, slot(o, o->committing), &o->out[o->committing]);
    o->committed = o->committing + 1;
  }
  return rc;
}

static int run_loop(overlap *o, cx_error *err) {
  uint8_t prev[32];
  cx_store_state_root(o->e->store, prev);
  submit_prep(o, 0);
  for (size_t i = 0; i < o->n; i++) {
    cx_block_work *w = slot(o, i);
    const char *stage = "preparing";
    int rc = cx_stage_thread_wait(&o->prep_t);
    if (rc != CX_OK)
      copy_err(err, &o->prep.err);
    if (rc == CX_OK && i + 1 < o->n)
      submit_prep(o, i + 1);
    if (rc == CX_OK) {
      stage = "executing";
      const cx_block_work *pw = i > 0 ? slot(o, i - 1) : NULL;
      uint64_t base = o->h0 + i - (i > 0 ? 1 : 0);
      rc = cx_work_execute(o->e, w, base, pw, err);
    }
    if (rc == CX_OK) {
      stage = "computing roots";
      rc = cx_work_roots(w, o->h0 + i + 1, prev, err);
    }
    int crc = finish_commit(o);
    if (crc != CX_OK) {
      /* The earlier block's failure is the one to report. */
      copy_err(err, &o->commit.err);
      cx_work_abandon(o->e, slot(o, o->committing));
      return cx_block_fail(err, crc, o->h0 + o->committed, "committing");
    }
    if (rc != CX_OK) {
      cx_work_abandon(o->e, w);
      return cx_block_fail(err, rc, o->h0 + o->committed, stage);
    }
    memcpy(prev, w->rec.state_root, 32);
    o->commit.w = w;
    o->committing = i;
    cx_stage_thread_submit(&o->commit_t, run_commit, &o->commit);
  }
  int crc = finish_commit(o);
  if (crc != CX_OK) {
    copy_err(err, &o->commit.err);
    cx_work_abandon(o->e, slot(o, o->committing));
    return cx_block_fail(err, crc, o->h0 + o->committed, "committing");
  }
  return CX_OK;
}

int cx_pipeline_run_overlapped(cx_engine *e, size_t n, const cx_block *blocks,
                               cx_block_result *out, size_t *n_done,
                               cx_error *err) {
  overlap o;
  int rc;
  memset(&o, 0, sizeof o);
  o.e = e;
  o.blocks = blocks;
  o.out = out;
  o.n = n;
  o.h0 = cx_store_height(e->store);
  o.prep.e = o.commit.e = e;
  if (cx_stage_thread_start(&o.prep_t) != 0)
    goto serial;
  if (cx_stage_thread_start(&o.commit_t) != 0) {
    cx_stage_thread_stop(&o.prep_t);
    goto serial;
  }
  rc = run_loop(&o, err);
  /* A prepare submitted before the failure may still run: it reads the
   * caller's blocks, so it must end before we return. */
  cx_stage_thread_stop(&o.prep_t);
  cx_stage_thread_stop(&o.commit_t);
  for (size_t i = 0; i < 3; i++) {
    free(e->work[i].statuses); /* statuses of blocks never published */
    e->work[i].statuses = NULL;
  }
  if (n_done != NULL)
    *n_done = o.committed;
  return rc;

serial:
  /* No thread to spare: the same blocks, one after another. */
  for (size_t i = 0; i < n; i++) {
    rc = cx_engine_execute_block(e, &blocks[i], &out[i], err);
    if (rc != CX_OK)
      return rc;
    if (n_done != NULL)
      *n_done = i + 1;
  }
  return CX_OK;
}
