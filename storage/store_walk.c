/* The integrity walk behind cx_store_verify(): reads every table of an open
 * store, LMDB's free-page table included, and checks it against the schema
 * of store_codec.h and against the chain's roots.
 *
 * Reading a damaged page can fault inside liblmdb or here, so this runs
 * only in the child process of cx_store_verify() (store_verify.c).
 * Checks, all in one read transaction:
 *   - the pages themselves (store_pages.c): tree structure, page headers,
 *     nodes, table records and the free list, which the write path trusts;
 *   - the main table names exactly our six tables, and each table's
 *     entry count matches what a cursor finds;
 *   - every record's checksum (CRC32C of key || payload, store_codec.h);
 *   - accounts, kv: key and value widths, keys strictly increasing; at
 *     height 0 the genesis root recomputed from them equals meta's;
 *   - blocks: one row of the right width per height 1..height, and the
 *     state roots chain from the genesis root to meta's state root
 *     (SPEC section 5);
 *   - statuses: only at stored heights, tx_count bytes each;
 *   - undo: rows at consecutive heights ending at the height, each
 *     well-formed (store_undo.h: count, known tags, keys in order);
 *   - meta: exactly the known keys, each of its fixed width.
 * A schema-2 store (no checksums; cx_store_open() migrates it, checking
 * every record's width) gets the page check only.
 * Not covered: a branch page's separator key changed so that lookups
 * miss; a record replaced by another well-formed, correctly sealed one
 * (a checksum is no signature).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_codec.h"
#include "store_internal.h"
#include "store_undo.h"

typedef struct walk {
  cx_store *s;
  MDB_txn *txn;
  cx_error *err;
  cx_entry *entries;   /* the state, kept at height 0 for the root */
  size_t n_entries, cap;
} walk;

/* CX_ECORRUPT naming the table and what is wrong with it. */
static int damaged(walk *w, const char *table, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int damaged(walk *w, const char *table, const char *fmt, ...) {
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return cx_error_set(w->err, CX_ECORRUPT,
                      "%s: integrity check: table \"%s\": %s; the store is "
                      "damaged: " CX_STORE_DAMAGED_ACTION,
                      w->s->path, table, what);
}

static int lmdb_failed(walk *w, int rc, const char *table) {
  char doing[96];
  snprintf(doing, sizeof doing, "checking table \"%s\"", table);
  return cx_store_fail(w->s, rc, doing, w->err);
}

/* The table's header counts `want` entries, as the walk found. */
static int tally(walk *w, MDB_dbi dbi, const char *table, int64_t want) {
  MDB_stat st;
  int rc = mdb_stat(w->txn, dbi, &st);
  if (rc != 0)
    return lmdb_failed(w, rc, table);
  if (st.ms_entries != (uint64_t)want)
    return damaged(w, table, "its header counts %zu entries, a walk finds "
                             "%lld",
                   st.ms_entries, (long long)want);
  return CX_OK;
}

/* The main table holds exactly the six table records. */
static int walk_main(walk *w) {
  MDB_dbi main_dbi;
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = mdb_dbi_open(w->txn, NULL, 0, &main_dbi);
  if (rc == 0)
    rc = mdb_cursor_open(w->txn, main_dbi, &cur);
  if (rc != 0)
    return lmdb_failed(w, rc, "main");
  int64_t n = 0;
  int res = CX_OK;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && res == CX_OK;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
    bool known = false;
    for (int t = 0; t < CX_TABLE_COUNT; t++)
      known |= k.mv_size == strlen(cx_table_names[t]) &&
               memcmp(k.mv_data, cx_table_names[t], k.mv_size) == 0;
    if (!known)
      res = damaged(w, "main", "an unknown table name of %zu bytes",
                    k.mv_size);
  }
  mdb_cursor_close(cur);
  if (res != CX_OK)
    return res;
  if (rc != MDB_NOTFOUND)
    return lmdb_failed(w, rc, "main");
  if (n != CX_TABLE_COUNT)
    return damaged(w, "main", "%lld table records, expected %d",
                   (long long)n, CX_TABLE_COUNT);
  return tally(w, main_dbi, "main", n);
}

static int keep_entry(walk *w, const cx_entry *e) {
  if (w->n_entries == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 1024;
    cx_entry *p = realloc(w->entries, cap * sizeof *p);
    if (p == NULL)
      return cx_error_set(w->err, CX_ENOMEM,
                          "%s: integrity check: out of memory keeping %zu "
                          "entries for the genesis root; retry, or open "
                          "without the check",
                          w->s->path, cap);
    w->entries = p;
    w->cap = cap;
  }
  w->entries[w->n_entries++] = *e;
  return CX_OK;
}

/* accounts or kv: widths and strict key order; keeps the entries at
 * height 0. */
static int walk_state(walk *w, uint8_t kind) {
  enum cx_table t = kind == CX_ENTRY_ACCOUNT ? CX_TABLE_ACCOUNTS : CX_TABLE_KV;
  const char *name = cx_table_names[t];
  size_t klen = kind == CX_ENTRY_ACCOUNT ? CX_ACCOUNT_KEY_LEN : CX_KV_KEY_LEN;
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = mdb_cursor_open(w->txn, w->s->dbi[t], &cur);
  if (rc != 0)
    return lmdb_failed(w, rc, name);
  bool keep = w->s->height == 0;
  uint8_t prev[CX_KV_KEY_LEN];
  int64_t n = 0;
  int res = CX_OK;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && res == CX_OK;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
    cx_entry e;
    memset(&e, 0, sizeof e);
    e.key.kind = kind;
    if (k.mv_size != klen)
      res = damaged(w, name, "key %lld is %zu bytes, expected %zu",
                    (long long)n, k.mv_size, klen);
    else if (n > 0 && memcmp(prev, k.mv_data, klen) >= 0)
      res = damaged(w, name, "key %lld is out of order", (long long)n);
    else if (!cx_codec_decode_value(kind, &k, &v, &e.v0, &e.v1))
      res = cx_store_corrupt(w->s, t, k.mv_data, klen,
                             "integrity check: the value fails its checksum "
                             "or width",
                             w->err);
    else {
      memcpy(prev, k.mv_data, klen);
      memcpy(e.key.bytes, k.mv_data, klen);
      if (keep)
        res = keep_entry(w, &e);
    }
  }
  mdb_cursor_close(cur);
  if (res != CX_OK)
    return res;
  if (rc != MDB_NOTFOUND)
    return lmdb_failed(w, rc, name);
  return tally(w, w->s->dbi[t], name, n);
}

/* Genesis only: the root recomputed from the stored state equals meta's. */
static int check_genesis_root(walk *w) {
  cx_store *s = w->s;
  if (!s->has_genesis) {
    if (w->n_entries != 0)
      return damaged(w, "meta", "no genesis root, but %zu state entries",
                     w->n_entries);
    return CX_OK;
  }
  uint8_t root[32];
  if (cx_genesis_root(w->entries, w->n_entries, root) != CX_OK)
    return cx_error_set(w->err, CX_ENOMEM,
                        "%s: integrity check: out of memory computing the "
                        "genesis root",
                        s->path);
  if (memcmp(root, s->genesis_root, 32) != 0 ||
      memcmp(root, s->state_root, 32) != 0)
    return damaged(w, "accounts/kv",
                   "the root of the %zu stored entries differs from the "
                   "genesis root in meta",
                   w->n_entries);
  return CX_OK;
}

/* Statuses of block r->height: the store writes tx_count of them. Their
 * values are not checked: the store does not constrain them. */
static int check_statuses(walk *w, const cx_block_record *r,
                          const MDB_val *sk, const MDB_val *sv) {
  size_t len;
  if (!cx_codec_unseal(sk, sv, &len))
    return cx_store_corrupt(w->s, CX_TABLE_STATUSES, sk->mv_data, 8,
                            "integrity check: the row fails its checksum",
                            w->err);
  if (len != r->tx_count)
    return damaged(w, cx_table_names[CX_TABLE_STATUSES],
                   "block %llu has %zu statuses for %u transactions",
                   (unsigned long long)r->height, len, r->tx_count);
  return CX_OK;
}

/* One block row at expected height h. */
static int check_block(walk *w, uint64_t h, const MDB_val *k, const MDB_val *v,
                       uint8_t root[32], cx_block_record *r) {
  const char *name = cx_table_names[CX_TABLE_BLOCKS];
  uint8_t want[8];
  cx_codec_put_u64be(want, h);
  if (h > w->s->height || k->mv_size != 8 || memcmp(k->mv_data, want, 8) != 0)
    return damaged(w, name, "row %llu has the wrong key (rows must be heights "
                            "1..%llu)",
                   (unsigned long long)h, (unsigned long long)w->s->height);
  size_t len;
  if (!cx_codec_unseal(k, v, &len))
    return cx_store_corrupt(w->s, CX_TABLE_BLOCKS, k->mv_data, 8,
                            "integrity check: the row fails its checksum",
                            w->err);
  if (len != CX_BLOCK_ROW_LEN)
    return damaged(w, name, "row %llu is %zu bytes, expected %u",
                   (unsigned long long)h, len, CX_BLOCK_ROW_LEN);
  cx_codec_block_decode(h, v->mv_data, r);
  uint8_t next[32];
  cx_state_root_next(root, r->write_root, next);
  if (memcmp(next, r->state_root, 32) != 0)
    return damaged(w, name, "row %llu: state_root is not H(0x02 || previous "
                            "state root || write_root)",
                   (unsigned long long)h);
  memcpy(root, next, 32);
  return CX_OK;
}

/* blocks and statuses side by side, both in height order. */
static int walk_blocks(walk *w) {
  cx_store *s = w->s;
  MDB_cursor *bc = NULL, *sc = NULL;
  MDB_val k, v, sk, sv;
  int rc = mdb_cursor_open(w->txn, s->dbi[CX_TABLE_BLOCKS], &bc);
  if (rc == 0)
    rc = mdb_cursor_open(w->txn, s->dbi[CX_TABLE_STATUSES], &sc);
  if (rc != 0) {
    if (bc)
      mdb_cursor_close(bc);
    return lmdb_failed(w, rc, "blocks");
  }
  uint8_t root[32];
  memcpy(root, s->genesis_root, 32);
  int64_t nb = 0, ns = 0;
  int res = CX_OK, src = mdb_cursor_get(sc, &sk, &sv, MDB_FIRST);
  for (rc = mdb_cursor_get(bc, &k, &v, MDB_FIRST); rc == 0 && res == CX_OK;
       rc = mdb_cursor_get(bc, &k, &v, MDB_NEXT), nb++) {
    cx_block_record r;
    res = check_block(w, (uint64_t)nb + 1, &k, &v, root, &r);
    if (res != CX_OK || src != 0 || sk.mv_size != 8 ||
        memcmp(sk.mv_data, k.mv_data, 8) != 0)
      continue; /* no statuses stored for this block */
    res = check_statuses(w, &r, &sk, &sv);
    ns++;
    src = mdb_cursor_get(sc, &sk, &sv, MDB_NEXT);
  }
  mdb_cursor_close(bc);
  mdb_cursor_close(sc);
  if (res != CX_OK)
    return res;
  if (rc != MDB_NOTFOUND)
    return lmdb_failed(w, rc, "blocks");
  if (src != MDB_NOTFOUND)
    return src == 0 ? damaged(w, "statuses", "a row at no stored height")
                    : lmdb_failed(w, src, "statuses");
  if ((uint64_t)nb != s->height)
    return damaged(w, "blocks", "%lld rows at height %llu", (long long)nb,
                   (unsigned long long)s->height);
  if (s->has_genesis && memcmp(root, s->state_root, 32) != 0)
    return damaged(w, "blocks", "the chained state root differs from meta's");
  res = tally(w, s->dbi[CX_TABLE_BLOCKS], "blocks", nb);
  return res == CX_OK ? tally(w, s->dbi[CX_TABLE_STATUSES], "statuses", ns)
                      : res;
}

/* Fixed width of a meta value, 0 for an unknown key. */
static size_t meta_width(const MDB_val *k) {
  static const struct {
    const char *name;
    size_t width;
  } known[] = {{CX_META_FORMAT, sizeof CX_META_FORMAT_VALUE - 1},
               {CX_META_SCHEMA, 4 + CX_CRC_LEN},
               {CX_META_HEIGHT, 8 + CX_CRC_LEN},
               {CX_META_GENESIS_ROOT, 32 + CX_CRC_LEN},
               {CX_META_STATE_ROOT, 32 + CX_CRC_LEN},
               {CX_META_MAP_SIZE, 8 + CX_CRC_LEN}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (k->mv_size == strlen(known[i].name) &&
        memcmp(k->mv_data, known[i].name, k->mv_size) == 0)
      return known[i].width;
  return 0;
}

static int walk_meta(walk *w) {
  const char *name = cx_table_names[CX_TABLE_META];
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = mdb_cursor_open(w->txn, w->s->dbi[CX_TABLE_META], &cur);
  if (rc != 0)
    return lmdb_failed(w, rc, name);
  int64_t n = 0;
  int res = CX_OK;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && res == CX_OK;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
    size_t width = meta_width(&k);
    if (width == 0)
      res = damaged(w, name, "an unknown key of %zu bytes", k.mv_size);
    else if (v.mv_size != width)
      res = damaged(w, name, "\"%.*s\" is %zu bytes, expected %zu",
                    (int)k.mv_size, (const char *)k.mv_data, v.mv_size,
                    width);
    else if (width != sizeof CX_META_FORMAT_VALUE - 1) {
      size_t len;
      if (!cx_codec_unseal(&k, &v, &len))
        res = cx_store_corrupt(w->s, CX_TABLE_META, k.mv_data, k.mv_size,
                               "integrity check: the value fails its "
                               "checksum",
                               w->err);
    }
  }
  mdb_cursor_close(cur);
  if (res != CX_OK)
    return res;
  if (rc != MDB_NOTFOUND)
    return lmdb_failed(w, rc, name);
  return tally(w, w->s->dbi[CX_TABLE_META], name, n);
}

/* undo: consecutive heights ending at the chain's height, each row
 * sealed and well-formed. */
static int walk_undo(walk *w) {
  cx_store *s = w->s;
  const char *name = cx_table_names[CX_TABLE_UNDO];
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = mdb_cursor_open(w->txn, s->dbi[CX_TABLE_UNDO], &cur);
  if (rc != 0)
    return lmdb_failed(w, rc, name);
  int64_t n = 0;
  uint64_t prev = 0;
  int res = CX_OK;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && res == CX_OK;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
    uint64_t h = k.mv_size == 8 ? cx_codec_get_u64be(k.mv_data) : 0;
    if (k.mv_size != 8 || h == 0 || h > s->height || (n > 0 && h != prev + 1))
      res = damaged(w, name, "row %lld has the wrong key (rows must be "
                             "consecutive heights up to %llu)",
                    (long long)n, (unsigned long long)s->height);
    else {
      const uint8_t *p;
      size_t len;
      res = cx_store_undo_row(s, w->txn, h, &p, &len, w->err);
    }
    prev = h;
  }
  mdb_cursor_close(cur);
  if (res != CX_OK)
    return res;
  if (rc != MDB_NOTFOUND)
    return lmdb_failed(w, rc, name);
  if (n > 0 && prev != s->height)
    return damaged(w, name, "the last row is at height %llu, the chain at "
                            "%llu",
                   (unsigned long long)prev, (unsigned long long)s->height);
  return tally(w, s->dbi[CX_TABLE_UNDO], name, n);
}

static int walk_all(walk *w) {
  /* Pages first: the cursor walks below then run on sound trees. */
  int rc = cx_store_check_pages(w->s, w->txn, w->err);
  if (w->s->schema == 2)
    return rc; /* the migration checks the records as it seals them */
  if (rc == CX_OK)
    rc = walk_main(w);
  if (rc == CX_OK)
    rc = walk_meta(w);
  if (rc == CX_OK)
    rc = walk_state(w, CX_ENTRY_ACCOUNT);
  if (rc == CX_OK)
    rc = walk_state(w, CX_ENTRY_KV);
  if (rc == CX_OK && w->s->height == 0)
    rc = check_genesis_root(w);
  if (rc == CX_OK)
    rc = walk_blocks(w);
  if (rc == CX_OK)
    rc = walk_undo(w);
  return rc;
}

int cx_store_walk(cx_store *s, cx_error *err) {
  walk w;
  memset(&w, 0, sizeof w);
  w.s = s;
  w.err = err;
  int rc = cx_store_read_begin(s, &w.txn, err);
  if (rc != CX_OK)
    return rc;
  rc = walk_all(&w);
  cx_store_read_end(s, w.txn);
  free(w.entries);
  return rc;
}
