/* secp256k1 points (y^2 = x^3 + 7 over GF(p)), host and device.
 *
 * cx_hd_ge: affine (x, y), never the point at infinity (tables, keys).
 * cx_hd_gej: Jacobian (X, Y, Z) for x = X/Z^2, y = Y/Z^3; inf != 0 marks
 * the point at infinity (then X, Y, Z are meaningless). Every coordinate
 * is a reduced field element (hd_field.h). Formulas: dbl-2009-l for a = 0
 * and add-1998-cmo-2; the additions handle P + P and P + (-P) exactly,
 * branching on public data only (this code verifies, it never signs).
 */
#ifndef CX_HD_POINT_H
#define CX_HD_POINT_H

#include <stdint.h>

#include "cx_hd.h"
#include "hd_field.h"

typedef struct cx_hd_ge {
  cx_hd_fe x, y;
} cx_hd_ge;

typedef struct cx_hd_gej {
  cx_hd_fe x, y, z;
  int inf;
} cx_hd_gej;

/* beta, a cube root of unity mod p: (beta * x, y) = lambda * (x, y). */
#define CX_HD_BETA_LIMBS                                                      \
  {0x719501EEu, 0xC1396C28u, 0x12F58995u, 0x9CF04975u,                         \
   0xAC3434E9u, 0x6E64479Eu, 0x657C0710u, 0x7AE96A2Bu}

CX_HD_INLINE void cx_hd_gej_set_inf(cx_hd_gej *r) {
  cx_hd_fe_set_u32(&r->x, 0);
  cx_hd_fe_set_u32(&r->y, 1);
  cx_hd_fe_set_u32(&r->z, 0);
  r->inf = 1;
}

CX_HD_INLINE void cx_hd_gej_set_ge(cx_hd_gej *r, const cx_hd_ge *a) {
  r->x = a->x;
  r->y = a->y;
  cx_hd_fe_set_u32(&r->z, 1);
  r->inf = 0;
}

CX_HD_INLINE void cx_hd_ge_neg(cx_hd_ge *r, const cx_hd_ge *a) {
  r->x = a->x;
  cx_hd_fe_neg(&r->y, &a->y);
}

CX_HD_INLINE void cx_hd_gej_neg(cx_hd_gej *r, const cx_hd_gej *a) {
  *r = *a;
  cx_hd_fe_neg(&r->y, &a->y);
}

/* 1 when y^2 == x^3 + 7. */
CX_HD_INLINE int cx_hd_ge_on_curve(const cx_hd_ge *a) {
  cx_hd_fe y2, x3, seven;
  cx_hd_fe_sqr(&y2, &a->y);
  cx_hd_fe_sqr(&x3, &a->x);
  cx_hd_fe_mul(&x3, &x3, &a->x);
  cx_hd_fe_set_u32(&seven, 7);
  cx_hd_fe_add(&x3, &x3, &seven);
  return cx_hd_fe_eq(&y2, &x3);
}

/* r = 2a. No point of order 2 exists, so Y != 0 unless a is infinity. */
CX_HD_HOT void cx_hd_gej_double(cx_hd_gej *r, const cx_hd_gej *a) {
  if (a->inf) {
    *r = *a;
    return;
  }
  cx_hd_fe A, B, C, D, E, F, t;
  cx_hd_fe_sqr(&A, &a->x);
  cx_hd_fe_sqr(&B, &a->y);
  cx_hd_fe_sqr(&C, &B);
  cx_hd_fe_add(&t, &a->x, &B);
  cx_hd_fe_sqr(&t, &t);
  cx_hd_fe_sub(&t, &t, &A);
  cx_hd_fe_sub(&t, &t, &C);
  cx_hd_fe_add(&D, &t, &t);          /* D = 2((X+B)^2 - A - C) = 4XY^2 */
  cx_hd_fe_add(&E, &A, &A);
  cx_hd_fe_add(&E, &E, &A);          /* E = 3X^2 */
  cx_hd_fe_sqr(&F, &E);
  cx_hd_fe_mul(&r->z, &a->y, &a->z);
  cx_hd_fe_add(&r->z, &r->z, &r->z); /* Z3 = 2YZ (before Y is overwritten) */
  cx_hd_fe_add(&t, &D, &D);
  cx_hd_fe_sub(&r->x, &F, &t);       /* X3 = F - 2D */
  cx_hd_fe_sub(&t, &D, &r->x);
  cx_hd_fe_mul(&t, &E, &t);
  cx_hd_fe_mul_small(&C, &C, 8);
  cx_hd_fe_sub(&r->y, &t, &C);       /* Y3 = E(D - X3) - 8C */
  r->inf = 0;
}

/* Shared tail of the additions: given u1, s1 (of a), u2, s2 (of b) and
 * zz = the product of the Z's, writes r = a + b. r may alias a. */
CX_HD_FUNC void cx_hd_gej_add_tail(cx_hd_gej *r, const cx_hd_gej *a,
                                     const cx_hd_fe *u1, const cx_hd_fe *s1,
                                     const cx_hd_fe *u2, const cx_hd_fe *s2,
                                     const cx_hd_fe *zz) {
  cx_hd_fe h, i, h2, h3, t;
  cx_hd_fe_sub(&h, u2, u1);
  cx_hd_fe_sub(&i, s2, s1);
  if (cx_hd_fe_is_zero(&h)) {
    if (cx_hd_fe_is_zero(&i)) {
      cx_hd_gej_double(r, a);
    } else {
      cx_hd_gej_set_inf(r);
    }
    return;
  }
  cx_hd_fe_sqr(&h2, &h);
  cx_hd_fe_mul(&h3, &h, &h2);
  cx_hd_fe_mul(&t, u1, &h2);
  cx_hd_fe_mul(&r->z, zz, &h);
  cx_hd_fe_sqr(&r->x, &i);
  cx_hd_fe_sub(&r->x, &r->x, &h3);
  cx_hd_fe_sub(&r->x, &r->x, &t);
  cx_hd_fe_sub(&r->x, &r->x, &t);     /* X3 = i^2 - h^3 - 2 u1 h^2 */
  cx_hd_fe_sub(&t, &t, &r->x);
  cx_hd_fe_mul(&t, &t, &i);
  cx_hd_fe_mul(&h3, &h3, s1);
  cx_hd_fe_sub(&r->y, &t, &h3);       /* Y3 = i(u1 h^2 - X3) - s1 h^3 */
  r->inf = 0;
}

/* r = a + b (Jacobian + Jacobian). r may alias a or b. */
CX_HD_HOT void cx_hd_gej_add(cx_hd_gej *r, const cx_hd_gej *a,
                             const cx_hd_gej *b) {
  if (a->inf) {
    *r = *b;
    return;
  }
  if (b->inf) {
    *r = *a;
    return;
  }
  cx_hd_fe z12, z22, u1, u2, s1, s2, zz;
  cx_hd_fe_sqr(&z12, &a->z);
  cx_hd_fe_sqr(&z22, &b->z);
  cx_hd_fe_mul(&u1, &a->x, &z22);
  cx_hd_fe_mul(&u2, &b->x, &z12);
  cx_hd_fe_mul(&s1, &a->y, &z22);
  cx_hd_fe_mul(&s1, &s1, &b->z);
  cx_hd_fe_mul(&s2, &b->y, &z12);
  cx_hd_fe_mul(&s2, &s2, &a->z);
  cx_hd_fe_mul(&zz, &a->z, &b->z);
  cx_hd_gej a_copy = *a; /* r may alias a; the doubling case reads it */
  cx_hd_gej_add_tail(r, &a_copy, &u1, &s1, &u2, &s2, &zz);
}

/* r = a + b (Jacobian + affine). r may alias a. */
CX_HD_HOT void cx_hd_gej_add_ge(cx_hd_gej *r, const cx_hd_gej *a,
                                const cx_hd_ge *b) {
  if (a->inf) {
    cx_hd_gej_set_ge(r, b);
    return;
  }
  cx_hd_fe z12, u2, s2;
  cx_hd_fe_sqr(&z12, &a->z);
  cx_hd_fe_mul(&u2, &b->x, &z12);
  cx_hd_fe_mul(&s2, &b->y, &z12);
  cx_hd_fe_mul(&s2, &s2, &a->z);
  cx_hd_gej a_copy = *a;
  cx_hd_gej_add_tail(r, &a_copy, &a_copy.x, &a_copy.y, &u2, &s2, &a_copy.z);
}

/* Affine form of a (not infinity): x = X/Z^2, y = Y/Z^3. */
CX_HD_FUNC void cx_hd_ge_set_gej(cx_hd_ge *r, const cx_hd_gej *a) {
  cx_hd_fe zi, zi2, zi3;
  cx_hd_fe_inv(&zi, &a->z);
  cx_hd_fe_sqr(&zi2, &zi);
  cx_hd_fe_mul(&zi3, &zi2, &zi);
  cx_hd_fe_mul(&r->x, &a->x, &zi2);
  cx_hd_fe_mul(&r->y, &a->y, &zi3);
}

/* Parses a 33-byte compressed SEC1 key: prefix 02 (even y) or 03 (odd y),
 * x < p, x^3 + 7 a square. Returns 1 and sets r, or 0 (r unspecified). */
CX_HD_FUNC int cx_hd_ge_decompress(cx_hd_ge *r, const uint8_t in[33]) {
  if (in[0] != 0x02 && in[0] != 0x03) return 0;
  if (!cx_hd_fe_set_b32(&r->x, in + 1)) return 0;
  cx_hd_fe x3, seven;
  cx_hd_fe_sqr(&x3, &r->x);
  cx_hd_fe_mul(&x3, &x3, &r->x);
  cx_hd_fe_set_u32(&seven, 7);
  cx_hd_fe_add(&x3, &x3, &seven);
  if (!cx_hd_fe_sqrt(&r->y, &x3)) return 0;
  if (cx_hd_fe_is_odd(&r->y) != (in[0] == 0x03)) cx_hd_fe_neg(&r->y, &r->y);
  return 1;
}

/* 33-byte compressed encoding of a (not infinity). */
CX_HD_INLINE void cx_hd_ge_compress(uint8_t out[33], const cx_hd_ge *a) {
  out[0] = (uint8_t)(0x02 | cx_hd_fe_is_odd(&a->y));
  cx_hd_fe_get_b32(out + 1, &a->x);
}

/* The generator G. */
CX_HD_INLINE void cx_hd_ge_set_g(cx_hd_ge *r) {
  const cx_hd_fe gx = {{0x16F81798u, 0x59F2815Bu, 0x2DCE28D9u, 0x029BFCDBu,
                        0xCE870B07u, 0x55A06295u, 0xF9DCBBACu, 0x79BE667Eu}};
  const cx_hd_fe gy = {{0xFB10D4B8u, 0x9C47D08Fu, 0xA6855419u, 0xFD17B448u,
                        0x0E1108A8u, 0x5DA4FBFCu, 0x26A3C465u, 0x483ADA77u}};
  r->x = gx;
  r->y = gy;
}

#endif /* CX_HD_POINT_H */
