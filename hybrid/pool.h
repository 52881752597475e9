/* The CPU worker pool: one per engine, persistent threads, no thread
 * creation per call.
 *
 * A pool of `threads` workers owns threads-1 background pthreads; the
 * thread that calls cx_pool_run() takes part as worker 0, so a pool of one
 * thread runs everything inline and creates no thread at all.
 *
 * Threading: cx_pool_run(), cx_pool_run_workers() and
 * cx_pool_parallel_for() may be called from any thread; concurrent callers
 * are serialised by a mutex (one job occupies the pool at a time, the
 * others wait their turn). A call made from inside a job of the same pool
 * (nesting) does not deadlock: it runs its workers one after another on
 * the calling thread, so nested `fn`s must not wait for each other.
 * cx_pool_destroy() must not race with any other call on the pool.
 *
 * Memory ordering: everything a worker wrote before its `fn` returned is
 * visible to the caller when cx_pool_run() returns, and everything the
 * caller wrote before the call is visible to every worker.
 */
#ifndef CX_HYBRID_POOL_H
#define CX_HYBRID_POOL_H

#include <stddef.h>

#include "cx_error.h"

typedef struct cx_pool cx_pool;

/* Creates a pool of `threads` workers (0 = the number of online CPUs,
 * capped at CX_POOL_MAX_THREADS). Returns NULL and sets err (CX_ENOMEM, or
 * CX_EINVAL when threads exceeds CX_POOL_MAX_THREADS, or CX_ELIMIT when the
 * system refuses a thread) on failure; nothing is leaked then. */
#define CX_POOL_MAX_THREADS 1024u
cx_pool *cx_pool_create(unsigned threads, cx_error *err);

/* Number of workers (>= 1), the caller included. */
unsigned cx_pool_threads(const cx_pool *p);

/* Runs fn(arg, w) for w = 0..k'-1 concurrently, where k' = min(k,
 * threads); worker 0 runs on the calling thread. Returns when every fn
 * has returned. k == 0 does nothing. `fn` must not throw (longjmp) out. */
void cx_pool_run(cx_pool *p, unsigned k,
                 void (*fn)(void *arg, unsigned worker), void *arg);

/* The same as cx_pool_run() with `pool` passed as void *, so the pool
 * plugs into mvcc's runner interface
 * void (*)(void *runner, unsigned k, void (*fn)(void *, unsigned), void *)
 * with the pool itself as `runner`. */
void cx_pool_run_workers(void *pool, unsigned k,
                         void (*fn)(void *arg, unsigned worker), void *arg);

/* Chunked parallel-for: calls fn(arg, begin, end, worker) on disjoint
 * ranges [begin, end) that together cover [0, n) exactly once. Workers
 * take chunks of `chunk` indices from a shared atomic cursor (0 = pick a
 * chunk that gives each worker about 8 chunks). Returns when every index
 * has been processed. n == 0 does nothing. */
void cx_pool_parallel_for(cx_pool *p, size_t n, size_t chunk,
                          void (*fn)(void *arg, size_t begin, size_t end,
                                     unsigned worker),
                          void *arg);

/* Number of jobs (cx_pool_run calls that used background threads) the
 * pool has run since creation; for tests and metrics. Thread-safe. */
unsigned long long cx_pool_jobs(const cx_pool *p);

/* Stops and joins the background threads and frees the pool; NULL is a
 * no-op. No call on the pool may be in progress or follow. */
void cx_pool_destroy(cx_pool *p);

#endif /* CX_HYBRID_POOL_H */
