/* The operation test: each field, scalar and point operation, the wNAF and
 * GLV steps, the multiplication and the verify, run one at a time on
 * prepared inputs, host and device (CX_HD).
 *
 * It exists to find which operation a device build computes differently
 * from the host build of the same code (the out-of-line build gave wrong
 * verdicts on an H100 only; docs/gpu.md). gpu/optest.h runs it on the
 * host and compares; gpu.h's cx_gpu_optest runs it on a device.
 *
 * An input record is CX_HD_OPTEST_IN bytes: four 32-byte big-endian
 * numbers A, B, C, D at 0, 32, 64, 96; two compressed keys K1, K2 at 128
 * and 161; a digest at 194 and a signature (r || s) at 226; then the
 * points the point operations start from, computed by the host
 * (optest.c) so that no device kernel needs its own decompression: P (K1)
 * and Q (K2) affine at 292 and 356, and Jacobian forms J of P with Z = C,
 * K of Q with Z = D and M of P with Z = D at 420, 517 and 614. An output
 * record is CX_HD_OPTEST_OUT bytes, zero where the operation writes
 * nothing. Field elements are written big-endian (32 bytes), Jacobian
 * points as X, Y, Z and the infinity flag (97 bytes). Operations read their
 * inputs through thread-local copies, as the verify kernel does.
 */
#ifndef CX_HD_OPTEST_H
#define CX_HD_OPTEST_H

#include <stdint.h>

#include "cx_hd.h"
#include "hd_ecdsa.h"

#define CX_HD_OPTEST_IN 720
#define CX_HD_OPTEST_OUT 256
/* Offsets of the points in an input record. */
#define CX_HD_OPTEST_P 292
#define CX_HD_OPTEST_Q 356
#define CX_HD_OPTEST_J 420
#define CX_HD_OPTEST_K 517
#define CX_HD_OPTEST_M 614

/* In table order: an operation comes after those it is built from, so the
 * first one that differs names the culprit. */
enum {
  CX_HD_OP_U256_MUL,        /* A*B, 64 bytes */
  CX_HD_OP_FE_SET_B32,      /* fe(A), flag A < p */
  CX_HD_OP_FE_ADD,          /* a+b, a+a in place */
  CX_HD_OP_FE_SUB,          /* a-b, b-a, a-a */
  CX_HD_OP_FE_NEG,          /* -a, -a in place */
  CX_HD_OP_FE_MUL_SMALL,    /* a*8, a*(C mod 2^31) */
  CX_HD_OP_FE_MUL,          /* a*b */
  CX_HD_OP_FE_MUL_ALIAS,    /* r=a: r*=b; r=b: a*r; r=a=b: r*r */
  CX_HD_OP_FE_SQR,          /* a^2 */
  CX_HD_OP_FE_SQR_ALIAS,    /* a^2 in place, a^(2^5) */
  CX_HD_OP_FE_INV,          /* 1/a, a * (1/a) */
  CX_HD_OP_FE_SQRT,         /* sqrt(a), flag; sqrt(a^2), flag */
  CX_HD_OP_SC_SET_B32,      /* sc(A), overflow flag */
  CX_HD_OP_SC_ADD,          /* s+t, s+s in place */
  CX_HD_OP_SC_NEG,          /* -s, is_high(s) */
  CX_HD_OP_SC_MUL,          /* s*t */
  CX_HD_OP_SC_MUL_ALIAS,    /* r=s: r*=t; r=s=t: r*r */
  CX_HD_OP_SC_INV,          /* 1/s, s * (1/s) */
  CX_HD_OP_SC_SPLIT,        /* GLV: k1, k2 of s; their high flags */
  CX_HD_OP_WNAF5,           /* wNAF of the low 128 bits of s, window 5 */
  CX_HD_OP_WNAF8,           /* the same, window 8 */
  CX_HD_OP_GE_DECOMPRESS,   /* K1 parsed: flag, x, y; on-curve flag */
  CX_HD_OP_GEJ_DOUBLE,      /* 2P */
  CX_HD_OP_GEJ_DOUBLE_ALIAS, /* 2P in place, twice */
  CX_HD_OP_GEJ_ADD,         /* P + Q */
  CX_HD_OP_GEJ_ADD_ALIAS,   /* P += Q, Q = P + Q */
  CX_HD_OP_GEJ_ADD_SPECIAL, /* P + P (other Z), P + (-P) */
  CX_HD_OP_GEJ_ADD_GE,      /* P + q affine, P += q in place */
  CX_HD_OP_GE_SET_GEJ,      /* affine of P (equals K1's point) */
  CX_HD_OP_ECMULT,          /* u1*G + u2*Q: u1 = sc(A), u2 = sc(B), Q = P */
  CX_HD_OP_CHECK_X,         /* R of ECMULT: check_x(R, x(R) mod n), (R, C) */
  CX_HD_OP_VERIFY,          /* verdict of (K1, digest, signature) */
  CX_HD_OP_COUNT
};

/* Writes a as 32 big-endian bytes at o. */
CX_HD_INLINE void cx_hd_optest_put_fe(uint8_t *o, const cx_hd_fe *a) {
  cx_hd_fe_get_b32(o, a);
}

CX_HD_INLINE void cx_hd_optest_put_gej(uint8_t *o, const cx_hd_gej *a) {
  cx_hd_fe_get_b32(o, &a->x);
  cx_hd_fe_get_b32(o + 32, &a->y);
  cx_hd_fe_get_b32(o + 64, &a->z);
  o[96] = (uint8_t)(a->inf != 0);
}

CX_HD_INLINE void cx_hd_optest_get_ge(cx_hd_ge *r, const uint8_t *o) {
  (void)cx_hd_fe_set_b32(&r->x, o);
  (void)cx_hd_fe_set_b32(&r->y, o + 32);
}

CX_HD_INLINE void cx_hd_optest_get_gej(cx_hd_gej *r, const uint8_t *o) {
  (void)cx_hd_fe_set_b32(&r->x, o);
  (void)cx_hd_fe_set_b32(&r->y, o + 32);
  (void)cx_hd_fe_set_b32(&r->z, o + 64);
  r->inf = o[96] != 0;
}

/* Runs operation op on one input record into one output record (zeroed
 * here first). An op outside [0, CX_HD_OP_COUNT) writes 0xFF bytes.
 * Always inlined: the device has one kernel per operation (a constant op
 * folds the switches), so each is compiled as in the verify kernel and
 * ptxas never sees all of them in one function. */
CX_HD_INLINE void cx_hd_optest_run(int op, const cx_hd_gtab *gt,
                                 const uint8_t *in, uint8_t *out) {
  uint8_t rec[CX_HD_OPTEST_IN];
  for (int i = 0; i < CX_HD_OPTEST_OUT; i++)
    out[i] = (uint8_t)(op < 0 || op >= CX_HD_OP_COUNT ? 0xFF : 0);
  if (op < 0 || op >= CX_HD_OP_COUNT) return;
  for (int i = 0; i < CX_HD_OPTEST_IN; i++) rec[i] = in[i];
  const uint8_t *A = rec, *B = rec + 32, *C = rec + 64;
  const uint8_t *K1 = rec + 128, *dig = rec + 194,
                *sig = rec + 226;
  cx_hd_fe a, b, r, t;
  cx_hd_sc s, u, q, w;
  cx_hd_ge P, Q;
  cx_hd_gej J, K, L;
  int8_t wn[CX_HD_WNAF_LEN];
  uint32_t x[8], y[8], prod[16];
  int fa = cx_hd_fe_set_b32(&a, A);
  (void)cx_hd_fe_set_b32(&b, B);
  int so = cx_hd_sc_set_b32(&s, A);
  (void)cx_hd_sc_set_b32(&u, B);
  switch (op) {
  case CX_HD_OP_U256_MUL:
    cx_hd_u256_load_be(x, A);
    cx_hd_u256_load_be(y, B);
    cx_hd_u256_mul(prod, x, y);
    cx_hd_u256_store_be(out, prod + 8);
    cx_hd_u256_store_be(out + 32, prod);
    break;
  case CX_HD_OP_FE_SET_B32:
    cx_hd_optest_put_fe(out, &a);
    out[32] = (uint8_t)fa;
    break;
  case CX_HD_OP_FE_ADD:
    cx_hd_fe_add(&r, &a, &b);
    cx_hd_optest_put_fe(out, &r);
    cx_hd_fe_add(&a, &a, &a);
    cx_hd_optest_put_fe(out + 32, &a);
    break;
  case CX_HD_OP_FE_SUB:
    cx_hd_fe_sub(&r, &a, &b);
    cx_hd_optest_put_fe(out, &r);
    cx_hd_fe_sub(&r, &b, &a);
    cx_hd_optest_put_fe(out + 32, &r);
    cx_hd_fe_sub(&a, &a, &a);
    cx_hd_optest_put_fe(out + 64, &a);
    break;
  case CX_HD_OP_FE_NEG:
    cx_hd_fe_neg(&r, &a);
    cx_hd_optest_put_fe(out, &r);
    cx_hd_fe_neg(&a, &a);
    cx_hd_optest_put_fe(out + 32, &a);
    break;
  case CX_HD_OP_FE_MUL_SMALL:
    cx_hd_fe_mul_small(&r, &a, 8);
    cx_hd_optest_put_fe(out, &r);
    cx_hd_fe_mul_small(&r, &a,
                       (((uint32_t)C[0] << 24) | ((uint32_t)C[1] << 16) |
                        ((uint32_t)C[2] << 8) | C[3]) & 0x7FFFFFFFu);
    cx_hd_optest_put_fe(out + 32, &r);
    break;
  case CX_HD_OP_FE_MUL:
    cx_hd_fe_mul(&r, &a, &b);
    cx_hd_optest_put_fe(out, &r);
    break;
  case CX_HD_OP_FE_MUL_ALIAS:
    r = a;
    cx_hd_fe_mul(&r, &r, &b);
    cx_hd_optest_put_fe(out, &r);
    r = b;
    cx_hd_fe_mul(&r, &a, &r);
    cx_hd_optest_put_fe(out + 32, &r);
    r = a;
    cx_hd_fe_mul(&r, &r, &r);
    cx_hd_optest_put_fe(out + 64, &r);
    break;
  case CX_HD_OP_FE_SQR:
    cx_hd_fe_sqr(&r, &a);
    cx_hd_optest_put_fe(out, &r);
    break;
  case CX_HD_OP_FE_SQR_ALIAS:
    r = a;
    cx_hd_fe_sqr(&r, &r);
    cx_hd_optest_put_fe(out, &r);
    cx_hd_fe_sqr_n(&r, &a, 5);
    cx_hd_optest_put_fe(out + 32, &r);
    break;
  case CX_HD_OP_FE_INV:
    cx_hd_fe_inv(&r, &a);
    cx_hd_optest_put_fe(out, &r);
    cx_hd_fe_mul(&t, &r, &a);
    cx_hd_optest_put_fe(out + 32, &t);
    break;
  case CX_HD_OP_FE_SQRT:
    out[32] = (uint8_t)cx_hd_fe_sqrt(&r, &a);
    cx_hd_optest_put_fe(out, &r);
    cx_hd_fe_sqr(&t, &a);
    out[65] = (uint8_t)cx_hd_fe_sqrt(&t, &t);
    cx_hd_optest_put_fe(out + 33, &t);
    break;
  case CX_HD_OP_SC_SET_B32:
    cx_hd_sc_get_b32(out, &s);
    out[32] = (uint8_t)so;
    break;
  case CX_HD_OP_SC_ADD:
    cx_hd_sc_add(&q, &s, &u);
    cx_hd_sc_get_b32(out, &q);
    cx_hd_sc_add(&s, &s, &s);
    cx_hd_sc_get_b32(out + 32, &s);
    break;
  case CX_HD_OP_SC_NEG:
    cx_hd_sc_neg(&q, &s);
    cx_hd_sc_get_b32(out, &q);
    out[32] = (uint8_t)cx_hd_sc_is_high(&s);
    break;
  case CX_HD_OP_SC_MUL:
    cx_hd_sc_mul(&q, &s, &u);
    cx_hd_sc_get_b32(out, &q);
    break;
  case CX_HD_OP_SC_MUL_ALIAS:
    q = s;
    cx_hd_sc_mul(&q, &q, &u);
    cx_hd_sc_get_b32(out, &q);
    q = s;
    cx_hd_sc_mul(&q, &q, &q);
    cx_hd_sc_get_b32(out + 32, &q);
    break;
  case CX_HD_OP_SC_INV:
    cx_hd_sc_inv(&q, &s);
    cx_hd_sc_get_b32(out, &q);
    cx_hd_sc_mul(&w, &q, &s);
    cx_hd_sc_get_b32(out + 32, &w);
    break;
  case CX_HD_OP_SC_SPLIT:
    cx_hd_sc_split_lambda(&q, &w, &s);
    cx_hd_sc_get_b32(out, &q);
    cx_hd_sc_get_b32(out + 32, &w);
    out[64] = (uint8_t)cx_hd_sc_is_high(&q);
    out[65] = (uint8_t)cx_hd_sc_is_high(&w);
    break;
  case CX_HD_OP_WNAF5:
  case CX_HD_OP_WNAF8:
    for (int i = 4; i < 8; i++) s.v[i] = 0;
    out[CX_HD_WNAF_LEN] = (uint8_t)cx_hd_wnaf(
        wn, &s, op == CX_HD_OP_WNAF5 ? CX_HD_WINDOW_Q : CX_HD_WINDOW_G);
    for (int i = 0; i < CX_HD_WNAF_LEN; i++) out[i] = (uint8_t)wn[i];
    break;
  case CX_HD_OP_GE_DECOMPRESS:
    out[0] = (uint8_t)cx_hd_ge_decompress(&P, K1);
    if (out[0]) {
      cx_hd_optest_put_fe(out + 1, &P.x);
      cx_hd_optest_put_fe(out + 33, &P.y);
      out[65] = (uint8_t)cx_hd_ge_on_curve(&P);
    }
    break;
  default:
    break;
  }
  if (op < CX_HD_OP_GEJ_DOUBLE) return;
  cx_hd_optest_get_ge(&P, rec + CX_HD_OPTEST_P);
  cx_hd_optest_get_ge(&Q, rec + CX_HD_OPTEST_Q);
  cx_hd_optest_get_gej(&J, rec + CX_HD_OPTEST_J);
  cx_hd_optest_get_gej(&K, rec + CX_HD_OPTEST_K);
  switch (op) {
  case CX_HD_OP_GEJ_DOUBLE:
    cx_hd_gej_double(&L, &J);
    cx_hd_optest_put_gej(out, &L);
    break;
  case CX_HD_OP_GEJ_DOUBLE_ALIAS:
    cx_hd_gej_double(&J, &J);
    cx_hd_optest_put_gej(out, &J);
    cx_hd_gej_double(&J, &J);
    cx_hd_optest_put_gej(out + 97, &J);
    break;
  case CX_HD_OP_GEJ_ADD:
    cx_hd_gej_add(&L, &J, &K);
    cx_hd_optest_put_gej(out, &L);
    break;
  case CX_HD_OP_GEJ_ADD_ALIAS:
    L = J;
    cx_hd_gej_add(&L, &L, &K);
    cx_hd_optest_put_gej(out, &L);
    cx_hd_gej_add(&K, &J, &K);
    cx_hd_optest_put_gej(out + 97, &K);
    break;
  case CX_HD_OP_GEJ_ADD_SPECIAL:
    cx_hd_optest_get_gej(&K, rec + CX_HD_OPTEST_M);
    cx_hd_gej_add(&L, &J, &K);
    cx_hd_optest_put_gej(out, &L);
    cx_hd_gej_neg(&K, &K);
    cx_hd_gej_add(&L, &J, &K);
    out[97] = (uint8_t)(L.inf != 0);
    break;
  case CX_HD_OP_GEJ_ADD_GE:
    cx_hd_gej_add_ge(&L, &J, &Q);
    cx_hd_optest_put_gej(out, &L);
    cx_hd_gej_add_ge(&J, &J, &Q);
    cx_hd_optest_put_gej(out + 97, &J);
    break;
  case CX_HD_OP_GE_SET_GEJ:
    cx_hd_ge_set_gej(&Q, &J);
    cx_hd_optest_put_fe(out, &Q.x);
    cx_hd_optest_put_fe(out + 32, &Q.y);
    break;
  case CX_HD_OP_ECMULT:
  case CX_HD_OP_CHECK_X:
    cx_hd_ecmult(&L, gt, &P, &s, &u);
    if (op == CX_HD_OP_ECMULT) {
      cx_hd_optest_put_gej(out, &L);
    } else if (!L.inf) {
      /* r = x(R) mod n must match; r = sc(C) almost never does. */
      uint8_t xb[32];
      cx_hd_ge_set_gej(&Q, &L);
      cx_hd_fe_get_b32(xb, &Q.x);
      (void)cx_hd_sc_set_b32(&q, xb);
      out[0] = (uint8_t)cx_hd_ecdsa_check_x(&L, &q);
      (void)cx_hd_sc_set_b32(&q, C);
      out[1] = (uint8_t)cx_hd_ecdsa_check_x(&L, &q);
    }
    break;
  case CX_HD_OP_VERIFY:
    out[0] = (uint8_t)cx_hd_ecdsa_verify(gt, K1, dig, sig);
    break;
  default:
    break;
  }
}

#endif /* CX_HD_OPTEST_H */
