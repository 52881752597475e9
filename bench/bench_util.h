/* Small helpers every benchmark uses: a monotonic clock, a seeded
 * generator, deterministic filler bytes. Header-only. */
#ifndef CX_BENCH_UTIL_H
#define CX_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double cx_bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: next value of the sequence held in *s. */
static inline uint64_t cx_bench_rand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* n deterministic bytes for a seed (an LCG's high bytes). */
static inline void cx_bench_fill(uint8_t *p, size_t n, uint64_t seed) {
  uint64_t s = seed;
  for (size_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    p[i] = (uint8_t)(s >> 56);
  }
}

#endif /* CX_BENCH_UTIL_H */
