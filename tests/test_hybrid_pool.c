/* The CPU worker pool: every worker runs exactly once per job, parallel-for
 * covers every index exactly once (under stress, from concurrent callers,
 * nested), results are visible whether a wait spun or slept, and the pool
 * shuts down cleanly.
 * CX_TEST_LABEL_CONCURRENCY */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cx_test.h"
#include "pool.h"

/* mvcc's runner shape: the pool must plug in without a cast. */
typedef void (*runner_fn)(void *runner, unsigned k,
                          void (*fn)(void *, unsigned), void *arg);
static const runner_fn runner_shape_check = cx_pool_run_workers;

typedef struct hits {
  size_t n;
  atomic_uint *count;
  atomic_uint bad_worker;
  unsigned threads;
} hits;

static void hits_init(hits *h, size_t n, unsigned threads) {
  h->n = n;
  h->threads = threads;
  h->count = calloc(n ? n : 1, sizeof *h->count);
  cr_assert_not_null(h->count);
  for (size_t i = 0; i < n; i++)
    atomic_init(&h->count[i], 0);
  atomic_init(&h->bad_worker, 0);
}

static void hits_range(void *arg, size_t begin, size_t end, unsigned w) {
  hits *h = arg;
  if (w >= h->threads || begin >= end || end > h->n)
    atomic_fetch_add(&h->bad_worker, 1);
  for (size_t i = begin; i < end && i < h->n; i++)
    atomic_fetch_add_explicit(&h->count[i], 1, memory_order_relaxed);
}

static void hits_check_once(hits *h, const char *what) {
  cr_assert_eq(atomic_load(&h->bad_worker), 0, "%s: bad range or worker",
               what);
  for (size_t i = 0; i < h->n; i++)
    cr_assert_eq(atomic_load(&h->count[i]), 1,
                 "%s: index %zu processed %u times", what, i,
                 atomic_load(&h->count[i]));
  free(h->count);
}

static void count_worker(void *arg, unsigned w) {
  atomic_uint *slots = arg;
  atomic_fetch_add(&slots[w], 1);
}

Test(hybrid_pool, default_size_is_online_cpus) {
  cx_error err = {0};
  cx_pool *p = cx_pool_create(0, &err);
  cr_assert_not_null(p, "%s", err.message);
  cr_assert_geq(cx_pool_threads(p), 1);
  cx_pool_destroy(p);
  cx_pool_destroy(NULL);
}

Test(hybrid_pool, rejects_absurd_size) {
  cx_error err = {0};
  cr_assert_null(cx_pool_create(CX_POOL_MAX_THREADS + 1, &err));
  cr_assert_eq(err.code, CX_EINVAL);
  cr_assert_neq(err.message[0], '\0');
}

Test(hybrid_pool, run_calls_each_worker_once_and_caps_k) {
  cr_assert_not_null(runner_shape_check);
  for (unsigned threads = 1; threads <= 5; threads++) {
    cx_pool *p = cx_pool_create(threads, NULL);
    cr_assert_not_null(p);
    for (unsigned k = 0; k <= threads + 2; k++) {
      atomic_uint slots[8];
      for (unsigned i = 0; i < 8; i++)
        atomic_init(&slots[i], 0);
      cx_pool_run_workers(p, k, count_worker, slots);
      unsigned expect = k < threads ? k : threads;
      for (unsigned w = 0; w < 8; w++)
        cr_assert_eq(atomic_load(&slots[w]), w < expect ? 1u : 0u,
                     "threads=%u k=%u worker %u ran %u times", threads, k, w,
                     atomic_load(&slots[w]));
    }
    cx_pool_destroy(p);
  }
}

/* Workers that wait for each other prove they really run concurrently. */
typedef struct barrier_arg {
  atomic_uint arrived;
  unsigned k;
} barrier_arg;

static void barrier_worker(void *arg, unsigned w) {
  (void)w;
  barrier_arg *b = arg;
  atomic_fetch_add(&b->arrived, 1);
  while (atomic_load(&b->arrived) < b->k)
    sched_yield();
}

Test(hybrid_pool, workers_run_concurrently) {
  cx_pool *p = cx_pool_create(4, NULL);
  cr_assert_not_null(p);
  for (int round = 0; round < 50; round++) {
    barrier_arg b = {.k = 4};
    atomic_init(&b.arrived, 0);
    cx_pool_run(p, 4, barrier_worker, &b);
    cr_assert_eq(atomic_load(&b.arrived), 4);
  }
  cx_pool_destroy(p);
}

Test(hybrid_pool, parallel_for_covers_every_index_once_under_stress) {
  uint64_t seed = cx_test_seed("hybrid_pool");
  cx_rng rng = {seed};
  uint64_t iters = cx_test_iters(400);
  cx_pool *pools[4];
  for (unsigned t = 0; t < 4; t++) {
    pools[t] = cx_pool_create(t + 1, NULL);
    cr_assert_not_null(pools[t]);
  }
  for (uint64_t it = 0; it < iters; it++) {
    unsigned t = (unsigned)cx_rng_below(&rng, 4);
    size_t n = (size_t)cx_rng_below(&rng, it % 10 == 0 ? 20000 : 700);
    size_t chunk = (size_t)cx_rng_below(&rng, 70);
    if (it % 7 == 0)
      chunk = SIZE_MAX / 2; /* absurd chunk must not overflow the cursor */
    hits h;
    hits_init(&h, n, t + 1);
    cx_pool_parallel_for(pools[t], n, chunk, hits_range, &h);
    char what[96];
    snprintf(what, sizeof what, "seed=%llu it=%llu threads=%u n=%zu chunk=%zu",
             (unsigned long long)seed, (unsigned long long)it, t + 1, n,
             chunk);
    hits_check_once(&h, what);
  }
  for (unsigned t = 0; t < 4; t++)
    cx_pool_destroy(pools[t]);
}

typedef struct caller_arg {
  cx_pool *pool;
  unsigned rounds;
  atomic_uint failures;
} caller_arg;

static void *caller_main(void *opaque) {
  caller_arg *c = opaque;
  for (unsigned r = 0; r < c->rounds; r++) {
    hits h;
    hits_init(&h, 257 + r, cx_pool_threads(c->pool));
    cx_pool_parallel_for(c->pool, h.n, 3, hits_range, &h);
    for (size_t i = 0; i < h.n; i++)
      if (atomic_load(&h.count[i]) != 1)
        atomic_fetch_add(&c->failures, 1);
    if (atomic_load(&h.bad_worker))
      atomic_fetch_add(&c->failures, 1);
    free(h.count);
  }
  return NULL;
}

Test(hybrid_pool, concurrent_callers_are_serialised) {
  cx_pool *p = cx_pool_create(3, NULL);
  cr_assert_not_null(p);
  caller_arg c = {.pool = p, .rounds = 60};
  atomic_init(&c.failures, 0);
  pthread_t th[3];
  for (int i = 0; i < 3; i++)
    cr_assert_eq(pthread_create(&th[i], NULL, caller_main, &c), 0);
  for (int i = 0; i < 3; i++)
    pthread_join(th[i], NULL);
  cr_assert_eq(atomic_load(&c.failures), 0);
  cr_assert_geq(cx_pool_jobs(p), 1);
  cx_pool_destroy(p);
}

typedef struct nest_arg {
  cx_pool *pool;
  hits inner[4];
} nest_arg;

static void nest_worker(void *arg, unsigned w) {
  nest_arg *a = arg;
  cx_pool_parallel_for(a->pool, a->inner[w].n, 5, hits_range, &a->inner[w]);
}

Test(hybrid_pool, nested_calls_do_not_deadlock) {
  cx_pool *p = cx_pool_create(4, NULL);
  cr_assert_not_null(p);
  nest_arg a = {.pool = p};
  for (unsigned w = 0; w < 4; w++)
    hits_init(&a.inner[w], 100 + w, 4);
  cx_pool_run(p, 4, nest_worker, &a);
  for (unsigned w = 0; w < 4; w++)
    hits_check_once(&a.inner[w], "nested");
  cx_pool_destroy(p);
}

Test(hybrid_pool, create_destroy_many_times) {
  for (int i = 0; i < 50; i++) {
    cx_pool *p = cx_pool_create(1 + i % 4, NULL);
    cr_assert_not_null(p);
    if (i % 2) {
      hits h;
      hits_init(&h, 64, cx_pool_threads(p));
      cx_pool_parallel_for(p, 64, 1, hits_range, &h);
      hits_check_once(&h, "create/destroy");
    }
    cx_pool_destroy(p);
  }
}

/* Plain (non-atomic) writes of each worker, read by the caller after the
 * job: the wait that ends a job must order them, whether the caller
 * caught the end while spinning or after sleeping. */
typedef struct plain_job {
  unsigned round;
  unsigned seen[2];
} plain_job;

static void plain_write(void *arg, unsigned w) {
  plain_job *j = arg;
  j->seen[w] = j->round;
}

Test(pool, results_visible_after_spinning_and_sleeping_waits) {
  /* Two threads: their waits spin first on any machine of two cores or
   * more; the pauses outlast a spin, so workers also sleep and wake. */
  cx_pool *p = cx_pool_create(2, NULL);
  cr_assert_not_null(p);
  plain_job j = {0, {0, 0}};
  for (unsigned r = 1; r <= 400; r++) {
    j.round = r;
    cx_pool_run(p, 2, plain_write, &j);
    cr_assert(j.seen[0] == r && j.seen[1] == r,
              "round %u: workers left %u and %u", r, j.seen[0], j.seen[1]);
    if (r % 50 == 0)
      usleep(1000);
  }
  cr_assert_eq(cx_pool_jobs(p), 400);
  cx_pool_destroy(p);
}
