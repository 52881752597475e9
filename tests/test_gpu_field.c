/* Differential tests of the CX_HD field (mod p) and scalar (mod n) code
 * against the bit-serial reference of test_gpu_ref.h: CX_TEST_ITERS
 * (default 100,000) random edge-biased operands per operation. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "hd_field.h"
#include "hd_scalar.h"
#include "test_gpu_ref.h"

static cx_hd_fe fe_of(const ref_u256 *a) {
  cx_hd_fe r;
  ref_to32(r.v, a);
  return r;
}
static ref_u256 ref_of_fe(const cx_hd_fe *a) { return ref_from32(a->v); }
static cx_hd_sc sc_of(const ref_u256 *a) {
  cx_hd_sc r;
  ref_to32(r.v, a);
  return r;
}
static ref_u256 ref_of_sc(const cx_hd_sc *a) { return ref_from32(a->v); }

#define ASSERT_REF_EQ(got, want, what, i)                                     \
  cr_assert(ref_cmp(&(got), &(want)) == 0,                                    \
            "%s differs from the reference at iteration %llu "                \
            "(got %016llx.., want %016llx..)",                                \
            what, (unsigned long long)(i), (unsigned long long)(got).w[3],     \
            (unsigned long long)(want).w[3])

Test(gpu_field, mul_sqr_add_sub_neg_match_reference) {
  cx_rng rng = {cx_test_seed("gpu_field.mul")};
  uint64_t iters = cx_test_iters(100000);
  for (uint64_t i = 0; i < iters; i++) {
    ref_u256 a = ref_rand_mod(&rng, &REF_P), b = ref_rand_mod(&rng, &REF_P);
    cx_hd_fe fa = fe_of(&a), fb = fe_of(&b), fr;
    cx_hd_fe_mul(&fr, &fa, &fb);
    ref_u256 got = ref_of_fe(&fr), want = ref_mulmod(&a, &b, &REF_P);
    ASSERT_REF_EQ(got, want, "fe_mul", i);
    cx_hd_fe_sqr(&fr, &fa);
    got = ref_of_fe(&fr);
    want = ref_mulmod(&a, &a, &REF_P);
    ASSERT_REF_EQ(got, want, "fe_sqr", i);
    cx_hd_fe_add(&fr, &fa, &fb);
    got = ref_of_fe(&fr);
    want = ref_addmod(&a, &b, &REF_P);
    ASSERT_REF_EQ(got, want, "fe_add", i);
    cx_hd_fe_sub(&fr, &fa, &fb);
    got = ref_of_fe(&fr);
    want = ref_submod(&a, &b, &REF_P);
    ASSERT_REF_EQ(got, want, "fe_sub", i);
    cx_hd_fe_neg(&fr, &fa);
    got = ref_of_fe(&fr);
    ref_u256 zero = {{0, 0, 0, 0}};
    want = ref_submod(&zero, &a, &REF_P);
    ASSERT_REF_EQ(got, want, "fe_neg", i);
    uint32_t k = (uint32_t)cx_rng_below(&rng, 1u << 20);
    cx_hd_fe_mul_small(&fr, &fa, k);
    got = ref_of_fe(&fr);
    ref_u256 rk = {{k, 0, 0, 0}};
    want = ref_mulmod(&a, &rk, &REF_P);
    ASSERT_REF_EQ(got, want, "fe_mul_small", i);
  }
  cr_log_info("gpu_field: %llu x {mul, sqr, add, sub, neg, mul_small}",
              (unsigned long long)iters);
}

Test(gpu_field, inv_and_sqrt) {
  cx_rng rng = {cx_test_seed("gpu_field.inv")};
  uint64_t iters = cx_test_iters(100000);
  uint64_t squares = 0;
  ref_u256 one = {{1, 0, 0, 0}};
  for (uint64_t i = 0; i < iters; i++) {
    ref_u256 a = ref_rand_mod(&rng, &REF_P);
    cx_hd_fe fa = fe_of(&a), fi, fs;
    cx_hd_fe_inv(&fi, &fa);
    ref_u256 inv = ref_of_fe(&fi);
    ref_u256 prod = ref_mulmod(&a, &inv, &REF_P);
    ref_u256 zero = {{0, 0, 0, 0}};
    if (ref_cmp(&a, &zero) == 0)
      ASSERT_REF_EQ(inv, zero, "fe_inv(0)", i);
    else
      ASSERT_REF_EQ(prod, one, "a * fe_inv(a)", i);
    int ok = cx_hd_fe_sqrt(&fs, &fa);
    ref_u256 s = ref_of_fe(&fs), s2 = ref_mulmod(&s, &s, &REF_P);
    cr_assert_eq(ok, ref_cmp(&s2, &a) == 0,
                 "fe_sqrt flag %d disagrees with r^2 == a at iteration %llu",
                 ok, (unsigned long long)i);
    squares += (uint64_t)ok;
    /* a^2 always has a root, which is a or -a. */
    ref_u256 a2 = ref_mulmod(&a, &a, &REF_P);
    cx_hd_fe fa2 = fe_of(&a2);
    cr_assert(cx_hd_fe_sqrt(&fs, &fa2), "no sqrt of a square at %llu",
              (unsigned long long)i);
    s = ref_of_fe(&fs);
    ref_u256 na = ref_submod(&zero, &a, &REF_P);
    cr_assert(ref_cmp(&s, &a) == 0 || ref_cmp(&s, &na) == 0,
              "sqrt(a^2) is neither a nor -a at %llu", (unsigned long long)i);
  }
  /* About half of the field elements are squares: a stuck flag fails. */
  cr_assert(squares > iters / 4 && squares < iters * 3 / 4,
            "implausible square count %llu of %llu",
            (unsigned long long)squares, (unsigned long long)iters);
}

Test(gpu_field, bytes_and_bounds) {
  uint8_t b[32];
  cx_hd_fe f;
  memset(b, 0xFF, 32);
  cr_assert_eq(cx_hd_fe_set_b32(&f, b), 0, "2^256-1 must be rejected (>= p)");
  /* p itself and p-1 */
  static const uint8_t p_be[32] = {
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFC, 0x2F};
  cr_assert_eq(cx_hd_fe_set_b32(&f, p_be), 0, "p must be rejected");
  cr_assert(cx_hd_fe_is_zero(&f), "p reduces to 0");
  memcpy(b, p_be, 32);
  b[31] = 0x2E;
  cr_assert_eq(cx_hd_fe_set_b32(&f, b), 1, "p-1 must be accepted");
  uint8_t back[32];
  cx_hd_fe_get_b32(back, &f);
  cr_assert_arr_eq(back, b, 32);
  /* (p-1)^2 = 1 */
  cx_hd_fe sq;
  cx_hd_fe_sqr(&sq, &f);
  cx_hd_fe one;
  cx_hd_fe_set_u32(&one, 1);
  cr_assert(cx_hd_fe_eq(&sq, &one), "(p-1)^2 != 1");
}

Test(gpu_scalar, mul_add_neg_inv_match_reference) {
  cx_rng rng = {cx_test_seed("gpu_scalar.mul")};
  uint64_t iters = cx_test_iters(100000);
  ref_u256 one = {{1, 0, 0, 0}}, zero = {{0, 0, 0, 0}};
  /* Inversion is ~300 multiplications: a tenth of the count keeps the
   * suite fast while covering tens of thousands of inverses. */
  uint64_t inv_every = 10;
  for (uint64_t i = 0; i < iters; i++) {
    ref_u256 a = ref_rand_mod(&rng, &REF_N), b = ref_rand_mod(&rng, &REF_N);
    cx_hd_sc sa = sc_of(&a), sb = sc_of(&b), sr;
    cx_hd_sc_mul(&sr, &sa, &sb);
    ref_u256 got = ref_of_sc(&sr), want = ref_mulmod(&a, &b, &REF_N);
    ASSERT_REF_EQ(got, want, "sc_mul", i);
    cx_hd_sc_add(&sr, &sa, &sb);
    got = ref_of_sc(&sr);
    want = ref_addmod(&a, &b, &REF_N);
    ASSERT_REF_EQ(got, want, "sc_add", i);
    cx_hd_sc_neg(&sr, &sa);
    got = ref_of_sc(&sr);
    want = ref_submod(&zero, &a, &REF_N);
    ASSERT_REF_EQ(got, want, "sc_neg", i);
    /* is_high: a > (n-1)/2  <=>  2a >= n (as integers) */
    ref_u256 twice;
    int carry = ref_add_raw(&twice, &a, &a);
    int high = carry || ref_cmp(&twice, &REF_N) >= 0;
    cr_assert_eq(cx_hd_sc_is_high(&sa), high, "sc_is_high at %llu",
                 (unsigned long long)i);
    if (i % inv_every == 0) {
      cx_hd_sc_inv(&sr, &sa);
      got = ref_of_sc(&sr);
      ref_u256 prod = ref_mulmod(&a, &got, &REF_N);
      if (ref_cmp(&a, &zero) == 0)
        ASSERT_REF_EQ(got, zero, "sc_inv(0)", i);
      else
        ASSERT_REF_EQ(prod, one, "a * sc_inv(a)", i);
    }
  }
  cr_log_info("gpu_scalar: %llu x {mul, add, neg, is_high}, %llu inversions",
              (unsigned long long)iters,
              (unsigned long long)((iters + inv_every - 1) / inv_every));
}

Test(gpu_scalar, set_b32_overflow) {
  uint8_t b[32];
  cx_hd_sc s;
  memset(b, 0xFF, 32);
  cr_assert_eq(cx_hd_sc_set_b32(&s, b), 1, "2^256-1 overflows n");
  static const uint8_t n_be[32] = {
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
      0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
  cr_assert_eq(cx_hd_sc_set_b32(&s, n_be), 1, "n overflows");
  cr_assert(cx_hd_sc_is_zero(&s), "n reduces to 0");
  memcpy(b, n_be, 32);
  b[31] = 0x40;
  cr_assert_eq(cx_hd_sc_set_b32(&s, b), 0, "n-1 is in range");
  cr_assert(cx_hd_sc_is_high(&s), "n-1 is high");
}

Test(gpu_scalar, glv_split) {
  cx_rng rng = {cx_test_seed("gpu_scalar.glv")};
  uint64_t iters = cx_test_iters(100000) / 4;
  const cx_hd_sc lambda = {CX_HD_LAMBDA_LIMBS};
  ref_u256 rl = ref_of_sc(&lambda);
  ref_u256 l2 = ref_mulmod(&rl, &rl, &REF_N), l3 = ref_mulmod(&l2, &rl, &REF_N);
  ref_u256 one = {{1, 0, 0, 0}};
  cr_assert(ref_cmp(&l3, &one) == 0, "lambda^3 != 1 mod n");
  for (uint64_t i = 0; i < iters; i++) {
    ref_u256 k = ref_rand_mod(&rng, &REF_N);
    cx_hd_sc sk = sc_of(&k), k1, k2;
    cx_hd_sc_split_lambda(&k1, &k2, &sk);
    ref_u256 r1 = ref_of_sc(&k1), r2 = ref_of_sc(&k2);
    ref_u256 t = ref_mulmod(&r2, &rl, &REF_N);
    t = ref_addmod(&t, &r1, &REF_N);
    ASSERT_REF_EQ(t, k, "k1 + k2*lambda", i);
    /* |k1|, |k2| < 2^128 as signed values mod n */
    cx_hd_sc m1 = k1, m2 = k2;
    if (cx_hd_sc_is_high(&m1)) cx_hd_sc_neg(&m1, &m1);
    if (cx_hd_sc_is_high(&m2)) cx_hd_sc_neg(&m2, &m2);
    for (int j = 4; j < 8; j++)
      cr_assert(m1.v[j] == 0 && m2.v[j] == 0,
                "GLV half above 2^128 at iteration %llu",
                (unsigned long long)i);
  }
}
