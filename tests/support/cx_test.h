/* Shared helpers for the Criterion suites: where the shared contract lives,
 * seeded randomness (CX_TEST_SEED, always printed), iteration counts
 * (CX_TEST_ITERS), and file loading.
 *
 * A suite that needs ../shared calls cx_test_shared_path(); when the folder
 * is absent the test is skipped with a message, and fails instead under CI
 * (CI=true), so vectors are never silently skipped there.
 */
#ifndef CX_TEST_H
#define CX_TEST_H

#include "test_env.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Absolute path of `rel` inside the shared folder (static buffer per
 * thread). Skips the current test (or fails it when CI=true) when the
 * shared folder does not exist. */
const char *cx_test_shared_path(const char *rel);

/* Reads a whole file; returns a malloc'd NUL-terminated buffer and its
 * length in *len, or fails the current test. */
char *cx_test_read_file(const char *path, size_t *len);

/* Small deterministic RNG (splitmix64). */
typedef struct cx_rng {
  uint64_t s;
} cx_rng;
static inline uint64_t cx_rng_next(cx_rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
/* Uniform in [0, n) (n > 0; slight bias is irrelevant for tests). */
static inline uint64_t cx_rng_below(cx_rng *r, uint64_t n) {
  return cx_rng_next(r) % n;
}
void cx_rng_bytes(cx_rng *r, void *out, size_t n);

/* Parses exactly 2*n hex digits into out; false on bad input. */
bool cx_test_unhex(const char *hex, uint8_t *out, size_t n);

#endif /* CX_TEST_H */
