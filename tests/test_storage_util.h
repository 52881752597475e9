/* Helpers shared by the storage suites (header only; not a suite itself):
 * temporary store directories, deterministic keys, a block record built
 * from a write set, and an in-memory reference of the state.
 *
 * The reference is a universe of n_acc accounts and n_kv kv keys, each
 * with a value and a `written` flag; its entries in key order are the
 * written ones, which a correct store must return from a full scan.
 */
#ifndef CX_TEST_STORAGE_UTIL_H
#define CX_TEST_STORAGE_UTIL_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_test.h"
#include "state.h"
#include "store.h"
#include "store_crc.h"


/* A fresh temporary directory; the store goes in <tmp>/db (not yet
 * existing, so open has to create it). Free with ts_dir_free. */
typedef struct ts_dir {
  char root[256];
  char db[300];
} ts_dir;

static inline void ts_dir_make(ts_dir *d) {
  /* Removed by ts_dir_free, or at exit after a failed assertion. */
  char *p = cx_test_mkdtemp("store");
  cr_assert_not_null(p, "cannot create a temporary directory");
  cr_assert_lt(strlen(p), sizeof d->root, "TMPDIR is too long: %s", p);
  strcpy(d->root, p);
  free(p);
  snprintf(d->db, sizeof d->db, "%s/db", d->root);
}

static inline void ts_dir_free(ts_dir *d) { cx_test_rmtree(d->root); }

/* Defaults, with the fields the suites vary (0: default). */
static inline cx_store_config ts_config(const char *path, size_t map,
                                        size_t step, cx_durability dur) {
  cx_store_config cfg;
  cx_store_config_default(&cfg);
  cfg.path = path;
  if (map)
    cfg.initial_map_size = map;
  cfg.growth_step = step;
  cfg.durability = dur;
  return cfg;
}

static inline cx_store *ts_open(const char *path, size_t map,
                                cx_durability dur) {
  cx_store_config cfg = ts_config(path, map, 0, dur);
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "open %s: %s", path, err.message);
  return s;
}

/* Deterministic key number i of a kind: distinct for distinct i. */
static inline cx_key ts_key(uint8_t kind, uint32_t i) {
  cx_key k;
  memset(&k, 0, sizeof k);
  k.kind = kind;
  cx_rng r = {0x5eed0000ull + i * 2654435761ull + kind};
  cx_rng_bytes(&r, k.bytes, kind == CX_ENTRY_ACCOUNT ? 20 : 32);
  memcpy(k.bytes, &i, sizeof i); /* uniqueness regardless of the rng */
  return k;
}

static inline cx_entry ts_entry(uint8_t kind, uint32_t i, uint64_t v0,
                                uint64_t v1) {
  cx_entry e;
  e.key = ts_key(kind, i);
  e.v0 = v0;
  e.v1 = kind == CX_ENTRY_ACCOUNT ? v1 : 0;
  return e;
}

/* The record of block `height` with write set `w` (sorted), chained on
 * `prev_root`. */
static inline cx_block_record ts_record(uint64_t height,
                                        const uint8_t prev_root[32],
                                        const cx_entry *w, size_t n) {
  cx_block_record r;
  memset(&r, 0, sizeof r);
  r.height = height;
  cr_assert_eq(cx_entries_root(w, n, r.write_root), CX_OK);
  cx_state_root_next(prev_root, r.write_root, r.state_root);
  memset(r.tx_root, (int)(height & 0xff), 32);
  memset(r.receipts_root, (int)(~height & 0xff), 32);
  r.tx_count = (uint32_t)n;
  for (int i = 0; i < 7; i++)
    r.status_counts[i] = (uint32_t)(height * 7 + (uint64_t)i);
  return r;
}

/* In-memory reference state. */
typedef struct ts_ref {
  uint32_t n_acc, n_kv;
  cx_entry *e; /* n_acc accounts then n_kv kv, by universe index */
  bool *written;
  uint32_t *order; /* universe indices in key order */
  uint8_t root[32];
} ts_ref;

static int ts_order_cmp(const void *a, const void *b, void *ctx) {
  const cx_entry *e = ctx;
  return cx_key_cmp(&e[*(const uint32_t *)a].key, &e[*(const uint32_t *)b].key);
}

static inline void ts_ref_init(ts_ref *r, uint32_t n_acc, uint32_t n_kv) {
  uint32_t n = n_acc + n_kv;
  r->n_acc = n_acc;
  r->n_kv = n_kv;
  r->e = calloc(n, sizeof *r->e);
  r->written = calloc(n, sizeof *r->written);
  r->order = calloc(n, sizeof *r->order);
  cr_assert(r->e && r->written && r->order);
  for (uint32_t i = 0; i < n; i++) {
    r->e[i] = i < n_acc ? ts_entry(CX_ENTRY_ACCOUNT, i, 0, 0)
                        : ts_entry(CX_ENTRY_KV, i - n_acc, 0, 0);
    r->order[i] = i;
  }
  qsort_r(r->order, n, sizeof *r->order, ts_order_cmp, r->e);
  memset(r->root, 0, 32);
}

static inline void ts_ref_free(ts_ref *r) {
  free(r->e);
  free(r->written);
  free(r->order);
}

/* Universe index u as an entry with new values. */
static inline cx_entry ts_ref_make(const ts_ref *r, uint32_t u, uint64_t v0,
                                   uint64_t v1) {
  cx_entry e = r->e[u];
  e.v0 = v0;
  e.v1 = e.key.kind == CX_ENTRY_ACCOUNT ? v1 : 0;
  return e;
}

/* Applies a write set given by universe indices. */
static inline void ts_ref_apply(ts_ref *r, const uint32_t *u, const cx_entry *w,
                                size_t n) {
  for (size_t i = 0; i < n; i++) {
    r->e[u[i]] = w[i];
    r->written[u[i]] = true;
  }
}

struct ts_scan_ctx {
  const ts_ref *r;
  uint32_t pos; /* position in r->order */
  uint64_t seen;
  bool ok;
  char why[160];
};

static int ts_scan_cb(void *p, const cx_entry *e) {
  struct ts_scan_ctx *c = p;
  uint32_t n = c->r->n_acc + c->r->n_kv;
  while (c->pos < n && !c->r->written[c->r->order[c->pos]])
    c->pos++;
  c->seen++;
  if (c->pos == n) {
    snprintf(c->why, sizeof c->why, "store has an extra entry (#%llu)",
             (unsigned long long)c->seen);
    c->ok = false;
    return 1;
  }
  const cx_entry *want = &c->r->e[c->r->order[c->pos++]];
  if (cx_key_cmp(&want->key, &e->key) != 0 || want->v0 != e->v0 ||
      want->v1 != e->v1) {
    snprintf(c->why, sizeof c->why,
             "entry #%llu differs: got (%llu,%llu) want (%llu,%llu)%s",
             (unsigned long long)c->seen, (unsigned long long)e->v0,
             (unsigned long long)e->v1, (unsigned long long)want->v0,
             (unsigned long long)want->v1,
             cx_key_cmp(&want->key, &e->key) ? " (key differs)" : "");
    c->ok = false;
    return 1;
  }
  return 0;
}

/* Asserts that a full scan of s equals the reference exactly. */
static inline void ts_ref_check_scan(const ts_ref *r, cx_store *s) {
  struct ts_scan_ctx c = {r, 0, 0, true, ""};
  cx_error err = {0};
  cr_assert_eq(cx_store_scan(s, ts_scan_cb, &c, &err), CX_OK, "scan: %s",
               err.message);
  cr_assert(c.ok, "scan mismatch: %s", c.why);
  uint64_t want = 0;
  for (uint32_t i = 0; i < r->n_acc + r->n_kv; i++)
    want += r->written[i];
  cr_assert_eq(c.seen, want, "scan saw %llu entries, reference has %llu",
               (unsigned long long)c.seen, (unsigned long long)want);
}

static int ts_u32_cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* A random write set of up to k keys of the universe, sorted by key, each
 * key once; about one value in eight is zero (a written zero is a write).
 * u receives the universe indices, w the entries; returns the count. */
static inline size_t ts_gen_writes(const ts_ref *r, cx_rng *rng, size_t k,
                                   uint32_t *u, cx_entry *w) {
  uint32_t n = r->n_acc + r->n_kv;
  for (size_t i = 0; i < k; i++)
    u[i] = (uint32_t)cx_rng_below(rng, n); /* a position in key order */
  qsort(u, k, sizeof *u, ts_u32_cmp);
  size_t m = 0;
  for (size_t i = 0; i < k; i++)
    if (m == 0 || u[m - 1] != u[i])
      u[m++] = u[i];
  for (size_t i = 0; i < m; i++) {
    u[i] = r->order[u[i]];
    bool zero = cx_rng_below(rng, 8) == 0;
    w[i] = ts_ref_make(r, u[i], zero ? 0 : cx_rng_next(rng),
                       zero ? 0 : cx_rng_below(rng, 1000));
  }
  return m;
}

/* A stored (schema 3) value: payload || CRC32C(key || payload) u32 LE,
 * into out (len + 4 bytes); returns its length. For raw writes that must
 * look well-formed to the store. */
static inline size_t ts_seal(const void *key, size_t klen, const void *payload,
                             size_t len, uint8_t *out) {
  memcpy(out, payload, len);
  uint32_t c = cx_crc32c(cx_crc32c(0, key, klen), payload, len);
  for (int i = 0; i < 4; i++)
    out[len + (size_t)i] = (uint8_t)(c >> (8 * i));
  return len + 4;
}

#endif /* CX_TEST_STORAGE_UTIL_H */
