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

/* A fresh private directory "$TMPDIR/cx-<tag>-XXXXXX" (/tmp when TMPDIR is
 * unset); malloc'd path, NULL when it cannot be made. It is removed with
 * everything in it when the process that made it exits (atexit), so also
 * after a failed Criterion assertion (the test's process still exits
 * normally), and never by a forked child that exits. A test may remove it
 * earlier with cx_test_rmtree. A crash or a sanitizer abort leaves it;
 * scripts/test.sh reports what a stage left in its TMPDIR. */
char *cx_test_mkdtemp(const char *tag);

/* Removes path and everything below it (no symlinks followed); forgets it
 * when cx_test_mkdtemp made it. Frees nothing. */
void cx_test_rmtree(const char *path);

#endif /* CX_TEST_ENV_H */
