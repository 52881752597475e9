/* Write transactions: genesis and block commit, with the MDB_MAP_FULL
 * abort-grow-replay loop. The cached height and roots change only after
 * the commit returned success. */
#include <stdlib.h>
#include <string.h>

#include "store_codec.h"
#include "store_internal.h"

/* CX_ESTATE for a write to a store opened read-only, else CX_OK. */
static int check_writable(const cx_store *s, const char *what,
                          cx_error *err) {
  if (!s->cfg.read_only)
    return CX_OK;
  return cx_error_set(err, CX_ESTATE,
                      "%s: %s refused: the store was opened read-only "
                      "(open it without read_only to write)",
                      s->path, what);
}

/* Fills a write transaction; returns an LMDB code (0 on success). */
typedef int (*txn_fill)(cx_store *s, MDB_txn *txn, const void *ctx);

/* Runs fill in a fresh write transaction and commits; on MDB_MAP_FULL
 * (from a put or from the commit) aborts, grows the map and runs fill
 * again from scratch, so the committed content is always the whole of
 * fill. Returns a cx code. */
static int write_txn(cx_store *s, txn_fill fill, const void *ctx,
                     const char *what, cx_error *err) {
  int resized = 0;
  for (;;) {
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc == MDB_MAP_RESIZED && resized++ == 0) {
      rc = cx_store_adopt_map(s, err);
      if (rc != CX_OK)
        return rc;
      continue;
    }
    if (rc != 0)
      return cx_store_fail(s, rc, what, err);
    rc = fill(s, txn, ctx);
    if (rc == 0)
      rc = mdb_txn_commit(txn); /* frees txn even on failure */
    else
      mdb_txn_abort(txn);
    if (rc == MDB_MAP_FULL) {
      rc = cx_store_grow_map(s, err);
      if (rc != CX_OK) {
        cx_error_wrap(err, "%s", what);
        return rc;
      }
      continue;
    }
    return rc ? cx_store_fail(s, rc, what, err) : CX_OK;
  }
}

/* Sorted puts through one cursor per table: LMDB skips the descent from
 * the root while the next key falls in the cursor's current leaf. */
static int put_entries(cx_store *s, MDB_txn *txn, const cx_entry *e, size_t n) {
  MDB_cursor *cur[2] = {NULL, NULL};
  int rc = mdb_cursor_open(txn, s->dbi[CX_TABLE_ACCOUNTS], &cur[0]);
  if (rc == 0)
    rc = mdb_cursor_open(txn, s->dbi[CX_TABLE_KV], &cur[1]);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    MDB_val k, v;
    uint8_t buf[16];
    cx_codec_entry_key(&e[i].key, &k); /* kind checked by the caller */
    v = cx_codec_entry_value(&e[i], buf);
    rc = mdb_cursor_put(cur[e[i].key.kind == CX_ENTRY_KV], &k, &v, 0);
  }
  for (int t = 0; t < 2; t++)
    if (cur[t])
      mdb_cursor_close(cur[t]);
  return rc;
}

static int put_meta(cx_store *s, MDB_txn *txn, const char *name, const void *p,
                    size_t len) {
  MDB_val k = cx_codec_meta_key(name), v = cx_codec_val(p, len);
  return mdb_put(txn, s->dbi[CX_TABLE_META], &k, &v, 0);
}

/* meta height, state_root and map_size: written by every commit. */
static int put_chain_meta(cx_store *s, MDB_txn *txn, uint64_t height,
                          const uint8_t root[32]) {
  uint8_t h[8], m[8];
  cx_codec_put_u64le(h, height);
  cx_codec_put_u64le(m, s->map_size);
  int rc = put_meta(s, txn, CX_META_HEIGHT, h, 8);
  if (rc == 0)
    rc = put_meta(s, txn, CX_META_STATE_ROOT, root, 32);
  if (rc == 0)
    rc = put_meta(s, txn, CX_META_MAP_SIZE, m, 8);
  return rc;
}

/* Checks that keys have a known kind and strictly increase. */
static int check_sorted(const cx_entry *e, size_t n, const char *what,
                        const char *path, cx_error *err) {
  for (size_t i = 0; i < n; i++) {
    MDB_val k;
    if (!cx_codec_entry_key(&e[i].key, &k))
      return cx_error_set(err, CX_EINVAL, "%s: %s: entry %zu has kind %u", path,
                          what, i, e[i].key.kind);
    if (i > 0 && cx_key_cmp(&e[i - 1].key, &e[i].key) >= 0)
      return cx_error_set(err, CX_EINVAL, "%s: %s: entries %zu and %zu are %s",
                          path, what, i - 1, i,
                          cx_key_cmp(&e[i - 1].key, &e[i].key) == 0
                              ? "the same key (each key must appear once)"
                              : "out of order (sort with cx_entries_sort)");
  }
  return CX_OK;
}

struct genesis_ctx {
  const cx_entry *entries;
  size_t n;
  const uint8_t *root;
};

static int fill_genesis(cx_store *s, MDB_txn *txn, const void *ctx) {
  const struct genesis_ctx *g = ctx;
  int rc = put_entries(s, txn, g->entries, g->n);
  if (rc == 0)
    rc = put_meta(s, txn, CX_META_GENESIS_ROOT, g->root, 32);
  if (rc == 0)
    rc = put_chain_meta(s, txn, 0, g->root);
  return rc;
}

int cx_store_load_genesis(cx_store *s, cx_entry *entries, size_t n,
                          uint8_t out_root[32], cx_error *err) {
  if (!s || (n > 0 && !entries))
    return cx_error_set(err, CX_EINVAL, "load genesis: NULL argument");
  int rc = check_writable(s, "loading a genesis", err);
  if (rc != CX_OK)
    return rc;
  uint64_t count = 0;
  rc = cx_store_count(s, &count, err);
  if (rc != CX_OK)
    return rc;
  if (s->has_genesis || s->height != 0 || count != 0)
    return cx_error_set(err, CX_ESTATE,
                        "%s: the store already holds a chain (height %llu, "
                        "%llu entries, genesis %s); load a genesis only into "
                        "an empty directory",
                        s->path, (unsigned long long)s->height,
                        (unsigned long long)count,
                        s->has_genesis ? "loaded" : "absent");
  cx_entries_sort(entries, n);
  rc = check_sorted(entries, n, "genesis", s->path, err);
  if (rc != CX_OK)
    return rc;
  uint8_t root[32];
  if (cx_genesis_root(entries, n, root) != CX_OK)
    return cx_error_set(err, CX_ENOMEM,
                        "%s: out of memory computing the genesis root of %zu "
                        "entries",
                        s->path, n);
  struct genesis_ctx g = {entries, n, root};
  rc = write_txn(s, fill_genesis, &g, "loading the genesis", err);
  if (rc != CX_OK)
    return rc;
  s->has_genesis = true;
  s->height = 0;
  memcpy(s->genesis_root, root, 32);
  memcpy(s->state_root, root, 32);
  if (out_root)
    memcpy(out_root, root, 32);
  return CX_OK;
}

struct block_ctx {
  const cx_block_record *rec;
  const cx_entry *writes;
  size_t n;
};

static int fill_block(cx_store *s, MDB_txn *txn, const void *ctx) {
  const struct block_ctx *b = ctx;
  int rc = put_entries(s, txn, b->writes, b->n);
  if (rc != 0)
    return rc;
  uint8_t key[8], row[CX_BLOCK_ROW_LEN];
  cx_codec_put_u64be(key, b->rec->height);
  cx_codec_block_encode(b->rec, row);
  MDB_val k = cx_codec_val(key, 8), v = cx_codec_val(row, sizeof row);
  /* Heights only grow, so the row always goes last; MDB_APPEND refuses
   * (MDB_KEYEXIST) a row that is already there. */
  rc = mdb_put(txn, s->dbi[CX_TABLE_BLOCKS], &k, &v, MDB_APPEND);
  if (rc == 0 && b->rec->statuses && b->rec->tx_count) {
    MDB_val sv = cx_codec_val(b->rec->statuses, b->rec->tx_count);
    rc = mdb_put(txn, s->dbi[CX_TABLE_STATUSES], &k, &sv, MDB_APPEND);
  }
  if (rc == 0)
    rc = put_chain_meta(s, txn, b->rec->height, b->rec->state_root);
  return rc;
}

int cx_store_commit_block(cx_store *s, const cx_block_record *rec,
                          const cx_entry *writes, size_t n, cx_error *err) {
  if (!s || !rec || (n > 0 && !writes))
    return cx_error_set(err, CX_EINVAL, "commit block: NULL argument");
  int rc = check_writable(s, "committing a block", err);
  if (rc != CX_OK)
    return rc;
  if (!s->has_genesis)
    return cx_error_set(err, CX_ESTATE,
                        "%s: commit of block %llu before any genesis; load a "
                        "genesis first",
                        s->path, (unsigned long long)rec->height);
  if (rec->height != s->height + 1)
    return cx_error_set(err, CX_ESTATE,
                        "%s: commit of block %llu but the store is at height "
                        "%llu; blocks must be committed in order",
                        s->path, (unsigned long long)rec->height,
                        (unsigned long long)s->height);
  uint8_t expect[32];
  cx_state_root_next(s->state_root, rec->write_root, expect);
  if (memcmp(expect, rec->state_root, 32) != 0)
    return cx_error_set(err, CX_EINVAL,
                        "%s: block %llu: state_root is not H(0x02 || previous "
                        "state root || write_root) (SPEC section 5)",
                        s->path, (unsigned long long)rec->height);
  rc = check_sorted(writes, n, "block write set", s->path, err);
  if (rc != CX_OK)
    return rc;
  struct block_ctx b = {rec, writes, n};
  rc = write_txn(s, fill_block, &b, "committing a block", err);
  if (rc != CX_OK)
    return rc;
  s->height = rec->height;
  memcpy(s->state_root, rec->state_root, 32);
  return CX_OK;
}

int cx_store_sync(cx_store *s, cx_error *err) {
  if (!s)
    return cx_error_set(err, CX_EINVAL, "sync: NULL store");
  int rc = check_writable(s, "flushing to disk", err);
  if (rc != CX_OK)
    return rc;
  rc = mdb_env_sync(s->env, 1);
  return rc ? cx_store_fail(s, rc, "flushing to disk", err) : CX_OK;
}
