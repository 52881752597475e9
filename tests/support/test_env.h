/* Test settings from the environment, shared by the Criterion suites
 * (through cx_test.h) and the plain TSan drivers of tests/tsan/, which
 * cannot link Criterion. Nothing here depends on a test framework. */
#ifndef CX_TEST_ENV_H
#define CX_TEST_ENV_H

#include <stdint.h>

/* Seed from CX_TEST_SEED (decimal) or the clock; printed once to stderr as
 * "<suite>: CX_TEST_SEED=<n>" so a failure can be replayed. */
uint64_t cx_test_seed(const char *suite);

/* Iteration count: CX_TEST_ITERS when set, else dflt. */
uint64_t cx_test_iters(uint64_t dflt);

#endif /* CX_TEST_ENV_H */
