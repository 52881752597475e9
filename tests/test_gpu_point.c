/* CX_HD point arithmetic against libsecp256k1's public API: additions and
 * doublings (Jacobian and mixed, with random Z) against
 * secp256k1_ec_pubkey_combine, u1*G + u2*Q (GLV + wNAF ladder) against
 * pubkey_create + tweak_mul + combine, decompression against pubkey_parse,
 * and the generated G tables against a fresh computation. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <secp256k1.h>
#include <string.h>

#include "hd_ecdsa.h"
#include "hd_gtab.h"
#include "hd_gtab_data.h"
#include "test_gpu_ref.h"

static secp256k1_context *ctx;
static void setup(void) { ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE); }
static void teardown(void) { secp256k1_context_destroy(ctx); }

/* Affine coordinates of a libsecp256k1 key. */
static void ge_of_pubkey(cx_hd_ge *r, const secp256k1_pubkey *pk) {
  uint8_t u[65];
  size_t l = 65;
  secp256k1_ec_pubkey_serialize(ctx, u, &l, pk, SECP256K1_EC_UNCOMPRESSED);
  cr_assert(cx_hd_fe_set_b32(&r->x, u + 1) && cx_hd_fe_set_b32(&r->y, u + 33));
}

static void random_key(cx_rng *rng, secp256k1_pubkey *pk) {
  uint8_t sk[32];
  do cx_rng_bytes(rng, sk, 32);
  while (!secp256k1_ec_seckey_verify(ctx, sk));
  cr_assert(secp256k1_ec_pubkey_create(ctx, pk, sk));
}

/* Jacobian form of a with a random Z. */
static void gej_scaled(cx_rng *rng, cx_hd_gej *r, const cx_hd_ge *a) {
  ref_u256 z = ref_rand_mod(rng, &REF_P);
  cx_hd_fe fz, z2, z3;
  ref_to32(fz.v, &z);
  if (cx_hd_fe_is_zero(&fz)) cx_hd_fe_set_u32(&fz, 7);
  cx_hd_fe_sqr(&z2, &fz);
  cx_hd_fe_mul(&z3, &z2, &fz);
  cx_hd_fe_mul(&r->x, &a->x, &z2);
  cx_hd_fe_mul(&r->y, &a->y, &z3);
  r->z = fz;
  r->inf = 0;
}

/* 1 when Jacobian a represents affine b (no inversion). */
static int gej_eq_ge(const cx_hd_gej *a, const cx_hd_ge *b) {
  if (a->inf) return 0;
  cx_hd_fe z2, z3, t;
  cx_hd_fe_sqr(&z2, &a->z);
  cx_hd_fe_mul(&z3, &z2, &a->z);
  cx_hd_fe_mul(&t, &b->x, &z2);
  if (!cx_hd_fe_eq(&t, &a->x)) return 0;
  cx_hd_fe_mul(&t, &b->y, &z3);
  return cx_hd_fe_eq(&t, &a->y);
}

TestSuite(gpu_point, .init = setup, .fini = teardown);

Test(gpu_point, gtab_constants_match_computation) {
  static cx_hd_gtab fresh;
  static const cx_hd_gtab stored = CX_HD_GTAB_INIT;
  cx_hd_gtab_compute(&fresh);
  cr_assert(memcmp(&fresh, &stored, sizeof fresh) == 0,
            "hd_gtab_data.h is stale: regenerate with gpu/tools/gen_gtab.c");
  /* and against libsecp256k1: g[i] = (2i+1)G, h[i] = (2i+1)2^128 G */
  for (int i = 0; i < CX_HD_TABLE_G; i++) {
    for (int half = 0; half < 2; half++) {
      uint8_t sk[32] = {0};
      sk[31] = (uint8_t)(2 * i + 1);
      if (half) { sk[15] = sk[31]; sk[31] = 0; }
      secp256k1_pubkey pk;
      cr_assert(secp256k1_ec_pubkey_create(ctx, &pk, sk));
      cx_hd_ge want;
      ge_of_pubkey(&want, &pk);
      const cx_hd_ge *got = half ? &stored.h[i] : &stored.g[i];
      cr_assert(cx_hd_fe_eq(&got->x, &want.x) && cx_hd_fe_eq(&got->y, &want.y),
                "G table %s[%d] wrong", half ? "h" : "g", i);
    }
  }
}

Test(gpu_point, endomorphism_constants) {
  const cx_hd_fe beta = {CX_HD_BETA_LIMBS};
  cx_hd_fe b3, one;
  cx_hd_fe_sqr(&b3, &beta);
  cx_hd_fe_mul(&b3, &b3, &beta);
  cx_hd_fe_set_u32(&one, 1);
  cr_assert(cx_hd_fe_eq(&b3, &one), "beta^3 != 1 mod p");
  cx_rng rng = {cx_test_seed("gpu_point.endo")};
  const cx_hd_sc lambda = {CX_HD_LAMBDA_LIMBS};
  uint8_t lam[32];
  cx_hd_sc_get_b32(lam, &lambda);
  for (int i = 0; i < 100; i++) {
    secp256k1_pubkey pk;
    random_key(&rng, &pk);
    cx_hd_ge p, want;
    ge_of_pubkey(&p, &pk);
    cr_assert(secp256k1_ec_pubkey_tweak_mul(ctx, &pk, lam));
    ge_of_pubkey(&want, &pk);
    cx_hd_fe bx;
    cx_hd_fe_mul(&bx, &p.x, &beta);
    cr_assert(cx_hd_fe_eq(&bx, &want.x) && cx_hd_fe_eq(&p.y, &want.y),
              "lambda*P != (beta*x, y)");
  }
}

Test(gpu_point, add_double_match_libsecp256k1) {
  cx_rng rng = {cx_test_seed("gpu_point.add")};
  uint64_t iters = cx_test_iters(100000);
  secp256k1_pubkey P, Q;
  random_key(&rng, &P);
  random_key(&rng, &Q);
  for (uint64_t i = 0; i < iters; i++) {
    const secp256k1_pubkey *both[2] = {&P, &Q}, *same[2] = {&P, &P};
    secp256k1_pubkey S, D;
    cr_assert(secp256k1_ec_pubkey_combine(ctx, &S, both, 2));
    cr_assert(secp256k1_ec_pubkey_combine(ctx, &D, same, 2));
    cx_hd_ge p, q, s, d;
    ge_of_pubkey(&p, &P);
    ge_of_pubkey(&q, &Q);
    ge_of_pubkey(&s, &S);
    ge_of_pubkey(&d, &D);
    cx_hd_gej jp, jq, r;
    gej_scaled(&rng, &jp, &p);
    gej_scaled(&rng, &jq, &q);
    cx_hd_gej_add(&r, &jp, &jq);
    cr_assert(gej_eq_ge(&r, &s), "P + Q (Jacobian) wrong at %llu", (unsigned long long)i);
    cx_hd_gej_add_ge(&r, &jp, &q);
    cr_assert(gej_eq_ge(&r, &s), "P + Q (mixed) wrong at %llu", (unsigned long long)i);
    cx_hd_gej_double(&r, &jp);
    cr_assert(gej_eq_ge(&r, &d), "2P wrong at %llu", (unsigned long long)i);
    /* the special cases inside the additions */
    cx_hd_gej jp2;
    gej_scaled(&rng, &jp2, &p);
    cx_hd_gej_add(&r, &jp, &jp2);
    cr_assert(gej_eq_ge(&r, &d), "P + P (add) wrong at %llu", (unsigned long long)i);
    cx_hd_gej_add_ge(&r, &jp, &p);
    cr_assert(gej_eq_ge(&r, &d), "P + P (mixed) wrong at %llu", (unsigned long long)i);
    cx_hd_ge np;
    cx_hd_ge_neg(&np, &p);
    cx_hd_gej_add_ge(&r, &jp, &np);
    cr_assert(r.inf, "P + (-P) must be infinity");
    cx_hd_gej inf;
    cx_hd_gej_set_inf(&inf);
    cx_hd_gej_add(&r, &inf, &jp);
    cr_assert(gej_eq_ge(&r, &p), "inf + P");
    cx_hd_gej_add(&r, &jp, &inf);
    cr_assert(gej_eq_ge(&r, &p), "P + inf");
    P = Q;
    Q = S;
  }
  cr_log_info("gpu_point: %llu x {add, mixed add, double, P+P, P-P}",
              (unsigned long long)iters);
}

Test(gpu_point, decompress_matches_parse) {
  cx_rng rng = {cx_test_seed("gpu_point.decompress")};
  uint64_t iters = cx_test_iters(100000) / 10;
  size_t on_curve = 0;
  for (uint64_t i = 0; i < iters; i++) {
    uint8_t in[33];
    in[0] = (uint8_t)(2 + cx_rng_below(&rng, 2));
    cx_rng_bytes(&rng, in + 1, 32);
    if (i % 50 == 0) memset(in + 1, 0xFF, 32 - cx_rng_below(&rng, 3));
    if (i % 97 == 0) in[0] = (uint8_t)cx_rng_below(&rng, 256);
    secp256k1_pubkey pk;
    int want = secp256k1_ec_pubkey_parse(ctx, &pk, in, 33);
    cx_hd_ge g;
    memset(&g, 0, sizeof g);
    int got = cx_hd_ge_decompress(&g, in);
    cr_assert_eq(got, want, "decompress verdict at %llu", (unsigned long long)i);
    if (!want) continue;
    on_curve++;
    cx_hd_ge w;
    ge_of_pubkey(&w, &pk);
    cr_assert(cx_hd_fe_eq(&g.x, &w.x) && cx_hd_fe_eq(&g.y, &w.y),
              "decompressed point differs at %llu", (unsigned long long)i);
    cr_assert(cx_hd_ge_on_curve(&g));
    uint8_t back[33];
    cx_hd_ge_compress(back, &g);
    cr_assert_arr_eq(back, in, 33);
  }
  cr_assert(on_curve > iters / 4, "too few valid x: %zu", on_curve);
}

Test(gpu_point, ecmult_matches_libsecp256k1) {
  cx_rng rng = {cx_test_seed("gpu_point.ecmult")};
  uint64_t iters = cx_test_iters(100000) / 10;
  static const cx_hd_gtab gt = CX_HD_GTAB_INIT;
  for (uint64_t i = 0; i < iters; i++) {
    ref_u256 a = ref_rand_mod(&rng, &REF_N), b = ref_rand_mod(&rng, &REF_N);
    cx_hd_sc u1, u2;
    ref_to32(u1.v, &a);
    ref_to32(u2.v, &b);
    if (i % 7 == 0) cx_hd_sc_set_u32(&u1, (uint32_t)cx_rng_below(&rng, 4));
    if (i % 11 == 0) cx_hd_sc_set_u32(&u2, (uint32_t)cx_rng_below(&rng, 4));
    secp256k1_pubkey Q, A, B, R;
    random_key(&rng, &Q);
    uint8_t s1[32], s2[32];
    cx_hd_sc_get_b32(s1, &u1);
    cx_hd_sc_get_b32(s2, &u2);
    int have_a = secp256k1_ec_pubkey_create(ctx, &A, s1);
    B = Q;
    int have_b = secp256k1_ec_pubkey_tweak_mul(ctx, &B, s2);
    int want_inf = 0;
    if (have_a && have_b) {
      const secp256k1_pubkey *ab[2] = {&A, &B};
      want_inf = !secp256k1_ec_pubkey_combine(ctx, &R, ab, 2);
    } else if (have_a) {
      R = A;
    } else if (have_b) {
      R = B;
    } else {
      want_inf = 1;
    }
    cx_hd_ge q;
    ge_of_pubkey(&q, &Q);
    cx_hd_gej got;
    cx_hd_ecmult(&got, &gt, &q, &u1, &u2);
    if (want_inf) {
      cr_assert(got.inf, "expected infinity at %llu", (unsigned long long)i);
      continue;
    }
    cx_hd_ge want;
    ge_of_pubkey(&want, &R);
    cr_assert(gej_eq_ge(&got, &want), "u1*G + u2*Q wrong at %llu",
              (unsigned long long)i);
  }
  /* u2*Q = -u1*G exactly: the ladder must reach infinity. */
  secp256k1_pubkey Q;
  uint8_t sk[32] = {0};
  sk[31] = 5;
  cr_assert(secp256k1_ec_pubkey_create(ctx, &Q, sk)); /* Q = 5G */
  cx_hd_ge q;
  ge_of_pubkey(&q, &Q);
  cx_hd_sc u1, u2, five;
  cx_hd_sc_set_u32(&u2, 3);
  cx_hd_sc_set_u32(&five, 15);
  cx_hd_sc_neg(&u1, &five); /* -15 G + 3*5G = inf */
  cx_hd_gej got;
  cx_hd_ecmult(&got, &gt, &q, &u1, &u2);
  cr_assert(got.inf, "-15G + 3(5G) must be infinity");
  cr_log_info("gpu_point: %llu multiplications u1*G + u2*Q", (unsigned long long)iters);
}
