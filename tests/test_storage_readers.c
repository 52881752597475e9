/* storage: read snapshots. A long-lived snapshot keeps seeing the state of
 * its height while blocks commit; many threads read one snapshot at once;
 * short snapshots churn on several threads while commits grow the map.
 */
/* CX_TEST_LABEL_CONCURRENCY */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>

#include "test_storage_util.h"

static ts_dir dir;

static void setup(void) { ts_dir_make(&dir); }
static void teardown(void) { ts_dir_free(&dir); }

TestSuite(storage_readers, .init = setup, .fini = teardown);

/* History of a reference: values of every universe key at each height. */
typedef struct history {
  uint32_t n;       /* universe size */
  uint64_t heights; /* capacity */
  uint64_t (*v)[2]; /* v[h * n + u] */
} history;

static void history_init(history *h, uint32_t n, uint64_t heights) {
  h->n = n;
  h->heights = heights;
  h->v = calloc((size_t)n * heights, sizeof *h->v);
  cr_assert_not_null(h->v);
}

static void history_record(history *h, const ts_ref *r, uint64_t height) {
  for (uint32_t u = 0; u < h->n; u++) {
    h->v[height * h->n + u][0] = r->e[u].v0;
    h->v[height * h->n + u][1] = r->e[u].v1;
  }
}

/* Commits one random block of up to k writes on top of r; returns its
 * state root in r->root. */
static void commit_random(cx_store *s, ts_ref *r, cx_rng *rng, uint64_t height,
                          size_t k, uint32_t *u, cx_entry *w) {
  size_t m = ts_gen_writes(r, rng, k, u, w);
  cx_block_record rec = ts_record(height, r->root, w, m);
  cx_error err = {0};
  cr_assert_eq(cx_store_commit_block(s, &rec, w, m, &err), CX_OK,
               "block %llu: %s", (unsigned long long)height, err.message);
  ts_ref_apply(r, u, w, m);
  memcpy(r->root, rec.state_root, 32);
}

static void load_empty_genesis(cx_store *s, ts_ref *r) {
  cr_assert_eq(cx_store_load_genesis(s, NULL, 0, r->root, NULL), CX_OK);
}

/* Every key of the universe reads, in snap, as history at its height. */
static void check_snapshot(const cx_snapshot *snap, const ts_ref *r,
                           const history *h) {
  uint64_t height = cx_snapshot_height(snap);
  for (uint32_t u = 0; u < h->n; u++) {
    uint64_t v0, v1;
    cr_assert_eq(cx_snapshot_read(snap, &r->e[u].key, &v0, &v1), CX_OK);
    cr_assert_eq(v0, h->v[height * h->n + u][0], "key %u at height %llu", u,
                 (unsigned long long)height);
    cr_assert_eq(v1, h->v[height * h->n + u][1]);
  }
}

Test(storage_readers, long_snapshot_sees_old_state) {
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_NOSYNC);
  ts_ref r;
  ts_ref_init(&r, 200, 200);
  history h;
  history_init(&h, 400, 21);
  uint32_t u[300];
  cx_entry w[300];
  cx_rng rng = {cx_test_seed("storage_readers.long")};
  load_empty_genesis(s, &r);
  history_record(&h, &r, 0);
  commit_random(s, &r, &rng, 1, 300, u, w);
  history_record(&h, &r, 1);
  uint8_t root1[32];
  memcpy(root1, r.root, 32);

  cx_error err = {0};
  cx_snapshot *old = cx_store_snapshot(s, &err);
  cr_assert_not_null(old, "%s", err.message);
  cr_assert_eq(cx_snapshot_height(old), 1);
  for (uint64_t b = 2; b <= 20; b++) {
    commit_random(s, &r, &rng, b, 300, u, w);
    history_record(&h, &r, b);
    check_snapshot(old, &r, &h); /* still height 1 */
  }
  cr_assert_eq(cx_snapshot_height(old), 1);
  uint8_t got[32];
  cx_snapshot_state_root(old, got);
  cr_assert_arr_eq(got, root1, 32);

  cx_snapshot *now = cx_store_snapshot(s, &err);
  cr_assert_not_null(now, "%s", err.message);
  cr_assert_eq(cx_snapshot_height(now), 20);
  check_snapshot(now, &r, &h);
  cx_snapshot_state_root(now, got);
  cr_assert_arr_eq(got, r.root, 32);
  cx_snapshot_release(now);
  cx_snapshot_release(old);
  cx_store_close(s);
  free(h.v);
  ts_ref_free(&r);
}

/* A commit that must grow the map while this thread holds a snapshot
 * waits growth_wait_ms, fails with CX_ESTATE and changes nothing; after
 * the release the same block commits. */
Test(storage_readers, growth_waits_for_snapshots) {
  cx_store_config cfg = ts_config(dir.db, 1u << 20, 0, CX_DURABILITY_NOSYNC);
  cfg.growth_wait_ms = 100;
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "%s", err.message);
  ts_ref r;
  ts_ref_init(&r, 10, 60000);
  load_empty_genesis(s, &r);
  size_t n = 60000;
  uint32_t *u = malloc(n * sizeof *u);
  cx_entry *w = malloc(n * sizeof *w);
  for (uint32_t i = 0; i < n; i++) {
    u[i] = r.order[i];
    w[i] = ts_ref_make(&r, u[i], i + 1, 0);
  }
  cx_block_record rec = ts_record(1, r.root, w, n);
  cx_snapshot *snap = cx_store_snapshot(s, &err);
  cr_assert_not_null(snap);
  size_t map_before = cx_store_map_size(s);
  cr_assert_eq(cx_store_commit_block(s, &rec, w, n, &err), CX_ESTATE);
  cr_assert(strstr(err.message, "release"), "%s", err.message);
  cr_assert_eq(cx_store_height(s), 0);
  cr_assert_eq(cx_store_map_size(s), map_before);
  uint64_t v0 = 9, v1 = 9;
  cr_assert_eq(cx_snapshot_read(snap, &w[0].key, &v0, &v1), CX_OK);
  cr_assert_eq(v0, 0);
  cx_snapshot_release(snap);
  cr_assert_eq(cx_store_commit_block(s, &rec, w, n, &err), CX_OK, "%s",
               err.message);
  cr_assert_gt(cx_store_map_size(s), map_before);
  ts_ref_apply(&r, u, w, n);
  ts_ref_check_scan(&r, s);
  cx_store_close(s);
  free(u);
  free(w);
  ts_ref_free(&r);
}

/* Threads reading one shared snapshot while the main thread commits. */
struct shared_ctx {
  const cx_snapshot *snap;
  const ts_ref *r;
  const history *h;
  int rounds;
  atomic_int failures;
};

static void *shared_reader(void *p) {
  struct shared_ctx *c = p;
  uint64_t height = cx_snapshot_height(c->snap);
  for (int round = 0; round < c->rounds; round++)
    for (uint32_t u = 0; u < c->h->n; u++) {
      uint64_t v0, v1;
      int rc = cx_snapshot_read(c->snap, &c->r->e[u].key, &v0, &v1);
      const uint64_t *want = c->h->v[height * c->h->n + u];
      if (rc != CX_OK || v0 != want[0] || v1 != want[1])
        atomic_fetch_add(&c->failures, 1);
    }
  return NULL;
}

Test(storage_readers, threads_share_one_snapshot) {
  cx_store *s = ts_open(dir.db, 0, CX_DURABILITY_NOSYNC);
  ts_ref r;
  ts_ref_init(&r, 500, 500);
  history h;
  history_init(&h, 1000, 2);
  uint32_t u[800];
  cx_entry w[800];
  cx_rng rng = {cx_test_seed("storage_readers.shared")};
  load_empty_genesis(s, &r);
  commit_random(s, &r, &rng, 1, 800, u, w);
  history_record(&h, &r, 1);

  /* Keys of the reference are read by the threads and never written by
   * the main thread from here on; it commits from a copy. */
  ts_ref next;
  ts_ref_init(&next, 500, 500);
  memcpy(next.e, r.e, 1000 * sizeof *r.e);
  memcpy(next.written, r.written, 1000 * sizeof *r.written);
  memcpy(next.root, r.root, 32);

  cx_error err = {0};
  cx_snapshot *snap = cx_store_snapshot(s, &err);
  cr_assert_not_null(snap, "%s", err.message);
  enum { T = 4 };
  pthread_t th[T];
  struct shared_ctx c = {snap, &r, &h, 20, 0};
  for (int i = 0; i < T; i++)
    cr_assert_eq(pthread_create(&th[i], NULL, shared_reader, &c), 0);
  for (uint64_t b = 2; b <= 30; b++)
    commit_random(s, &next, &rng, b, 800, u, w);
  for (int i = 0; i < T; i++)
    pthread_join(th[i], NULL);
  cr_assert_eq(atomic_load(&c.failures), 0, "%d wrong reads",
               atomic_load(&c.failures));
  cx_snapshot_release(snap);
  ts_ref_check_scan(&next, s);
  cx_store_close(s);
  free(h.v);
  ts_ref_free(&r);
  ts_ref_free(&next);
}

/* Threads taking short snapshots (each checked against the history at its
 * own height) while the main thread commits blocks that grow a small map
 * many times. */
struct churn_ctx {
  cx_store *s;
  const ts_ref *r; /* keys only: the universe's key of each index */
  const history *h;
  atomic_uint_fast64_t published; /* history filled up to this height */
  atomic_bool stop;
  atomic_int failures;
  atomic_int snapshots;
  uint64_t seed;
};

static void *churn_reader(void *p) {
  struct churn_ctx *c = p;
  cx_rng rng = {c->seed};
  while (!atomic_load(&c->stop)) {
    cx_snapshot *snap = cx_store_snapshot(c->s, NULL);
    if (!snap) {
      atomic_fetch_add(&c->failures, 1);
      continue;
    }
    uint64_t height = cx_snapshot_height(snap);
    if (height > atomic_load(&c->published))
      atomic_fetch_add(&c->failures, 1);
    for (int i = 0; i < 64; i++) {
      uint32_t u = (uint32_t)cx_rng_below(&rng, c->h->n);
      uint64_t v0, v1;
      const uint64_t *want = c->h->v[height * c->h->n + u];
      if (cx_snapshot_read(snap, &c->r->e[u].key, &v0, &v1) != CX_OK ||
          v0 != want[0] || v1 != want[1])
        atomic_fetch_add(&c->failures, 1);
    }
    cx_snapshot_release(snap);
    atomic_fetch_add(&c->snapshots, 1);
  }
  return NULL;
}

Test(storage_readers, snapshots_churn_while_map_grows) {
  cx_store_config cfg =
      ts_config(dir.db, 1u << 20, 512u << 10, CX_DURABILITY_NOSYNC);
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "%s", err.message);
  enum { BLOCKS = 30, K = 3000 };
  ts_ref keys, r;
  ts_ref_init(&keys, 2000, 18000);
  ts_ref_init(&r, 2000, 18000);
  history h;
  history_init(&h, 20000, BLOCKS + 1);
  load_empty_genesis(s, &r);
  uint32_t *u = malloc(K * sizeof *u);
  cx_entry *w = malloc(K * sizeof *w);
  struct churn_ctx c = {.s = s,
                        .r = &keys,
                        .h = &h,
                        .seed = cx_test_seed("storage_readers.churn")};
  enum { T = 3 };
  pthread_t th[T];
  for (int i = 0; i < T; i++)
    cr_assert_eq(pthread_create(&th[i], NULL, churn_reader, &c), 0);
  cx_rng rng = {c.seed};
  size_t map0 = cx_store_map_size(s);
  for (uint64_t b = 1; b <= BLOCKS; b++) {
    size_t m = ts_gen_writes(&r, &rng, K, u, w);
    cx_block_record rec = ts_record(b, r.root, w, m);
    ts_ref_apply(&r, u, w, m);
    history_record(&h, &r, b);
    atomic_store(&c.published, b); /* history[b] is ready before commit */
    int rc = cx_store_commit_block(s, &rec, w, m, &err);
    cr_assert_eq(rc, CX_OK, "block %llu: %s", (unsigned long long)b,
                 err.message);
    memcpy(r.root, rec.state_root, 32);
  }
  atomic_store(&c.stop, true);
  for (int i = 0; i < T; i++)
    pthread_join(th[i], NULL);
  cr_assert_eq(atomic_load(&c.failures), 0);
  cr_assert_gt(atomic_load(&c.snapshots), 0);
  cr_assert_gt(cx_store_map_size(s), map0, "the map never grew");
  ts_ref_check_scan(&r, s);
  uint8_t root[32];
  cx_store_state_root(s, root);
  cr_assert_arr_eq(root, r.root, 32);
  cx_store_close(s);
  free(u);
  free(w);
  free(h.v);
  ts_ref_free(&r);
  ts_ref_free(&keys);
}
