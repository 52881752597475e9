/* storage: undo data, reverts, reorgs and reads at ancestors (schema 3).
 * Everything is checked against an in-memory model that keeps the state
 * of every height: after random commits, reverts, reorgs and reopens the
 * store's state (scan, point reads, root, rows) equals the model's at its
 * height; views and scan_at at every height of the retention window equal
 * the model's there; the retention floor and the size of the undo table
 * follow the retention at its edges (0, 1, N); failing reorgs change
 * nothing; a SIGKILL during reorgs leaves the old or the new head. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "store_internal.h" /* the undo table's entry count */
#include "test_storage_util.h"

#define NA 40u
#define NK 60u
#define NU (NA + NK)
#define MAXH 400u
#define MAX_W 14u

static ts_dir dir;

static void setup(void) { ts_dir_make(&dir); }
static void teardown(void) { ts_dir_free(&dir); }

TestSuite(storage_undo, .init = setup, .fini = teardown, .timeout = 120);

/* The model: the state at every height of the current chain. */
typedef struct model {
  ts_ref r; /* key universe and order; e/written point into hist */
  cx_entry e[MAXH + 1][NU];
  bool w[MAXH + 1][NU];
  uint8_t root[MAXH + 1][32];
  cx_block_record rec[MAXH + 1];
  uint8_t st[MAXH + 1][MAX_W]; /* statuses stored with each block */
  cx_entry wr[MAXH + 1][MAX_W]; /* write set of each block */
  size_t nw[MAXH + 1];
  uint64_t h;
} model;

static model *model_new(void) {
  model *m = calloc(1, sizeof *m);
  cr_assert_not_null(m);
  ts_ref_init(&m->r, NA, NK);
  memcpy(m->e[0], m->r.e, sizeof m->e[0]);
  free(m->r.e);
  free(m->r.written);
  m->r.e = m->e[0];
  m->r.written = m->w[0];
  return m;
}

static void model_free(model *m) {
  free(m->r.order);
  free(m);
}

/* The model's ts_ref at height h (for ts_ref_check_scan). */
static ts_ref at(model *m, uint64_t h) {
  ts_ref r = m->r;
  r.e = m->e[h];
  r.written = m->w[h];
  memcpy(r.root, m->root[h], 32);
  return r;
}

static cx_store *open_ret(unsigned keep) {
  cx_store_config cfg = ts_config(dir.db, 0, 0, CX_DURABILITY_NOSYNC);
  cfg.undo_retention = keep;
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "open: %s", err.message);
  return s;
}

static void genesis(cx_store *s, model *m, cx_rng *rng) {
  uint32_t u[NU];
  cx_entry w[NU];
  size_t n = ts_gen_writes(&m->r, rng, NU / 2, u, w);
  m->r.e = m->e[0];
  m->r.written = m->w[0];
  ts_ref_apply(&m->r, u, w, n);
  cx_error err = {0};
  cr_assert_eq(cx_store_load_genesis(s, w, n, m->root[0], &err), CX_OK, "%s",
               err.message);
  m->h = 0;
}

/* Next block of the model (height m->h + 1) into the model's history;
 * writes go to w (n returned). Does not commit. */
static size_t next_block(model *m, cx_rng *rng, cx_entry *w) {
  uint64_t h = m->h + 1;
  cr_assert_leq(h, MAXH);
  uint32_t u[MAX_W];
  size_t n = ts_gen_writes(&m->r, rng, 1 + cx_rng_below(rng, MAX_W), u, w);
  memcpy(m->e[h], m->e[h - 1], sizeof m->e[h]);
  memcpy(m->w[h], m->w[h - 1], sizeof m->w[h]);
  m->r.e = m->e[h];
  m->r.written = m->w[h];
  ts_ref_apply(&m->r, u, w, n);
  m->rec[h] = ts_record(h, m->root[h - 1], w, n);
  for (size_t i = 0; i < n; i++)
    m->st[h][i] = (uint8_t)cx_rng_below(rng, 7);
  m->rec[h].statuses = m->st[h];
  memcpy(m->root[h], m->rec[h].state_root, 32);
  memcpy(m->wr[h], w, n * sizeof *w);
  m->nw[h] = n;
  m->h = h;
  return n;
}

static void commit_next(cx_store *s, model *m, cx_rng *rng) {
  cx_entry w[MAX_W];
  size_t n = next_block(m, rng, w);
  cx_error err = {0};
  cr_assert_eq(cx_store_commit_block(s, &m->rec[m->h], w, n, &err), CX_OK,
               "commit %llu: %s", (unsigned long long)m->h, err.message);
}

static void model_revert(model *m, uint64_t to) {
  m->h = to;
  m->r.e = m->e[to];
  m->r.written = m->w[to];
}

/* The store holds exactly the model's chain at its height. */
static void check_head(cx_store *s, model *m) {
  uint64_t h = m->h;
  cr_assert_eq(cx_store_height(s), h);
  uint8_t root[32];
  cx_store_state_root(s, root);
  cr_assert_arr_eq(root, m->root[h], 32, "state root at %llu",
                   (unsigned long long)h);
  ts_ref r = at(m, h);
  ts_ref_check_scan(&r, s);
  cx_error err = {0};
  for (uint32_t i = 0; i < NU; i++) {
    uint64_t v0 = 9, v1 = 9;
    cr_assert_eq(cx_store_get(s, &m->e[h][i].key, &v0, &v1, &err), CX_OK,
                 "%s", err.message);
    uint64_t w0 = m->w[h][i] ? m->e[h][i].v0 : 0;
    uint64_t w1 = m->w[h][i] ? m->e[h][i].v1 : 0;
    cr_assert(v0 == w0 && v1 == w1, "key %u at %llu", i,
              (unsigned long long)h);
  }
  for (uint64_t b = 1; b <= h + 2; b++) {
    cx_block_record got;
    int rc = cx_store_block(s, b, &got, &err);
    if (b > h) {
      cr_assert_eq(rc, CX_ENOTFOUND, "row %llu above the head %llu",
                   (unsigned long long)b, (unsigned long long)h);
      uint8_t st[MAX_W];
      cr_assert_eq(cx_store_block_statuses(s, b, st, 1, NULL), CX_ENOTFOUND);
      continue;
    }
    cr_assert_eq(rc, CX_OK, "row %llu: %s", (unsigned long long)b,
                 err.message);
    cx_block_record want = m->rec[b];
    want.statuses = NULL;
    cr_assert_eq(memcmp(&got, &want, sizeof got), 0, "row %llu",
                 (unsigned long long)b);
    uint8_t st[MAX_W];
    cr_assert_eq(cx_store_block_statuses(s, b, st, want.tx_count, &err),
                 CX_OK, "%s", err.message);
    cr_assert_arr_eq(st, m->st[b], want.tx_count);
  }
}

/* A view of snap at h reads the model's state at h. */
static void check_view(const cx_snapshot *snap, model *m, uint64_t h) {
  cx_error err = {0};
  cx_view *v = cx_snapshot_view(snap, h, &err);
  cr_assert_not_null(v, "view at %llu: %s", (unsigned long long)h,
                     err.message);
  cr_assert_eq(cx_view_height(v), h);
  uint8_t root[32];
  cx_view_state_root(v, root);
  cr_assert_arr_eq(root, m->root[h], 32, "view root at %llu",
                   (unsigned long long)h);
  for (uint32_t i = 0; i < NU; i++) {
    uint64_t v0 = 9, v1 = 9;
    cr_assert_eq(cx_view_read(v, &m->e[h][i].key, &v0, &v1), CX_OK);
    uint64_t w0 = m->w[h][i] ? m->e[h][i].v0 : 0;
    uint64_t w1 = m->w[h][i] ? m->e[h][i].v1 : 0;
    cr_assert(v0 == w0 && v1 == w1, "view at %llu, key %u: (%llu,%llu)",
              (unsigned long long)h, i, (unsigned long long)v0,
              (unsigned long long)v1);
  }
  cx_view_release(v);
}

static void check_scan_at(cx_store *s, model *m, uint64_t h) {
  ts_ref r = at(m, h);
  struct ts_scan_ctx c = {&r, 0, 0, true, ""};
  cx_error err = {0};
  cr_assert_eq(cx_store_scan_at(s, h, ts_scan_cb, &c, &err), CX_OK,
               "scan_at %llu: %s", (unsigned long long)h, err.message);
  cr_assert(c.ok, "scan_at %llu: %s", (unsigned long long)h, c.why);
  uint64_t want = 0;
  for (uint32_t i = 0; i < NU; i++)
    want += m->w[h][i];
  cr_assert_eq(c.seen, want, "scan_at %llu saw %llu entries, want %llu",
               (unsigned long long)h, (unsigned long long)c.seen,
               (unsigned long long)want);
}

/* Views and scans at every height of the window, below it and above. */
static void check_window(cx_store *s, model *m) {
  cx_error err = {0};
  cx_snapshot *snap = cx_store_snapshot(s, &err);
  cr_assert_not_null(snap, "%s", err.message);
  uint64_t floor = cx_snapshot_retention_floor(snap);
  cr_assert_eq(floor, cx_store_retention_floor(s));
  for (uint64_t h = floor; h <= m->h; h++) {
    check_view(snap, m, h);
    check_scan_at(s, m, h);
  }
  if (floor > 0) {
    cr_assert_null(cx_snapshot_view(snap, floor - 1, &err));
    cr_assert_eq(err.code, CX_ELIMIT);
    cr_assert(strstr(err.message, "undo_retention"), "%s", err.message);
    struct ts_scan_ctx c = {&m->r, 0, 0, true, ""};
    cr_assert_eq(cx_store_scan_at(s, floor - 1, ts_scan_cb, &c, &err),
                 CX_ELIMIT);
  }
  cr_assert_null(cx_snapshot_view(snap, m->h + 1, &err));
  cr_assert_eq(err.code, CX_ENOTFOUND);
  struct ts_scan_ctx c = {&m->r, 0, 0, true, ""};
  cr_assert_eq(cx_store_scan_at(s, m->h + 1, ts_scan_cb, &c, &err),
               CX_ENOTFOUND);
  cx_snapshot_release(snap);
}

/* Entries of the undo table. */
static uint64_t undo_rows(cx_store *s) {
  MDB_txn *txn;
  MDB_stat st;
  cr_assert_eq(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), 0);
  cr_assert_eq(mdb_stat(txn, s->dbi[CX_TABLE_UNDO], &st), 0);
  mdb_txn_abort(txn);
  return st.ms_entries;
}

static uint64_t expect_floor(uint64_t h, unsigned keep, uint64_t base) {
  if (keep == 0)
    return h;
  uint64_t w = h > keep ? h - keep : 0;
  return w > base ? w : base;
}

/* Random commits, reverts, reorgs (revert + new blocks in one call) and
 * reopens; after each, the head equals the model; every few steps the
 * whole window is read through views and scan_at. */
Test(storage_undo, random_sequences_match_the_model) {
  const unsigned keep = 12;
  cx_rng rng = {cx_test_seed("storage_undo_random")};
  model *m = model_new();
  cx_store *s = open_ret(keep);
  genesis(s, m, &rng);
  cx_error err = {0};
  unsigned reverts = 0, reorgs = 0;
  /* Undo data below `base` was pruned: a revert does not bring it back. */
  uint64_t base = 0;
  for (int step = 0; step < 160; step++) {
    uint64_t floor = cx_store_retention_floor(s);
    cr_assert_eq(floor, expect_floor(m->h, keep, base), "floor at %llu",
                 (unsigned long long)m->h);
    unsigned op = (unsigned)cx_rng_below(&rng, 10);
    if (op < 6 && m->h + 8 <= MAXH) {
      for (int i = 0; i < 1 + (int)cx_rng_below(&rng, 3); i++) {
        commit_next(s, m, &rng);
        base = expect_floor(m->h, keep, base);
      }
      goto check;
    }
    op = op < 6 ? 6 : op; /* near MAXH: revert instead */
    if (op < 8) { /* revert */
      uint64_t to = floor + cx_rng_below(&rng, m->h - floor + 1);
      cr_assert_eq(cx_store_revert(s, to, &err), CX_OK, "revert %llu->%llu: %s",
                   (unsigned long long)m->h, (unsigned long long)to,
                   err.message);
      model_revert(m, to);
      reverts++;
    } else if (op < 10) { /* reorg: revert, then k new blocks */
      uint64_t to = floor + cx_rng_below(&rng, m->h - floor + 1);
      size_t k = cx_rng_below(&rng, 6);
      model_revert(m, to);
      cx_entry w[6][MAX_W];
      struct cx_store_block b[6];
      for (size_t i = 0; i < k; i++) {
        size_t n = next_block(m, &rng, w[i]);
        b[i] = (struct cx_store_block){&m->rec[m->h], w[i], n};
        base = expect_floor(m->h, keep, base);
      }
      cr_assert_eq(cx_store_reorg(s, to, b, k, &err), CX_OK, "reorg: %s",
                   err.message);
      reorgs++;
    }
    if (cx_rng_below(&rng, 10) == 0) { /* reopen */
      cx_store_close(s);
      s = open_ret(keep);
    }
  check:
    check_head(s, m);
    if (step % 8 == 0)
      check_window(s, m);
  }
  check_window(s, m);
  cr_log_info("%u reverts, %u reorgs, final height %llu", reverts, reorgs,
              (unsigned long long)m->h);
  cr_assert_gt(reverts + reorgs, 20);
  cx_store_close(s);
  model_free(m);
}

/* Retention 0, 1 and N: floor values, a revert exactly to the floor
 * works, one below is CX_ELIMIT, and the undo table stays at N rows. */
static void retention_edges(unsigned keep) {
  cx_rng rng = {cx_test_seed("storage_undo_edges") + keep};
  model *m = model_new();
  cx_store *s = open_ret(keep);
  genesis(s, m, &rng);
  cx_error err = {0};
  cr_assert_eq(cx_store_retention_floor(s), 0);
  for (int i = 0; i < (int)(3 * keep + 4); i++) {
    commit_next(s, m, &rng);
    uint64_t h = m->h, floor = cx_store_retention_floor(s);
    cr_assert_eq(floor, expect_floor(h, keep, 0), "keep %u h %llu floor %llu",
                 keep, (unsigned long long)h, (unsigned long long)floor);
    cr_assert_eq(undo_rows(s), h < keep ? h : keep, "undo rows at %llu",
                 (unsigned long long)h);
    if (floor > 0) {
      cr_assert_eq(cx_store_revert(s, floor - 1, &err), CX_ELIMIT);
      cr_assert(strstr(err.message, "undo_retention"), "%s", err.message);
      char num[32];
      snprintf(num, sizeof num, "floor %llu", (unsigned long long)floor);
      cr_assert(strstr(err.message, num), "%s", err.message);
    }
    check_head(s, m); /* a refused revert changed nothing */
  }
  /* Revert exactly to the floor, then re-commit the same blocks. */
  uint64_t h = m->h, floor = cx_store_retention_floor(s);
  cr_assert_eq(cx_store_revert(s, floor, &err), CX_OK, "%s", err.message);
  model_revert(m, floor);
  check_head(s, m);
  cr_assert_eq(cx_store_retention_floor(s), floor); /* no undo below */
  uint64_t rows = undo_rows(s);
  cr_assert_eq(rows, 0u);
  for (uint64_t b = floor + 1; b <= h; b++) {
    cx_entry w[MAX_W];
    size_t n = next_block(m, &rng, w);
    cr_assert_eq(cx_store_commit_block(s, &m->rec[b], w, n, &err), CX_OK,
                 "%s", err.message);
  }
  check_head(s, m);
  cr_assert_eq(cx_store_retention_floor(s), keep ? floor : h);
  check_window(s, m);
  cx_store_close(s);
  model_free(m);
}

Test(storage_undo, retention_0) { retention_edges(0); }
Test(storage_undo, retention_1) { retention_edges(1); }
Test(storage_undo, retention_5) { retention_edges(5); }

/* Changing undo_retention between opens: a smaller one takes effect at
 * once (floor) and its first commit prunes down to it; a larger one
 * grows the window as blocks come. */
Test(storage_undo, retention_changes_between_opens) {
  cx_rng rng = {cx_test_seed("storage_undo_change")};
  model *m = model_new();
  cx_store *s = open_ret(6);
  genesis(s, m, &rng);
  for (int i = 0; i < 10; i++)
    commit_next(s, m, &rng);
  cr_assert_eq(undo_rows(s), 6u);
  cx_store_close(s);
  s = open_ret(2);
  cr_assert_eq(cx_store_retention_floor(s), 8u);
  commit_next(s, m, &rng);
  cr_assert_eq(undo_rows(s), 2u);
  cr_assert_eq(cx_store_retention_floor(s), 9u);
  cx_store_close(s);
  s = open_ret(5);
  cr_assert_eq(cx_store_retention_floor(s), 9u); /* only 10, 11 have undo */
  for (int i = 0; i < 2; i++)
    commit_next(s, m, &rng);
  cr_assert_eq(cx_store_retention_floor(s), 9u);
  for (int i = 0; i < 3; i++)
    commit_next(s, m, &rng);
  cr_assert_eq(cx_store_retention_floor(s), m->h - 5);
  cr_assert_eq(undo_rows(s), 5u);
  check_window(s, m);
  cx_store_close(s);
  s = open_ret(0);
  cr_assert_eq(cx_store_retention_floor(s), m->h);
  commit_next(s, m, &rng);
  cr_assert_eq(undo_rows(s), 0u);
  check_head(s, m);
  cx_store_close(s);
  model_free(m);
}

/* Bad reorgs are refused before anything is written; a reorg that fails
 * inside its transaction (damaged undo data of the second block to
 * revert) leaves the store exactly as before. */
Test(storage_undo, preconditions_and_atomicity) {
  cx_rng rng = {cx_test_seed("storage_undo_pre")};
  model *m = model_new();
  cx_store *s = open_ret(4);
  genesis(s, m, &rng);
  for (int i = 0; i < 10; i++)
    commit_next(s, m, &rng);
  cx_error err = {0};
  cr_assert_eq(cx_store_revert(s, 11, &err), CX_ESTATE);
  cr_assert_eq(cx_store_revert(s, 5, &err), CX_ELIMIT);
  cr_assert(strstr(err.message, "undo_retention = 4"), "%s", err.message);
  cr_assert(strstr(err.message, "floor 6"), "%s", err.message);
  cr_assert_eq(cx_store_reorg(s, 8, NULL, 1, &err), CX_EINVAL);

  /* Blocks 9' and 10' on top of 8, built on a copy of the model. */
  model *alt = malloc(sizeof *alt);
  cr_assert_not_null(alt);
  memcpy(alt, m, sizeof *m);
  model_revert(alt, 8);
  cx_entry w[2][MAX_W];
  struct cx_store_block b[2];
  for (int i = 0; i < 2; i++) {
    size_t n = next_block(alt, &rng, w[i]);
    b[i] = (struct cx_store_block){&alt->rec[alt->h], w[i], n};
  }
  /* Wrong base: the blocks follow 8, not 7. */
  cr_assert_eq(cx_store_reorg(s, 7, b, 2, &err), CX_EINVAL);
  cr_assert(strstr(err.message, "block 9"), "%s", err.message);
  /* Broken root chain. */
  cx_block_record bad = *b[1].rec;
  bad.state_root[0] ^= 1;
  struct cx_store_block bb[2] = {b[0], {&bad, b[1].writes, b[1].n_writes}};
  cr_assert_eq(cx_store_reorg(s, 8, bb, 2, &err), CX_EINVAL);
  cr_assert(strstr(err.message, "state_root"), "%s", err.message);
  /* Unsorted write set in the second block. */
  if (b[1].n_writes >= 2) {
    cx_entry sw[MAX_W];
    memcpy(sw, b[1].writes, b[1].n_writes * sizeof *sw);
    cx_entry t = sw[0];
    sw[0] = sw[1];
    sw[1] = t;
    struct cx_store_block bs[2] = {b[0], {b[1].rec, sw, b[1].n_writes}};
    cr_assert_eq(cx_store_reorg(s, 8, bs, 2, &err), CX_EINVAL);
  }
  check_head(s, m);

  /* Damage block 9's undo row behind the store's back. */
  cx_store_close(s);
  {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
    cr_assert_eq(mdb_env_open(env, dir.db, MDB_NOTLS, 0644), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "undo", 0, &dbi), 0);
    uint8_t key[8] = {0, 0, 0, 0, 0, 0, 0, 9};
    MDB_val k = {8, key}, v;
    cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
    uint8_t *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    copy[5] ^= 0x10; /* a key byte of the first entry */
    MDB_val nv = {v.mv_size, copy};
    cr_assert_eq(mdb_put(txn, dbi, &k, &nv, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    free(copy);
    mdb_env_close(env);
  }
  s = open_ret(4);
  uint64_t rows = undo_rows(s);
  cr_assert_eq(cx_store_reorg(s, 8, b, 2, &err), CX_ECORRUPT);
  cr_assert(strstr(err.message, "table \"undo\", key 0000000000000009"), "%s",
            err.message);
  check_head(s, m); /* block 10 was reverted inside the aborted txn */
  cr_assert_eq(undo_rows(s), rows);
  /* Reverting only block 10 still works; reading at 8 does not. */
  ts_ref r8 = at(m, 8);
  struct ts_scan_ctx c8 = {&r8, 0, 0, true, ""};
  cr_assert_eq(cx_store_scan_at(s, 8, ts_scan_cb, &c8, &err), CX_ECORRUPT);
  cr_assert_eq(cx_store_revert(s, 9, &err), CX_OK, "%s", err.message);
  model_revert(m, 9);
  check_head(s, m);

  /* A read-only store refuses reverts. */
  cx_store_close(s);
  cx_store_config cfg = ts_config(dir.db, 0, 0, CX_DURABILITY_NOSYNC);
  cfg.read_only = true;
  s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "%s", err.message);
  cr_assert_eq(cx_store_revert(s, 9, &err), CX_ESTATE);
  cx_store_close(s);
  free(alt);
  model_free(m);
}

/* A view reads the undo data in its snapshot's transaction: commits,
 * reverts and pruning after the snapshot do not change what it sees. */
Test(storage_undo, views_are_consistent_with_their_snapshot) {
  cx_rng rng = {cx_test_seed("storage_undo_snap")};
  model *m = model_new();
  cx_store *s = open_ret(3);
  genesis(s, m, &rng);
  for (int i = 0; i < 6; i++)
    commit_next(s, m, &rng);
  cx_error err = {0};
  cx_snapshot *snap = cx_store_snapshot(s, &err);
  cr_assert_not_null(snap, "%s", err.message);
  cr_assert_eq(cx_snapshot_retention_floor(snap), 3u);
  model *old = malloc(sizeof *old);
  cr_assert_not_null(old);
  memcpy(old, m, sizeof *m);
  /* Revert to 3 and grow another branch to 9: rows 4..6 are replaced,
   * and pruning removes the old 4..6 as well. */
  cr_assert_eq(cx_store_revert(s, 3, &err), CX_OK, "%s", err.message);
  model_revert(m, 3);
  for (int i = 0; i < 6; i++)
    commit_next(s, m, &rng);
  check_head(s, m);
  for (uint64_t h = 3; h <= 6; h++)
    check_view(snap, old, h);
  cx_snapshot_release(snap);
  check_window(s, m);
  cx_store_close(s);
  free(old);
  model_free(m);
}

/* Kill during reorgs: a child flips the head between two branches that
 * fork at height KF (KD blocks each) with one reorg call each time; the
 * parent SIGKILLs it at random moments. After each kill the store opens
 * (integrity check first) at one of the two heads, and its state equals
 * that head's exactly. CX_TEST_ITERS sets the number of kills. */
#define KF 6u
#define KD 4u

static void branch(const model *m, struct cx_store_block *b) {
  for (unsigned i = 0; i < KD; i++) {
    uint64_t h = KF + 1 + i;
    b[i] = (struct cx_store_block){&m->rec[h], m->wr[h], m->nw[h]};
  }
}

static void flip_child(const model *a, const model *b) {
  cx_store_config cfg = ts_config(dir.db, 0, 0, CX_DURABILITY_NOSYNC);
  cfg.undo_retention = 16;
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  if (!s)
    _exit(10);
  struct cx_store_block ba[KD], bb[KD];
  branch(a, ba);
  branch(b, bb);
  for (;;) {
    uint8_t root[32];
    cx_store_state_root(s, root);
    bool on_a = memcmp(root, a->root[KF + KD], 32) == 0;
    if (cx_store_reorg(s, KF, on_a ? bb : ba, KD, &err) != CX_OK)
      _exit(11);
  }
}

Test(storage_undo, kill_during_reorgs_leaves_old_or_new_head,
     .timeout = 240) {
  cx_rng rng = {cx_test_seed("storage_undo_kill")};
  model *a = model_new();
  cx_store *s = open_ret(16);
  genesis(s, a, &rng);
  for (unsigned i = 0; i < KF + KD; i++)
    commit_next(s, a, &rng);
  cx_store_close(s);
  model *b = malloc(sizeof *b);
  cr_assert_not_null(b);
  memcpy(b, a, sizeof *a);
  model_revert(b, KF);
  for (unsigned i = 0; i < KD; i++) {
    cx_entry w[MAX_W];
    next_block(b, &rng, w);
  }
  model_revert(a, KF + KD);
  unsigned kills = (unsigned)cx_test_iters(25), on_a = 0, on_b = 0;
  for (unsigned k = 0; k < kills; k++) {
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0)
      flip_child(a, b);
    struct timespec ts = {0, (long)cx_rng_below(&rng, 40) * 1000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status), "the child stopped by itself (%d)",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    cx_store_config cfg = ts_config(dir.db, 0, 0, CX_DURABILITY_NOSYNC);
    cx_error err = {0};
    cr_assert_eq(cx_store_verify(&cfg, &err), CX_OK, "after kill %u: %s", k,
                 err.message);
    s = open_ret(16);
    uint8_t root[32];
    cx_store_state_root(s, root);
    bool is_a = memcmp(root, a->root[KF + KD], 32) == 0;
    bool is_b = memcmp(root, b->root[KF + KD], 32) == 0;
    cr_assert(is_a || is_b, "after kill %u: the head is on neither branch "
                            "(height %llu)",
              k, (unsigned long long)cx_store_height(s));
    check_head(s, is_a ? a : b);
    on_a += is_a;
    on_b += is_b;
    cx_store_close(s);
  }
  cr_log_info("%u kills: %u on branch A, %u on branch B", kills, on_a, on_b);
  free(b);
  model_free(a);
}
