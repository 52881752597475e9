/* Resuming a replay on a database that already holds a chain: the stored
 * blocks must be the fixture's canonical chain (SPEC section 9), or, with
 * --reorg, are reverted to the last block they share with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "replay.h"

void cx_replay_canon(const cx_fixture *f, replay_out *r) {
  r->n_canon = f->n_blocks ? (size_t)f->blocks[f->n_blocks - 1].height : 0;
  for (int64_t b = (int64_t)f->n_blocks - 1; b >= 0; b = f->blocks[b].parent)
    r->canon[f->blocks[b].height - 1] = (size_t)b;
}

static void hex32(const uint8_t b[32], char out[65]) {
  static const char d[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = d[b[i] >> 4];
    out[2 * i + 1] = d[b[i] & 15];
  }
  out[64] = '\0';
}

/* Reads stored block `h` into the result of fixture block i. Returns
 * CX_OK, CX_EMISMATCH when the stored block is not block i (tx_root, or
 * roots against expect), or an engine error. */
static int take_stored(cx_engine *e, const cx_fixture *f, uint64_t h,
                       size_t i, replay_out *r, const char **why,
                       cx_error *err) {
  cx_block_result s;
  memset(&s, 0, sizeof s);
  int rc = cx_engine_block_roots(e, h, &s, err);
  if (rc)
    return rc;
  cx_fixture_expect *x = &r->blocks[i];
  cx_fixture_expect_clear(x);
  x->height = h;
  x->tx_count = f->blocks[i].tx_count;
  memcpy(x->tx_root, s.tx_root, 32);
  memcpy(x->receipts_root, s.receipts_root, 32);
  memcpy(x->write_root, s.write_root, 32);
  memcpy(x->state_root, s.state_root, 32);
  memcpy(r->counts[i], s.status_counts, sizeof r->counts[i]);
  uint8_t *stored = s.statuses; /* kept with the block since schema 2 */
  s.statuses = NULL;
  if (stored && s.tx_count != x->tx_count) { /* tx_root check refuses it */
    free(stored);
    stored = NULL;
  }
  cx_block_result_free(&s);
  uint8_t tx_root[32], receipts[32];
  const uint8_t *st =
      stored ? stored : f->has_expect ? f->expect[i].statuses : NULL;
  if ((rc = cx_fixture_block_hashes(f, i, st, tx_root, receipts, err))) {
    free(stored);
    return rc;
  }
  /* Statuses are used only when they hash to the receipts_root the
   * database committed. */
  if (st && x->tx_count && !memcmp(receipts, x->receipts_root, 32)) {
    x->statuses = stored ? stored : malloc(x->tx_count);
    stored = NULL;
    if (!x->statuses)
      return cx_error_set(err, CX_ENOMEM, "out of memory");
    if (x->statuses != st)
      memcpy(x->statuses, st, x->tx_count);
  }
  free(stored);
  if (memcmp(tx_root, x->tx_root, 32)) {
    *why = "tx_root differs from the fixture's";
    return CX_EMISMATCH;
  }
  if (f->has_expect &&
      (memcmp(x->receipts_root, f->expect[i].receipts_root, 32) ||
       memcmp(x->write_root, f->expect[i].write_root, 32) ||
       memcmp(x->state_root, f->expect[i].state_root, 32))) {
    *why = "its roots differ from the fixture's expect";
    return CX_EMISMATCH;
  }
  return CX_OK;
}

int cx_replay_check_stored(cx_engine *e, const cx_fixture *f,
                           const replay_opts *o, replay_out *r,
                           cx_error *err) {
  const char *db = o->cfg.db_path ? o->cfg.db_path : "(temporary)";
  uint8_t want[32];
  char hs[65], hw[65];
  int rc = cx_fixture_genesis_root(f, want, err);
  if (rc)
    return rc;
  cx_engine_genesis_root(e, r->genesis_root);
  if (memcmp(want, r->genesis_root, 32)) {
    hex32(r->genesis_root, hs);
    hex32(want, hw);
    return cx_error_set(err, CX_EMISMATCH,
                        "database %s holds another chain (genesis state root "
                        "%.16s..., the fixture's is %.16s...); refusing to "
                        "resume or overwrite it",
                        db, hs, hw);
  }
  uint64_t head = cx_engine_height(e), h = 1;
  const char *why = NULL;
  for (; h <= head && h <= r->n_canon; h++) {
    size_t i = r->canon[h - 1];
    rc = take_stored(e, f, h, i, r, &why, err);
    if (rc == CX_EMISMATCH) {
      cx_fixture_expect_clear(&r->blocks[i]);
      break;
    }
    if (rc)
      return rc;
    r->resumed[i] = true;
    r->n_resumed++;
  }
  if (h > head)
    return CX_OK; /* the stored chain is a prefix of the canonical one */
  /* The stored chain leaves the canonical chain above height h - 1; the
   * blocks below it stay resumed. */
  if (!o->reorg) {
    if (why)
      return cx_error_set(err, CX_EMISMATCH,
                          "database %s holds a different block %llu (%s); "
                          "refusing to resume (--reorg reverts it to height "
                          "%llu, the last block it shares with the fixture's "
                          "canonical chain)",
                          db, (unsigned long long)h, why,
                          (unsigned long long)(h - 1));
    return cx_error_set(err, CX_EMISMATCH,
                        "database %s is at height %llu but the fixture's "
                        "canonical chain has only %zu blocks; refusing to "
                        "resume (--reorg reverts it to height %zu)",
                        db, (unsigned long long)head, r->n_canon, r->n_canon);
  }
  rc = cx_engine_revert(e, h - 1, err);
  if (rc)
    return cx_error_wrap(err, "--reorg");
  if (!o->quiet)
    fprintf(stderr,
            "chainexec replay: %s left the fixture's canonical chain above "
            "height %llu: reverted it from height %llu to %llu\n",
            db, (unsigned long long)(h - 1), (unsigned long long)head,
            (unsigned long long)(h - 1));
  return CX_OK;
}
