/* Worker pool: persistent pthreads woken per job by a generation counter.
 *
 * Invariants (all under `mu`):
 *  - `generation` increases by one per published job; a background worker
 *    remembers the last generation it saw and takes part in a job exactly
 *    once, when its index is below the job's `k`.
 *  - `pending` counts the background workers of the current job that have
 *    not finished; the job is over when it reaches 0 (worker 0, the
 *    caller, finishes on its own thread before it waits).
 *  - `job_fn`/`job_arg`/`job_k` are only written while no job is pending.
 * Lock order: `call_mu` (one caller at a time) before `mu`.
 */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* The pool whose job the current thread is running, to detect nesting. */
static _Thread_local const cx_pool *cx_pool_current_;

typedef struct cx_pool_worker {
  cx_pool *pool;
  unsigned index; /* 1..threads-1 */
  pthread_t thread;
} cx_pool_worker;

struct cx_pool {
  unsigned threads;
  cx_pool_worker *workers; /* threads-1 entries */
  pthread_mutex_t call_mu;
  pthread_mutex_t mu;
  pthread_cond_t start_cv;
  pthread_cond_t done_cv;
  unsigned long long generation;
  unsigned pending;
  bool stopping;
  void (*job_fn)(void *, unsigned);
  void *job_arg;
  unsigned job_k;
  atomic_ullong jobs;
};

static void *cx_pool_worker_main(void *opaque) {
  cx_pool_worker *w = opaque;
  cx_pool *p = w->pool;
  cx_pool_current_ = p;
  unsigned long long seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stopping && p->generation == seen)
      pthread_cond_wait(&p->start_cv, &p->mu);
    if (p->stopping)
      break;
    seen = p->generation;
    if (w->index >= p->job_k)
      continue;
    void (*fn)(void *, unsigned) = p->job_fn;
    void *arg = p->job_arg;
    pthread_mutex_unlock(&p->mu);
    fn(arg, w->index);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0)
      pthread_cond_signal(&p->done_cv);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Stops and joins the first `started` workers. */
static void cx_pool_stop(cx_pool *p, unsigned started) {
  pthread_mutex_lock(&p->mu);
  p->stopping = true;
  pthread_cond_broadcast(&p->start_cv);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < started; i++)
    pthread_join(p->workers[i].thread, NULL);
}

static void cx_pool_free(cx_pool *p) {
  pthread_cond_destroy(&p->done_cv);
  pthread_cond_destroy(&p->start_cv);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->call_mu);
  free(p->workers);
  free(p);
}

cx_pool *cx_pool_create(unsigned threads, cx_error *err) {
  if (threads == 0) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    threads = online < 1 ? 1u
              : online > (long)CX_POOL_MAX_THREADS ? CX_POOL_MAX_THREADS
                                                  : (unsigned)online;
  }
  if (threads > CX_POOL_MAX_THREADS) {
    cx_error_set(err, CX_EINVAL, "worker pool of %u threads requested; the "
                 "maximum is %u", threads, CX_POOL_MAX_THREADS);
    return NULL;
  }
  cx_pool *p = calloc(1, sizeof *p);
  if (!p || (threads > 1 &&
             !(p->workers = calloc(threads - 1, sizeof *p->workers)))) {
    free(p);
    cx_error_set(err, CX_ENOMEM, "out of memory creating a worker pool of "
                 "%u threads", threads);
    return NULL;
  }
  p->threads = threads;
  atomic_init(&p->jobs, 0);
  pthread_mutex_init(&p->call_mu, NULL);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->start_cv, NULL);
  pthread_cond_init(&p->done_cv, NULL);
  for (unsigned i = 0; i + 1 < threads; i++) {
    p->workers[i].pool = p;
    p->workers[i].index = i + 1;
    int rc = pthread_create(&p->workers[i].thread, NULL, cx_pool_worker_main,
                            &p->workers[i]);
    if (rc != 0) {
      cx_pool_stop(p, i);
      cx_pool_free(p);
      cx_error_set(err, CX_ELIMIT, "could not start worker thread %u of %u "
                   "(pthread_create error %d); lower the thread count",
                   i + 1, threads, rc);
      return NULL;
    }
  }
  return p;
}

unsigned cx_pool_threads(const cx_pool *p) { return p ? p->threads : 1u; }

unsigned long long cx_pool_jobs(const cx_pool *p) {
  return p ? atomic_load_explicit(&p->jobs, memory_order_relaxed) : 0;
}

void cx_pool_run(cx_pool *p, unsigned k,
                 void (*fn)(void *arg, unsigned worker), void *arg) {
  if (k == 0 || !fn)
    return;
  if (!p || k == 1 || p->threads == 1 || cx_pool_current_ == p) {
    /* Inline: no pool, nothing to share, or a nested call from a worker
     * (waiting for the pool there would deadlock). */
    if (p && k > p->threads)
      k = p->threads;
    for (unsigned w = 0; w < k; w++)
      fn(arg, w);
    return;
  }
  if (k > p->threads)
    k = p->threads;
  pthread_mutex_lock(&p->call_mu);
  pthread_mutex_lock(&p->mu);
  p->job_fn = fn;
  p->job_arg = arg;
  p->job_k = k;
  p->pending = k - 1;
  p->generation++;
  pthread_cond_broadcast(&p->start_cv);
  pthread_mutex_unlock(&p->mu);
  atomic_fetch_add_explicit(&p->jobs, 1, memory_order_relaxed);

  const cx_pool *outer = cx_pool_current_;
  cx_pool_current_ = p;
  fn(arg, 0);
  cx_pool_current_ = outer;

  pthread_mutex_lock(&p->mu);
  while (p->pending != 0)
    pthread_cond_wait(&p->done_cv, &p->mu);
  pthread_mutex_unlock(&p->mu);
  pthread_mutex_unlock(&p->call_mu);
}

void cx_pool_run_workers(void *pool, unsigned k,
                         void (*fn)(void *arg, unsigned worker), void *arg) {
  cx_pool_run(pool, k, fn, arg);
}

typedef struct cx_pool_for {
  size_t n, chunk;
  atomic_size_t cursor;
  void (*fn)(void *, size_t, size_t, unsigned);
  void *arg;
} cx_pool_for;

static void cx_pool_for_worker(void *opaque, unsigned worker) {
  cx_pool_for *f = opaque;
  for (;;) {
    size_t begin = atomic_fetch_add_explicit(&f->cursor, f->chunk,
                                             memory_order_relaxed);
    if (begin >= f->n)
      return;
    size_t end = f->n - begin < f->chunk ? f->n : begin + f->chunk;
    f->fn(f->arg, begin, end, worker);
  }
}

void cx_pool_parallel_for(cx_pool *p, size_t n, size_t chunk,
                          void (*fn)(void *arg, size_t begin, size_t end,
                                     unsigned worker),
                          void *arg) {
  if (n == 0 || !fn)
    return;
  size_t threads = cx_pool_threads(p);
  if (chunk == 0) {
    chunk = n / (threads * 8);
    if (chunk == 0)
      chunk = 1;
  }
  size_t chunks = n / chunk + (n % chunk != 0);
  if (chunks == 1 || threads == 1) {
    fn(arg, 0, n, 0);
    return;
  }
  /* The cursor can overshoot n by at most threads*chunk; keep it from
   * wrapping around SIZE_MAX. */
  if (chunk > (SIZE_MAX - n) / (threads + 1)) {
    chunk = n / threads + 1;
    chunks = n / chunk + (n % chunk != 0);
  }
  cx_pool_for f = {.n = n, .chunk = chunk, .fn = fn, .arg = arg};
  atomic_init(&f.cursor, 0);
  cx_pool_run(p, chunks < threads ? (unsigned)chunks : (unsigned)threads,
              cx_pool_for_worker, &f);
}

void cx_pool_destroy(cx_pool *p) {
  if (!p)
    return;
  cx_pool_stop(p, p->threads - 1);
  cx_pool_free(p);
}
