/* The operation test's host side: see optest.h. */
#include "optest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hd_gtab_data.h"

static const cx_hd_gtab cx_optest_gtab = CX_HD_GTAB_INIT;

static const char *const cx_optest_names[CX_HD_OP_COUNT] = {
    "u256_mul",     "fe_set_b32",      "fe_add",          "fe_sub",
    "fe_neg",       "fe_mul_small",    "fe_mul",          "fe_mul (aliased)",
    "fe_sqr",       "fe_sqr (aliased)", "fe_inv",         "fe_sqrt",
    "sc_set_b32",   "sc_add",          "sc_neg",          "sc_mul",
    "sc_mul (aliased)", "sc_inv",      "sc_split_lambda (GLV)", "wnaf (w=5)",
    "wnaf (w=8)",   "ge_decompress",   "gej_double",      "gej_double (aliased)",
    "gej_add",      "gej_add (aliased)", "gej_add (P+P, P-P)", "gej_add_ge",
    "ge_set_gej",   "ecmult",          "ecdsa_check_x",   "ecdsa_verify"};

const char *cx_optest_name(int op) {
  return op >= 0 && op < CX_HD_OP_COUNT ? cx_optest_names[op] : "?";
}

static uint64_t cx_optest_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void cx_optest_bytes(uint64_t *s, uint8_t *o, size_t n) {
  for (size_t i = 0; i < n; i++) o[i] = (uint8_t)(cx_optest_next(s) >> 56);
}

/* One 32-byte number: uniform half the time, else an edge of p, n, 2^256
 * or small values, or limbs of all ones and zeros (long carry chains). */
static void cx_optest_number(uint64_t *s, uint8_t o[32]) {
  static const uint8_t p[32] = {
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFC, 0x2F};
  static const uint8_t n[32] = {
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
      0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
  uint64_t k = cx_optest_next(s) % 16;
  if (k < 8) {
    cx_optest_bytes(s, o, 32);
    return;
  }
  memset(o, 0, 32);
  int delta = (int)(cx_optest_next(s) % 3) - 1; /* -1, 0, +1 */
  switch (k) {
  case 8: /* small */
    o[31] = (uint8_t)(cx_optest_next(s) % 4);
    return;
  case 9:
  case 10:
    memcpy(o, k == 9 ? p : n, 32);
    break;
  case 11:
    memset(o, 0xFF, 32);
    delta = -(int)(cx_optest_next(s) % 2);
    break;
  default: /* 32-bit limbs each all ones or zeros, one maybe random */
    for (int i = 0; i < 8; i++) {
      uint64_t c = cx_optest_next(s) % 3;
      uint32_t v = c == 0 ? 0u : c == 1 ? 0xFFFFFFFFu : (uint32_t)cx_optest_next(s);
      o[4 * i] = (uint8_t)(v >> 24), o[4 * i + 1] = (uint8_t)(v >> 16);
      o[4 * i + 2] = (uint8_t)(v >> 8), o[4 * i + 3] = (uint8_t)v;
    }
    return;
  }
  /* o += delta, big-endian, wrapping. */
  if (delta > 0) {
    for (int i = 31; i >= 0 && ++o[i] == 0; i--) {
    }
  } else if (delta < 0) {
    for (int i = 31; i >= 0 && o[i]-- == 0; i--) {
    }
  }
}

/* A valid compressed key: random x until x^3 + 7 is a square. */
static void cx_optest_key(uint64_t *s, uint8_t k[33]) {
  cx_hd_ge g;
  do {
    k[0] = (uint8_t)(2 + (cx_optest_next(s) & 1));
    cx_optest_bytes(s, k + 1, 32);
  } while (!cx_hd_ge_decompress(&g, k));
}

static void cx_optest_put_ge(uint8_t *o, const cx_hd_ge *a) {
  cx_hd_fe_get_b32(o, &a->x);
  cx_hd_fe_get_b32(o + 32, &a->y);
}

/* Jacobian (x z^2, y z^3, z) of a, with z = fe(zb), or 1 when that is 0. */
static void cx_optest_put_jac(uint8_t *o, const cx_hd_ge *a,
                              const uint8_t zb[32]) {
  cx_hd_fe z, z2, z3;
  cx_hd_gej r;
  (void)cx_hd_fe_set_b32(&z, zb);
  if (cx_hd_fe_is_zero(&z)) cx_hd_fe_set_u32(&z, 1);
  cx_hd_fe_sqr(&z2, &z);
  cx_hd_fe_mul(&z3, &z2, &z);
  cx_hd_fe_mul(&r.x, &a->x, &z2);
  cx_hd_fe_mul(&r.y, &a->y, &z3);
  r.z = z;
  r.inf = 0;
  cx_hd_optest_put_gej(o, &r);
}

void cx_optest_points(size_t n, uint8_t *in) {
  for (size_t i = 0; i < n; i++) {
    uint8_t *r = in + i * CX_HD_OPTEST_IN;
    cx_hd_ge p, q;
    if (!cx_hd_ge_decompress(&p, r + 128)) cx_hd_ge_set_g(&p);
    if (!cx_hd_ge_decompress(&q, r + 161)) cx_hd_ge_set_g(&q);
    cx_optest_put_ge(r + CX_HD_OPTEST_P, &p);
    cx_optest_put_ge(r + CX_HD_OPTEST_Q, &q);
    cx_optest_put_jac(r + CX_HD_OPTEST_J, &p, r + 64);
    cx_optest_put_jac(r + CX_HD_OPTEST_K, &q, r + 96);
    cx_optest_put_jac(r + CX_HD_OPTEST_M, &p, r + 96);
  }
}

void cx_optest_inputs(uint64_t seed, size_t n, uint8_t *in) {
  uint64_t s = seed;
  for (size_t i = 0; i < n; i++) {
    uint8_t *r = in + i * CX_HD_OPTEST_IN;
    memset(r, 0, CX_HD_OPTEST_IN);
    for (int j = 0; j < 4; j++) cx_optest_number(&s, r + 32 * j);
    cx_optest_key(&s, r + 128);
    cx_optest_key(&s, r + 161);
    cx_optest_bytes(&s, r + 194, 96);
    r[226 + 32] &= 0x7F; /* low s, so the verify reaches the multiplication */
  }
  cx_optest_points(n, in);
}

void cx_optest_host(int op, size_t n, const uint8_t *in, uint8_t *out) {
  for (size_t i = 0; i < n; i++)
    cx_hd_optest_run(op, &cx_optest_gtab, in + i * CX_HD_OPTEST_IN,
                     out + i * CX_HD_OPTEST_OUT);
}

int cx_optest_compare(cx_optest_runner run, void *ctx, size_t n,
                      const uint8_t *in, cx_optest_diff *diff, char *why,
                      size_t len) {
  size_t bytes = n * CX_HD_OPTEST_OUT;
  uint8_t *got = malloc(bytes ? bytes : 1), *want = malloc(bytes ? bytes : 1);
  int rc = 0;
  if (!got || !want) {
    snprintf(why, len, "op test: out of memory for %zu records", n);
    rc = -1;
  }
  for (int op = 0; rc == 0 && op < CX_HD_OP_COUNT; op++) {
    char e[256] = "";
    memset(got, 0xA5, bytes);
    if (run(ctx, op, n, in, got, e, sizeof e) != 0) {
      snprintf(why, len, "op test: the run of %s failed: %s",
               cx_optest_name(op), e);
      rc = -1;
      break;
    }
    cx_optest_host(op, n, in, want);
    size_t first = bytes, count = 0;
    for (size_t i = 0; i < n; i++) {
      const uint8_t *g = got + i * CX_HD_OPTEST_OUT,
                    *w = want + i * CX_HD_OPTEST_OUT;
      if (memcmp(g, w, CX_HD_OPTEST_OUT) == 0) continue;
      if (count++ == 0) {
        size_t b = 0;
        while (g[b] == w[b]) b++;
        first = i * CX_HD_OPTEST_OUT + b;
      }
    }
    if (count) {
      diff->op = op;
      diff->item = first / CX_HD_OPTEST_OUT;
      diff->byte = first % CX_HD_OPTEST_OUT;
      diff->got = got[first];
      diff->want = want[first];
      diff->items_differing = count;
      snprintf(why, len,
               "op test: %s is the first operation that differs: record %zu, "
               "output byte %zu: 0x%02x, host 0x%02x (%zu of %zu records "
               "differ)",
               cx_optest_name(op), diff->item, diff->byte, diff->got,
               diff->want, count, n);
      rc = 1;
    }
  }
  free(got);
  free(want);
  return rc;
}
