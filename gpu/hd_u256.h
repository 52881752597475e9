/* 256-bit limb helpers shared by the field (hd_field.h) and scalar
 * (hd_scalar.h) code, host and device.
 *
 * A value is eight little-endian 32-bit limbs; a product is sixteen. These
 * functions know no modulus: the callers reduce.
 */
#ifndef CX_HD_U256_H
#define CX_HD_U256_H

#include <stdint.h>

#include "cx_hd.h"

/* v = the 32 big-endian bytes b. */
CX_HD_INLINE void cx_hd_u256_load_be(uint32_t v[8], const uint8_t b[32]) {
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    const uint8_t *q = b + 28 - 4 * i;
    v[i] = ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
           ((uint32_t)q[2] << 8) | (uint32_t)q[3];
  }
}

/* b = v as 32 big-endian bytes. */
CX_HD_INLINE void cx_hd_u256_store_be(uint8_t b[32], const uint32_t v[8]) {
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    uint8_t *q = b + 28 - 4 * i;
    q[0] = (uint8_t)(v[i] >> 24);
    q[1] = (uint8_t)(v[i] >> 16);
    q[2] = (uint8_t)(v[i] >> 8);
    q[3] = (uint8_t)v[i];
  }
}

CX_HD_INLINE int cx_hd_u256_is_zero(const uint32_t v[8]) {
  uint32_t z = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) z |= v[i];
  return z == 0;
}

CX_HD_INLINE int cx_hd_u256_eq(const uint32_t a[8], const uint32_t b[8]) {
  uint32_t z = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) z |= a[i] ^ b[i];
  return z == 0;
}

/* r = mask ? a : r, mask all-ones or zero. */
CX_HD_INLINE void cx_hd_u256_cmov(uint32_t r[8], const uint32_t a[8],
                                  uint32_t mask) {
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) r[i] = (r[i] & ~mask) | (a[i] & mask);
}

/* r = a + b mod 2^256; returns the carry out (0 or 1). r may alias. */
CX_HD_INLINE uint32_t cx_hd_u256_add(uint32_t r[8], const uint32_t a[8],
                                     const uint32_t b[8]) {
  uint64_t c = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    c += (uint64_t)a[i] + b[i];
    r[i] = (uint32_t)c;
    c >>= 32;
  }
  return (uint32_t)c;
}

/* 1 when a < b as integers. */
CX_HD_INLINE int cx_hd_u256_lt(const uint32_t a[8], const uint32_t b[8]) {
  int lt = 0, gt = 0;
  CX_HD_UNROLL
  for (int i = 7; i >= 0; i--) {
    int l = a[i] < b[i], g = a[i] > b[i];
    lt |= l & !gt;
    gt |= g & !lt;
  }
  return lt;
}

/* t[0..16) = a * b, row-wise schoolbook: a*b + t + carry fits 64 bits. */
CX_HD_FUNC void cx_hd_u256_mul(uint32_t t[16], const uint32_t a[8],
                               const uint32_t b[8]) {
  CX_HD_UNROLL
  for (int i = 0; i < 16; i++) t[i] = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    uint64_t c = 0;
    CX_HD_UNROLL
    for (int j = 0; j < 8; j++) {
      c += (uint64_t)a[i] * b[j] + t[i + j];
      t[i + j] = (uint32_t)c;
      c >>= 32;
    }
    t[i + 8] = (uint32_t)c;
  }
}

#endif /* CX_HD_U256_H */
