/* Reference arithmetic for the gpu/ differential tests: deliberately
 * simple (bit-serial long division), so it shares no structure with the
 * limb-folding reductions under test. Values are 256-bit, four 64-bit
 * little-endian words; moduli are p or n (top bit set, so any 256-bit
 * value is below 2m). Also edge-biased random limbs that exercise carries.
 */
#ifndef TEST_GPU_REF_H
#define TEST_GPU_REF_H

#include <stdint.h>
#include <string.h>

#include "cx_test.h"

typedef struct ref_u256 {
  uint64_t w[4];
} ref_u256;

static const ref_u256 REF_P = {{0xFFFFFFFEFFFFFC2Full, 0xFFFFFFFFFFFFFFFFull,
                                0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull}};
static const ref_u256 REF_N = {{0xBFD25E8CD0364141ull, 0xBAAEDCE6AF48A03Bull,
                                0xFFFFFFFFFFFFFFFEull, 0xFFFFFFFFFFFFFFFFull}};

static inline ref_u256 ref_from32(const uint32_t v[8]) {
  ref_u256 r;
  for (int i = 0; i < 4; i++)
    r.w[i] = (uint64_t)v[2 * i] | ((uint64_t)v[2 * i + 1] << 32);
  return r;
}

static inline void ref_to32(uint32_t v[8], const ref_u256 *a) {
  for (int i = 0; i < 4; i++) {
    v[2 * i] = (uint32_t)a->w[i];
    v[2 * i + 1] = (uint32_t)(a->w[i] >> 32);
  }
}

static inline int ref_cmp(const ref_u256 *a, const ref_u256 *b) {
  for (int i = 3; i >= 0; i--) {
    if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
  }
  return 0;
}

/* r = a - b (mod 2^256); returns the borrow. */
static inline int ref_sub_raw(ref_u256 *r, const ref_u256 *a, const ref_u256 *b) {
  unsigned borrow = 0;
  for (int i = 0; i < 4; i++) {
    uint64_t d = a->w[i] - b->w[i] - borrow;
    borrow = (a->w[i] < b->w[i]) || (a->w[i] == b->w[i] && borrow);
    r->w[i] = d;
  }
  return (int)borrow;
}

/* r = a + b (mod 2^256); returns the carry. */
static inline int ref_add_raw(ref_u256 *r, const ref_u256 *a, const ref_u256 *b) {
  unsigned carry = 0;
  for (int i = 0; i < 4; i++) {
    uint64_t s = a->w[i] + b->w[i];
    unsigned c1 = s < a->w[i];
    uint64_t s2 = s + carry;
    unsigned c2 = s2 < s;
    r->w[i] = s2;
    carry = c1 | c2;
  }
  return (int)carry;
}

/* a mod m for a < 2^256. */
static inline ref_u256 ref_reduce(ref_u256 a, const ref_u256 *m) {
  if (ref_cmp(&a, m) >= 0) ref_sub_raw(&a, &a, m);
  return a;
}

static inline ref_u256 ref_addmod(const ref_u256 *a, const ref_u256 *b, const ref_u256 *m) {
  ref_u256 r;
  int c = ref_add_raw(&r, a, b);
  if (c || ref_cmp(&r, m) >= 0) ref_sub_raw(&r, &r, m);
  return r;
}

static inline ref_u256 ref_submod(const ref_u256 *a, const ref_u256 *b, const ref_u256 *m) {
  ref_u256 r;
  if (ref_sub_raw(&r, a, b)) ref_add_raw(&r, &r, m);
  return r;
}

/* a * b mod m: 512-bit product, then bit-serial long division. */
static inline ref_u256 ref_mulmod(const ref_u256 *a, const ref_u256 *b, const ref_u256 *m) {
  uint64_t t[8] = {0};
  for (int i = 0; i < 4; i++) {
    unsigned __int128 c = 0;
    for (int j = 0; j < 4; j++) {
      c += (unsigned __int128)a->w[i] * b->w[j] + t[i + j];
      t[i + j] = (uint64_t)c;
      c >>= 64;
    }
    t[i + 4] = (uint64_t)c;
  }
  ref_u256 r = {{0, 0, 0, 0}};
  for (int bit = 511; bit >= 0; bit--) {
    int top = (int)(r.w[3] >> 63);
    for (int i = 3; i > 0; i--) r.w[i] = (r.w[i] << 1) | (r.w[i - 1] >> 63);
    r.w[0] = (r.w[0] << 1) | ((t[bit / 64] >> (bit % 64)) & 1u);
    if (top || ref_cmp(&r, m) >= 0) ref_sub_raw(&r, &r, m);
  }
  return r;
}

/* Random 256-bit limbs, each limb random, 0, 1, all-ones or a value next to
 * those, so carries and the values just below/above p and n come up often. */
static inline void ref_rand_limbs(cx_rng *rng, uint32_t v[8]) {
  uint64_t mode = cx_rng_below(rng, 4);
  for (int i = 0; i < 8; i++) {
    uint32_t x = (uint32_t)cx_rng_next(rng);
    if (mode != 0) {
      switch (cx_rng_below(rng, 6)) {
      case 0: x = 0; break;
      case 1: x = 0xFFFFFFFFu; break;
      case 2: x = 0xFFFFFFFEu; break;
      case 3: x = 1; break;
      default: break;
      }
    }
    v[i] = x;
  }
}

/* A random value below m (edge-biased). */
static inline ref_u256 ref_rand_mod(cx_rng *rng, const ref_u256 *m) {
  uint32_t v[8];
  ref_rand_limbs(rng, v);
  ref_u256 r = ref_from32(v);
  if (cx_rng_below(rng, 16) == 0) { /* m - small */
    ref_u256 k = {{cx_rng_below(rng, 1000) + 1, 0, 0, 0}};
    ref_sub_raw(&r, m, &k);
  }
  return ref_reduce(r, m);
}

#endif /* TEST_GPU_REF_H */
