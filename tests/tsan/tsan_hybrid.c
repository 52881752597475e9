/* ThreadSanitizer driver for hybrid/ (see tsan_driver.h): the worker pool
 * (parallel-for from concurrent callers, nested calls, waits that spin
 * and waits that sleep; every index exactly once) and the scheduler shared
 * by several caller threads, for every strategy, with `sim` devices (their
 * own threads) failing, answering wrong and hanging; every verdict and
 * digest must equal the CPU's, and the device error/mismatch counts the
 * faults delivered. The single-thread matrix is in
 * tests/test_hybrid_sched.c; CX_TEST_ITERS for more rounds. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "cx_sched.h"
#include "pool.h"
#include "sha256.h"
#include "signer.h"
#include "tsan_driver.h"
#include "verify.h"

enum { N = 120, CALLERS = 3, SPAN = 3000 };

typedef struct cover {
  cx_pool *pool;
  atomic_uint hits[SPAN];
  unsigned rounds;
  unsigned pause_us; /* between a caller's calls */
} cover;

static void cover_range(void *arg, size_t b, size_t e, unsigned w) {
  (void)w;
  cover *c = arg;
  for (size_t i = b; i < e; i++)
    atomic_fetch_add_explicit(&c->hits[i], 1, memory_order_relaxed);
}

static void *cover_caller(void *arg) {
  cover *c = arg;
  for (unsigned r = 0; r < c->rounds; r++) {
    cx_pool_parallel_for(c->pool, SPAN, 1 + r % 13, cover_range, c);
    if (c->pause_us)
      usleep(c->pause_us);
  }
  return NULL;
}

static void nested_worker(void *arg, unsigned w) {
  (void)w;
  cover *c = arg;
  cx_pool_parallel_for(c->pool, SPAN, 7, cover_range, c);
}

/* A pool of `threads`: with 2 on a machine of 2 cores or more its waits
 * spin before they sleep, with 3 on 2 cores they sleep at once; a pause
 * longer than the spin between calls makes the workers sleep anyway. */
static void check_pool(uint64_t iters, unsigned threads, unsigned pause_us) {
  cx_error err = {0};
  static cover c;
  c.pool = cx_pool_create(threads, &err);
  TSAN_CHECK(c.pool != NULL, "%s", err.message);
  c.rounds = (unsigned)(10 * iters);
  c.pause_us = pause_us;
  for (size_t i = 0; i < SPAN; i++)
    atomic_init(&c.hits[i], 0);
  pthread_t t[CALLERS];
  for (int i = 0; i < CALLERS; i++)
    TSAN_CHECK(pthread_create(&t[i], NULL, cover_caller, &c) == 0, "thread");
  for (int i = 0; i < CALLERS; i++)
    pthread_join(t[i], NULL);
  cx_pool_run(c.pool, threads, nested_worker, &c); /* nested: inline */
  unsigned want = CALLERS * c.rounds + threads;
  for (size_t i = 0; i < SPAN; i++)
    TSAN_CHECK(atomic_load(&c.hits[i]) == want, "index %zu covered %u times,"
               " want %u", i, atomic_load(&c.hits[i]), want);
  cx_pool_destroy(c.pool);
}

typedef struct batch {
  uint8_t pub[N][33], dig[N][32], sig[N][64], msg[N][100];
  const uint8_t *pp[N], *pd[N], *ps[N], *pm[N];
  size_t len[N];
  uint8_t expect[N], dexpect[N][32];
} batch;

typedef struct caller {
  cx_sched *s;
  const batch *b;
  unsigned rounds;
  int bad;
} caller;

static void *sched_caller(void *arg) {
  caller *c = arg;
  uint8_t v[N], d[N][32];
  for (unsigned r = 0; r < c->rounds; r++) {
    size_t n = N - (r * 37) % N; /* varying sizes around the threshold */
    if (cx_sched_verify(c->s, n, c->b->pp, c->b->pd, c->b->ps, v, NULL) ||
        memcmp(v, c->b->expect, n) != 0)
      c->bad++;
    if (cx_sched_sha256(c->s, n, c->b->pm, c->b->len, d, NULL) ||
        memcmp(d, c->b->dexpect, 32 * n) != 0)
      c->bad++;
  }
  return NULL;
}

static void make_batch(batch *b, const cx_verifier *v, uint64_t *rng) {
  cx_signer *signer = cx_signer_create();
  TSAN_CHECK(signer != NULL, "out of memory");
  for (int i = 0; i < N; i++) {
    uint8_t sk[32];
    cx_signer_keypair(signer, tsan_rand(rng) % 8, sk, b->pub[i]);
    for (int j = 0; j < 32; j++)
      b->dig[i][j] = (uint8_t)tsan_rand(rng);
    TSAN_CHECK(cx_signer_sign(signer, sk, b->dig[i], b->sig[i]), "sign");
    if (tsan_rand(rng) % 4 == 0)
      b->sig[i][tsan_rand(rng) % 64] ^= 0x20; /* invalid */
    b->len[i] = (size_t)(tsan_rand(rng) % 100);
    for (size_t j = 0; j < b->len[i]; j++)
      b->msg[i][j] = (uint8_t)tsan_rand(rng);
    b->pp[i] = b->pub[i];
    b->pd[i] = b->dig[i];
    b->ps[i] = b->sig[i];
    b->pm[i] = b->msg[i];
  }
  cx_signer_destroy(signer);
  cx_verify_batch(v, N, b->pp, b->pd, b->ps, b->expect);
  cx_sha256_batch(N, b->pm, b->len, b->dexpect);
}

static void check_sched(uint64_t seed, uint64_t iters) {
  static const char *specs[] = {
      "sim:fail=0.2,wrong=0.2,hang=0.05,threads=2,devices=2,max_batch=16",
      "sim:wrong=0.3,delay_us=100,max_batch=40",
  };
  uint64_t rng = seed;
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(3, &err);
  cx_verifier *v = cx_verifier_create();
  TSAN_CHECK(pool && v, "setup: %s", err.message);
  static batch b;
  make_batch(&b, v, &rng);
  for (int st = CX_STRATEGY_AUTO; st <= CX_STRATEGY_BALANCE; st++)
    for (size_t k = 0; k < sizeof specs / sizeof *specs; k++) {
      cx_sched_config c;
      cx_sched_config_default(&c);
      c.strategy = (cx_strategy)st;
      c.gpu = specs[k];
      c.verify_threshold = c.sha_threshold = 24;
      c.deadline_ms = 500;
      c.breaker_cooldown_ms = 5;
      c.trust_after = 2;
      c.seed = seed;
      cx_sched *s = cx_sched_create(&c, pool, v, &err);
      TSAN_CHECK(s != NULL, "%s", err.message);
      caller callers[CALLERS];
      pthread_t t[CALLERS];
      for (int i = 0; i < CALLERS; i++) {
        callers[i] = (caller){.s = s, .b = &b, .rounds = (unsigned)(3 * iters)};
        TSAN_CHECK(pthread_create(&t[i], NULL, sched_caller, &callers[i]) == 0,
                   "thread");
      }
      /* A metrics reader alongside the callers. */
      char *text = NULL;
      size_t len = 0;
      FILE *f = open_memstream(&text, &len);
      TSAN_CHECK(f != NULL, "open_memstream");
      TSAN_CHECK(cx_sched_metrics_write(s, f) == CX_OK, "metrics");
      fclose(f);
      free(text);
      for (int i = 0; i < CALLERS; i++) {
        pthread_join(t[i], NULL);
        TSAN_CHECK(callers[i].bad == 0, "strategy %s, %s: %d results differ "
                   "from the CPU", cx_strategy_name(st), specs[k],
                   callers[i].bad);
      }
      cx_sched_stats stats;
      cx_sched_stats_get(s, &stats);
      TSAN_CHECK(stats.device_errors == stats.sim_injected_fail,
                 "%s: %llu errors, %llu failures delivered", specs[k],
                 (unsigned long long)stats.device_errors,
                 (unsigned long long)stats.sim_injected_fail);
      TSAN_CHECK(stats.device_mismatches == stats.sim_injected_wrong,
                 "%s: %llu mismatches, %llu wrong results delivered",
                 specs[k], (unsigned long long)stats.device_mismatches,
                 (unsigned long long)stats.sim_injected_wrong);
      cx_sched_destroy(s);
    }
  cx_verifier_destroy(v);
  cx_pool_destroy(pool);
}

int main(void) {
  uint64_t seed = cx_test_seed("tsan_hybrid");
  uint64_t iters = cx_test_iters(1);
  check_pool(iters, 3, 0);
  check_pool(iters, 2, 0);
  check_pool(iters, 2, 300);
  check_sched(seed, iters);
  printf("tsan_hybrid: ok\n");
  return 0;
}
