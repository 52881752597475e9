/* Page-level check of data.mdb for the integrity check (store_walk.c).
 *
 * Why: a read through LMDB's API looks at only part of each page. The
 * write path also trusts fields reads never use (a page's own number, its
 * free-space bound mp_upper, node sizes of records it replaces, the free
 * list), so a flipped byte there passes every read and crashes, or
 * silently damages, a later commit. This file reads the pages itself with
 * pread() (never through the map, so a wild page number cannot fault) and
 * checks the structure the write path relies on:
 *   - every tree page (free list, main table, our five tables) reached
 *     once, from the roots of the current meta page and the main table's
 *     records, within the file, carrying its own page number and exactly
 *     the branch or leaf flag, with lower <= upper <= page size;
 *   - every node inside the page's node area, nodes not overlapping, node
 *     flags limited to what this store writes, overflow pages in range;
 *   - key order across the tree: the keys of a page increase, and every
 *     key below a branch node lies in the range its separator keys give
 *     (a changed separator would route lookups past existing keys, which
 *     then read as absent; reads never see it);
 *   - each table record of the main table of the size and flags this store
 *     creates, its entry count and depth equal to what the walk finds;
 *   - the free list: well-formed page lists of pages no tree uses, each
 *     listed once; tree pages, free pages and the two meta pages together
 *     are every page of the file (the invariant of LMDB's own mdb_audit).
 * The layout constants are LMDB 0.9's on-disk format (mdb.c); with another
 * LMDB version this check is skipped (the cursor walk still runs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_codec.h"
#include "store_internal.h"

/* LMDB 0.9 on-disk layout (mdb.c), 64-bit page numbers (pgno_t = size_t). */
#define PG_HDR 16u            /* pgno(8) pad(2) flags(2) lower(2) upper(2) */
#define PG_FLAGS_AT 10u
#define PG_LOWER_AT 12u       /* also the overflow page count (u32) */
#define PG_UPPER_AT 14u
#define P_BRANCH 0x01u
#define P_LEAF 0x02u
#define P_OVERFLOW 0x04u
#define NODE_HDR 8u           /* lo(2) hi(2) flags(2) ksize(2) */
#define F_BIGDATA 0x01u       /* leaf data is the number of an overflow page */
#define F_SUBDATA 0x02u       /* leaf data is a table record (main table) */
#define META_MAGIC 0xBEEFC0DEu
#define META_DBS_AT (PG_HDR + 24u) /* magic(4) version(4) address(8) size(8) */
#define DB_REC_LEN 48u        /* pad(4) flags(2) depth(2) 5 x u64 */
#define DB_FLAGS_AT 4u
#define DB_DEPTH_AT 6u
#define DB_ENTRIES_AT 32u
#define DB_ROOT_AT 40u
#define META_LAST_PG_AT (META_DBS_AT + 2u * DB_REC_LEN)
#define META_TXNID_AT (META_LAST_PG_AT + 8u)
#define MAX_DEPTH 32u         /* LMDB's CURSOR_STACK */
#define P_INVALID UINT64_MAX  /* root of an empty tree */
#define NUM_METAS 2u
/* Buffers: a main-table leaf stays in use while a table's tree below it
 * is walked, so tables use a second set. Level L (1..MAX_DEPTH) uses
 * buffer base + L, and a leaf's overflow scratch base + L + 1. */
#define SUB_BASE (MAX_DEPTH + 1u)
#define BUFS (2u * MAX_DEPTH + 3u)

enum { SEEN_NONE = 0, SEEN_TREE = 1, SEEN_FREE = 2 };

/* A key bound of a subtree (p == NULL: unbounded). */
typedef struct bound {
  const uint8_t *p;
  size_t n;
} bound;

typedef struct pages {
  cx_store *s;
  cx_error *err;
  int fd;
  size_t psize;
  uint64_t n;        /* pages in the file (last page number + 1) */
  uint8_t *seen;     /* n entries of SEEN_* */
  uint8_t *buf;      /* page buffers: [base + level], see BUFS */
  unsigned base;     /* 0 for the main and free trees, SUB_BASE below */
  uint8_t *used;     /* psize bytes: node-area occupancy of one page */
  const char *table; /* being walked, for messages */
  bool free_tree;    /* walking the free list's tree */
  bool main_tree;    /* walking the main table */
  uint64_t entries;  /* leaf nodes of the tree being walked */
  unsigned depth;    /* depth of the tree being walked */
  bound lo, hi;      /* keys of the page being visited: lo <= key < hi */
} pages;

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static uint64_t get64(const uint8_t *p) { return cx_codec_get_u64le(p); }

static int bad(pages *pg, uint64_t pgno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(pages *pg, uint64_t pgno, const char *fmt, ...) {
  char what[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return cx_error_set(pg->err, CX_ECORRUPT,
                      "%s: integrity check: table \"%s\", page %llu: %s; the "
                      "store is damaged: " CX_STORE_DAMAGED_ACTION,
                      pg->s->path, pg->table, (unsigned long long)pgno, what);
}

static int read_page(pages *pg, uint64_t pgno, uint8_t *out) {
  size_t got = 0;
  off_t at = (off_t)(pgno * pg->psize);
  while (got < pg->psize) {
    ssize_t r = pread(pg->fd, out + got, pg->psize - got, at + (off_t)got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return bad(pg, pgno, "cannot be read (%s)",
                 r < 0 ? strerror(errno) : "past the end of the file");
    got += (size_t)r;
  }
  return CX_OK;
}

/* Claims `count` pages from pgno as used by `kind`; each page once. */
static int claim(pages *pg, uint64_t pgno, uint64_t count, uint8_t kind) {
  if (pgno < NUM_METAS || pgno >= pg->n || count > pg->n - pgno)
    return bad(pg, pgno, "page number out of the file's %llu pages",
               (unsigned long long)pg->n);
  for (uint64_t i = pgno; i < pgno + count; i++) {
    if (pg->seen[i] != SEEN_NONE)
      return bad(pg, i, "reached twice (%s)",
                 pg->seen[i] == SEEN_FREE || kind == SEEN_FREE
                     ? "both in use and free"
                     : "shared by two places");
    pg->seen[i] = kind;
  }
  return CX_OK;
}

/* A page list of the free table: count, then that many page numbers in
 * descending order, each a page no tree uses. Claimed after the trees. */
static int check_free_list(pages *pg, uint64_t pgno, const uint8_t *d,
                           uint64_t len) {
  if (len < 8 || len % 8 != 0 || get64(d) != len / 8 - 1)
    return bad(pg, pgno, "a free page list of %llu bytes is malformed",
               (unsigned long long)len);
  uint64_t prev = UINT64_MAX;
  for (uint64_t i = 1; i < len / 8; i++) {
    uint64_t id = get64(d + 8 * i);
    if (id >= prev)
      return bad(pg, pgno, "a free page list is out of order");
    prev = id;
    /* Trees are all claimed first (see check_free_pages). */
    int rc = claim(pg, id, 1, SEEN_FREE);
    if (rc != CX_OK)
      return rc;
  }
  return CX_OK;
}

static int visit(pages *pg, uint64_t pgno, unsigned level);

/* A table record in the main table: our flags, then its tree. */
static int visit_table(pages *pg, uint64_t pgno, const uint8_t *key,
                       size_t klen, const uint8_t *rec, uint64_t len) {
  char name[32];
  snprintf(name, sizeof name, "%.*s", (int)(klen < 31 ? klen : 31),
           (const char *)key);
  if (len != DB_REC_LEN || get16(rec + DB_FLAGS_AT) != 0)
    return bad(pg, pgno, "the record of table \"%s\" is damaged", name);
  pages sub = *pg;
  sub.lo.p = sub.hi.p = NULL; /* a new tree */
  sub.table = name;
  sub.main_tree = false;
  sub.base = SUB_BASE;
  sub.entries = 0;
  sub.depth = 0;
  uint64_t root = get64(rec + DB_ROOT_AT);
  int rc = root == P_INVALID ? CX_OK : visit(&sub, root, 1);
  if (rc == CX_OK && (sub.entries != get64(rec + DB_ENTRIES_AT) ||
                      sub.depth != get16(rec + DB_DEPTH_AT)))
    rc = bad(pg, pgno,
             "the record of table \"%s\" says %llu entries in %u levels, its "
             "tree has %llu in %u",
             name, (unsigned long long)get64(rec + DB_ENTRIES_AT),
             get16(rec + DB_DEPTH_AT), (unsigned long long)sub.entries,
             sub.depth);
  return rc;
}

/* The overflow pages of a big leaf value (statuses of a large block, a
 * long free list): header and range checked, pages claimed. When `copy` is
 * not NULL the value is read into a new buffer (*copy, caller frees). */
static int overflow(pages *pg, uint64_t pgno, uint64_t ov, uint64_t dsize,
                    uint8_t *scratch, uint8_t **copy) {
  if (ov < NUM_METAS || ov >= pg->n)
    return bad(pg, pgno, "an overflow page number is out of range");
  int rc = read_page(pg, ov, scratch);
  if (rc != CX_OK)
    return rc;
  uint32_t count = cx_codec_get_u32le(scratch + PG_LOWER_AT);
  if (get64(scratch) != ov || get16(scratch + PG_FLAGS_AT) != P_OVERFLOW ||
      count == 0 || (uint64_t)count * pg->psize - PG_HDR < dsize)
    return bad(pg, ov, "a damaged overflow page");
  rc = claim(pg, ov, count, SEEN_TREE);
  if (rc != CX_OK || copy == NULL)
    return rc;
  uint8_t *buf = malloc((size_t)count * pg->psize);
  if (buf == NULL)
    return cx_error_set(pg->err, CX_ENOMEM,
                        "%s: integrity check: out of memory for a value of "
                        "%llu bytes",
                        pg->s->path, (unsigned long long)dsize);
  for (uint32_t i = 0; i < count && rc == CX_OK; i++)
    rc = read_page(pg, ov + i, buf + (size_t)i * pg->psize);
  if (rc != CX_OK) {
    free(buf);
    return rc;
  }
  *copy = buf;
  return CX_OK;
}

/* The data of leaf node n: table records and free lists are checked,
 * other values only located (the cursor walk checks them). */
static int leaf_data(pages *pg, uint64_t pgno, const uint8_t *n,
                     unsigned level) {
  uint64_t dsize = get16(n) | (uint64_t)get16(n + 2) << 16;
  unsigned ksize = get16(n + 6);
  const uint8_t *d = n + NODE_HDR + ksize;
  if (pg->main_tree)
    return visit_table(pg, pgno, n + NODE_HDR, ksize, d, dsize);
  if (!(get16(n + 4) & F_BIGDATA))
    return pg->free_tree ? check_free_list(pg, pgno, d, dsize) : CX_OK;
  /* A leaf has no children: the next level's buffer is free. */
  uint8_t *scratch = pg->buf + (size_t)(pg->base + level + 1) * pg->psize;
  uint8_t *copy = NULL;
  int rc = overflow(pg, pgno, get64(d), dsize, scratch,
                    pg->free_tree ? &copy : NULL);
  if (rc == CX_OK && copy != NULL)
    rc = check_free_list(pg, pgno, copy + PG_HDR, dsize);
  free(copy);
  return rc;
}

/* One node of a page: inside the node area, not overlapping another. */
static int check_node(pages *pg, uint64_t pgno, const uint8_t *page,
                      unsigned i, unsigned upper) {
  unsigned off = get16(page + PG_HDR + 2 * i);
  if (off < upper || off % 2 != 0 || off + NODE_HDR > pg->psize)
    return bad(pg, pgno, "node %u is outside the page", i);
  const uint8_t *n = page + off;
  bool branch = get16(page + PG_FLAGS_AT) == P_BRANCH;
  unsigned flags = get16(n + 4), ksize = get16(n + 6);
  uint64_t dsize = get16(n) | (uint64_t)get16(n + 2) << 16;
  uint64_t size = NODE_HDR + ksize;
  if (!branch) {
    unsigned allowed = pg->main_tree ? F_SUBDATA : F_BIGDATA;
    if ((flags & ~allowed) != 0 || (pg->main_tree && flags != F_SUBDATA))
      return bad(pg, pgno, "node %u has flags 0x%x", i, flags);
    size += flags & F_BIGDATA ? 8 : dsize;
  }
  if (size > pg->psize - off)
    return bad(pg, pgno, "node %u (%llu bytes) runs past the page", i,
               (unsigned long long)size);
  for (uint64_t b = off; b < off + size; b++) {
    if (pg->used[b])
      return bad(pg, pgno, "node %u overlaps another", i);
    pg->used[b] = 1;
  }
  return CX_OK;
}

/* Key of node i of a checked page. */
static bound node_key(const uint8_t *page, unsigned i) {
  const uint8_t *n = page + get16(page + PG_HDR + 2 * i);
  bound b = {n + NODE_HDR, get16(n + 6)};
  return b;
}

/* LMDB's default order (mdb_cmp_memn): bytes, then length. */
static int key_cmp(bound a, bound b) {
  int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);
  return c ? c : (a.n > b.n) - (a.n < b.n);
}

/* Node i's key: above the previous node's, inside [lo, hi). A branch's
 * node 0 has no key (its range starts at lo). */
static int check_key_order(pages *pg, uint64_t pgno, const uint8_t *page,
                           unsigned i, bool branch) {
  if (branch && i == 0)
    return CX_OK;
  bound k = node_key(page, i);
  if (i > (branch ? 1u : 0u) && key_cmp(node_key(page, i - 1), k) >= 0)
    return bad(pg, pgno, "key %u is not above key %u", i, i - 1);
  if ((pg->lo.p && key_cmp(k, pg->lo) < 0) ||
      (pg->hi.p && key_cmp(k, pg->hi) >= 0))
    return bad(pg, pgno, "key %u lies outside the range its parent's "
                         "separator keys give",
               i);
  return CX_OK;
}

/* A tree page at `level` (root = 1) and everything below it. */
static int visit(pages *pg, uint64_t pgno, unsigned level) {
  if (level > MAX_DEPTH)
    return bad(pg, pgno, "the tree is deeper than %u levels", MAX_DEPTH);
  int rc = claim(pg, pgno, 1, SEEN_TREE);
  uint8_t *page = pg->buf + (size_t)(pg->base + level) * pg->psize;
  if (rc == CX_OK)
    rc = read_page(pg, pgno, page);
  if (rc != CX_OK)
    return rc;
  unsigned flags = get16(page + PG_FLAGS_AT);
  unsigned lower = get16(page + PG_LOWER_AT), upper = get16(page + PG_UPPER_AT);
  if (get64(page) != pgno)
    return bad(pg, pgno, "the page carries number %llu",
               (unsigned long long)get64(page));
  if (flags != P_BRANCH && flags != P_LEAF)
    return bad(pg, pgno, "page flags 0x%x", flags);
  if (lower < PG_HDR + 2 || lower % 2 != 0 || lower > upper ||
      upper > pg->psize)
    return bad(pg, pgno, "free-space bounds %u..%u", lower, upper);
  /* A B+tree: every leaf on the same level, which is the tree's depth. */
  if (flags == P_LEAF && pg->depth == 0)
    pg->depth = level;
  else if (flags == P_LEAF && pg->depth != level)
    return bad(pg, pgno, "a leaf on level %u, others on level %u", level,
               pg->depth);
  unsigned nkeys = (lower - PG_HDR) / 2;
  memset(pg->used, 0, pg->psize);
  for (unsigned i = 0; i < nkeys && rc == CX_OK; i++)
    rc = check_node(pg, pgno, page, i, upper);
  /* The free list's keys are integers (MDB_INTEGERKEY): not compared. */
  for (unsigned i = 0; i < nkeys && rc == CX_OK && !pg->free_tree; i++)
    rc = check_key_order(pg, pgno, page, i, flags == P_BRANCH);
  bound lo = pg->lo, hi = pg->hi;
  for (unsigned i = 0; i < nkeys && rc == CX_OK; i++) {
    const uint8_t *n = page + get16(page + PG_HDR + 2 * i); /* checked */
    if (flags == P_BRANCH) {
      uint64_t child = get16(n) | (uint64_t)get16(n + 2) << 16 |
                       (uint64_t)get16(n + 4) << 32;
      pg->lo = i == 0 ? lo : node_key(page, i);
      pg->hi = i + 1 < nkeys ? node_key(page, i + 1) : hi;
      rc = visit(pg, child, level + 1);
      continue;
    }
    pg->entries++;
    rc = leaf_data(pg, pgno, n, level);
  }
  pg->lo = lo;
  pg->hi = hi;
  return rc;
}

/* Tree of one of the meta page's two records (free list, main table). */
static int visit_meta_db(pages *pg, const uint8_t *meta, unsigned which) {
  const uint8_t *rec = meta + META_DBS_AT + which * DB_REC_LEN;
  pg->table = which == 0 ? "free pages" : "main";
  pg->free_tree = which == 0;
  pg->main_tree = which == 1;
  pg->entries = 0;
  pg->depth = 0;
  pg->lo.p = pg->hi.p = NULL;
  uint64_t root = get64(rec + DB_ROOT_AT);
  if (root == P_INVALID)
    return CX_OK;
  int rc = visit(pg, root, 1);
  if (rc == CX_OK && pg->entries != get64(rec + DB_ENTRIES_AT))
    rc = bad(pg, root, "the meta page says %llu entries, the tree has %llu",
             (unsigned long long)get64(rec + DB_ENTRIES_AT),
             (unsigned long long)pg->entries);
  return rc;
}

/* The meta page of the read transaction `txnid`, into pg->buf. */
static int pick_meta(pages *pg, uint64_t txnid, const uint8_t **meta) {
  pg->table = "meta pages";
  for (unsigned m = 0; m < NUM_METAS; m++) {
    uint8_t *page = pg->buf + m * pg->psize;
    int rc = read_page(pg, m, page);
    if (rc != CX_OK)
      return rc;
    if (cx_codec_get_u32le(page + PG_HDR) == META_MAGIC &&
        get64(page + META_TXNID_AT) == txnid) {
      *meta = page;
      return CX_OK;
    }
  }
  return cx_error_set(pg->err, CX_ESTATE,
                      "%s: integrity check: the database changed while it "
                      "was checked (is another process writing to it?); "
                      "stop the other process and retry",
                      pg->s->path);
}

static int check_all(pages *pg, uint64_t txnid) {
  const uint8_t *meta = NULL;
  int rc = pick_meta(pg, txnid, &meta);
  if (rc != CX_OK)
    return rc;
  if (get64(meta + META_LAST_PG_AT) + 1 != pg->n)
    return bad(pg, 0, "the meta page's last page differs from LMDB's");
  /* The meta page is read again per level below: keep a copy. */
  uint8_t copy[META_TXNID_AT + 8];
  memcpy(copy, meta, sizeof copy);
  /* The free list is walked last, so that a free page that a tree uses is
   * reported as such whichever comes first on disk. */
  rc = visit_meta_db(pg, copy, 1);
  if (rc == CX_OK)
    rc = visit_meta_db(pg, copy, 0);
  for (uint64_t i = NUM_METAS; rc == CX_OK && i < pg->n; i++)
    if (pg->seen[i] == SEEN_NONE)
      rc = bad(pg, i, "belongs to no table and is not free");
  return rc;
}

int cx_store_check_pages(cx_store *s, MDB_txn *txn, cx_error *err) {
  int major = 0, minor = 0;
  mdb_version(&major, &minor, NULL);
  if (major != 0 || minor != 9 || sizeof(size_t) != 8)
    return CX_OK; /* another on-disk format: only the cursor walk runs */
  MDB_stat st;
  MDB_envinfo info;
  int rc = mdb_env_stat(s->env, &st);
  if (rc == 0)
    rc = mdb_env_info(s->env, &info);
  if (rc != 0)
    return cx_store_fail(s, rc, "reading the page size", err);
  pages pg;
  memset(&pg, 0, sizeof pg);
  pg.s = s;
  pg.err = err;
  pg.psize = st.ms_psize;
  pg.n = (uint64_t)info.me_last_pgno + 1;
  char file[4096];
  snprintf(file, sizeof file, "%s/data.mdb", s->path);
  pg.fd = open(file, O_RDONLY | O_CLOEXEC);
  if (pg.fd < 0)
    return cx_error_set(err, CX_EIO, "%s: cannot read for the integrity "
                                     "check: %s",
                        file, strerror(errno));
  pg.seen = calloc(pg.n, 1);
  pg.buf = malloc(BUFS * pg.psize);
  pg.used = malloc(pg.psize);
  if (!pg.seen || !pg.buf || !pg.used)
    rc = cx_error_set(err, CX_ENOMEM, "%s: out of memory for the integrity "
                                      "check of %llu pages",
                      s->path, (unsigned long long)pg.n);
  else
    rc = check_all(&pg, mdb_txn_id(txn));
  free(pg.seen);
  free(pg.buf);
  free(pg.used);
  close(pg.fd);
  return rc;
}
