/* Write transactions: genesis and block commit, with the MDB_MAP_FULL
 * abort-grow-replay loop. The cached height and roots change only after
 * the commit returned success. */
#include <stdlib.h>
#include <string.h>

#include "store_codec.h"
#include "store_internal.h"
#include "store_undo.h"

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

/* Fills a write transaction; returns an LMDB code (0 on success), or a
 * negated cx code with err set (a damaged record met on the way). */
typedef int (*txn_fill)(cx_store *s, MDB_txn *txn, void *ctx, cx_error *err);

/* A fill's cx error: -code, below every LMDB code's magnitude. */
static bool fill_failed(int rc) { return rc < 0 && rc > -100; }

/* Runs fill in a fresh write transaction and commits; on MDB_MAP_FULL
 * (from a put or from the commit) aborts, grows the map and runs fill
 * again from scratch, so the committed content is always the whole of
 * fill. Returns a cx code. */
static int write_txn(cx_store *s, txn_fill fill, void *ctx, const char *what,
                     cx_error *err) {
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
    rc = fill(s, txn, ctx, err);
    if (fill_failed(rc)) {
      mdb_txn_abort(txn);
      return -rc;
    }
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
 * the root while the next key falls in the cursor's current leaf. With
 * undo != NULL each key's previous value (or its absence) is appended
 * there first, read by the same cursor (MDB_SET), which then overwrites
 * in place (MDB_CURRENT). *undo_end gets the end. */
static int put_entries(cx_store *s, MDB_txn *txn, const cx_entry *e, size_t n,
                       uint8_t *undo, uint8_t **undo_end, cx_error *err) {
  MDB_cursor *cur[2] = {NULL, NULL};
  int rc = mdb_cursor_open(txn, s->dbi[CX_TABLE_ACCOUNTS], &cur[0]);
  if (rc == 0)
    rc = mdb_cursor_open(txn, s->dbi[CX_TABLE_KV], &cur[1]);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    MDB_val k, v, old;
    uint8_t buf[20];
    bool kv = e[i].key.kind == CX_ENTRY_KV;
    cx_codec_entry_key(&e[i].key, &k); /* kind checked by the caller */
    v = cx_codec_entry_value(&e[i], &k, buf);
    if (!undo) {
      rc = mdb_cursor_put(cur[kv], &k, &v, 0);
      continue;
    }
    rc = mdb_cursor_get(cur[kv], &k, &old, MDB_SET);
    if (rc == MDB_NOTFOUND) {
      undo = cx_undo_put(undo, &e[i].key, NULL);
      rc = mdb_cursor_put(cur[kv], &k, &v, 0);
    } else if (rc == 0) {
      uint64_t v0, v1;
      if (!cx_codec_decode_value(e[i].key.kind, &k, &old, &v0, &v1)) {
        rc = -cx_store_corrupt(s, kv ? CX_TABLE_KV : CX_TABLE_ACCOUNTS,
                               k.mv_data, k.mv_size,
                               "the stored value fails its checksum or width",
                               err);
        break;
      }
      undo = cx_undo_put(undo, &e[i].key, old.mv_data);
      rc = mdb_cursor_put(cur[kv], &k, &v, MDB_CURRENT);
    }
  }
  for (int t = 0; t < 2; t++)
    if (cur[t])
      mdb_cursor_close(cur[t]);
  if (undo_end)
    *undo_end = undo;
  return rc;
}

/* Puts a sealed value (payload p[0..len), len <= 160) under k. */
static int put_sealed(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, const void *p,
                      size_t len, unsigned flags) {
  uint8_t buf[CX_BLOCK_REC_LEN];
  memcpy(buf, p, len);
  MDB_val v = cx_codec_seal(k, buf, len);
  return mdb_put(txn, dbi, k, &v, flags);
}

static int put_meta(cx_store *s, MDB_txn *txn, const char *name, const void *p,
                    size_t len) {
  MDB_val k = cx_codec_meta_key(name);
  return put_sealed(txn, s->dbi[CX_TABLE_META], &k, p, len, 0);
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

static int fill_genesis(cx_store *s, MDB_txn *txn, void *ctx, cx_error *err) {
  const struct genesis_ctx *g = ctx;
  int rc = put_entries(s, txn, g->entries, g->n, NULL, NULL, err);
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

/* Makes room in the writer's undo scratch for blocks of up to n writes. */
static int reserve_undo(cx_store *s, size_t n, cx_error *err) {
  size_t need = cx_undo_max_len(n);
  if (s->cfg.undo_retention == 0 || need <= s->undo_cap)
    return CX_OK;
  uint8_t *p = realloc(s->undo_buf, need);
  if (!p)
    return cx_error_set(err, CX_ENOMEM,
                        "%s: out of memory for the undo data of a block of "
                        "%zu writes",
                        s->path, n);
  s->undo_buf = p;
  s->undo_cap = need;
  return CX_OK;
}

/* Deletes undo rows at heights <= limit (the oldest first: normally the
 * one row that just left the retention window). */
static int prune_undo(cx_store *s, MDB_txn *txn, uint64_t limit) {
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = mdb_cursor_open(txn, s->dbi[CX_TABLE_UNDO], &cur);
  if (rc != 0)
    return rc;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (k.mv_size != 8 || cx_codec_get_u64be(k.mv_data) > limit)
      break;
    rc = mdb_cursor_del(cur, 0);
    if (rc != 0)
      break;
  }
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? 0 : rc;
}

/* One block as cx_store_commit_block() writes it: state puts with their
 * undo data, block row, statuses, undo row, pruning, meta. */
static int put_block(cx_store *s, MDB_txn *txn, const cx_block_record *rec,
                     const cx_entry *writes, size_t n, cx_error *err) {
  unsigned keep = s->cfg.undo_retention;
  uint8_t *undo = keep ? s->undo_buf : NULL, *end = NULL;
  if (undo)
    cx_codec_put_u32le(undo, (uint32_t)n);
  int rc = put_entries(s, txn, writes, n, undo ? undo + 4 : NULL, &end, err);
  if (rc != 0)
    return rc;
  uint8_t key[8], row[CX_BLOCK_ROW_LEN];
  cx_codec_put_u64be(key, rec->height);
  cx_codec_block_encode(rec, row);
  MDB_val k = cx_codec_val(key, 8);
  /* Heights only grow, so the row always goes last; MDB_APPEND refuses
   * (MDB_KEYEXIST) a row that is already there. */
  rc = put_sealed(txn, s->dbi[CX_TABLE_BLOCKS], &k, row, sizeof row,
                  MDB_APPEND);
  if (rc == 0 && rec->statuses && rec->tx_count) {
    /* Reserve the space, then write payload and checksum in place. */
    MDB_val sv = cx_codec_val(NULL, (size_t)rec->tx_count + CX_CRC_LEN);
    rc = mdb_put(txn, s->dbi[CX_TABLE_STATUSES], &k, &sv,
                 MDB_APPEND | MDB_RESERVE);
    if (rc == 0) {
      memcpy(sv.mv_data, rec->statuses, rec->tx_count);
      cx_codec_seal(&k, sv.mv_data, rec->tx_count);
    }
  }
  if (rc == 0 && undo) {
    size_t len = (size_t)(end - undo);
    MDB_val uv = cx_codec_val(NULL, len + CX_CRC_LEN);
    rc = mdb_put(txn, s->dbi[CX_TABLE_UNDO], &k, &uv,
                 MDB_APPEND | MDB_RESERVE);
    if (rc == 0) {
      memcpy(uv.mv_data, undo, len);
      cx_codec_seal(&k, uv.mv_data, len);
    }
  }
  if (rc == 0)
    rc = prune_undo(s, txn, rec->height > keep ? rec->height - keep : 0);
  if (rc == 0)
    rc = put_chain_meta(s, txn, rec->height, rec->state_root);
  return rc;
}

/* Reverts the block at `h` (the current top in txn) with its undo data. */
static int revert_block(cx_store *s, MDB_txn *txn, uint64_t h,
                        cx_error *err) {
  const uint8_t *p;
  size_t len;
  int rc = cx_store_undo_row(s, txn, h, &p, &len, err);
  if (rc != CX_OK)
    return -rc;
  cx_undo_iter it;
  cx_undo_item cur[2];
  cx_undo_iter_init(&it, p, len); /* checked by cx_store_undo_row */
  for (int i = 0;; i ^= 1) {
    int got = cx_undo_next(&it, NULL, &cur[i]);
    if (got == 0)
      break;
    const cx_entry *e = &cur[i].e;
    bool kv = e->key.kind == CX_ENTRY_KV;
    MDB_dbi dbi = s->dbi[kv ? CX_TABLE_KV : CX_TABLE_ACCOUNTS];
    MDB_val k, v;
    uint8_t buf[20];
    cx_codec_entry_key(&e->key, &k);
    if (cur[i].existed) {
      v = cx_codec_entry_value(e, &k, buf);
      rc = mdb_put(txn, dbi, &k, &v, 0);
    } else {
      rc = mdb_del(txn, dbi, &k, NULL);
      if (rc == MDB_NOTFOUND)
        return -cx_store_corrupt(s, kv ? CX_TABLE_KV : CX_TABLE_ACCOUNTS,
                                 k.mv_data, k.mv_size,
                                 "the undo data of a block removes this "
                                 "key, but it is not stored",
                                 err);
    }
    if (rc != 0)
      return rc;
  }
  uint8_t key[8];
  cx_codec_put_u64be(key, h);
  MDB_val k = cx_codec_val(key, 8);
  rc = mdb_del(txn, s->dbi[CX_TABLE_BLOCKS], &k, NULL);
  if (rc == MDB_NOTFOUND)
    return -cx_store_corrupt(s, CX_TABLE_BLOCKS, key, 8,
                             "the block row to revert is missing", err);
  if (rc == 0)
    rc = mdb_del(txn, s->dbi[CX_TABLE_STATUSES], &k, NULL);
  if (rc == MDB_NOTFOUND)
    rc = 0;
  if (rc == 0)
    rc = mdb_del(txn, s->dbi[CX_TABLE_UNDO], &k, NULL);
  return rc;
}

struct reorg_ctx {
  uint64_t from, to;          /* revert from..to+1 */
  const uint8_t *to_root;     /* state root at `to` */
  const struct cx_store_block *blocks;
  size_t n;
  uint64_t undo_first;        /* out: lowest undo row after the txn */
};

static int fill_reorg(cx_store *s, MDB_txn *txn, void *ctx, cx_error *err) {
  struct reorg_ctx *r = ctx;
  int rc = 0;
  for (uint64_t h = r->from; rc == 0 && h > r->to; h--)
    rc = revert_block(s, txn, h, err);
  if (rc == 0 && r->from != r->to)
    rc = put_chain_meta(s, txn, r->to, r->to_root);
  for (size_t i = 0; rc == 0 && i < r->n; i++)
    rc = put_block(s, txn, r->blocks[i].rec, r->blocks[i].writes,
                   r->blocks[i].n_writes, err);
  if (rc == 0)
    rc = cx_store_undo_first(s, txn, &r->undo_first);
  return rc;
}

/* Checks a commit of blocks[0..n) on top of height `base` with state root
 * `root`: heights in order, roots chained, write sets sorted. */
static int check_blocks(cx_store *s, uint64_t base, const uint8_t root[32],
                        const struct cx_store_block *b, size_t n, cx_error *err) {
  uint8_t prev[32];
  memcpy(prev, root, 32);
  for (size_t i = 0; i < n; i++) {
    const cx_block_record *rec = b[i].rec;
    if (!rec || (b[i].n_writes > 0 && !b[i].writes))
      return cx_error_set(err, CX_EINVAL, "%s: block %zu: NULL argument",
                          s->path, i);
    if (rec->height != base + 1 + i)
      return cx_error_set(err, i == 0 && base == s->height ? CX_ESTATE
                                                           : CX_EINVAL,
                          "%s: commit of block %llu but it must be block "
                          "%llu (the store is at height %llu); blocks must "
                          "be committed in order",
                          s->path, (unsigned long long)rec->height,
                          (unsigned long long)(base + 1 + i),
                          (unsigned long long)(base + i));
    uint8_t expect[32];
    cx_state_root_next(prev, rec->write_root, expect);
    if (memcmp(expect, rec->state_root, 32) != 0)
      return cx_error_set(err, CX_EINVAL,
                          "%s: block %llu: state_root is not H(0x02 || "
                          "previous state root || write_root) (SPEC section "
                          "5)",
                          s->path, (unsigned long long)rec->height);
    int rc = check_sorted(b[i].writes, b[i].n_writes, "block write set",
                          s->path, err);
    if (rc != CX_OK)
      return rc;
    rc = reserve_undo(s, b[i].n_writes, err);
    if (rc != CX_OK)
      return rc;
    memcpy(prev, rec->state_root, 32);
  }
  return CX_OK;
}

static int check_chain(const cx_store *s, const char *what, uint64_t h,
                       cx_error *err) {
  int rc = check_writable(s, what, err);
  if (rc != CX_OK)
    return rc;
  if (!s->has_genesis)
    return cx_error_set(err, CX_ESTATE,
                        "%s: %s (height %llu) before any genesis; load a "
                        "genesis first",
                        s->path, what, (unsigned long long)h);
  return CX_OK;
}

uint64_t cx_store_floor_of(const cx_store *s, uint64_t height,
                           uint64_t undo_first) {
  unsigned keep = s->cfg.undo_retention;
  if (keep == 0)
    return height;
  uint64_t whole = undo_first && undo_first <= height ? undo_first - 1
                                                      : height;
  uint64_t window = height > keep ? height - keep : 0;
  return whole > window ? whole : window;
}

uint64_t cx_store_retention_floor(const cx_store *s) {
  return cx_store_floor_of(s, s->height, s->undo_first);
}

int cx_store_commit_block(cx_store *s, const cx_block_record *rec,
                          const cx_entry *writes, size_t n, cx_error *err) {
  if (!s || !rec || (n > 0 && !writes))
    return cx_error_set(err, CX_EINVAL, "commit block: NULL argument");
  int rc = check_chain(s, "committing a block", rec->height, err);
  if (rc != CX_OK)
    return rc;
  if (rec->height != s->height + 1)
    return cx_error_set(err, CX_ESTATE,
                        "%s: commit of block %llu but the store is at height "
                        "%llu; blocks must be committed in order",
                        s->path, (unsigned long long)rec->height,
                        (unsigned long long)s->height);
  struct cx_store_block b = {rec, writes, n};
  rc = check_blocks(s, s->height, s->state_root, &b, 1, err);
  if (rc != CX_OK)
    return rc;
  struct reorg_ctx r = {s->height, s->height, s->state_root, &b, 1, 0};
  rc = write_txn(s, fill_reorg, &r, "committing a block", err);
  if (rc != CX_OK)
    return rc;
  s->height = rec->height;
  memcpy(s->state_root, rec->state_root, 32);
  s->undo_first = r.undo_first;
  return CX_OK;
}

int cx_store_reorg(cx_store *s, uint64_t to_height,
                   const struct cx_store_block *blocks, size_t n, cx_error *err) {
  if (!s || (n > 0 && !blocks))
    return cx_error_set(err, CX_EINVAL, "reorg: NULL argument");
  int rc = check_chain(s, "reverting blocks", to_height, err);
  if (rc != CX_OK)
    return rc;
  if (to_height > s->height)
    return cx_error_set(err, CX_ESTATE,
                        "%s: revert to height %llu, but the store is at "
                        "height %llu; revert only to a committed height",
                        s->path, (unsigned long long)to_height,
                        (unsigned long long)s->height);
  uint64_t floor = cx_store_retention_floor(s);
  if (to_height < floor)
    return cx_error_set(err, CX_ELIMIT,
                        "%s: revert to height %llu is below the retention "
                        "floor %llu (undo data is kept for the last "
                        "undo_retention = %u blocks, and only for blocks "
                        "committed with schema 3); raise undo_retention for "
                        "deeper reorgs, or replay the chain",
                        s->path, (unsigned long long)to_height,
                        (unsigned long long)floor, s->cfg.undo_retention);
  uint8_t root[32];
  MDB_txn *txn;
  rc = cx_store_read_begin(s, &txn, err);
  if (rc != CX_OK)
    return rc;
  rc = cx_store_root_at(s, txn, to_height, root, err);
  cx_store_read_end(s, txn);
  if (rc != CX_OK)
    return rc;
  rc = check_blocks(s, to_height, root, blocks, n, err);
  if (rc != CX_OK)
    return rc;
  struct reorg_ctx r = {s->height, to_height, root, blocks, n, 0};
  rc = write_txn(s, fill_reorg, &r, "reverting blocks", err);
  if (rc != CX_OK)
    return rc;
  s->height = to_height + n;
  memcpy(s->state_root, n ? blocks[n - 1].rec->state_root : root, 32);
  s->undo_first = r.undo_first;
  return CX_OK;
}

int cx_store_revert(cx_store *s, uint64_t to_height, cx_error *err) {
  return cx_store_reorg(s, to_height, NULL, 0, err);
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
