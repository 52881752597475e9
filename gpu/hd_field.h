/* The secp256k1 base field GF(p), p = 2^256 - 0x1000003D1, host and device.
 *
 * Invariant: a cx_hd_fe holds eight little-endian 32-bit limbs whose value
 * is fully reduced (0 <= v < p) on entry to and exit from every function, so
 * equality is limb equality. Products are formed with 64-bit accumulation
 * (a*b + t + carry always fits 64 bits) and reduced with the identity
 * 2^256 = 0x1000003D1 (mod p). None of these functions branches on values,
 * except cx_hd_fe_sqrt's result flag; verification handles public data only.
 */
#ifndef CX_HD_FIELD_H
#define CX_HD_FIELD_H

#include <stdint.h>

#include "cx_hd.h"
#include "hd_u256.h"

typedef struct cx_hd_fe {
  uint32_t v[8]; /* little-endian limbs, value < p */
} cx_hd_fe;

CX_HD_INLINE void cx_hd_fe_set_u32(cx_hd_fe *r, uint32_t a) {
  r->v[0] = a;
  CX_HD_UNROLL
  for (int i = 1; i < 8; i++) r->v[i] = 0;
}

CX_HD_INLINE int cx_hd_fe_is_zero(const cx_hd_fe *a) {
  return cx_hd_u256_is_zero(a->v);
}

CX_HD_INLINE int cx_hd_fe_eq(const cx_hd_fe *a, const cx_hd_fe *b) {
  return cx_hd_u256_eq(a->v, b->v);
}

CX_HD_INLINE int cx_hd_fe_is_odd(const cx_hd_fe *a) { return (int)(a->v[0] & 1u); }

/* r = mask ? a : r, mask all-ones or zero. */
CX_HD_INLINE void cx_hd_fe_cmov(cx_hd_fe *r, const cx_hd_fe *a, uint32_t mask) {
  cx_hd_u256_cmov(r->v, a->v, mask);
}

/* Brings any 256-bit value (< 2^256 < 2p) below p: adding 0x1000003D1
 * carries out of bit 256 exactly when the value is >= p. */
CX_HD_INLINE void cx_hd_fe_normalize_with_carry(cx_hd_fe *r, uint32_t carry) {
  cx_hd_fe t;
  uint64_t c = (uint64_t)r->v[0] + 0x3D1u;
  t.v[0] = (uint32_t)c;
  c = (c >> 32) + (uint64_t)r->v[1] + 1u;
  t.v[1] = (uint32_t)c;
  c >>= 32;
  CX_HD_UNROLL
  for (int i = 2; i < 8; i++) {
    c += r->v[i];
    t.v[i] = (uint32_t)c;
    c >>= 32;
  }
  /* carry: the value had bit 256 set, so it is >= p as well. */
  uint32_t mask = (uint32_t)0 - (uint32_t)((c | carry) & 1u);
  cx_hd_fe_cmov(r, &t, mask);
}

/* Normalises limbs of a value that may be in [p, 2^256) (e.g. raw bytes). */
CX_HD_INLINE void cx_hd_fe_normalize(cx_hd_fe *r) {
  cx_hd_fe_normalize_with_carry(r, 0);
}

/* Sets r from 32 big-endian bytes; returns 1 when the value is < p, else 0
 * (r then holds the value reduced mod p). */
CX_HD_INLINE int cx_hd_fe_set_b32(cx_hd_fe *r, const uint8_t b[32]) {
  cx_hd_u256_load_be(r->v, b);
  cx_hd_fe raw = *r;
  cx_hd_fe_normalize(r);
  return cx_hd_fe_eq(&raw, r);
}

CX_HD_INLINE void cx_hd_fe_get_b32(uint8_t b[32], const cx_hd_fe *a) {
  cx_hd_u256_store_be(b, a->v);
}

CX_HD_INLINE void cx_hd_fe_add(cx_hd_fe *r, const cx_hd_fe *a, const cx_hd_fe *b) {
  cx_hd_fe_normalize_with_carry(r, cx_hd_u256_add(r->v, a->v, b->v));
}

CX_HD_INLINE void cx_hd_fe_sub(cx_hd_fe *r, const cx_hd_fe *a, const cx_hd_fe *b) {
  int64_t c = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    c += (int64_t)a->v[i] - (int64_t)b->v[i];
    r->v[i] = (uint32_t)c;
    c >>= 32; /* arithmetic shift: 0 or -1 */
  }
  /* On borrow the wrapped value is a - b + 2^256; a - b + p is that minus
   * 0x1000003D1, which cannot borrow again. */
  uint32_t m = (uint32_t)c; /* all-ones on borrow */
  c = (int64_t)r->v[0] - (int64_t)(0x3D1u & m);
  r->v[0] = (uint32_t)c;
  c >>= 32;
  c += (int64_t)r->v[1] - (int64_t)(1u & m);
  r->v[1] = (uint32_t)c;
  c >>= 32;
  CX_HD_UNROLL
  for (int i = 2; i < 8; i++) {
    c += (int64_t)r->v[i];
    r->v[i] = (uint32_t)c;
    c >>= 32;
  }
}

CX_HD_INLINE void cx_hd_fe_neg(cx_hd_fe *r, const cx_hd_fe *a) {
  cx_hd_fe z;
  cx_hd_fe_set_u32(&z, 0);
  cx_hd_fe_sub(r, &z, a);
}

/* r = t mod p for a 512-bit t (16 limbs): t = L + H*2^256 = L + H*0x3D1 +
 * H*2^32 (mod p); the carry of that (< 2^34) is folded once more, and a
 * last carry of at most 1 once again, then one conditional subtraction. */
CX_HD_FUNC void cx_hd_fe_reduce512(cx_hd_fe *r, const uint32_t t[16]) {
  uint64_t c = 0;
  uint32_t m[8];
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    c += (uint64_t)t[i] + (uint64_t)t[8 + i] * 0x3D1u;
    if (i > 0) c += t[7 + i];
    m[i] = (uint32_t)c;
    c >>= 32;
  }
  uint64_t top = c + t[15];
  c = (uint64_t)m[0] + top * 0x3D1u;
  r->v[0] = (uint32_t)c;
  c = (c >> 32) + (uint64_t)m[1] + top;
  r->v[1] = (uint32_t)c;
  c >>= 32;
  CX_HD_UNROLL
  for (int i = 2; i < 8; i++) {
    c += m[i];
    r->v[i] = (uint32_t)c;
    c >>= 32;
  }
  /* c <= 1; the value is then 2^256 + small, so this cannot carry out. */
  uint64_t k = c;
  c = (uint64_t)r->v[0] + k * 0x3D1u;
  r->v[0] = (uint32_t)c;
  c = (c >> 32) + (uint64_t)r->v[1] + k;
  r->v[1] = (uint32_t)c;
  c >>= 32;
  CX_HD_UNROLL
  for (int i = 2; i < 8; i++) {
    c += r->v[i];
    r->v[i] = (uint32_t)c;
    c >>= 32;
  }
  cx_hd_fe_normalize(r);
}

CX_HD_HOT void cx_hd_fe_mul(cx_hd_fe *r, const cx_hd_fe *a, const cx_hd_fe *b) {
  uint32_t t[16];
  cx_hd_u256_mul(t, a->v, b->v);
  cx_hd_fe_reduce512(r, t);
}

/* Squaring: the 28 cross products once, doubled, plus the 8 squares. */
CX_HD_HOT void cx_hd_fe_sqr(cx_hd_fe *r, const cx_hd_fe *a) {
  uint32_t t[16];
  CX_HD_UNROLL
  for (int i = 0; i < 16; i++) t[i] = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 7; i++) {
    uint64_t c = 0;
    CX_HD_UNROLL
    for (int j = i + 1; j < 8; j++) {
      c += (uint64_t)a->v[i] * a->v[j] + t[i + j];
      t[i + j] = (uint32_t)c;
      c >>= 32;
    }
    t[i + 8] = (uint32_t)c;
  }
  uint32_t hi = 0;
  CX_HD_UNROLL
  for (int k = 0; k < 16; k++) {
    uint32_t nhi = t[k] >> 31;
    t[k] = (t[k] << 1) | hi;
    hi = nhi;
  }
  uint64_t c = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    uint64_t sq = (uint64_t)a->v[i] * a->v[i];
    c += (uint64_t)t[2 * i] + (uint32_t)sq;
    t[2 * i] = (uint32_t)c;
    c >>= 32;
    c += (uint64_t)t[2 * i + 1] + (sq >> 32);
    t[2 * i + 1] = (uint32_t)c;
    c >>= 32;
  }
  cx_hd_fe_reduce512(r, t);
}

/* r = a * k for a small k (k < 2^31). */
CX_HD_INLINE void cx_hd_fe_mul_small(cx_hd_fe *r, const cx_hd_fe *a, uint32_t k) {
  uint32_t t[16];
  uint64_t c = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    c += (uint64_t)a->v[i] * k;
    t[i] = (uint32_t)c;
    c >>= 32;
  }
  t[8] = (uint32_t)c;
  CX_HD_UNROLL
  for (int i = 9; i < 16; i++) t[i] = 0;
  cx_hd_fe_reduce512(r, t);
}

/* r = a^(2^n) */
CX_HD_INLINE void cx_hd_fe_sqr_n(cx_hd_fe *r, const cx_hd_fe *a, int n) {
  *r = *a;
  for (int i = 0; i < n; i++) cx_hd_fe_sqr(r, r);
}

/* The common head of the inversion and square-root addition chains (after
 * libsecp256k1): x223 = a^(2^223 - 1), plus x2 = a^3 and x22. */
CX_HD_FUNC void cx_hd_fe_chain223(const cx_hd_fe *a, cx_hd_fe *x2,
                                    cx_hd_fe *x22, cx_hd_fe *x223) {
  cx_hd_fe x3, x6, x9, x11, x44, x88, x176, x220, t;
  cx_hd_fe_sqr(x2, a);
  cx_hd_fe_mul(x2, x2, a);
  cx_hd_fe_sqr(&x3, x2);
  cx_hd_fe_mul(&x3, &x3, a);
  cx_hd_fe_sqr_n(&t, &x3, 3);
  cx_hd_fe_mul(&x6, &t, &x3);
  cx_hd_fe_sqr_n(&t, &x6, 3);
  cx_hd_fe_mul(&x9, &t, &x3);
  cx_hd_fe_sqr_n(&t, &x9, 2);
  cx_hd_fe_mul(&x11, &t, x2);
  cx_hd_fe_sqr_n(&t, &x11, 11);
  cx_hd_fe_mul(x22, &t, &x11);
  cx_hd_fe_sqr_n(&t, x22, 22);
  cx_hd_fe_mul(&x44, &t, x22);
  cx_hd_fe_sqr_n(&t, &x44, 44);
  cx_hd_fe_mul(&x88, &t, &x44);
  cx_hd_fe_sqr_n(&t, &x88, 88);
  cx_hd_fe_mul(&x176, &t, &x88);
  cx_hd_fe_sqr_n(&t, &x176, 44);
  cx_hd_fe_mul(&x220, &t, &x44);
  cx_hd_fe_sqr_n(&t, &x220, 3);
  cx_hd_fe_mul(x223, &t, &x3);
}

/* r = a^(p-2) = 1/a (0 maps to 0). p - 2 in binary: 223 ones, 0, 22 ones,
 * 0000101101. */
CX_HD_FUNC void cx_hd_fe_inv(cx_hd_fe *r, const cx_hd_fe *a) {
  cx_hd_fe x2, x22, x223, t;
  cx_hd_fe_chain223(a, &x2, &x22, &x223);
  cx_hd_fe_sqr_n(&t, &x223, 23);
  cx_hd_fe_mul(&t, &t, &x22);
  cx_hd_fe_sqr_n(&t, &t, 5);
  cx_hd_fe_mul(&t, &t, a);
  cx_hd_fe_sqr_n(&t, &t, 3);
  cx_hd_fe_mul(&t, &t, &x2);
  cx_hd_fe_sqr_n(&t, &t, 2);
  cx_hd_fe_mul(r, &t, a);
}

/* r = a^((p+1)/4); returns 1 when r^2 == a (a is a square), else 0.
 * (p+1)/4 in binary: 223 ones, 0, 22 ones, 00001100. r may alias a. */
CX_HD_FUNC int cx_hd_fe_sqrt(cx_hd_fe *r, const cx_hd_fe *a) {
  cx_hd_fe x2, x22, x223, t, chk;
  cx_hd_fe_chain223(a, &x2, &x22, &x223);
  cx_hd_fe_sqr_n(&t, &x223, 23);
  cx_hd_fe_mul(&t, &t, &x22);
  cx_hd_fe_sqr_n(&t, &t, 6);
  cx_hd_fe_mul(&t, &t, &x2);
  cx_hd_fe_sqr_n(&t, &t, 2);
  cx_hd_fe_sqr(&chk, &t);
  int ok = cx_hd_fe_eq(&chk, a);
  *r = t;
  return ok;
}

#endif /* CX_HD_FIELD_H */
