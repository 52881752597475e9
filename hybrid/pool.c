/* Worker pool: persistent pthreads woken per job by a generation counter.
 *
 * Invariants (all writes under `mu`):
 *  - `generation` increases by one per published job; a background worker
 *    remembers the last generation it saw and takes part in a job exactly
 *    once, when its index is below the job's `k`.
 *  - `pending` counts the background workers of the current job that have
 *    not finished; the job is over when it reaches 0 (worker 0, the
 *    caller, finishes on its own thread before it waits).
 *  - `job_fn`/`job_arg`/`job_k` are only written while no job is pending.
 *  - `sleepers` counts workers blocked on start_cv, `caller_waits` says
 *    the caller is blocked on done_cv: a condition variable is signalled
 *    only when someone sleeps on it.
 * Waiting spins briefly before it sleeps (CX_POOL_SPIN_NS): a block's
 * stages hand the pool one job after another, and waking a sleeping
 * thread costs tens of microseconds (more in a virtual machine, where an
 * idle core is handed back to the host), as much as a small job. The spin
 * reads `generation` / `pending` without the lock and then takes it, so
 * every decision is still made under `mu`.
 * Lock order: `call_mu` (one caller at a time) before `mu`.
 */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
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
  atomic_ullong generation;
  atomic_ullong pending;
  unsigned sleepers;
  bool spin; /* threads <= online CPUs: waits may spin first */
  bool caller_waits;
  bool stopping;
  void (*job_fn)(void *, unsigned);
  void *job_arg;
  unsigned job_k;
  atomic_ullong jobs;
};

/* How long a waiting thread polls before it sleeps. */
#define CX_POOL_SPIN_NS 100000

static uint64_t cx_pool_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cx_pool_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Polls until *word differs from `from` or CX_POOL_SPIN_NS pass; at once
 * when the pool has more threads than the machine has cores (a spinning
 * thread would then take a core from one that works). */
static void cx_pool_spin(const cx_pool *p, const atomic_ullong *word,
                         unsigned long long from) {
  if (!p->spin)
    return;
  uint64_t deadline = 0;
  for (unsigned i = 0;
       atomic_load_explicit(word, memory_order_acquire) == from; i++) {
    cx_pool_relax();
    if (i % 64 == 63) {
      uint64_t now = cx_pool_now_ns();
      if (deadline == 0)
        deadline = now + CX_POOL_SPIN_NS;
      else if (now > deadline)
        return;
    }
  }
}

static void *cx_pool_worker_main(void *opaque) {
  cx_pool_worker *w = opaque;
  cx_pool *p = w->pool;
  cx_pool_current_ = p;
  unsigned long long seen = 0;
  for (;;) {
    cx_pool_spin(p, &p->generation, seen);
    pthread_mutex_lock(&p->mu);
    while (!p->stopping && atomic_load(&p->generation) == seen) {
      p->sleepers++;
      pthread_cond_wait(&p->start_cv, &p->mu);
      p->sleepers--;
    }
    if (p->stopping)
      break;
    seen = atomic_load(&p->generation);
    if (w->index >= p->job_k) {
      pthread_mutex_unlock(&p->mu);
      continue;
    }
    void (*fn)(void *, unsigned) = p->job_fn;
    void *arg = p->job_arg;
    pthread_mutex_unlock(&p->mu);
    fn(arg, w->index);
    pthread_mutex_lock(&p->mu);
    if (atomic_fetch_sub(&p->pending, 1) == 1 && p->caller_waits)
      pthread_cond_signal(&p->done_cv);
    pthread_mutex_unlock(&p->mu);
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
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (threads == 0) {
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
  p->spin = online >= (long)threads;
  atomic_init(&p->jobs, 0);
  atomic_init(&p->generation, 0);
  atomic_init(&p->pending, 0);
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
  atomic_store(&p->pending, k - 1);
  atomic_fetch_add(&p->generation, 1);
  if (p->sleepers > 0)
    pthread_cond_broadcast(&p->start_cv);
  pthread_mutex_unlock(&p->mu);
  atomic_fetch_add_explicit(&p->jobs, 1, memory_order_relaxed);

  const cx_pool *outer = cx_pool_current_;
  cx_pool_current_ = p;
  fn(arg, 0);
  cx_pool_current_ = outer;

  /* Spin while workers finish, then sleep; the check under `mu` orders
   * everything the workers wrote before what the caller reads next. */
  unsigned long long left = atomic_load(&p->pending);
  while (left != 0) {
    cx_pool_spin(p, &p->pending, left);
    unsigned long long now = atomic_load(&p->pending);
    if (now == left)
      break; /* no progress during a whole spin: sleep */
    left = now;
  }
  pthread_mutex_lock(&p->mu);
  while (atomic_load(&p->pending) != 0) {
    p->caller_waits = true;
    pthread_cond_wait(&p->done_cv, &p->mu);
  }
  p->caller_waits = false;
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
