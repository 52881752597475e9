/* The hybrid scheduler: every strategy under every sim fault mix gives
 * exactly the CPU verdicts and digests; counters match the injected
 * faults; a wrong device "valid" never reaches the result; the breaker
 * opens and recovers; metrics are well formed.
 * CX_TEST_LABEL_CONCURRENCY */
#include <criterion/criterion.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cx_sched.h"
#include "gpu.h"
#include "test_hybrid_fixture.h"

static cx_pool *pool;
static cx_verifier *verifier;
static cx_signer *signer;

static void setup(void) {
  pool = cx_pool_create(2, NULL);
  verifier = cx_verifier_create();
  signer = cx_signer_create();
  cr_assert(pool && verifier && signer);
}

static void teardown(void) {
  cx_signer_destroy(signer);
  cx_verifier_destroy(verifier);
  cx_pool_destroy(pool);
}

TestSuite(hybrid_sched, .init = setup, .fini = teardown);

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* A random batch of n items, about one in bad_every invalid. */
static void random_batch(hy_batch *b, size_t n, unsigned bad_every) {
  cx_rng rng = {cx_test_seed("hybrid_sched")};
  hy_batch_make(b, signer, verifier, &rng, n, bad_every);
}

static cx_sched *make(cx_strategy st, const char *gpu, unsigned deadline_ms) {
  cx_sched_config c;
  cx_sched_config_default(&c);
  c.strategy = st;
  c.gpu = gpu;
  c.verify_threshold = 24;
  c.sha_threshold = 24;
  c.deadline_ms = deadline_ms;
  c.breaker_cooldown_ms = 5;
  c.trust_after = 2;
  cx_error err = {0};
  cx_sched *s = cx_sched_create(&c, pool, verifier, &err);
  cr_assert_not_null(s, "create(%s, %s): %s", cx_strategy_name(st), gpu,
                     err.message);
  return s;
}

/* Runs both kinds on b through s and compares with the CPU answers. */
static void check_batch(cx_sched *s, const hy_batch *b, const char *what) {
  size_t m = b->n ? b->n : 1;
  uint8_t *verdicts = malloc(m);
  uint8_t(*digests)[32] = malloc(m * 32);
  cr_assert(verdicts && digests);
  memset(verdicts, 0xAA, m);
  cx_error err = {0};
  cr_assert_eq(cx_sched_verify(s, b->n, b->pp, b->pd, b->ps, verdicts, &err),
               CX_OK, "%s: %s", what, err.message);
  for (size_t i = 0; i < b->n; i++)
    cr_assert_eq(verdicts[i], b->expect[i],
                 "%s: verdict %zu of %zu is %u, CPU says %u", what, i, b->n,
                 verdicts[i], b->expect[i]);
  cr_assert_eq(cx_sched_sha256(s, b->n, b->pm, b->mlen, digests, &err),
               CX_OK, "%s: %s", what, err.message);
  for (size_t i = 0; i < b->n; i++)
    cr_assert_eq(memcmp(digests[i], b->dexpect[i], 32), 0,
                 "%s: digest %zu of %zu differs from the CPU", what, i, b->n);
  free(verdicts);
  free(digests);
}

/* Verifies b through s and asserts the CPU verdicts. */
static void verify_exact(cx_sched *s, const hy_batch *b, const char *what) {
  uint8_t *v = malloc(b->n ? b->n : 1);
  cr_assert_not_null(v);
  cr_assert_eq(cx_sched_verify(s, b->n, b->pp, b->pd, b->ps, v, NULL), CX_OK,
               "%s", what);
  cr_assert_arr_eq(v, b->expect, b->n, "%s", what);
  free(v);
}

static void check_counters(const cx_sched *s, uint64_t items,
                           const char *what) {
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  cr_assert_eq(st.items_cpu + st.items_device, items,
               "%s: %llu cpu + %llu device results for %llu items", what,
               (unsigned long long)st.items_cpu,
               (unsigned long long)st.items_device,
               (unsigned long long)items);
  cr_assert_eq(st.device_errors, st.sim_injected_fail,
               "%s: %llu device errors, %llu injected", what,
               (unsigned long long)st.device_errors,
               (unsigned long long)st.sim_injected_fail);
  cr_assert_eq(st.device_mismatches, st.sim_injected_wrong,
               "%s: %llu mismatches, %llu injected", what,
               (unsigned long long)st.device_mismatches,
               (unsigned long long)st.sim_injected_wrong);
  /* Every hang times out; a slow machine may add deadline misses. */
  cr_assert_geq(st.device_timeouts, st.sim_injected_hang,
                "%s: %llu timeouts, %llu injected hangs", what,
                (unsigned long long)st.device_timeouts,
                (unsigned long long)st.sim_injected_hang);
  cr_assert_eq(st.device_ok + st.device_errors + st.device_timeouts +
                   st.device_mismatches,
               st.device_batches, "%s: device attempts do not add up", what);
}

Test(hybrid_sched, strategy_names_round_trip) {
  const char *names[] = {"auto", "cpu", "gpu", "balance"};
  for (int i = 0; i < 4; i++) {
    cx_strategy st = CX_STRATEGY_CPU;
    cr_assert_eq(cx_strategy_parse(names[i], &st), CX_OK);
    cr_assert_eq((int)st, i);
    cr_assert_str_eq(cx_strategy_name(st), names[i]);
  }
  cx_strategy st = CX_STRATEGY_BALANCE;
  cr_assert_eq(cx_strategy_parse("GPU", &st), CX_EINVAL);
  cr_assert_eq(cx_strategy_parse("", &st), CX_EINVAL);
  cr_assert_eq(cx_strategy_parse(NULL, &st), CX_EINVAL);
  cr_assert_eq(st, CX_STRATEGY_BALANCE);
  cr_assert_str_eq(cx_strategy_name((cx_strategy)42), "unknown");
  cx_sched_config c;
  cx_sched_config_default(&c);
  cr_assert_eq(c.strategy, CX_STRATEGY_AUTO);
  cr_assert_float_eq(c.crosscheck_fraction, 0.02, 1e-12);
}

Test(hybrid_sched, bad_device_specs_are_einval_with_a_message) {
  /* One past the devices present: "0" is only bad on a machine without
   * a GPU. "0,0" is bad either way (absent, or listed twice). */
  char absent[16];
  snprintf(absent, sizeof absent, "%d", cx_gpu_device_count());
  const char *bad[] = {"sim:fail=2",  "sim:bogus=1",      "sim:fail",
                       "simx",        "sim:fail=0.6,wrong=0.6",
                       "sim:delay_us=-1", "sim:threads=0", absent,
                       "0,0",         "abc",              "1,x"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cx_sched_config c;
    cx_sched_config_default(&c);
    c.gpu = bad[i];
    cx_error err = {0};
    cr_assert_null(cx_sched_create(&c, pool, verifier, &err), "%s", bad[i]);
    cr_assert_eq(err.code, CX_EINVAL, "%s: %s", bad[i], err.message);
    cr_assert_neq(err.message[0], '\0', "%s", bad[i]);
  }
  cx_sched_config c;
  cx_sched_config_default(&c);
  c.crosscheck_fraction = 1.5;
  cx_error err = {0};
  cr_assert_null(cx_sched_create(&c, pool, verifier, &err));
  cr_assert_eq(err.code, CX_EINVAL);
}

Test(hybrid_sched, all_without_cuda_means_cpu_with_a_note) {
  cx_sched *s = make(CX_STRATEGY_GPU, "all", 0);
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  if (st.device_backends == 0)
    cr_assert_str_eq(cx_sched_note(s), "no CUDA device: CPU only");
  hy_batch b;
  random_batch(&b, 40, 4);
  check_batch(s, &b, "gpu=all");
  hy_batch_free(&b);
  cx_sched_destroy(s);
}

Test(hybrid_sched, null_arguments_are_einval) {
  cx_sched *s = make(CX_STRATEGY_CPU, NULL, 0);
  uint8_t v[1];
  uint8_t d[1][32];
  cx_error err = {0};
  cr_assert_eq(cx_sched_verify(s, 1, NULL, NULL, NULL, v, &err), CX_EINVAL);
  cr_assert_eq(cx_sched_sha256(s, 1, NULL, NULL, d, &err), CX_EINVAL);
  cr_assert_eq(cx_sched_verify(NULL, 0, NULL, NULL, NULL, NULL, &err),
               CX_EINVAL);
  cr_assert_eq(cx_sched_verify(s, 0, NULL, NULL, NULL, NULL, &err), CX_OK);
  cx_sched_destroy(s);
}

/* The matrix: every strategy x every fault mix on random batches (sizes
 * around the threshold and the device batch size, invalid items mixed
 * in): always the CPU answers, and the counters match the faults. */
Test(hybrid_sched, every_strategy_and_fault_mix_gives_cpu_results) {
  static const char *mixes[] = {
      "sim:threads=2,max_batch=64",
      "sim:fail=0.3,threads=2,max_batch=64,seed=7",
      "sim:wrong=0.3,threads=2,max_batch=64,seed=8",
      "sim:hang=0.15,threads=2,max_batch=64,seed=9",
      "sim:fail=1.0,threads=2,max_batch=64",
      "sim:wrong=1.0,threads=2,max_batch=64",
      "sim:hang=1.0,threads=2,max_batch=64",
      "sim:fail=0.2,wrong=0.05,hang=0.01,delay_us=300,threads=2,max_batch=64",
      "sim:wrong=0.2,threads=2,max_batch=48,devices=2,seed=3",
      "sim:fail=0.1,wrong=0.1,hang=0.05,threads=2,max_batch=40,devices=2",
  };
  uint64_t seed = cx_test_seed("hybrid_sched");
  cx_rng rng = {seed};
  hy_batch batches[4];
  static const size_t sizes[4] = {0, 7, 64, 150};
  for (int i = 0; i < 4; i++)
    hy_batch_make(&batches[i], signer, verifier, &rng, sizes[i], 3);
  for (int st = CX_STRATEGY_AUTO; st <= CX_STRATEGY_BALANCE; st++) {
    for (size_t m = 0; m < sizeof mixes / sizeof *mixes; m++) {
      /* hang=1.0 costs a deadline per attempt: fewer rounds there. */
      bool all_hang = strstr(mixes[m], "hang=1.0") != NULL;
      bool hang = strstr(mixes[m], "hang=") != NULL;
      cx_sched *s = make((cx_strategy)st, mixes[m],
                         all_hang ? 60 : hang ? 400 : 0);
      uint64_t items = 0;
      for (int round = 0; round < (all_hang ? 1 : 3); round++)
        for (int i = 0; i < 4; i++) {
          char what[200];
          snprintf(what, sizeof what, "seed=%llu strategy=%s %s n=%zu",
                   (unsigned long long)seed, cx_strategy_name(st), mixes[m],
                   batches[i].n);
          check_batch(s, &batches[i], what);
          items += 2 * batches[i].n;
        }
      char what[200];
      snprintf(what, sizeof what, "seed=%llu strategy=%s %s",
               (unsigned long long)seed, cx_strategy_name(st), mixes[m]);
      check_counters(s, items, what);
      cx_sched_stats stats;
      cx_sched_stats_get(s, &stats);
      if (st == CX_STRATEGY_CPU)
        cr_assert_eq(stats.device_batches, 0, "%s", what);
      if (st == CX_STRATEGY_GPU)
        cr_assert_gt(stats.device_batches, 0, "%s", what);
      if (strstr(mixes[m], "fail=1.0") || strstr(mixes[m], "wrong=1.0") ||
          all_hang)
        cr_assert_eq(stats.items_device, 0, "%s", what);
      cx_sched_destroy(s);
    }
  }
  for (int i = 0; i < 4; i++)
    hy_batch_free(&batches[i]);
}

/* Untrusted device claiming every signature valid (wrong=1.0 on a batch
 * that is mostly invalid): the CPU verdicts win every time, every device
 * batch is discarded, and the backend never becomes trusted. */
Test(hybrid_sched, wrong_valid_is_caught_every_time_while_untrusted) {
  hy_batch b;
  random_batch(&b, 96, 2);
  /* Make them all invalid: the device's flipped verdicts all say valid. */
  for (size_t i = 0; i < b.n; i++)
    b.sig[i][5] ^= 0x40;
  cx_verify_batch(verifier, b.n, b.pp, b.pd, b.ps, b.expect);
  cr_assert_eq(hy_batch_invalid(&b), b.n);
  static const char *specs[] = {"sim:wrong=1.0,max_batch=32",
                                "sim:wrong=1.0,wrong_items=1,max_batch=32"};
  for (int k = 0; k < 2; k++) {
    cx_sched *s = make(CX_STRATEGY_GPU, specs[k], 0);
    for (int round = 0; round < 6; round++) {
      uint8_t v[96];
      cr_assert_eq(cx_sched_verify(s, b.n, b.pp, b.pd, b.ps, v, NULL), CX_OK);
      for (size_t i = 0; i < b.n; i++)
        cr_assert_eq(v[i], 0, "%s round %d: invalid signature %zu accepted",
                     specs[k], round, i);
    }
    cx_sched_stats st;
    cx_sched_stats_get(s, &st);
    cr_assert_eq(st.items_device, 0);
    cr_assert_eq(st.device_mismatches, st.device_batches);
    cr_assert_eq(st.device_mismatches, st.sim_injected_wrong);
    cr_assert_gt(st.device_mismatches, 0);
    cr_assert_eq(st.backends_trusted, 0);
    cr_assert_gt(st.fallbacks[CX_FALLBACK_MISMATCH], 0);
    cx_sched_destroy(s);
  }
  hy_batch_free(&b);
}

/* Once trusted, a device is sampled instead of fully rechecked. (Wrong
 * batches of trusted backends are caught by the sample: the matrix above
 * has them, with trust_after = 2, and counts every one.) */
Test(hybrid_sched, trusted_device_is_sampled) {
  hy_batch b;
  random_batch(&b, 128, 0);
  cx_sched *s = make(CX_STRATEGY_GPU, "sim:max_batch=128", 0);
  for (int round = 0; round < 3; round++)
    check_batch(s, &b, "clean");
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  cr_assert_eq(st.backends_trusted, 1, "trusted after 2 clean batches");
  uint64_t before = st.crosscheck_samples;
  check_batch(s, &b, "trusted");
  cx_sched_stats_get(s, &st);
  /* 2% of 128 rounds up to 3 per kind: far below a full recheck. */
  cr_assert_lt(st.crosscheck_samples - before, 2 * 128 / 2);
  cr_assert_geq(st.crosscheck_samples - before, 2);
  cx_sched_destroy(s);
  hy_batch_free(&b);
}

/* A trusted device that rejects one valid signature per wrong batch is
 * caught every time: every device "invalid" is rechecked. */
Test(hybrid_sched, trusted_device_cannot_reject_a_valid_signature) {
  hy_batch b;
  random_batch(&b, 64, 0); /* all valid */
  cr_assert_eq(hy_batch_invalid(&b), 0);
  cx_sched_config c;
  cx_sched_config_default(&c);
  c.strategy = CX_STRATEGY_GPU;
  c.gpu = "sim:wrong=0.4,wrong_items=1,max_batch=64,seed=11";
  c.trust_after = 1;
  c.breaker_cooldown_ms = 1;
  cx_sched *s = cx_sched_create(&c, pool, verifier, NULL);
  cr_assert_not_null(s);
  for (int round = 0; round < 30; round++) {
    verify_exact(s, &b, "round");
    if (round % 4 == 3)
      sleep_ms(2); /* let an opened breaker probe again */
  }
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  cr_assert_gt(st.sim_injected_wrong, 0);
  cr_assert_eq(st.device_mismatches, st.sim_injected_wrong);
  cr_assert_gt(st.device_ok, 0);
  cx_sched_destroy(s);
  hy_batch_free(&b);
}

/* A device that corrupts a single item per batch: a trusted backend's
 * sample may miss it (the documented residual risk), so with
 * crosscheck_fraction = 1 every batch is rechecked and the result is
 * exact, for every strategy. */
Test(hybrid_sched, partial_corruption_needs_full_crosscheck) {
  hy_batch b;
  random_batch(&b, 120, 4);
  for (int st = CX_STRATEGY_AUTO; st <= CX_STRATEGY_BALANCE; st++) {
    cx_sched_config c;
    cx_sched_config_default(&c);
    c.strategy = (cx_strategy)st;
    c.gpu = "sim:wrong=0.5,wrong_items=1,max_batch=32,devices=2";
    c.verify_threshold = c.sha_threshold = 16;
    c.trust_after = 1;
    c.crosscheck_fraction = 1.0;
    cx_sched *s = cx_sched_create(&c, pool, verifier, NULL);
    cr_assert_not_null(s);
    for (int round = 0; round < 4; round++)
      check_batch(s, &b, cx_strategy_name(st));
    check_counters(s, 4 * 2 * b.n, cx_strategy_name(st));
    cx_sched_destroy(s);
  }
  hy_batch_free(&b);
}

Test(hybrid_sched, breaker_opens_and_recovers) {
  hy_batch b;
  random_batch(&b, 40, 5);
  cx_sched_config c;
  cx_sched_config_default(&c);
  c.strategy = CX_STRATEGY_GPU;
  c.gpu = "sim:fail_first=4,max_batch=64";
  c.breaker_cooldown_ms = 150;
  c.trust_after = 2;
  c.max_retries = 1;
  cx_error err = {0};
  cx_sched *s = cx_sched_create(&c, pool, verifier, &err);
  cr_assert_not_null(s, "%s", err.message);
  cx_sched_stats st;
  /* 1: attempt fails, retry fails: two failures in the window open it. */
  verify_exact(s, &b, "verify");
  cx_sched_stats_get(s, &st);
  cr_assert_eq(st.breaker_opens, 1);
  cr_assert_eq(st.backends_open, 1);
  cr_assert_eq(st.device_errors, 2);
  cr_assert_eq(st.retries, 1);
  /* 2: while open, nothing reaches the device. */
  uint64_t batches = st.device_batches;
  verify_exact(s, &b, "verify");
  cx_sched_stats_get(s, &st);
  if (st.device_batches == batches) /* unless the cooldown already ended */
    cr_assert_geq(st.fallbacks[CX_FALLBACK_UNAVAILABLE], 1);
  /* 3: half-open probes fail twice (fail_first=4), then one succeeds. */
  for (int i = 0; i < 40 && (st.backends_open || st.device_ok == 0); i++) {
    sleep_ms(160);
    verify_exact(s, &b, "verify");
    cx_sched_stats_get(s, &st);
  }
  cr_assert_eq(st.backends_open, 0, "breaker closed again");
  cr_assert_eq(st.device_errors, 4);
  cr_assert_eq(st.breaker_opens, 3, "opened by the window, then by 2 probes");
  cr_assert_geq(st.device_ok, 1);
  /* Clean batches make it trusted again. */
  for (int i = 0; i < 3; i++)
    verify_exact(s, &b, "after recovery");
  cx_sched_stats_get(s, &st);
  cr_assert_eq(st.backends_trusted, 1);
  cr_assert_gt(st.items_device, 0);
  cx_sched_destroy(s);
  hy_batch_free(&b);
}

/* Balance keeps probing an open breaker with a small share. */
Test(hybrid_sched, balance_lets_an_open_breaker_recover) {
  hy_batch b;
  random_batch(&b, 200, 5);
  cx_sched_config c;
  cx_sched_config_default(&c);
  c.strategy = CX_STRATEGY_BALANCE;
  c.gpu = "sim:fail_first=3,threads=2";
  c.breaker_cooldown_ms = 50;
  cx_sched *s = cx_sched_create(&c, pool, verifier, NULL);
  cr_assert_not_null(s);
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  for (int i = 0; i < 40 && (st.breaker_opens == 0 || st.backends_open ||
                             st.device_ok == 0);
       i++) {
    verify_exact(s, &b, "verify");
    cx_sched_stats_get(s, &st);
    if (st.backends_open)
      sleep_ms(60);
  }
  cr_assert_geq(st.breaker_opens, 1);
  cr_assert_eq(st.backends_open, 0, "closed again after a probe");
  cr_assert_geq(st.device_ok, 1);
  cr_assert_eq(st.device_errors, 3);
  cx_sched_destroy(s);
  hy_batch_free(&b);
}

Test(hybrid_sched, hung_results_arrive_late_and_are_dropped) {
  hy_batch b;
  random_batch(&b, 20, 3);
  cx_sched *s = make(CX_STRATEGY_GPU, "sim:hang=1.0", 30);
  verify_exact(s, &b, "verify");
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  cr_assert_eq(st.device_timeouts, 2, "first attempt and its retry");
  cr_assert_eq(st.sim_injected_hang, 2);
  cr_assert_eq(st.fallbacks[CX_FALLBACK_TIMEOUT], 1);
  /* The device ends each hung attempt once abandoned: wait for it. */
  for (int i = 0; i < 500 && st.late_dropped < 2; i++) {
    sleep_ms(10);
    cx_sched_stats_get(s, &st);
  }
  cr_assert_eq(st.late_dropped, 2);
  cr_assert_eq(st.items_device, 0);
  cx_sched_destroy(s);
  hy_batch_free(&b);
}

/* A device that stops answering (a kernel that never returns, here a sim
 * batch deaf to abandonment for two minutes): its batches time out and
 * the CPU gives the right verdicts, and destroying the scheduler leaves
 * the stuck thread behind after close_ms instead of waiting for it. The
 * Criterion timeout turns a destroy that waits into a failure. */
Test(hybrid_sched, a_stuck_device_does_not_hang_close, .timeout = 30) {
  hy_batch b;
  random_batch(&b, 20, 3);
  cx_sched *s =
      make(CX_STRATEGY_GPU, "sim:hang=1.0,stuck_ms=120000,close_ms=50", 30);
  verify_exact(s, &b, "verify");
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  cr_assert_geq(st.device_timeouts, 1);
  cr_assert_eq(st.items_device, 0);
  cr_assert_eq(st.late_dropped, 0, "the stuck batch never ends");
  cx_sched_destroy(s);
  hy_batch_free(&b);
}

Test(hybrid_sched, balance_uses_both_sides) {
  hy_batch b;
  random_batch(&b, 300, 6);
  cx_sched *s = make(CX_STRATEGY_BALANCE, "sim:threads=2", 0);
  check_batch(s, &b, "balance");
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  cr_assert_gt(st.items_cpu, 0);
  cr_assert_gt(st.device_batches, 0);
  check_counters(s, 2 * b.n, "balance");
  cx_sched_destroy(s);
  hy_batch_free(&b);
}

Test(hybrid_sched, auto_routes_by_threshold) {
  uint64_t seed = cx_test_seed("hybrid_sched");
  cx_rng rng = {seed};
  hy_batch small, big;
  hy_batch_make(&small, signer, verifier, &rng, 23, 4);
  hy_batch_make(&big, signer, verifier, &rng, 24, 4);
  cx_sched *s = make(CX_STRATEGY_AUTO, "sim", 0);
  check_batch(s, &small, "below threshold");
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  cr_assert_eq(st.device_batches, 0);
  check_batch(s, &big, "at threshold");
  cx_sched_stats_get(s, &st);
  cr_assert_eq(st.device_batches, 2, "one verify and one sha256 batch");
  cr_assert_eq(st.verify_threshold, 24, "configured thresholds stay fixed");
  cx_sched_destroy(s);
  hy_batch_free(&small);
  hy_batch_free(&big);
}

Test(hybrid_sched, adaptive_threshold_moves_within_bounds) {
  hy_batch b;
  random_batch(&b, 300, 0);
  cx_sched_config c;
  cx_sched_config_default(&c);
  c.gpu = "sim:delay_us=200";
  cx_sched *s = cx_sched_create(&c, pool, verifier, NULL);
  cr_assert_not_null(s);
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  size_t start = st.verify_threshold;
  cr_assert_geq(start, 1);
  for (int i = 0; i < 4; i++) {
    verify_exact(s, &b, "verify");
  }
  cx_sched_stats_get(s, &st);
  /* Each clean device batch moves it by at most x1.2 (+1) or x0.8. */
  double hi = (double)start, lo = (double)start;
  for (uint64_t i = 0; i < st.device_ok; i++)
    hi = hi * 1.2 + 1, lo = lo * 0.8;
  cr_assert_leq((double)st.verify_threshold, hi + 1e-9);
  cr_assert_geq((double)st.verify_threshold, lo - 1.0);
  if (st.device_ok > 0)
    cr_assert_neq(st.verify_threshold, start, "threshold adapts");
  cx_sched_destroy(s);
  hy_batch_free(&b);
}

Test(hybrid_sched, run_tasks_mixes_kinds) {
  hy_batch b;
  random_batch(&b, 60, 3);
  cx_sched *s = make(CX_STRATEGY_GPU, "sim:wrong=0.5,max_batch=16", 0);
  cx_task t[120];
  cx_task_result res[120];
  for (size_t i = 0; i < 60; i++) {
    t[2 * i] = (cx_task){.id = 2 * i, .kind = CX_TASK_VERIFY};
    t[2 * i].payload.verify.pubkey33 = b.pub[i];
    t[2 * i].payload.verify.digest32 = b.dig[i];
    t[2 * i].payload.verify.sig64 = b.sig[i];
    t[2 * i + 1] = (cx_task){.id = 2 * i + 1, .kind = CX_TASK_SHA256};
    t[2 * i + 1].payload.sha256.msg = b.pm[i];
    t[2 * i + 1].payload.sha256.len = b.mlen[i];
  }
  cx_batch_stats bs;
  cr_assert_eq(cx_sched_run_tasks(s, 120, t, res, &bs, NULL), CX_OK);
  for (size_t i = 0; i < 60; i++) {
    cr_assert_eq(res[2 * i].valid, b.expect[i]);
    cr_assert_eq(memcmp(res[2 * i + 1].digest, b.dexpect[i], 32), 0);
  }
  cr_assert_eq(bs.items, 120);
  cr_assert_geq(bs.device_batches, 1);
  cr_assert_leq(bs.items_device, 120);
  /* Stats of a clean device and of the CPU alone. */
  cx_sched *c = make(CX_STRATEGY_GPU, "sim:max_batch=16", 0);
  cr_assert_eq(cx_sched_run_tasks(c, 120, t, res, &bs, NULL), CX_OK);
  cr_assert_eq(bs.device_batches, 8, "60 items per kind in batches of 16");
  cr_assert_eq(bs.items_device, 120);
  cr_assert_eq(bs.retries, 0);
  cr_assert_gt(bs.bytes_moved, 60 * (33 + 32 + 64));
  cr_assert_gt(bs.wall_ns, 0);
  cr_assert_str_eq(bs.backend, "sim0");
  cx_sched_destroy(c);
  c = make(CX_STRATEGY_CPU, NULL, 0);
  cr_assert_eq(cx_sched_run_tasks(c, 120, t, res, &bs, NULL), CX_OK);
  cr_assert_str_eq(bs.backend, "cpu");
  cr_assert_eq(bs.device_batches, 0);
  cr_assert_eq(bs.items_device, 0);
  cx_sched_destroy(c);
  t[3].kind = (cx_task_kind)9;
  cx_error err = {0};
  cr_assert_eq(cx_sched_run_tasks(s, 120, t, res, NULL, &err), CX_EINVAL);
  cx_sched_destroy(s);
  hy_batch_free(&b);
}

Test(hybrid_sched, metrics_are_prometheus_text) {
  hy_batch b;
  random_batch(&b, 50, 3);
  cx_sched *s = make(CX_STRATEGY_BALANCE, "sim:fail=0.3,devices=2", 0);
  check_batch(s, &b, "metrics");
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  cr_assert_not_null(f);
  cr_assert_eq(cx_sched_metrics_write(s, f), CX_OK);
  fclose(f);
  const char *must[] = {
      "chainexec_sched_batch_duration_seconds_bucket{backend=\"cpu\","
      "kind=\"verify\",le=\"+Inf\"}",
      "chainexec_sched_items_total{backend=\"sim1\",kind=\"sha256\"}",
      "chainexec_sched_routes_total{kind=\"verify\",route=\"balance\"} 1",
      "chainexec_sched_fallbacks_total{kind=\"verify\",cause=\"error\"}",
      "chainexec_sched_crosscheck_samples_total{kind=\"verify\"}",
      "chainexec_sched_breaker_state{backend=\"sim0\"}",
      "chainexec_sched_threshold_items{kind=\"verify\"} 24",
      "chainexec_sched_device_busy_fraction{backend=\"sim0\"}",
      "chainexec_sched_batch_size{backend=\"sim0\",kind=\"verify\"}",
  };
  for (size_t i = 0; i < sizeof must / sizeof *must; i++)
    cr_assert_not_null(strstr(text, must[i]), "missing %s in:\n%s", must[i],
                       text);
  regex_t re;
  cr_assert_eq(regcomp(&re,
                       "^(# (HELP|TYPE) chainexec_sched_[a-z_]+ .+|"
                       "chainexec_sched_[a-z_]+(\\{[a-z_]+=\"[^\"]*\""
                       "(,[a-z_]+=\"[^\"]*\")*\\})? [0-9.e+-]+)$",
                       REG_EXTENDED | REG_NOSUB),
               0);
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
    cr_assert_eq(regexec(&re, line, 0, NULL, 0), 0, "bad line: %s", line);
  regfree(&re);
  free(text);
  cx_sched_destroy(s);
  hy_batch_free(&b);
}

/* Several threads share one scheduler, devices faulty. */
typedef struct shared_arg {
  cx_sched *s;
  const hy_batch *b;
  int failures;
} shared_arg;

static void *shared_main(void *opaque) {
  shared_arg *a = opaque;
  uint8_t *v = malloc(a->b->n);
  uint8_t(*d)[32] = malloc(a->b->n * 32);
  for (int round = 0; round < 4; round++) {
    if (cx_sched_verify(a->s, a->b->n, a->b->pp, a->b->pd, a->b->ps, v,
                        NULL) != CX_OK ||
        memcmp(v, a->b->expect, a->b->n) != 0)
      a->failures++;
    if (cx_sched_sha256(a->s, a->b->n, a->b->pm, a->b->mlen, d, NULL) !=
            CX_OK ||
        memcmp(d, a->b->dexpect, a->b->n * 32) != 0)
      a->failures++;
  }
  free(v);
  free(d);
  return NULL;
}

Test(hybrid_sched, concurrent_callers_get_cpu_results) {
  hy_batch b;
  random_batch(&b, 80, 3);
  cx_sched *s = make(CX_STRATEGY_BALANCE,
                     "sim:fail=0.2,wrong=0.2,hang=0.05,threads=2,devices=2,"
                     "max_batch=16",
                     300);
  shared_arg args[3];
  pthread_t th[3];
  for (int i = 0; i < 3; i++) {
    args[i] = (shared_arg){.s = s, .b = &b};
    cr_assert_eq(pthread_create(&th[i], NULL, shared_main, &args[i]), 0);
  }
  for (int i = 0; i < 3; i++) {
    pthread_join(th[i], NULL);
    cr_assert_eq(args[i].failures, 0, "thread %d", i);
  }
  cx_sched_stats st;
  cx_sched_stats_get(s, &st);
  cr_assert_eq(st.items_cpu + st.items_device, 3 * 4 * 2 * b.n);
  cr_assert_eq(st.device_errors, st.sim_injected_fail);
  cr_assert_eq(st.device_mismatches, st.sim_injected_wrong);
  cx_sched_destroy(s);
  hy_batch_free(&b);
}
