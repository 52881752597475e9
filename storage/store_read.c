/* Reads: point gets, block rows, full scans, counts, and snapshots shared
 * by many threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_codec.h"
#include "store_internal.h"

static int corrupt_value(const char *path, const cx_key *k, size_t size,
                         cx_error *err) {
  return cx_error_set(err, CX_ECORRUPT,
                      "%s: a stored %s value is %zu bytes; the store is "
                      "damaged: restore it or replay the chain",
                      path, k->kind == CX_ENTRY_ACCOUNT ? "account" : "kv",
                      size);
}

/* Point read in txn: 0 with zeros for an absent key, else LMDB/cx code
 * via err. */
static int read_entry(const cx_store *s, MDB_txn *txn, MDB_dbi acc, MDB_dbi kv,
                      const cx_key *key, uint64_t *v0, uint64_t *v1,
                      cx_error *err) {
  MDB_val k, v;
  if (!key || !v0 || !v1 || !cx_codec_entry_key(key, &k))
    return cx_error_set(err, CX_EINVAL, "read: NULL argument or bad key kind");
  int rc = mdb_get(txn, key->kind == CX_ENTRY_ACCOUNT ? acc : kv, &k, &v);
  if (rc == MDB_NOTFOUND) {
    *v0 = *v1 = 0;
    return CX_OK;
  }
  if (rc != 0)
    return cx_store_fail(s, rc, "reading a value", err);
  if (!cx_codec_decode_value(key->kind, &v, v0, v1))
    return corrupt_value(s->path, key, v.mv_size, err);
  return CX_OK;
}

int cx_store_get(cx_store *s, const cx_key *key, uint64_t *v0, uint64_t *v1,
                 cx_error *err) {
  if (!s)
    return cx_error_set(err, CX_EINVAL, "get: NULL store");
  MDB_txn *txn;
  int rc = cx_store_read_begin(s, &txn, err);
  if (rc != CX_OK)
    return rc;
  rc = read_entry(s, txn, s->dbi[CX_TABLE_ACCOUNTS], s->dbi[CX_TABLE_KV], key,
                  v0, v1, err);
  cx_store_read_end(s, txn);
  return rc;
}

/* Reads the value stored under `height` in a per-block table into out,
 * which must hold exactly `len` bytes (else the store is damaged). `what`
 * names the row in messages ("block row", "statuses of block"). */
static int read_height_row(cx_store *s, enum cx_table table, uint64_t height,
                           const char *what, void *out, size_t len,
                           cx_error *err) {
  MDB_txn *txn;
  int rc = cx_store_read_begin(s, &txn, err);
  if (rc != CX_OK)
    return rc;
  uint8_t key[8];
  cx_codec_put_u64be(key, height);
  MDB_val k = cx_codec_val(key, 8), v;
  rc = mdb_get(txn, s->dbi[table], &k, &v);
  if (rc == MDB_NOTFOUND)
    rc = cx_error_set(err, CX_ENOTFOUND, "%s: no %s %llu stored", s->path,
                      what, (unsigned long long)height);
  else if (rc != 0) {
    char doing[96];
    snprintf(doing, sizeof doing, "reading the %s %llu", what,
             (unsigned long long)height);
    rc = cx_store_fail(s, rc, doing, err);
  } else if (v.mv_size != len)
    rc = cx_error_set(err, CX_ECORRUPT,
                      "%s: %s %llu is %zu bytes, expected %zu; the store is "
                      "damaged: replay the chain",
                      s->path, what, (unsigned long long)height, v.mv_size,
                      len);
  else
    memcpy(out, v.mv_data, len);
  cx_store_read_end(s, txn);
  return rc;
}

int cx_store_block(cx_store *s, uint64_t height, cx_block_record *out,
                   cx_error *err) {
  if (!s || !out)
    return cx_error_set(err, CX_EINVAL, "block: NULL argument");
  uint8_t row[CX_BLOCK_ROW_LEN];
  int rc = read_height_row(s, CX_TABLE_BLOCKS, height, "block row at height",
                           row, sizeof row, err);
  if (rc == CX_OK)
    cx_codec_block_decode(height, row, out);
  out->statuses = NULL;
  return rc;
}

int cx_store_block_statuses(cx_store *s, uint64_t height, uint8_t *out,
                            size_t n, cx_error *err) {
  if (!s || (n && !out))
    return cx_error_set(err, CX_EINVAL, "block statuses: NULL argument");
  return read_height_row(s, CX_TABLE_STATUSES, height,
                         "statuses of the block at height", out, n, err);
}

/* Walks one state table in key order; 1 when fn asked to stop. */
static int scan_table(cx_store *s, MDB_txn *txn, uint8_t kind,
                      int (*fn)(void *, const cx_entry *), void *ctx,
                      cx_error *err) {
  MDB_cursor *cur;
  MDB_dbi dbi =
      s->dbi[kind == CX_ENTRY_ACCOUNT ? CX_TABLE_ACCOUNTS : CX_TABLE_KV];
  size_t klen = kind == CX_ENTRY_ACCOUNT ? CX_ACCOUNT_KEY_LEN : CX_KV_KEY_LEN;
  int rc = mdb_cursor_open(txn, dbi, &cur);
  if (rc != 0)
    return cx_store_fail(s, rc, "scanning the state", err);
  MDB_val k, v;
  int stop = 0;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !stop;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    cx_entry e;
    memset(&e, 0, sizeof e);
    e.key.kind = kind;
    if (k.mv_size != klen) {
      mdb_cursor_close(cur);
      return cx_error_set(err, CX_ECORRUPT,
                          "%s: a key of table %s is %zu bytes; the store is "
                          "damaged: replay the chain",
                          s->path, cx_table_names[dbi == s->dbi[CX_TABLE_KV]],
                          k.mv_size);
    }
    memcpy(e.key.bytes, k.mv_data, klen);
    if (!cx_codec_decode_value(kind, &v, &e.v0, &e.v1)) {
      mdb_cursor_close(cur);
      return corrupt_value(s->path, &e.key, v.mv_size, err);
    }
    stop = fn(ctx, &e);
  }
  mdb_cursor_close(cur);
  if (stop)
    return 1;
  return rc == MDB_NOTFOUND ? CX_OK
                            : cx_store_fail(s, rc, "scanning the state", err);
}

int cx_store_scan(cx_store *s, int (*fn)(void *ctx, const cx_entry *e),
                  void *ctx, cx_error *err) {
  if (!s || !fn)
    return cx_error_set(err, CX_EINVAL, "scan: NULL argument");
  MDB_txn *txn;
  int rc = cx_store_read_begin(s, &txn, err);
  if (rc != CX_OK)
    return rc;
  rc = scan_table(s, txn, CX_ENTRY_ACCOUNT, fn, ctx, err);
  if (rc == CX_OK)
    rc = scan_table(s, txn, CX_ENTRY_KV, fn, ctx, err);
  cx_store_read_end(s, txn);
  return rc == 1 ? CX_OK : rc;
}

int cx_store_count(cx_store *s, uint64_t *out, cx_error *err) {
  if (!s || !out)
    return cx_error_set(err, CX_EINVAL, "count: NULL argument");
  MDB_txn *txn;
  int rc = cx_store_read_begin(s, &txn, err);
  if (rc != CX_OK)
    return rc;
  MDB_stat a, k;
  rc = mdb_stat(txn, s->dbi[CX_TABLE_ACCOUNTS], &a);
  if (rc == 0)
    rc = mdb_stat(txn, s->dbi[CX_TABLE_KV], &k);
  cx_store_read_end(s, txn);
  if (rc != 0)
    return cx_store_fail(s, rc, "counting entries", err);
  *out = (uint64_t)a.ms_entries + (uint64_t)k.ms_entries;
  return CX_OK;
}

/* Touches every table once (mdb_stat clears the txn's DB_STALE flags, the
 * only state a read-only mdb_get would otherwise write), then reads the
 * snapshot's height and root from meta. */
static int snapshot_prepare(cx_snapshot *snap, cx_error *err) {
  cx_store *s = snap->store;
  for (int t = 0; t < CX_TABLE_COUNT; t++) {
    MDB_stat st;
    int rc = mdb_stat(snap->txn, s->dbi[t], &st);
    if (rc != 0)
      return cx_store_fail(s, rc, "opening a snapshot", err);
  }
  MDB_val k = cx_codec_meta_key(CX_META_HEIGHT), v;
  int rc = mdb_get(snap->txn, s->dbi[CX_TABLE_META], &k, &v);
  if (rc == 0 && v.mv_size == 8)
    snap->height = cx_codec_get_u64le(v.mv_data);
  else if (rc != MDB_NOTFOUND)
    return cx_error_set(err, CX_ECORRUPT, "%s: meta height unreadable",
                        s->path);
  k = cx_codec_meta_key(CX_META_STATE_ROOT);
  rc = mdb_get(snap->txn, s->dbi[CX_TABLE_META], &k, &v);
  if (rc == 0 && v.mv_size == 32)
    memcpy(snap->state_root, v.mv_data, 32);
  else if (rc != MDB_NOTFOUND)
    return cx_error_set(err, CX_ECORRUPT, "%s: meta state root unreadable",
                        s->path);
  return CX_OK;
}

cx_snapshot *cx_store_snapshot(cx_store *s, cx_error *err) {
  if (!s) {
    cx_error_set(err, CX_EINVAL, "snapshot: NULL store");
    return NULL;
  }
  cx_snapshot *snap = calloc(1, sizeof *snap);
  if (!snap) {
    cx_error_set(err, CX_ENOMEM, "%s: out of memory taking a snapshot",
                 s->path);
    return NULL;
  }
  snap->store = s;
  snap->acc = s->dbi[CX_TABLE_ACCOUNTS];
  snap->kv = s->dbi[CX_TABLE_KV];
  if (cx_store_read_begin(s, &snap->txn, err) != CX_OK) {
    free(snap);
    return NULL;
  }
  if (snapshot_prepare(snap, err) != CX_OK) {
    cx_snapshot_release(snap);
    return NULL;
  }
  return snap;
}

int cx_snapshot_read(const cx_snapshot *snap, const cx_key *key, uint64_t *v0,
                     uint64_t *v1) {
  if (!snap)
    return CX_EINVAL;
  /* NULL err: no message is formatted on this hot path. */
  return read_entry(snap->store, snap->txn, snap->acc, snap->kv, key, v0, v1,
                    NULL);
}

uint64_t cx_snapshot_height(const cx_snapshot *snap) { return snap->height; }

void cx_snapshot_state_root(const cx_snapshot *snap, uint8_t out[32]) {
  memcpy(out, snap->state_root, 32);
}

void cx_snapshot_release(cx_snapshot *snap) {
  if (!snap)
    return;
  cx_store_read_end(snap->store, snap->txn);
  free(snap);
}
