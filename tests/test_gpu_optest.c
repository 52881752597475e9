/* The operation test (gpu/hd_optest.h, gpu/optest.h): first the harness
 * itself on the host (a host-vs-host run agrees; a perturbed result, or a
 * failing run, is reported with the operation's name), then that its
 * records mean something (inverses multiply to 1, a recovered point equals
 * its key, real signatures verify), and with a device present the device
 * run of every operation against the host build, op by op. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_test.h"
#include "gpu.h"
#include "optest.h"

enum { N = 96 };

static uint8_t *inputs(const char *suite, size_t n) {
  uint8_t *in = malloc(n * CX_HD_OPTEST_IN);
  cr_assert_not_null(in);
  cx_optest_inputs(cx_test_seed(suite), n, in);
  return in;
}

static int host_run(void *ctx, int op, size_t n, const uint8_t *in,
                    uint8_t *out, char *why, size_t len) {
  (void)ctx, (void)why, (void)len;
  cx_optest_host(op, n, in, out);
  return 0;
}

/* The host run with one output byte flipped per listed (op, item, byte). */
typedef struct perturb {
  int op[2];
  size_t item[2], byte[2];
  int count;
} perturb;

static int perturbed_run(void *ctx, int op, size_t n, const uint8_t *in,
                         uint8_t *out, char *why, size_t len) {
  const perturb *p = ctx;
  cx_optest_host(op, n, in, out);
  for (int k = 0; k < p->count; k++)
    if (p->op[k] == op) out[p->item[k] * CX_HD_OPTEST_OUT + p->byte[k]] ^= 0x10;
  (void)why, (void)len;
  return 0;
}

/* Agrees up to fe_mul, then fails. */
static int failing_run(void *ctx, int op, size_t n, const uint8_t *in,
                       uint8_t *out, char *why, size_t len) {
  (void)ctx;
  if (op < CX_HD_OP_FE_MUL) return host_run(NULL, op, n, in, out, why, len);
  snprintf(why, len, "device lost");
  return 1;
}

Test(gpu_optest, names_cover_the_table) {
  for (int op = 0; op < CX_HD_OP_COUNT; op++) {
    cr_assert_str_neq(cx_optest_name(op), "?", "op %d has no name", op);
    for (int k = 0; k < op; k++)
      cr_assert_str_neq(cx_optest_name(op), cx_optest_name(k), "ops %d and %d", k, op);
  }
  cr_assert_str_eq(cx_optest_name(CX_HD_OP_COUNT), "?");
  cr_assert_str_eq(cx_optest_name(-1), "?");
}

Test(gpu_optest, host_against_host_agrees) {
  uint8_t *in = inputs("gpu_optest.host", N);
  cx_optest_diff d;
  char why[512] = "";
  cr_assert_eq(cx_optest_compare(host_run, NULL, N, in, &d, why, sizeof why), 0,
               "%s", why);
  free(in);
}

Test(gpu_optest, a_perturbed_result_is_named) {
  uint8_t *in = inputs("gpu_optest.perturb", N);
  const int ops[] = {CX_HD_OP_U256_MUL, CX_HD_OP_FE_MUL, CX_HD_OP_SC_SPLIT,
                     CX_HD_OP_WNAF8, CX_HD_OP_GEJ_ADD_GE, CX_HD_OP_VERIFY};
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    perturb p = {{ops[k], 0},
                 {(size_t)(7 * k + 3) % N, 0},
                 {(53 * k + 1) % CX_HD_OPTEST_OUT, 0},
                 1};
    cx_optest_diff d;
    char why[512] = "";
    cr_assert_eq(cx_optest_compare(perturbed_run, &p, N, in, &d, why, sizeof why), 1,
                 "a flipped byte of %s went unnoticed", cx_optest_name(ops[k]));
    cr_assert_eq(d.op, ops[k]);
    cr_assert_eq(d.item, p.item[0]);
    cr_assert_eq(d.byte, p.byte[0]);
    cr_assert_eq(d.got ^ d.want, 0x10);
    cr_assert_eq(d.items_differing, 1);
    cr_assert(strstr(why, cx_optest_name(ops[k])) != NULL, "message: %s", why);
  }
  /* Two ops differ: the one earlier in the table is reported. */
  perturb p = {{CX_HD_OP_ECMULT, CX_HD_OP_FE_SQR}, {5, 9}, {40, 2}, 2};
  cx_optest_diff d;
  char why[512] = "";
  cr_assert_eq(cx_optest_compare(perturbed_run, &p, N, in, &d, why, sizeof why), 1);
  cr_assert_eq(d.op, CX_HD_OP_FE_SQR, "%s", why);
  cr_assert_eq(d.item, 9);
  cr_log_info("%s", why);
  free(in);
}

Test(gpu_optest, a_failing_run_is_reported) {
  uint8_t *in = inputs("gpu_optest.fail", 8);
  cx_optest_diff d;
  char why[512] = "";
  cr_assert_eq(cx_optest_compare(failing_run, NULL, 8, in, &d, why, sizeof why), -1);
  cr_assert(strstr(why, "device lost") && strstr(why, "fe_mul"), "%s", why);
  free(in);
}

static uint8_t *run_host(int op, const uint8_t *in, size_t n) {
  uint8_t *out = malloc(n * CX_HD_OPTEST_OUT);
  cr_assert_not_null(out);
  cx_optest_host(op, n, in, out);
  return out;
}

/* The records exercise what they claim: identities hold on them. */
Test(gpu_optest, records_mean_something) {
  uint8_t *in = inputs("gpu_optest.meaning", N);
  uint8_t one[32] = {0};
  one[31] = 1;
  uint8_t *inv = run_host(CX_HD_OP_FE_INV, in, N), *sinv = run_host(CX_HD_OP_SC_INV, in, N);
  uint8_t *sq = run_host(CX_HD_OP_FE_SQRT, in, N), *aff = run_host(CX_HD_OP_GE_SET_GEJ, in, N);
  uint8_t *dec = run_host(CX_HD_OP_GE_DECOMPRESS, in, N), *cx = run_host(CX_HD_OP_CHECK_X, in, N);
  uint8_t *setb = run_host(CX_HD_OP_FE_SET_B32, in, N), *sset = run_host(CX_HD_OP_SC_SET_B32, in, N);
  uint8_t *spec = run_host(CX_HD_OP_GEJ_ADD_SPECIAL, in, N);
  uint8_t *em = run_host(CX_HD_OP_ECMULT, in, N);
  uint8_t *bad = run_host(CX_HD_OP_COUNT, in, 1);
  int zeros = 0, edges = 0;
  for (size_t i = 0; i < N; i++) {
    size_t o = i * CX_HD_OPTEST_OUT;
    int zero = 1;
    for (int b = 0; b < 32; b++) zero &= setb[o + b] == 0;
    zeros += zero;
    edges += !setb[o + 32] || sset[o + 32];
    if (!zero) cr_assert_arr_eq(inv + o + 32, one, 32, "a * (1/a) != 1 (record %zu)", i);
    int szero = 1;
    for (int b = 0; b < 32; b++) szero &= sset[o + b] == 0;
    if (!szero) cr_assert_arr_eq(sinv + o + 32, one, 32, "s * (1/s) != 1 (record %zu)", i);
    cr_assert_eq(sq[o + 65], 1, "a^2 has no square root (record %zu)", i);
    cr_assert_eq(dec[o], 1, "key 1 of record %zu does not parse", i);
    cr_assert_eq(dec[o + 65], 1, "key 1 of record %zu is off the curve", i);
    cr_assert_arr_eq(aff + o, dec + o + 1, 64, "Jacobian round trip (record %zu)", i);
    /* u1 = u2 = 0 (edge values) gives infinity, where check_x is not run */
    if (!em[o + 96]) cr_assert_eq(cx[o], 1, "check_x(R, x(R) mod n) failed (record %zu)", i);
    cr_assert_eq(spec[o + 96], 0, "P + P is not infinity");
    cr_assert_eq(spec[o + 97], 1, "P + (-P) must be infinity (record %zu)", i);
  }
  cr_assert_gt(zeros + edges, 0, "no edge values among %d records", N);
  for (int b = 0; b < CX_HD_OPTEST_OUT; b++) cr_assert_eq(bad[b], 0xFF);
  free(inv), free(sinv), free(sq), free(aff), free(dec), free(cx), free(setb),
      free(sset), free(spec), free(em), free(bad), free(in);
}

/* Puts real signatures (libsecp256k1) into every other record. */
static void sign_some(uint8_t *in, size_t n, uint64_t seed) {
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  cx_rng rng = {seed};
  for (size_t i = 0; i < n; i += 2) {
    uint8_t *r = in + i * CX_HD_OPTEST_IN, sk[32];
    do cx_rng_bytes(&rng, sk, 32);
    while (!secp256k1_ec_seckey_verify(ctx, sk));
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature sig;
    size_t pl = 33;
    cr_assert(secp256k1_ec_pubkey_create(ctx, &pk, sk));
    secp256k1_ec_pubkey_serialize(ctx, r + 128, &pl, &pk, SECP256K1_EC_COMPRESSED);
    cr_assert(secp256k1_ecdsa_sign(ctx, &sig, r + 194, sk, NULL, NULL));
    secp256k1_ecdsa_signature_serialize_compact(ctx, r + 226, &sig);
  }
  cx_optest_points(n, in);
  secp256k1_context_destroy(ctx);
}

Test(gpu_optest, verify_records_agree_with_libsecp256k1) {
  uint8_t *in = inputs("gpu_optest.verify", N);
  sign_some(in, N, cx_test_seed("gpu_optest.sign"));
  uint8_t *v = run_host(CX_HD_OP_VERIFY, in, N);
  for (size_t i = 0; i < N; i++)
    cr_assert_eq(v[i * CX_HD_OPTEST_OUT], i % 2 == 0, "record %zu", i);
  free(v), free(in);
}

static int device_run(void *ctx, int op, size_t n, const uint8_t *in,
                      uint8_t *out, char *why, size_t len) {
  cx_gpu_error err = {0};
  int rc = cx_gpu_optest(ctx, op, n, in, out, &err);
  if (rc) snprintf(why, len, "%s", err.message);
  return rc;
}

Test(gpu_optest, device_matches_host_op_by_op) {
  char why[512];
  if (cx_gpu_describe(why, sizeof why) == 0)
    cr_skip_test("%s: the device op test is skipped (its harness is tested above)", why);
  cx_gpu_error err = {0};
  cx_gpu_ctx *g = cx_gpu_open(0, &err);
  cr_assert_not_null(g, "device 0 present but cx_gpu_open failed: %s", err.message);
  size_t n = (size_t)cx_test_iters(4096);
  uint8_t *in = inputs("gpu_optest.device", n);
  sign_some(in, n < 512 ? n : 512, cx_test_seed("gpu_optest.device_sign"));
  cx_optest_diff d;
  int rc = cx_optest_compare(device_run, g, n, in, &d, why, sizeof why);
  if (rc < 0 && strstr(why, "NoKernelImage"))
    cr_skip_test("%s (the op test kernels are built for the last of "
                 "CHAINEXEC_CUDA_ARCHITECTURES only)", why);
  cr_log_info("gpu_optest: %s", rc == 0 ? "every operation agrees with the host" : why);
  cr_assert_eq(rc, 0, "%s", why);
  cr_assert_eq(cx_gpu_optest(g, CX_HD_OP_COUNT, 1, in, in, &err), CX_GPU_EINVAL);
  free(in);
  cx_gpu_close(g);
}
