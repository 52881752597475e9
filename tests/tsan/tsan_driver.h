/* Plain drivers for the ThreadSanitizer stage.
 *
 * Criterion cannot start under TSan (its inheritable arena fails to map:
 * "Could not initialize inheritable arena: Resource temporarily
 * unavailable", Snaipe/Criterion#274, open), so the concurrency scenarios
 * that the TSan build must run are also written as plain programs: each
 * tests/tsan/tsan_<topic>.c has a main() that runs its scenario on seeded
 * random input, checks the results against the sequential/CPU path, and
 * exits non-zero on the first mismatch. They run in every build stage
 * (CTest name chainexec.tsan.<topic>, label `tsan`), and they are all the
 * TSan stage runs.
 */
#ifndef CX_TSAN_DRIVER_H
#define CX_TSAN_DRIVER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "test_env.h" /* cx_test_seed, cx_test_iters */

/* Fails the driver with a message naming the check and the line. */
#define TSAN_CHECK(cond, ...)                                                  \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

/* splitmix64 */
static inline uint64_t tsan_rand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

#endif /* CX_TSAN_DRIVER_H */
