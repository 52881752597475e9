/* Blocks on branches (SPEC section 9, chainexec.h "Blocks on branches"):
 * speculative execution, forkchoice, discard, revert and queries at a
 * block, against an independent in-memory model.
 *
 * The model keeps, for every block the test executed, the full state the
 * reference (test_engine_util.h: crypto/ + mvcc's sequential executor)
 * computes along that block's own chain, and predicts which ids the
 * engine must still know: a committed block while it is on the committed
 * chain at or above the retention floor; a speculative block while it was
 * not discarded and its parent is still known. */
#include <criterion/criterion.h>

#include "fixture.h"
#include "test_engine_util.h"

#define FK_MAX_BLOCKS 512
#define FK_ACCOUNTS 12
#define FK_BALANCE 1000000000ull

/* One block of the model tree. Index 0 is the genesis. */
typedef struct fk_block {
  int parent;        /* model index, -1 for the genesis */
  uint64_t height;
  cx_entry *state;   /* full state after the block, sorted */
  size_t n_state;
  uint8_t root[32];
  te_block bytes;
  cx_block_id id;
  bool alive, committed, discarded;
} fk_block;

typedef struct fk_model {
  fk_block b[FK_MAX_BLOCKS];
  size_t n;
  int chain[FK_MAX_BLOCKS]; /* chain[h]: model index committed at h */
  uint64_t head;
  unsigned retention;
  uint64_t undo_from; /* lowest height whose undo data the store kept */
  te_ref runner; /* its entries are swapped in per block */
  te_keys keys;
  cx_engine *e;
  cx_rng rng;
} fk_model;

static cx_engine *fk_open(unsigned threads, unsigned retention,
                          size_t spec_limit) {
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.threads = threads;
  cfg.strategy = CX_STRATEGY_KIND_CPU;
  cfg.durability = CX_NOSYNC;
  cfg.undo_retention = retention;
  cfg.speculative_mem_limit = spec_limit;
  cx_error err = {0};
  cx_engine *e = cx_engine_open(&cfg, &err);
  cr_assert_not_null(e, "%s", err.message);
  return e;
}

static void fk_init(fk_model *m, unsigned threads, unsigned retention,
                    uint64_t seed) {
  memset(m, 0, sizeof *m);
  m->rng.s = seed;
  m->retention = retention;
  te_keys_init(&m->keys, FK_ACCOUNTS, seed % 1000 + 1);
  cx_genesis_account *acct = te_genesis_accounts(&m->keys, FK_BALANCE);
  te_ref_init(&m->runner, acct, FK_ACCOUNTS, NULL, 0);
  m->e = fk_open(threads, retention, 0);
  cx_error err = {0};
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(m->e, acct, FK_ACCOUNTS, NULL, 0, root,
                                      &err),
               0, "%s", err.message);
  free(acct);
  cr_assert_arr_eq(root, m->runner.state_root, 32);
  fk_block *g = &m->b[0];
  g->parent = -1;
  g->state = malloc(m->runner.n * sizeof *g->state);
  memcpy(g->state, m->runner.e, m->runner.n * sizeof *g->state);
  g->n_state = m->runner.n;
  memcpy(g->root, root, 32);
  g->alive = g->committed = true;
  m->undo_from = 1;
  cr_assert_eq(cx_engine_block_at(m->e, 0, &g->id, &err), 0, "%s",
               err.message);
  m->n = 1;
  m->chain[0] = 0;
}

static void fk_free(fk_model *m) {
  for (size_t i = 0; i < m->n; i++) {
    free(m->b[i].state);
    te_block_free(&m->b[i].bytes);
  }
  te_ref_free(&m->runner);
  te_keys_free(&m->keys);
  cx_engine_close(m->e);
}

/* The store keeps undo data for the last `retention` commits; a revert
 * removes the reverted blocks' and brings nothing older back. */
static uint64_t fk_floor(const fk_model *m) {
  uint64_t window = m->head > m->retention ? m->head - m->retention : 0;
  uint64_t whole = m->undo_from - 1 < m->head ? m->undo_from - 1 : m->head;
  return whole > window ? whole : window;
}

/* Applies the engine's rules for which ids stay known (see the top). */
static void fk_update_alive(fk_model *m) {
  uint64_t floor = fk_floor(m);
  for (size_t i = 0; i < m->n; i++) {
    fk_block *b = &m->b[i];
    bool on_chain =
        b->height <= m->head && m->chain[b->height] == (int)i;
    if (b->committed && !on_chain)
      b->alive = false; /* reverted: gone for good */
    b->committed = b->committed && on_chain;
    if (!b->alive)
      continue;
    if (b->committed)
      b->alive = b->height >= floor;
    else
      b->alive = !b->discarded && b->parent >= 0 && m->b[b->parent].alive;
  }
}

/* Runs model block `parent`'s child on the reference. */
static size_t fk_model_child(fk_model *m, int parent, te_block *bytes,
                             te_ref_result *res) {
  cr_assert_lt(m->n, FK_MAX_BLOCKS);
  fk_block *p = &m->b[parent];
  te_ref *r = &m->runner;
  free(r->e);
  r->e = malloc((p->n_state ? p->n_state : 1) * sizeof *r->e);
  memcpy(r->e, p->state, p->n_state * sizeof *r->e);
  r->n = r->cap = p->n_state;
  memcpy(r->state_root, p->root, 32);
  r->height = p->height;
  te_ref_block(r, bytes, res);
  size_t i = m->n++;
  fk_block *b = &m->b[i];
  memset(b, 0, sizeof *b);
  b->parent = parent;
  b->height = p->height + 1;
  b->state = malloc((r->n ? r->n : 1) * sizeof *b->state);
  memcpy(b->state, r->e, r->n * sizeof *b->state);
  b->n_state = r->n;
  memcpy(b->root, r->state_root, 32);
  b->bytes = *bytes;
  return i;
}

/* A random live block (or -1 when none qualifies). */
static int fk_pick(fk_model *m, bool spec_only) {
  int c[FK_MAX_BLOCKS], n = 0;
  for (size_t i = 0; i < m->n; i++)
    if (m->b[i].alive && (!spec_only || !m->b[i].committed))
      c[n++] = (int)i;
  return n ? c[cx_rng_below(&m->rng, (uint64_t)n)] : -1;
}

/* A fresh random block on a live parent, checked against the model. */
static void fk_execute(fk_model *m, int parent, const te_block *twin) {
  te_block bytes;
  memset(&bytes, 0, sizeof bytes);
  if (twin != NULL) {
    for (size_t t = 0; t < twin->n; t++)
      te_block_push(&bytes, twin->txs[t], twin->lens[t]);
  } else {
    te_ref tmp = m->runner;
    tmp.e = m->b[parent].state;
    tmp.n = m->b[parent].n_state;
    te_keys_sync(&m->keys, &tmp); /* nonces of the parent's chain */
    te_random_block(&bytes, &m->keys, &m->rng,
                    1 + (size_t)cx_rng_below(&m->rng, 10));
  }
  cx_block_result got;
  cx_block_id id;
  cx_error err = {0};
  int rc = cx_engine_execute_on(m->e, m->b[parent].id, &bytes.view, &id,
                                &got, &err);
  cr_assert_eq(rc, 0, "execute_on block %d: %s", parent, err.message);
  te_ref_result want;
  size_t i = fk_model_child(m, parent, &bytes, &want);
  te_expect_same(&got, &want, m->b[i].bytes.n, m->b[i].height, "execute_on");
  free(want.statuses);
  cx_block_result_free(&got);
  for (size_t k = 0; k + 1 < m->n; k++)
    cr_assert_neq(m->b[k].id, id, "a new block got an old id");
  m->b[i].id = id;
  m->b[i].alive = true;
}

/* The committed state equals the model's state of the head block. */
static int fk_collect(void *ctx, const uint8_t *key, size_t len, uint64_t v0,
                      uint64_t v1) {
  te_ref *r = ctx;
  cx_entry e = {len == 20 ? cx_key_account(key) : cx_key_kv(key), v0, v1};
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 64;
    r->e = realloc(r->e, r->cap * sizeof *r->e);
  }
  r->e[r->n++] = e;
  return 0;
}

static void fk_check_state_at(fk_model *m, uint64_t height) {
  const fk_block *b = &m->b[m->chain[height]];
  te_ref got;
  memset(&got, 0, sizeof got);
  cx_error err = {0};
  cr_assert_eq(cx_engine_state_at(m->e, height, fk_collect, &got, &err), 0,
               "state_at %llu: %s", (unsigned long long)height, err.message);
  cr_assert_eq(got.n, b->n_state, "state at %llu: %zu entries, want %zu",
               (unsigned long long)height, got.n, b->n_state);
  for (size_t i = 0; i < got.n; i++) {
    cr_assert_eq(cx_key_cmp(&got.e[i].key, &b->state[i].key), 0,
                 "state at %llu: entry %zu key", (unsigned long long)height,
                 i);
    cr_assert(got.e[i].v0 == b->state[i].v0 && got.e[i].v1 == b->state[i].v1,
              "state at %llu: entry %zu value", (unsigned long long)height,
              i);
  }
  free(got.e);
}

static void fk_check_head(fk_model *m) {
  cr_assert_eq(cx_engine_height(m->e), m->head);
  uint8_t root[32];
  cx_engine_state_root(m->e, root);
  cr_assert_arr_eq(root, m->b[m->chain[m->head]].root, 32, "head state root");
  cr_assert_eq(cx_engine_retention_floor(m->e), fk_floor(m));
  fk_check_state_at(m, m->head);
}

static void fk_make_head(fk_model *m, int i) {
  cx_error err = {0};
  int rc = cx_engine_make_head(m->e, m->b[i].id, &err);
  /* The fork point: the nearest ancestor on the committed chain. */
  int fp = i;
  while (!(m->b[fp].committed))
    fp = m->b[fp].parent;
  if (m->b[fp].height < fk_floor(m)) {
    cr_assert_eq(rc, CX_ELIMIT, "make_head below the floor: %d (%s)", rc,
                 err.message);
    return;
  }
  cr_assert_eq(rc, 0, "make_head %d: %s", i, err.message);
  for (int k = i; k != fp; k = m->b[k].parent) {
    m->chain[m->b[k].height] = k;
    m->b[k].committed = true;
  }
  m->head = m->b[i].height;
  if (m->head != m->b[fp].height && m->head + 1 > m->retention &&
      m->head + 1 - m->retention > m->undo_from)
    m->undo_from = m->head + 1 - m->retention;
  fk_update_alive(m);
  fk_check_head(m);
}

static void fk_revert(fk_model *m, uint64_t h) {
  cx_error err = {0};
  int rc = cx_engine_revert(m->e, h, &err);
  if (h > m->head) {
    cr_assert_eq(rc, CX_ENOTFOUND, "revert above the head: %d", rc);
    return;
  }
  if (h < fk_floor(m)) {
    cr_assert_eq(rc, CX_ELIMIT, "revert below the floor: %d", rc);
    cr_assert(strstr(err.message, "undo_retention"), "%s", err.message);
    return;
  }
  cr_assert_eq(rc, 0, "revert to %llu: %s", (unsigned long long)h,
               err.message);
  m->head = h;
  fk_update_alive(m);
  fk_check_head(m);
}

static void fk_query(fk_model *m, int i) {
  const fk_block *b = &m->b[i];
  for (int q = 0; q < 4; q++) {
    size_t a = (size_t)cx_rng_below(&m->rng, FK_ACCOUNTS);
    uint64_t bal, nonce, wb, wn;
    cx_error err = {0};
    cr_assert_eq(cx_engine_get_account_at(m->e, b->id, m->keys.addr[a], &bal,
                                          &nonce, &err),
                 0, "%s", err.message);
    te_ref tmp = {.e = b->state, .n = b->n_state};
    cx_key k = cx_key_account(m->keys.addr[a]);
    te_ref_read(&tmp, &k, &wb, &wn);
    cr_assert(bal == wb && nonce == wn, "account at block %d", i);
  }
  uint8_t key[32] = {0xa0 + (uint8_t)cx_rng_below(&m->rng, 4)};
  uint64_t v, w, unused;
  cx_error err = {0};
  cr_assert_eq(cx_engine_get_kv_at(m->e, b->id, key, &v, &err), 0, "%s",
               err.message);
  te_ref tmp = {.e = b->state, .n = b->n_state};
  cx_key k = cx_key_kv(key);
  te_ref_read(&tmp, &k, &w, &unused);
  cr_assert_eq(v, w, "kv at block %d", i);
  cx_block_info info;
  cr_assert_eq(cx_engine_block_info(m->e, b->id, &info, &err), 0, "%s",
               err.message);
  cr_assert_eq(info.height, b->height);
  cr_assert_eq(info.committed, b->committed);
  cr_assert_arr_eq(info.state_root, b->root, 32);
}

/* Every id the model believes gone is refused, every live one known. */
static void fk_check_ids(fk_model *m) {
  for (size_t i = 0; i < m->n; i++) {
    cx_block_info info;
    cx_error err = {0};
    int rc = cx_engine_block_info(m->e, m->b[i].id, &info, &err);
    if (m->b[i].alive)
      cr_assert_eq(rc, 0, "block %zu should be known: %s", i, err.message);
    else
      cr_assert_eq(rc, CX_ENOTFOUND, "block %zu should be gone (rc %d)", i,
                   rc);
  }
}

static void fk_random_session(unsigned threads, unsigned retention,
                              uint64_t seed, int ops) {
  fk_model *m = calloc(1, sizeof *m);
  cr_assert_not_null(m);
  fk_init(m, threads, retention, seed);
  for (int op = 0; op < ops && m->n + 2 < FK_MAX_BLOCKS; op++) {
    uint64_t roll = cx_rng_below(&m->rng, 100);
    int i = fk_pick(m, false);
    if (i < 0)
      break;
    if (roll < 45) {
      fk_execute(m, i, NULL);
    } else if (roll < 52 && i > 0 && m->b[i].parent >= 0 &&
               m->b[m->b[i].parent].alive) {
      fk_execute(m, m->b[i].parent, &m->b[i].bytes); /* a twin */
    } else if (roll < 72) {
      fk_make_head(m, i);
    } else if (roll < 80) {
      uint64_t h = fk_floor(m) + cx_rng_below(&m->rng, m->head + 3);
      fk_revert(m, h > 1 ? h - 2 : h); /* some below the floor */
    } else if (roll < 87) {
      int s = fk_pick(m, true);
      if (s >= 0) {
        cx_error err = {0};
        cr_assert_eq(cx_engine_discard(m->e, m->b[s].id, &err), 0, "%s",
                     err.message);
        m->b[s].discarded = true;
        fk_update_alive(m);
      }
    } else {
      fk_query(m, i);
    }
    fk_check_ids(m);
  }
  fk_free(m);
  free(m);
}

Test(forks, random_sessions_against_model) {
  uint64_t seed = cx_test_seed("engine_forks"), iters = cx_test_iters(3);
  const unsigned threads[] = {1, 2, 4};
  /* Retention 4 puts the floor in play all the time; 24 allows reorgs
   * deeper than the pipeline's three blocks in flight. */
  for (uint64_t it = 0; it < iters; it++)
    for (size_t t = 0; t < 3; t++) {
      fk_random_session(threads[t], 4, seed + it * 7919 + t, 80);
      fk_random_session(threads[t], 24, seed + it * 7919 + t + 3, 120);
    }
}

/* --- The shared fork fixture through the API ----------------------------- */

static cx_fixture *fk_load_forks(void) {
  const char *path = cx_test_shared_path("forks/forks.json");
  cx_fixture *f = NULL;
  cx_error err = {0};
  cr_assert_eq(cx_fixture_load(path, &f, &err), 0, "%s", err.message);
  cr_assert(f->has_expect);
  return f;
}

static void fk_expect_result(const cx_fixture_expect *want,
                             const cx_block_result *got, size_t i) {
  cx_fixture_expect x = {0};
  cx_error err = {0};
  cr_assert_eq(cx_fixture_expect_from_result(got, &x, &err), 0);
  const char *diff = cx_fixture_expect_diff(want, &x);
  cr_assert_null(diff, "blocks[%zu]: %s differs", i, diff ? diff : "");
  cx_fixture_expect_clear(&x);
}

Test(forks, shared_fixture_all_speculative_then_head) {
  cx_fixture *f = fk_load_forks();
  for (unsigned threads = 1; threads <= 2; threads++) {
    cx_engine *e = fk_open(threads, 256, 0);
    cx_error err = {0};
    uint8_t root[32];
    cr_assert_eq(cx_engine_load_genesis(e, f->accounts, f->n_accounts, f->kv,
                                        f->n_kv, root, &err),
                 0, "%s", err.message);
    cr_assert_arr_eq(root, f->expect_genesis_root, 32);
    cx_block_id *ids = calloc(f->n_blocks, sizeof *ids), genesis;
    cr_assert_eq(cx_engine_block_at(e, 0, &genesis, &err), 0);
    for (size_t i = 0; i < f->n_blocks; i++) {
      cx_block view;
      cx_block_result got;
      cx_fixture_block_view(f, i, &view);
      int64_t p = f->blocks[i].parent;
      cr_assert_eq(cx_engine_execute_on(e, p < 0 ? genesis : ids[p], &view,
                                        &ids[i], &got, &err),
                   0, "blocks[%zu]: %s", i, err.message);
      fk_expect_result(&f->expect[i], &got, i);
      cx_block_result_free(&got);
    }
    cr_assert_eq(cx_engine_height(e), 0, "nothing is committed yet");
    size_t last = f->n_blocks - 1;
    cr_assert_eq(cx_engine_make_head(e, ids[last], &err), 0, "%s",
                 err.message);
    cr_assert_eq(cx_engine_height(e), f->expect[last].height);
    /* Every canonical block is committed with its expected row. */
    for (int64_t b = (int64_t)last; b >= 0; b = f->blocks[b].parent) {
      cx_block_result row;
      cr_assert_eq(cx_engine_block_roots(e, f->blocks[b].height, &row, &err),
                   0, "%s", err.message);
      cr_assert_arr_eq(row.state_root, f->expect[b].state_root, 32);
      cr_assert_arr_eq(row.receipts_root, f->expect[b].receipts_root, 32);
      cx_block_result_free(&row);
      cx_block_info info;
      cr_assert_eq(cx_engine_block_info(e, ids[b], &info, &err), 0);
      cr_assert(info.committed);
    }
    /* Off-chain blocks stay speculative and can still become the head. */
    cr_assert_eq(cx_engine_make_head(e, ids[3], &err), 0, "%s", err.message);
    cr_assert_eq(cx_engine_height(e), 1);
    uint8_t r3[32];
    cx_engine_state_root(e, r3);
    cr_assert_arr_eq(r3, f->expect[3].state_root, 32);
    /* Block 0 was reverted by that switch: its id is gone. */
    cx_block_info info;
    cr_assert_eq(cx_engine_block_info(e, ids[0], &info, &err), CX_ENOTFOUND);
    free(ids);
    cx_engine_close(e);
  }
  cx_fixture_free(f);
}

/* --- Limits and misuse ---------------------------------------------------- */

static void fk_small_block(te_block *b, te_keys *k, size_t from) {
  memset(b, 0, sizeof *b);
  te_push_transfer(b, k, from, k->addr[(from + 1) % k->n], 5);
}

Test(forks, misuse_gives_codes_not_crashes) {
  te_keys k;
  te_keys_init(&k, 4, 77);
  cx_genesis_account *acct = te_genesis_accounts(&k, FK_BALANCE);
  cx_engine *e = fk_open(1, 2, 0), *other = fk_open(1, 2, 0);
  cx_error err = {0};
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(e, acct, 4, NULL, 0, root, &err), 0);
  cr_assert_eq(cx_engine_load_genesis(other, acct, 4, NULL, 0, root, &err), 0);
  cx_block_id g, og, id;
  cr_assert_eq(cx_engine_block_at(e, 0, &g, &err), 0);
  cr_assert_eq(cx_engine_block_at(other, 0, &og, &err), 0);
  cr_assert_eq(cx_engine_block_at(e, 1, &id, &err), CX_ENOTFOUND);
  te_block b;
  fk_small_block(&b, &k, 0);
  cx_block_result res;
  cr_assert_eq(cx_engine_execute_on(e, 0, &b.view, &id, &res, &err), CX_EINVAL);
  cr_assert_eq(cx_engine_execute_on(e, og, &b.view, &id, &res, &err),
               CX_EINVAL, "another engine's id: %s", err.message);
  cr_assert(strstr(err.message, "another engine"), "%s", err.message);
  cr_assert_eq(cx_engine_execute_on(e, g, NULL, &id, &res, &err), CX_EINVAL);
  cr_assert_eq(cx_engine_execute_on(e, g, &b.view, &id, &res, &err), 0, "%s",
               err.message);
  cx_block_result_free(&res);
  cr_assert_eq(cx_engine_discard(e, g, &err), CX_ESTATE, "discard committed");
  cr_assert_eq(cx_engine_discard(e, id, &err), 0);
  cr_assert_eq(cx_engine_discard(e, id, &err), CX_ENOTFOUND);
  cr_assert_eq(cx_engine_make_head(e, id, &err), CX_ENOTFOUND);
  cr_assert_eq(cx_engine_block_info(e, id + 1000, NULL, &err), CX_EINVAL);
  cr_assert_eq(cx_engine_block_info(e, id + 1000, &(cx_block_info){0}, &err),
               CX_ENOTFOUND);
  cr_assert(strstr(err.message, "never issued"), "%s", err.message);
  uint64_t bal, nonce;
  cr_assert_eq(cx_engine_get_account_at(e, id, k.addr[0], &bal, &nonce, &err),
               CX_ENOTFOUND);
  cr_assert_eq(cx_engine_revert(e, 1, &err), CX_ENOTFOUND);
  /* Three blocks on the head with retention 2: the genesis falls out. */
  for (int i = 0; i < 3; i++) {
    te_block c;
    fk_small_block(&c, &k, 1);
    cr_assert_eq(cx_engine_execute_block(e, &c.view, &res, &err), 0, "%s",
                 err.message);
    cx_block_result_free(&res);
    te_block_free(&c);
  }
  cr_assert_eq(cx_engine_retention_floor(e), 1);
  cr_assert_eq(cx_engine_execute_on(e, g, &b.view, &id, &res, &err),
               CX_ENOTFOUND, "the genesis id fell out of the retention");
  cr_assert_eq(cx_engine_block_at(e, 0, &g, &err), CX_ELIMIT);
  cr_assert(strstr(err.message, "undo_retention"), "%s", err.message);
  cr_assert_eq(cx_engine_revert(e, 0, &err), CX_ELIMIT);
  cr_assert_eq(cx_engine_state_at(e, 0, fk_collect, &(te_ref){0}, &err),
               CX_ELIMIT);
  cr_assert_eq(cx_engine_revert(e, 1, &err), 0, "%s", err.message);
  cr_assert_eq(cx_engine_height(e), 1);
  te_block_free(&b);
  free(acct);
  te_keys_free(&k);
  cx_engine_close(e);
  cx_engine_close(other);
}

Test(forks, speculative_memory_limit) {
  te_keys k;
  te_keys_init(&k, 4, 78);
  cx_genesis_account *acct = te_genesis_accounts(&k, FK_BALANCE);
  cx_engine *e = fk_open(1, 8, 1024); /* room for a block or two */
  cx_error err = {0};
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(e, acct, 4, NULL, 0, root, &err), 0);
  cx_block_id g, ids[64];
  cr_assert_eq(cx_engine_block_at(e, 0, &g, &err), 0);
  te_block b;
  fk_small_block(&b, &k, 0);
  size_t made = 0;
  int rc = 0;
  while (made < 64) {
    cx_block_result res;
    rc = cx_engine_execute_on(e, g, &b.view, &ids[made], &res, &err);
    if (rc)
      break;
    cx_block_result_free(&res);
    made++;
  }
  cr_assert_eq(rc, CX_ELIMIT, "the limit was never reached");
  cr_assert(strstr(err.message, "speculative_mem_limit"), "%s", err.message);
  cr_assert_gt(made, 0);
  /* Discarding makes room again; twins have identical results. */
  cr_assert_eq(cx_engine_discard(e, ids[0], &err), 0);
  cx_block_result r1;
  cr_assert_eq(cx_engine_execute_on(e, g, &b.view, &ids[0], &r1, &err), 0,
               "%s", err.message);
  cr_assert_eq(cx_engine_make_head(e, ids[0], &err), 0, "%s", err.message);
  if (made > 1) {
    cr_assert_eq(cx_engine_make_head(e, ids[1], &err), 0, "%s", err.message);
    cx_block_result row;
    cr_assert_eq(cx_engine_block_roots(e, 1, &row, &err), 0);
    cr_assert_arr_eq(row.state_root, r1.state_root, 32, "twins differ");
    cx_block_result_free(&row);
  }
  cx_block_result_free(&r1);
  te_block_free(&b);
  free(acct);
  te_keys_free(&k);
  cx_engine_close(e);
}

/* Speculative blocks survive the head moving under them through
 * cx_engine_execute_blocks (overlapped pipeline), and a read-only engine
 * refuses to execute. */
Test(forks, speculative_blocks_beside_the_pipeline) {
  te_keys k;
  te_keys_init(&k, 6, 79);
  cx_genesis_account *acct = te_genesis_accounts(&k, FK_BALANCE);
  cx_engine *e = fk_open(2, 16, 0);
  cx_error err = {0};
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(e, acct, 6, NULL, 0, root, &err), 0);
  cx_block_id g, side;
  cr_assert_eq(cx_engine_block_at(e, 0, &g, &err), 0);
  te_block s;
  fk_small_block(&s, &k, 0);
  k.nonce[0]--; /* the main chain spends the same nonce */
  cx_block_result sres;
  cr_assert_eq(cx_engine_execute_on(e, g, &s.view, &side, &sres, &err), 0);
  te_block chain[5];
  cx_block blocks[5];
  cx_block_result res[5];
  for (int i = 0; i < 5; i++) {
    fk_small_block(&chain[i], &k, (size_t)i % 6);
    blocks[i] = chain[i].view;
  }
  size_t done = 0;
  cr_assert_eq(cx_engine_execute_blocks(e, 5, blocks, res, &done, &err), 0,
               "%s", err.message);
  cr_assert_eq(cx_engine_height(e), 5);
  /* The side block still executes as on the genesis: a reorg of depth 5. */
  cr_assert_eq(cx_engine_make_head(e, side, &err), 0, "%s", err.message);
  cr_assert_eq(cx_engine_height(e), 1);
  cx_engine_state_root(e, root);
  cr_assert_arr_eq(root, sres.state_root, 32);
  cx_block_result_free(&sres);
  for (int i = 0; i < 5; i++) {
    cx_block_result_free(&res[i]);
    te_block_free(&chain[i]);
  }
  te_block_free(&s);
  free(acct);
  te_keys_free(&k);
  cx_engine_close(e);
}
