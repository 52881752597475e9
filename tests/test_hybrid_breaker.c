/* Health pieces of the scheduler on their own: the circuit breaker and
 * trust state machine (synthetic clock), device attempts (one-shot
 * completion, abandonment, late results), and the sim spec parser. */
#include <criterion/criterion.h>
#include <string.h>

#include "hy_attempt.h"
#include "hy_breaker.h"
#include "hy_sim.h"

#define MS 1000000ull

Test(hybrid_breaker, two_failures_in_window_open_it) {
  cx_breaker b;
  cx_breaker_init(&b, 100 * MS, 50 * MS, 3);
  bool probe;
  cr_assert(cx_breaker_acquire(&b, 1 * MS, &probe));
  cr_assert_not(probe);
  cx_breaker_failure(&b, 10 * MS, false);
  cr_assert_eq(cx_breaker_state_now(&b), CX_BREAKER_CLOSED);
  /* Second failure outside the window: still closed. */
  cx_breaker_failure(&b, 200 * MS, false);
  cr_assert_eq(cx_breaker_state_now(&b), CX_BREAKER_CLOSED);
  /* Third within the window of the second: open. */
  cx_breaker_failure(&b, 250 * MS, false);
  cr_assert_eq(cx_breaker_state_now(&b), CX_BREAKER_OPEN);
  cr_assert_eq(atomic_load(&b.opens), 1);
  cr_assert_not(cx_breaker_acquire(&b, 260 * MS, &probe));
  cr_assert_not(cx_breaker_acquire(&b, 299 * MS, &probe));
  cx_breaker_destroy(&b);
}

Test(hybrid_breaker, half_open_probe_closes_or_reopens) {
  cx_breaker b;
  cx_breaker_init(&b, 100 * MS, 50 * MS, 2);
  bool probe;
  cx_breaker_failure(&b, 1 * MS, false);
  cx_breaker_failure(&b, 2 * MS, false);
  cr_assert_eq(cx_breaker_state_now(&b), CX_BREAKER_OPEN);
  /* Cooldown over: exactly one probe. */
  cr_assert(cx_breaker_acquire(&b, 52 * MS, &probe));
  cr_assert(probe);
  cr_assert_eq(cx_breaker_state_now(&b), CX_BREAKER_HALF_OPEN);
  cr_assert_not(cx_breaker_acquire(&b, 53 * MS, &probe));
  /* Failed probe: open again, new cooldown from now. */
  cx_breaker_failure(&b, 60 * MS, true);
  cr_assert_eq(cx_breaker_state_now(&b), CX_BREAKER_OPEN);
  cr_assert_eq(atomic_load(&b.opens), 2);
  cr_assert_not(cx_breaker_acquire(&b, 100 * MS, &probe));
  cr_assert(cx_breaker_acquire(&b, 110 * MS, &probe));
  cr_assert(probe);
  /* A cancelled probe leaves it open but probe-able at once. */
  cx_breaker_cancel(&b, true);
  cr_assert_eq(cx_breaker_state_now(&b), CX_BREAKER_OPEN);
  cr_assert(cx_breaker_acquire(&b, 111 * MS, &probe));
  cr_assert(probe);
  cx_breaker_success(&b, true);
  cr_assert_eq(cx_breaker_state_now(&b), CX_BREAKER_CLOSED);
  cr_assert_eq(atomic_load(&b.probes), 3);
  /* Closed after a probe: one failure does not reopen it. */
  cx_breaker_failure(&b, 120 * MS, false);
  cr_assert_eq(cx_breaker_state_now(&b), CX_BREAKER_CLOSED);
  cx_breaker_destroy(&b);
}

Test(hybrid_breaker, trust_needs_a_clean_streak_and_any_failure_clears_it) {
  cx_breaker b;
  cx_breaker_init(&b, 100 * MS, 50 * MS, 3);
  cr_assert_not(cx_breaker_trusted(&b));
  cx_breaker_success(&b, false);
  cx_breaker_success(&b, false);
  cr_assert_not(cx_breaker_trusted(&b));
  cx_breaker_success(&b, false);
  cr_assert(cx_breaker_trusted(&b));
  cx_breaker_failure(&b, 1 * MS, false);
  cr_assert_not(cx_breaker_trusted(&b));
  cx_breaker_success(&b, false);
  cx_breaker_success(&b, false);
  cr_assert_not(cx_breaker_trusted(&b));
  cx_breaker_success(&b, false);
  cr_assert(cx_breaker_trusted(&b));
  cx_breaker_destroy(&b);
}

static const uint8_t *const *ptrs(const uint8_t *base, size_t stride,
                                  size_t n, const uint8_t **out) {
  for (size_t i = 0; i < n; i++)
    out[i] = base + i * stride;
  return out;
}

Test(hybrid_breaker, attempt_copies_inputs_and_completes_once) {
  uint8_t pub[3][33], dig[3][32], sig[3][64];
  for (int i = 0; i < 3; i++) {
    memset(pub[i], 0x10 + i, 33);
    memset(dig[i], 0x20 + i, 32);
    memset(sig[i], 0x30 + i, 64);
  }
  const uint8_t *pp[3], *pd[3], *ps[3];
  cx_attempt *a = cx_attempt_create_verify(
      ptrs(pub[0], 33, 3, pp), ptrs(dig[0], 32, 3, pd),
      ptrs(sig[0], 64, 3, ps), 1, 3);
  cr_assert_not_null(a);
  cr_assert_eq(a->n, 2);
  memset(pub, 0, sizeof pub); /* the attempt owns copies */
  cr_assert_eq(a->pub33s[0], 0x11);
  cr_assert_eq(a->digests[32], 0x22);
  cr_assert_eq(a->sigs64[64 + 63], 0x32);
  cr_assert_eq(a->bytes_in, 2 * (33 + 32 + 64));
  cr_assert(cx_attempt_complete(a, CX_OK));
  cr_assert_not(cx_attempt_complete(a, CX_EDEVICE), "result taken once");
  cr_assert_eq(cx_attempt_wait(a, cx_now_ns()), CX_OK);
  cx_attempt_release(a);
}

Test(hybrid_breaker, abandoned_attempt_drops_the_late_result) {
  const uint8_t msg[] = "abc";
  const uint8_t *msgs[2] = {msg, msg};
  size_t lens[2] = {3, 0};
  cx_attempt *a = cx_attempt_create_sha(msgs, lens, 0, 2);
  cr_assert_not_null(a);
  cr_assert_eq(a->msg_len, 3);
  cr_assert_eq(a->offsets[1], 3);
  cr_assert_eq(a->lens[1], 0);
  cr_assert_eq(cx_attempt_wait(a, cx_now_ns() + 1 * MS), CX_ETIMEOUT);
  cr_assert(cx_attempt_abandoned(a));
  cr_assert_not(cx_attempt_complete(a, CX_OK), "late result dropped");
  cr_assert_eq(cx_attempt_wait(a, cx_now_ns() + 1 * MS), CX_ETIMEOUT);
  cx_attempt_wait_abandoned(a, cx_now_ns() + 1000 * MS); /* returns at once */
  cx_attempt_release(a);
}

Test(hybrid_breaker, sim_spec_parses_every_key) {
  cx_sim_spec s;
  cx_error err = {0};
  cr_assert_eq(cx_sim_spec_parse("sim", &s, &err), CX_OK, "%s", err.message);
  cr_assert_eq(s.threads, 1);
  cr_assert_eq(s.devices, 1);
  cr_assert_float_eq(s.fail, 0.0, 1e-12);
  cr_assert_eq(cx_sim_spec_parse("sim:fail=0.2,wrong=0.05,hang=0.01,"
                                 "delay_us=300,seed=42,fail_first=3,"
                                 "wrong_items=2,threads=4,devices=2,"
                                 "max_batch=128,hang_ms=50",
                                 &s, &err),
               CX_OK, "%s", err.message);
  cr_assert_float_eq(s.fail, 0.2, 1e-12);
  cr_assert_float_eq(s.wrong, 0.05, 1e-12);
  cr_assert_float_eq(s.hang, 0.01, 1e-12);
  cr_assert_eq(s.delay_us, 300);
  cr_assert_eq(s.seed, 42);
  cr_assert_eq(s.fail_first, 3);
  cr_assert_eq(s.wrong_items, 2);
  cr_assert_eq(s.threads, 4);
  cr_assert_eq(s.devices, 2);
  cr_assert_eq(s.max_batch, 128);
  cr_assert_eq(s.hang_ms, 50);
  const char *bad[] = {"sim:", "sim:fail=1.5", "sim:fail=x", "sim:seed=",
                       "sim:=1", "sim:threads=65", "sim:devices=0",
                       "sim:hang=0.5,fail=0.6", "simulate", "sim;fail=1",
                       "sim:fail=0.1,,wrong=0.1", "sim:delay_us=1e3"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cx_error e = {0};
    int rc = cx_sim_spec_parse(bad[i], &s, &e);
    if (strcmp(bad[i], "sim:") == 0) {
      cr_assert_eq(rc, CX_OK, "an empty key list is the plain sim");
      continue;
    }
    cr_assert_eq(rc, CX_EINVAL, "'%s' accepted", bad[i]);
    cr_assert_neq(e.message[0], '\0');
  }
}
