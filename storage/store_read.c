/* Reads: point gets, block rows, full scans, counts, and snapshots shared
 * by many threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_codec.h"
#include "store_internal.h"
#include "store_undo.h"

int cx_store_corrupt(const cx_store *s, enum cx_table t, const void *key,
                     size_t klen, const char *what, cx_error *err) {
  char hex[2 * 64 + 1];
  cx_codec_hex(key, klen > 64 ? 64 : klen, hex);
  return cx_error_set(err, CX_ECORRUPT,
                      "%s: table \"%s\", key %s: %s; the store is damaged: "
                      CX_STORE_DAMAGED_ACTION,
                      s->path, cx_table_names[t], hex, what);
}

int cx_store_read_entry(const cx_store *s, MDB_txn *txn, const cx_key *key,
                        uint64_t *v0, uint64_t *v1, cx_error *err) {
  MDB_val k, v;
  if (!key || !v0 || !v1 || !cx_codec_entry_key(key, &k))
    return cx_error_set(err, CX_EINVAL, "read: NULL argument or bad key kind");
  enum cx_table t =
      key->kind == CX_ENTRY_ACCOUNT ? CX_TABLE_ACCOUNTS : CX_TABLE_KV;
  int rc = mdb_get(txn, s->dbi[t], &k, &v);
  if (rc == MDB_NOTFOUND) {
    *v0 = *v1 = 0;
    return CX_OK;
  }
  if (rc != 0)
    return cx_store_fail(s, rc, "reading a value", err);
  if (!cx_codec_decode_value(key->kind, &k, &v, v0, v1))
    return cx_store_corrupt(s, t, k.mv_data, k.mv_size,
                            "the stored value fails its checksum or width",
                            err);
  return CX_OK;
}

int cx_store_meta_get(const cx_store *s, MDB_txn *txn, const char *name,
                      void *out, size_t len, cx_error *err) {
  MDB_val k = cx_codec_meta_key(name), v;
  int rc = mdb_get(txn, s->dbi[CX_TABLE_META], &k, &v);
  if (rc == MDB_NOTFOUND)
    return 1;
  if (rc != 0)
    return cx_store_fail(s, rc, "reading meta", err);
  size_t got;
  if (!cx_codec_unseal(&k, &v, &got) || got != len) {
    char what[96];
    snprintf(what, sizeof what,
             "the value (%zu bytes, expected %zu and a checksum) is damaged",
             v.mv_size, len + CX_CRC_LEN);
    return cx_store_corrupt(s, CX_TABLE_META, k.mv_data, k.mv_size, what,
                            err);
  }
  memcpy(out, v.mv_data, len);
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
  rc = cx_store_read_entry(s, txn, key, v0, v1, err);
  cx_store_read_end(s, txn);
  return rc;
}

/* Reads and unseals the value under `height` of a per-block table in txn:
 * *p, *len get the payload. CX_ENOTFOUND (message: `what` at height),
 * CX_ECORRUPT naming the table and key. */
static int height_row(const cx_store *s, MDB_txn *txn, enum cx_table table,
                      uint64_t height, const char *what, const uint8_t **p,
                      size_t *len, cx_error *err) {
  uint8_t key[8];
  cx_codec_put_u64be(key, height);
  MDB_val k = cx_codec_val(key, 8), v;
  int rc = mdb_get(txn, s->dbi[table], &k, &v);
  if (rc == MDB_NOTFOUND)
    return cx_error_set(err, CX_ENOTFOUND, "%s: no %s %llu stored", s->path,
                        what, (unsigned long long)height);
  if (rc != 0) {
    char doing[96];
    snprintf(doing, sizeof doing, "reading the %s %llu", what,
             (unsigned long long)height);
    return cx_store_fail(s, rc, doing, err);
  }
  if (!cx_codec_unseal(&k, &v, len))
    return cx_store_corrupt(s, table, key, 8, "the row fails its checksum",
                            err);
  *p = v.mv_data;
  return CX_OK;
}

/* Reads the payload under `height` of a per-block table into out, which
 * must hold exactly `len` bytes (else the store is damaged). `what`
 * names the row in messages ("block row", "statuses of block"). */
static int read_height_row(cx_store *s, enum cx_table table, uint64_t height,
                           const char *what, void *out, size_t len,
                           cx_error *err) {
  MDB_txn *txn;
  int rc = cx_store_read_begin(s, &txn, err);
  if (rc != CX_OK)
    return rc;
  const uint8_t *p;
  size_t got;
  rc = height_row(s, txn, table, height, what, &p, &got, err);
  if (rc == CX_OK && got != len) {
    uint8_t key[8];
    char why[96];
    cx_codec_put_u64be(key, height);
    snprintf(why, sizeof why, "the row holds %zu bytes, expected %zu", got,
             len);
    rc = cx_store_corrupt(s, table, key, 8, why, err);
  } else if (rc == CX_OK)
    memcpy(out, p, len);
  cx_store_read_end(s, txn);
  return rc;
}

int cx_store_undo_row(const cx_store *s, MDB_txn *txn, uint64_t height,
                      const uint8_t **p, size_t *len, cx_error *err) {
  int rc = height_row(s, txn, CX_TABLE_UNDO, height,
                      "undo data of the block at height", p, len, err);
  if (rc == CX_ENOTFOUND) {
    uint8_t key[8];
    cx_codec_put_u64be(key, height);
    return cx_store_corrupt(s, CX_TABLE_UNDO, key, 8,
                            "the undo data of this block is missing", err);
  }
  if (rc != CX_OK)
    return rc;
  /* Structure: a count, then well-formed entries in strict key order. */
  cx_undo_iter it;
  cx_undo_item item[2];
  const cx_undo_item *prev = NULL;
  int got = cx_undo_iter_init(&it, *p, *len) ? 1 : -1;
  for (int i = 0; got == 1; i ^= 1) {
    got = cx_undo_next(&it, prev, &item[i]);
    prev = &item[i];
  }
  if (got != 0) {
    uint8_t key[8];
    cx_codec_put_u64be(key, height);
    return cx_store_corrupt(s, CX_TABLE_UNDO, key, 8,
                            "the undo data is malformed", err);
  }
  return CX_OK;
}

int cx_store_undo_first(const cx_store *s, MDB_txn *txn, uint64_t *out) {
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = mdb_cursor_open(txn, s->dbi[CX_TABLE_UNDO], &cur);
  if (rc != 0)
    return rc;
  rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  mdb_cursor_close(cur);
  *out = rc == 0 && k.mv_size == 8 ? cx_codec_get_u64be(k.mv_data) : 0;
  return rc == MDB_NOTFOUND ? 0 : rc;
}

int cx_store_root_at(const cx_store *s, MDB_txn *txn, uint64_t height,
                     uint8_t out[32], cx_error *err) {
  if (height == 0) {
    memcpy(out, s->genesis_root, 32);
    return CX_OK;
  }
  const uint8_t *p;
  size_t len;
  int rc = height_row(s, txn, CX_TABLE_BLOCKS, height, "block row at height",
                      &p, &len, err);
  if (rc == CX_OK && len != CX_BLOCK_ROW_LEN) {
    uint8_t key[8];
    cx_codec_put_u64be(key, height);
    rc = cx_store_corrupt(s, CX_TABLE_BLOCKS, key, 8,
                          "the row has the wrong width", err);
  }
  if (rc == CX_OK)
    memcpy(out, p + CX_BLOCK_ROW_STATE_ROOT, 32);
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
    if (!cx_codec_decode_value(kind, &k, &v, &e.v0, &e.v1)) {
      mdb_cursor_close(cur);
      return cx_store_corrupt(s, kind == CX_ENTRY_KV ? CX_TABLE_KV
                                                     : CX_TABLE_ACCOUNTS,
                              k.mv_data, k.mv_size,
                              "the stored value fails its checksum or width",
                              err);
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
 * snapshot's height, root and retention floor. */
static int snapshot_prepare(cx_snapshot *snap, cx_error *err) {
  cx_store *s = snap->store;
  for (int t = 0; t < CX_TABLE_COUNT; t++) {
    MDB_stat st;
    int rc = mdb_stat(snap->txn, s->dbi[t], &st);
    if (rc != 0)
      return cx_store_fail(s, rc, "opening a snapshot", err);
  }
  uint8_t h[8];
  int rc = cx_store_meta_get(s, snap->txn, CX_META_HEIGHT, h, 8, err);
  if (rc > 1)
    return rc;
  snap->height = rc == 0 ? cx_codec_get_u64le(h) : 0;
  rc = cx_store_meta_get(s, snap->txn, CX_META_STATE_ROOT, snap->state_root,
                         32, err);
  if (rc > 1)
    return rc;
  uint64_t first = 0;
  rc = cx_store_undo_first(s, snap->txn, &first);
  if (rc != 0)
    return cx_store_fail(s, rc, "opening a snapshot", err);
  snap->floor = cx_store_floor_of(s, snap->height, first);
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
  return cx_store_read_entry(snap->store, snap->txn, key, v0, v1, NULL);
}

int cx_snapshot_read_err(const cx_snapshot *snap, const cx_key *key,
                         uint64_t *v0, uint64_t *v1, cx_error *err) {
  if (!snap)
    return cx_error_set(err, CX_EINVAL, "snapshot read: NULL snapshot");
  return cx_store_read_entry(snap->store, snap->txn, key, v0, v1, err);
}

uint64_t cx_snapshot_retention_floor(const cx_snapshot *snap) {
  return snap->floor;
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
