/* Reads at an earlier committed height: an overlay built from the undo
 * data of the blocks above it, over a snapshot (views) or over one read
 * transaction (scan_at). No copy of the state is made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_codec.h"
#include "store_internal.h"
#include "store_undo.h"

struct cx_view {
  const cx_snapshot *snap;
  uint64_t height;
  uint8_t state_root[32];
  cx_overlay_item *ov; /* sorted by key */
  size_t n;
};

/* Key order, then the lower block first (its undo value wins). */
static int item_cmp(const void *a, const void *b) {
  const cx_overlay_item *x = a, *y = b;
  int c = cx_key_cmp(&x->key, &y->key);
  if (c != 0)
    return c;
  return x->h < y->h ? -1 : x->h > y->h;
}

int cx_store_overlay(const cx_store *s, MDB_txn *txn, uint64_t height,
                     uint64_t top, cx_overlay_item **out, size_t *n,
                     cx_error *err) {
  *out = NULL;
  *n = 0;
  size_t cap = 0, len = 0;
  cx_overlay_item *ov = NULL;
  for (uint64_t h = height + 1; h <= top; h++) {
    const uint8_t *p;
    size_t plen;
    int rc = cx_store_undo_row(s, txn, h, &p, &plen, err);
    if (rc != CX_OK) {
      free(ov);
      return rc;
    }
    cx_undo_iter it;
    cx_undo_iter_init(&it, p, plen); /* checked by cx_store_undo_row */
    if (len + it.left > cap) {
      size_t want = cap ? 2 * cap : 1024;
      while (want < len + it.left)
        want *= 2;
      cx_overlay_item *q = realloc(ov, want * sizeof *q);
      if (!q) {
        free(ov);
        return cx_error_set(err, CX_ENOMEM,
                            "%s: out of memory reading the state at height "
                            "%llu (%zu undo entries)",
                            s->path, (unsigned long long)height, want);
      }
      ov = q;
      cap = want;
    }
    cx_undo_item u;
    while (cx_undo_next(&it, NULL, &u) == 1) {
      cx_overlay_item *o = &ov[len++];
      o->key = u.e.key;
      o->v0 = u.e.v0;
      o->v1 = u.e.v1;
      o->h = h;
      o->present = u.existed;
    }
  }
  if (len > 1) {
    qsort(ov, len, sizeof *ov, item_cmp);
    size_t m = 0;
    for (size_t i = 0; i < len; i++)
      if (m == 0 || cx_key_cmp(&ov[m - 1].key, &ov[i].key) != 0)
        ov[m++] = ov[i];
    len = m;
  }
  *out = ov;
  *n = len;
  return CX_OK;
}

const cx_overlay_item *cx_overlay_find(const cx_overlay_item *ov, size_t n,
                                       const cx_key *key) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cx_key_cmp(&ov[mid].key, key);
    if (c == 0)
      return &ov[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* CX_ELIMIT / CX_ENOTFOUND for a height outside floor..top. */
static int check_height(const cx_store *s, uint64_t height, uint64_t floor,
                        uint64_t top, cx_error *err) {
  if (height > top)
    return cx_error_set(err, CX_ENOTFOUND,
                        "%s: no state at height %llu: the chain is at height "
                        "%llu",
                        s->path, (unsigned long long)height,
                        (unsigned long long)top);
  if (height < floor)
    return cx_error_set(err, CX_ELIMIT,
                        "%s: the state at height %llu is below the retention "
                        "floor %llu (undo data is kept for the last "
                        "undo_retention = %u blocks, and only for blocks "
                        "committed with schema 3); raise undo_retention to "
                        "read further back",
                        s->path, (unsigned long long)height,
                        (unsigned long long)floor, s->cfg.undo_retention);
  return CX_OK;
}

cx_view *cx_snapshot_view(const cx_snapshot *snap, uint64_t height,
                          cx_error *err) {
  if (!snap) {
    cx_error_set(err, CX_EINVAL, "view: NULL snapshot");
    return NULL;
  }
  const cx_store *s = snap->store;
  if (check_height(s, height, snap->floor, snap->height, err) != CX_OK)
    return NULL;
  cx_view *v = calloc(1, sizeof *v);
  if (!v) {
    cx_error_set(err, CX_ENOMEM, "%s: out of memory for a view", s->path);
    return NULL;
  }
  v->snap = snap;
  v->height = height;
  int rc = CX_OK;
  if (height == snap->height)
    memcpy(v->state_root, snap->state_root, 32);
  else
    rc = cx_store_root_at(s, snap->txn, height, v->state_root, err);
  if (rc == CX_OK)
    rc = cx_store_overlay(s, snap->txn, height, snap->height, &v->ov, &v->n,
                          err);
  if (rc != CX_OK) {
    free(v);
    return NULL;
  }
  return v;
}

int cx_view_read_err(const cx_view *v, const cx_key *key, uint64_t *v0,
                     uint64_t *v1, cx_error *err) {
  if (!v || !key || !v0 || !v1)
    return cx_error_set(err, CX_EINVAL, "view read: NULL argument");
  const cx_overlay_item *o = cx_overlay_find(v->ov, v->n, key);
  if (!o)
    return cx_store_read_entry(v->snap->store, v->snap->txn, key, v0, v1,
                               err);
  *v0 = o->present ? o->v0 : 0;
  *v1 = o->present ? o->v1 : 0;
  return CX_OK;
}

int cx_view_read(const cx_view *v, const cx_key *key, uint64_t *v0,
                 uint64_t *v1) {
  return cx_view_read_err(v, key, v0, v1, NULL);
}

uint64_t cx_view_height(const cx_view *v) { return v->height; }

void cx_view_state_root(const cx_view *v, uint8_t out[32]) {
  memcpy(out, v->state_root, 32);
}

void cx_view_release(cx_view *v) {
  if (!v)
    return;
  free(v->ov);
  free(v);
}

/* Merge of one state table (in key order) with the overlay items of its
 * kind, from *pos on. 1 when fn asked to stop. */
static int scan_merge(const cx_store *s, MDB_txn *txn, uint8_t kind,
                      const cx_overlay_item *ov, size_t n, size_t *pos,
                      int (*fn)(void *, const cx_entry *), void *ctx,
                      cx_error *err) {
  enum cx_table t = kind == CX_ENTRY_ACCOUNT ? CX_TABLE_ACCOUNTS : CX_TABLE_KV;
  size_t klen = kind == CX_ENTRY_ACCOUNT ? CX_ACCOUNT_KEY_LEN : CX_KV_KEY_LEN;
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn, s->dbi[t], &cur);
  if (rc != 0)
    return cx_store_fail(s, rc, "scanning the state", err);
  MDB_val k, v;
  int stop = 0, res = CX_OK;
  size_t i = *pos;
  rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  while (!stop && res == CX_OK && (rc == 0 || (i < n && ov[i].key.kind == kind))) {
    cx_entry e;
    memset(&e, 0, sizeof e);
    e.key.kind = kind;
    bool stored = rc == 0;
    if (stored) {
      if (k.mv_size != klen) {
        res = cx_store_corrupt(s, t, k.mv_data, k.mv_size,
                               "the key has the wrong width", err);
        break;
      }
      memcpy(e.key.bytes, k.mv_data, klen);
    }
    bool over = i < n && ov[i].key.kind == kind;
    int c = !stored ? 1 : !over ? -1 : cx_key_cmp(&e.key, &ov[i].key);
    if (c < 0) { /* not written above `height`: the stored value */
      if (!cx_codec_decode_value(kind, &k, &v, &e.v0, &e.v1)) {
        res = cx_store_corrupt(s, t, k.mv_data, k.mv_size,
                               "the stored value fails its checksum or width",
                               err);
        break;
      }
      stop = fn(ctx, &e);
    } else { /* the overlay decides */
      if (ov[i].present) {
        e.key = ov[i].key;
        e.v0 = ov[i].v0;
        e.v1 = ov[i].v1;
        stop = fn(ctx, &e);
      }
      i++;
    }
    if (c <= 0 && !stop)
      rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  *pos = i;
  if (res != CX_OK)
    return res;
  if (stop)
    return 1;
  return rc == 0 || rc == MDB_NOTFOUND
             ? CX_OK
             : cx_store_fail(s, rc, "scanning the state", err);
}

int cx_store_scan_at(cx_store *s, uint64_t height,
                     int (*fn)(void *ctx, const cx_entry *e), void *ctx,
                     cx_error *err) {
  if (!s || !fn)
    return cx_error_set(err, CX_EINVAL, "scan at: NULL argument");
  MDB_txn *txn;
  int rc = cx_store_read_begin(s, &txn, err);
  if (rc != CX_OK)
    return rc;
  uint8_t hb[8];
  uint64_t top = 0, first = 0;
  rc = cx_store_meta_get(s, txn, CX_META_HEIGHT, hb, 8, err);
  if (rc <= 1) {
    top = rc == 0 ? cx_codec_get_u64le(hb) : 0;
    rc = cx_store_undo_first(s, txn, &first);
    rc = rc ? cx_store_fail(s, rc, "scanning the state", err) : CX_OK;
  }
  if (rc == CX_OK)
    rc = check_height(s, height, cx_store_floor_of(s, top, first), top, err);
  cx_overlay_item *ov = NULL;
  size_t n = 0, pos = 0;
  if (rc == CX_OK)
    rc = cx_store_overlay(s, txn, height, top, &ov, &n, err);
  if (rc == CX_OK)
    rc = scan_merge(s, txn, CX_ENTRY_ACCOUNT, ov, n, &pos, fn, ctx, err);
  if (rc == CX_OK)
    rc = scan_merge(s, txn, CX_ENTRY_KV, ov, n, &pos, fn, ctx, err);
  free(ov);
  cx_store_read_end(s, txn);
  return rc == 1 ? CX_OK : rc;
}
