/* Scalars modulo the secp256k1 group order n, host and device.
 *
 * n = FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE BAAEDCE6 AF48A03B BFD25E8C D0364141.
 * Invariant: a cx_hd_sc holds eight little-endian 32-bit limbs with value
 * < n on entry to and exit from every function. Reduction folds the part
 * above 2^256 with 2^256 = NC (mod n), NC = 2^256 - n (129 bits).
 * Also here: the GLV split k = k1 + k2*lambda with |k1|, |k2| < 2^128
 * (constants and method of libsecp256k1's scalar_split_lambda).
 */
#ifndef CX_HD_SCALAR_H
#define CX_HD_SCALAR_H

#include <stdint.h>

#include "cx_hd.h"
#include "hd_u256.h"

typedef struct cx_hd_sc {
  uint32_t v[8]; /* little-endian limbs, value < n */
} cx_hd_sc;

#define CX_HD_N_LIMBS                                                         \
  {0xD0364141u, 0xBFD25E8Cu, 0xAF48A03Bu, 0xBAAEDCE6u,                         \
   0xFFFFFFFEu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}
#define CX_HD_NC_LIMBS                                                        \
  {0x2FC9BEBFu, 0x402DA173u, 0x50B75FC4u, 0x45512319u, 0x00000001u}

CX_HD_INLINE void cx_hd_sc_set_u32(cx_hd_sc *r, uint32_t a) {
  r->v[0] = a;
  CX_HD_UNROLL
  for (int i = 1; i < 8; i++) r->v[i] = 0;
}

CX_HD_INLINE int cx_hd_sc_is_zero(const cx_hd_sc *a) {
  return cx_hd_u256_is_zero(a->v);
}

CX_HD_INLINE int cx_hd_sc_eq(const cx_hd_sc *a, const cx_hd_sc *b) {
  return cx_hd_u256_eq(a->v, b->v);
}

/* For a 256-bit value (< 2^256 < 2n) plus an optional carry bit 2^256:
 * subtracts n once when the value is >= n. Adding NC carries out of bit 256
 * exactly when value >= n. */
CX_HD_INLINE void cx_hd_sc_reduce_once(cx_hd_sc *r, uint32_t carry) {
  const uint32_t nc[5] = CX_HD_NC_LIMBS;
  uint32_t t[8];
  uint64_t c = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    c += (uint64_t)r->v[i] + (i < 5 ? nc[i] : 0u);
    t[i] = (uint32_t)c;
    c >>= 32;
  }
  uint32_t mask = (uint32_t)0 - (uint32_t)((c | carry) & 1u);
  cx_hd_u256_cmov(r->v, t, mask);
}

/* Sets r from 32 big-endian bytes reduced mod n; returns 1 when the value
 * was >= n (overflow), else 0. */
CX_HD_INLINE int cx_hd_sc_set_b32(cx_hd_sc *r, const uint8_t b[32]) {
  cx_hd_u256_load_be(r->v, b);
  cx_hd_sc raw = *r;
  cx_hd_sc_reduce_once(r, 0);
  return !cx_hd_sc_eq(&raw, r);
}

CX_HD_INLINE void cx_hd_sc_get_b32(uint8_t b[32], const cx_hd_sc *a) {
  cx_hd_u256_store_be(b, a->v);
}

CX_HD_INLINE void cx_hd_sc_add(cx_hd_sc *r, const cx_hd_sc *a, const cx_hd_sc *b) {
  cx_hd_sc_reduce_once(r, cx_hd_u256_add(r->v, a->v, b->v));
}

/* r = n - a (0 stays 0). */
CX_HD_INLINE void cx_hd_sc_neg(cx_hd_sc *r, const cx_hd_sc *a) {
  const uint32_t n[8] = CX_HD_N_LIMBS;
  uint32_t nz = (uint32_t)0 - (uint32_t)!cx_hd_sc_is_zero(a);
  int64_t c = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    c += (int64_t)(n[i] & nz) - (int64_t)a->v[i];
    r->v[i] = (uint32_t)c;
    c >>= 32;
  }
}

/* 1 when a > (n-1)/2 (a "high" s, which verification rejects). */
CX_HD_INLINE int cx_hd_sc_is_high(const cx_hd_sc *a) {
  const uint32_t h[8] = {0x681B20A0u, 0xDFE92F46u, 0x57A4501Du, 0x5D576E73u,
                         0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0x7FFFFFFFu};
  return cx_hd_u256_lt(h, a->v);
}

/* out[0..ol) = lo[0..8) + h[0..hl) * NC, for sums that fit ol limbs (the
 * callers' bounds below). Row-wise schoolbook: row i's carry lands in
 * out[i+5], still zero at that point; then lo is added in. */
CX_HD_INLINE void cx_hd_sc_mac_nc(uint32_t *out, int ol, const uint32_t lo[8],
                                  const uint32_t *h, int hl) {
  const uint32_t nc[5] = CX_HD_NC_LIMBS;
  CX_HD_UNROLL
  for (int i = 0; i < 18; i++)
    if (i < ol) out[i] = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    if (i >= hl) break;
    uint64_t c = 0;
    CX_HD_UNROLL
    for (int j = 0; j < 5; j++) {
      c += (uint64_t)h[i] * nc[j] + out[i + j];
      out[i + j] = (uint32_t)c;
      c >>= 32;
    }
    out[i + 5] = (uint32_t)c;
  }
  uint64_t c = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 18; i++) {
    if (i >= ol) break;
    c += (uint64_t)out[i] + (i < 8 ? lo[i] : 0u);
    out[i] = (uint32_t)c;
    c >>= 32;
  }
}

/* r = t mod n for t < 2^512 (16 limbs), in three folds with fixed sizes:
 * 512 -> 386 bits (13 limbs), -> 260 bits (10 limbs, top one zero), ->
 * 256 bits plus a carry bit, then one conditional subtraction. */
CX_HD_FUNC void cx_hd_sc_reduce512(cx_hd_sc *r, const uint32_t t[16]) {
  uint32_t m[13], p[10], q[9];
  cx_hd_sc_mac_nc(m, 13, t, t + 8, 8);
  cx_hd_sc_mac_nc(p, 10, m, m + 8, 5);
  cx_hd_sc_mac_nc(q, 9, p, p + 8, 2);
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) r->v[i] = q[i];
  cx_hd_sc_reduce_once(r, q[8]);
}

CX_HD_HOT void cx_hd_sc_mul(cx_hd_sc *r, const cx_hd_sc *a, const cx_hd_sc *b) {
  uint32_t t[16];
  cx_hd_u256_mul(t, a->v, b->v);
  cx_hd_sc_reduce512(r, t);
}

/* r = 1/a mod n by Fermat (a^(n-2)) with a fixed 4-bit window; 0 maps to 0. */
CX_HD_FUNC void cx_hd_sc_inv(cx_hd_sc *r, const cx_hd_sc *a) {
  /* n - 2, little-endian limbs. */
  const uint32_t e[8] = {0xD036413Fu, 0xBFD25E8Cu, 0xAF48A03Bu, 0xBAAEDCE6u,
                         0xFFFFFFFEu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
  cx_hd_sc tab[16];
  cx_hd_sc_set_u32(&tab[0], 1);
  tab[1] = *a;
  CX_HD_UNROLL
  for (int i = 2; i < 16; i++) cx_hd_sc_mul(&tab[i], &tab[i - 1], a);
  cx_hd_sc acc;
  cx_hd_sc_set_u32(&acc, 1);
  for (int nib = 63; nib >= 0; nib--) {
    CX_HD_UNROLL
    for (int k = 0; k < 4; k++) cx_hd_sc_mul(&acc, &acc, &acc);
    uint32_t d = (e[nib >> 3] >> (4 * (nib & 7))) & 15u;
    if (d) cx_hd_sc_mul(&acc, &acc, &tab[d]);
  }
  *r = acc;
}

/* count (1..31) bits of a starting at bit `bit` (bits past 255 read 0). */
CX_HD_INLINE uint32_t cx_hd_sc_bits(const cx_hd_sc *a, int bit, int count) {
  int limb = bit >> 5, sh = bit & 31;
  if (limb >= 8) return 0;
  uint32_t v = a->v[limb] >> sh;
  if (sh + count > 32 && limb + 1 < 8) v |= a->v[limb + 1] << (32 - sh);
  return v & ((1u << count) - 1u);
}

/* r = round(k * g / 2^384) for a 256-bit g (g < 2^256, so r < 2^128). */
CX_HD_INLINE void cx_hd_sc_mul_shift384(cx_hd_sc *r, const cx_hd_sc *k,
                                        const uint32_t g[8]) {
  uint32_t t[16];
  cx_hd_u256_mul(t, k->v, g);
  uint32_t round = t[11] >> 31; /* bit 383 */
  uint64_t c = round;
  CX_HD_UNROLL
  for (int i = 0; i < 4; i++) {
    c += t[12 + i];
    r->v[i] = (uint32_t)c;
    c >>= 32;
  }
  r->v[4] = (uint32_t)c;
  CX_HD_UNROLL
  for (int i = 5; i < 8; i++) r->v[i] = 0;
}

/* GLV split: k = k1 + k2 * lambda (mod n), with k1, k2 (as signed values in
 * (-n/2, n/2]) below 2^128 in magnitude. */
CX_HD_FUNC void cx_hd_sc_split_lambda(cx_hd_sc *k1, cx_hd_sc *k2,
                                      const cx_hd_sc *k) {
  const uint32_t g1[8] = {0x45DBB031u, 0xE893209Au, 0x71E8CA7Fu, 0x3DAA8A14u,
                          0x9284EB15u, 0xE86C90E4u, 0xA7D46BCDu, 0x3086D221u};
  const uint32_t g2[8] = {0x8AC47F71u, 0x1571B4AEu, 0x9DF506C6u, 0x221208ACu,
                          0x0ABFE4C4u, 0x6F547FA9u, 0x010E8828u, 0xE4437ED6u};
  cx_hd_sc minus_b1 = {{0x0ABFE4C3u, 0x6F547FA9u, 0x010E8828u, 0xE4437ED6u,
                        0u, 0u, 0u, 0u}};
  cx_hd_sc minus_b2 = {{0x3DB1562Cu, 0xD765CDA8u, 0x0774346Du, 0x8A280AC5u,
                        0xFFFFFFFEu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}};
  cx_hd_sc minus_lambda = {{0xB51283CFu, 0xE0CFC810u, 0x8EC739C2u,
                            0xA880B9FCu, 0x77ED9BA4u, 0x5AD9E3FDu,
                            0x3FA3CF1Fu, 0xAC9C52B3u}};
  cx_hd_sc c1, c2;
  cx_hd_sc_mul_shift384(&c1, k, g1);
  cx_hd_sc_mul_shift384(&c2, k, g2);
  cx_hd_sc_mul(&c1, &c1, &minus_b1);
  cx_hd_sc_mul(&c2, &c2, &minus_b2);
  cx_hd_sc_add(k2, &c1, &c2);
  cx_hd_sc_mul(k1, k2, &minus_lambda);
  cx_hd_sc_add(k1, k1, k);
}

/* lambda, a cube root of unity mod n: lambda * (x, y) = (beta * x, y). */
#define CX_HD_LAMBDA_LIMBS                                                    \
  {0x1B23BD72u, 0xDF02967Cu, 0x20816678u, 0x122E22EAu,                         \
   0x8812645Au, 0xA5261C02u, 0xC05C30E0u, 0x5363AD4Cu}

#endif /* CX_HD_SCALAR_H */
