/* secp256k1 ECDSA verification (SPEC section 3), host and device.
 *
 * Semantics are libsecp256k1's: the key is a compressed SEC1 point
 * (02/03, x < p, on the curve); r and s are 32-byte big-endian, each in
 * [1, n-1]; s > n/2 (high-S) is rejected; e = digest mod n. Then
 * R = u1*G + u2*Q with u1 = e/s, u2 = r/s, and the signature is valid when
 * R is not infinity and x(R) mod n == r, checked in Jacobian coordinates:
 * X == r*Z^2, or X == (r+n)*Z^2 when r + n < p.
 *
 * The multiplication is a Strauss/Shamir ladder over four ~128-bit scalars
 * in wNAF: u2 = k1 + k2*lambda (GLV) against tables of odd multiples of Q
 * and lambda*Q = (beta*x, y), built per signature (window 5, Jacobian), and
 * u1 = a + b*2^128 against precomputed affine tables of G and 2^128*G
 * (window 8, cx_hd_gtab; the caller passes them so the device can keep them
 * in its own memory). All data here is public.
 */
#ifndef CX_HD_ECDSA_H
#define CX_HD_ECDSA_H

#include <stdint.h>

#include "cx_hd.h"
#include "hd_field.h"
#include "hd_point.h"
#include "hd_scalar.h"

#define CX_HD_WINDOW_Q 5
#define CX_HD_WINDOW_G 8
#define CX_HD_TABLE_Q (1 << (CX_HD_WINDOW_Q - 2)) /* 8 odd multiples */
#define CX_HD_TABLE_G (1 << (CX_HD_WINDOW_G - 2)) /* 64 odd multiples */
/* wNAF digits of a scalar below 2^129 (one more for the final carry). */
#define CX_HD_WNAF_LEN 131

/* Tables of G for u1: g[i] = (2i+1)*G and h[i] = (2i+1)*2^128*G. */
typedef struct cx_hd_gtab {
  cx_hd_ge g[CX_HD_TABLE_G];
  cx_hd_ge h[CX_HD_TABLE_G];
} cx_hd_gtab;

/* Width-w NAF of a (a < 2^(len-2)): wnaf[i] odd in (-2^(w-1), 2^(w-1)) or 0,
 * a = sum wnaf[i]*2^i. Returns the number of digits used (0 for a = 0). */
CX_HD_FUNC int cx_hd_wnaf(int8_t wnaf[CX_HD_WNAF_LEN], const cx_hd_sc *a, int w) {
  int len = CX_HD_WNAF_LEN, carry = 0, bit = 0, last = -1;
  for (int i = 0; i < len; i++) wnaf[i] = 0;
  while (bit < len) {
    if ((int)cx_hd_sc_bits(a, bit, 1) == carry) {
      bit++;
      continue;
    }
    int now = w;
    if (now > len - bit) now = len - bit;
    int word = (int)cx_hd_sc_bits(a, bit, now) + carry;
    carry = (word >> (w - 1)) & 1;
    word -= carry << w;
    wnaf[bit] = (int8_t)word;
    last = bit;
    bit += now;
  }
  return last + 1;
}

/* Adds digit d (odd, nonzero) of a Jacobian table: r += sign(d)*tab[|d|/2]. */
CX_HD_INLINE void cx_hd_add_digit_gej(cx_hd_gej *r, const cx_hd_gej *tab, int d) {
  cx_hd_gej p = tab[(d < 0 ? -d : d) >> 1];
  if (d < 0) cx_hd_fe_neg(&p.y, &p.y);
  cx_hd_gej_add(r, r, &p);
}

CX_HD_INLINE void cx_hd_add_digit_ge(cx_hd_gej *r, const cx_hd_ge *tab, int d) {
  cx_hd_ge p = tab[(d < 0 ? -d : d) >> 1];
  if (d < 0) cx_hd_fe_neg(&p.y, &p.y);
  cx_hd_gej_add_ge(r, r, &p);
}

/* r = u1*G + u2*Q (see the file comment). */
CX_HD_FUNC void cx_hd_ecmult(cx_hd_gej *r, const cx_hd_gtab *gt,
                             const cx_hd_ge *q, const cx_hd_sc *u1,
                             const cx_hd_sc *u2) {
  /* Split u2 by GLV into signed halves; a half above n/2 is negated along
   * with its table so every wNAF input is a positive value below 2^128. */
  cx_hd_sc k1, k2, a, b;
  cx_hd_sc_split_lambda(&k1, &k2, u2);
  int neg1 = cx_hd_sc_is_high(&k1), neg2 = cx_hd_sc_is_high(&k2);
  if (neg1) cx_hd_sc_neg(&k1, &k1);
  if (neg2) cx_hd_sc_neg(&k2, &k2);
  /* u1 = a + b*2^128. */
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    a.v[i] = i < 4 ? u1->v[i] : 0u;
    b.v[i] = i < 4 ? u1->v[i + 4] : 0u;
  }

  /* Odd multiples of Q (and of lambda*Q via beta, same Z). */
  cx_hd_gej tq[CX_HD_TABLE_Q], tl[CX_HD_TABLE_Q], q2;
  cx_hd_gej_set_ge(&tq[0], q);
  cx_hd_gej_double(&q2, &tq[0]);
  for (int i = 1; i < CX_HD_TABLE_Q; i++) cx_hd_gej_add(&tq[i], &tq[i - 1], &q2);
  const cx_hd_fe beta = {CX_HD_BETA_LIMBS};
  for (int i = 0; i < CX_HD_TABLE_Q; i++) {
    tl[i] = tq[i];
    cx_hd_fe_mul(&tl[i].x, &tq[i].x, &beta);
    if (neg1) cx_hd_fe_neg(&tq[i].y, &tq[i].y);
    if (neg2) cx_hd_fe_neg(&tl[i].y, &tl[i].y);
  }

  int8_t w1[CX_HD_WNAF_LEN], w2[CX_HD_WNAF_LEN], wa[CX_HD_WNAF_LEN],
      wb[CX_HD_WNAF_LEN];
  int l1 = cx_hd_wnaf(w1, &k1, CX_HD_WINDOW_Q);
  int l2 = cx_hd_wnaf(w2, &k2, CX_HD_WINDOW_Q);
  int la = cx_hd_wnaf(wa, &a, CX_HD_WINDOW_G);
  int lb = cx_hd_wnaf(wb, &b, CX_HD_WINDOW_G);
  int top = l1;
  if (l2 > top) top = l2;
  if (la > top) top = la;
  if (lb > top) top = lb;

  cx_hd_gej_set_inf(r);
  for (int i = top - 1; i >= 0; i--) {
    cx_hd_gej_double(r, r);
    if (w1[i]) cx_hd_add_digit_gej(r, tq, w1[i]);
    if (w2[i]) cx_hd_add_digit_gej(r, tl, w2[i]);
    if (wa[i]) cx_hd_add_digit_ge(r, gt->g, wa[i]);
    if (wb[i]) cx_hd_add_digit_ge(r, gt->h, wb[i]);
  }
}

/* 1 when x(R) mod n == r for a Jacobian R (not infinity), without an
 * inversion: X == r*Z^2, or X == (r+n)*Z^2 when r + n < p. */
CX_HD_INLINE int cx_hd_ecdsa_check_x(const cx_hd_gej *R, const cx_hd_sc *r) {
  cx_hd_fe rx, z2, t;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) rx.v[i] = r->v[i]; /* r < n < p */
  cx_hd_fe_sqr(&z2, &R->z);
  cx_hd_fe_mul(&t, &rx, &z2);
  if (cx_hd_fe_eq(&t, &R->x)) return 1;
  /* r + n < p  <=>  r < p - n = 14551231950B75FC4402DA1722FC9BAEE. */
  const uint32_t pmn[8] = {0x2FC9BAEEu, 0x402DA172u, 0x50B75FC4u,
                           0x45512319u, 0x1u, 0u, 0u, 0u};
  if (!cx_hd_u256_lt(r->v, pmn)) return 0;
  const uint32_t n[8] = CX_HD_N_LIMBS;
  uint64_t c = 0;
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    c += (uint64_t)r->v[i] + n[i];
    rx.v[i] = (uint32_t)c;
    c >>= 32;
  }
  cx_hd_fe_mul(&t, &rx, &z2);
  return cx_hd_fe_eq(&t, &R->x);
}

/* Verifies one signature. pub33: compressed key; digest: 32 bytes (the
 * message hash, big-endian number); sig64: r || s big-endian. Returns 1
 * when valid, 0 otherwise (any malformed input included). gt: the G tables
 * (cx_hd_gtab_init or the generated constants). */
CX_HD_FUNC int cx_hd_ecdsa_verify(const cx_hd_gtab *gt, const uint8_t pub33[33],
                                  const uint8_t digest[32],
                                  const uint8_t sig64[64]) {
  cx_hd_ge q;
  cx_hd_sc r, s, e, si, u1, u2;
  if (!cx_hd_ge_decompress(&q, pub33)) return 0;
  if (cx_hd_sc_set_b32(&r, sig64) || cx_hd_sc_is_zero(&r)) return 0;
  if (cx_hd_sc_set_b32(&s, sig64 + 32) || cx_hd_sc_is_zero(&s)) return 0;
  if (cx_hd_sc_is_high(&s)) return 0;
  (void)cx_hd_sc_set_b32(&e, digest); /* e = digest mod n */
  cx_hd_sc_inv(&si, &s);
  cx_hd_sc_mul(&u1, &e, &si);
  cx_hd_sc_mul(&u2, &r, &si);
  cx_hd_gej R;
  cx_hd_ecmult(&R, gt, &q, &u1, &u2);
  if (R.inf) return 0;
  return cx_hd_ecdsa_check_x(&R, &r);
}

#endif /* CX_HD_ECDSA_H */
