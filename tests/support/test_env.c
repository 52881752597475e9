/* test_env.h: test settings from the environment. */
#include "test_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t cx_test_seed(const char *suite) {
  const char *env = getenv("CX_TEST_SEED");
  uint64_t seed;
  if (env && *env) {
    seed = strtoull(env, NULL, 10);
  } else {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec;
  }
  fprintf(stderr, "%s: CX_TEST_SEED=%llu\n", suite, (unsigned long long)seed);
  return seed;
}

uint64_t cx_test_iters(uint64_t dflt) {
  const char *env = getenv("CX_TEST_ITERS");
  if (env && *env) {
    uint64_t v = strtoull(env, NULL, 10);
    if (v > 0)
      return v;
  }
  return dflt;
}
