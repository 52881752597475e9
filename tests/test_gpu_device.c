/* The gpu.h device path. Without a device (or without CUDA in the build)
 * it checks the "no device" answers and errors, then skips the device
 * checks with a message; with a device it runs SHA-256, Merkle and ECDSA
 * batches on it and compares every result with the host build of the same
 * code (host_math.h), which the other gpu suites check against references. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <secp256k1.h>
#include <stdlib.h>
#include <string.h>

#include "cx_test.h"
#include "gpu.h"
#include "host_math.h"

Test(gpu_device, no_device_answers) {
  char why[256] = "";
  int n = cx_gpu_describe(why, sizeof why);
  cr_assert_eq(n, cx_gpu_device_count());
  cr_assert_neq(why[0], '\0', "describe must say something");
#ifdef CX_HAVE_CUDA
  cr_assert_eq(cx_gpu_built_with_cuda(), 1);
#else
  cr_assert_eq(cx_gpu_built_with_cuda(), 0);
  cr_assert_eq(n, 0);
#endif
  if (n == 0)
    cr_assert(strncmp(why, "no CUDA device: CPU only", 24) == 0,
              "unexpected description '%s'", why);
  cr_log_info("gpu_device: %s", why);
  cx_gpu_error err = {0};
  cx_gpu_caps caps;
  cr_assert_neq(cx_gpu_caps_get(n, &caps, &err), CX_GPU_OK,
                "caps of a device past the count must fail");
  cr_assert_neq(err.message[0], '\0');
  memset(&err, 0, sizeof err);
  cr_assert_null(cx_gpu_open(n, &err), "opening a missing device must fail");
  cr_assert(err.code == CX_GPU_EUNSUPPORTED || err.code == CX_GPU_EINVAL,
            "code %d: %s", err.code, err.message);
  uint8_t out[32];
  memset(&err, 0, sizeof err);
  cr_assert_neq(cx_gpu_merkle_root(NULL, 0, NULL, 0, out, &err), CX_GPU_OK);
  cr_assert_neq(err.message[0], '\0');
  cx_gpu_close(NULL);
}

static cx_gpu_ctx *open_or_skip(void) {
  char why[256];
  if (cx_gpu_describe(why, sizeof why) == 0)
    cr_skip_test("%s: device checks skipped", why);
  cx_gpu_error err = {0};
  cx_gpu_ctx *g = cx_gpu_open(0, &err);
  cr_assert_not_null(g, "device 0 present but cx_gpu_open failed: %s", err.message);
  cx_gpu_caps caps;
  cr_assert_eq(cx_gpu_caps_get(0, &caps, &err), CX_GPU_OK, "%s", err.message);
  cr_log_info("gpu_device: %s, cc %d.%d, %d SMs", caps.name, caps.cc_major,
              caps.cc_minor, caps.sm_count);
  return g;
}

Test(gpu_device, sha256_and_merkle_match_host) {
  cx_gpu_ctx *g = open_or_skip();
  cx_rng rng = {cx_test_seed("gpu_device.hash")};
  cx_gpu_error err = {0};
  enum { N = 5000 };
  size_t data_len = (size_t)8 << 20; /* Merkle below: 200000 x 33 bytes */
  uint8_t *data = malloc(data_len);
  uint32_t *off = malloc(N * sizeof *off), *lens = malloc(N * sizeof *lens);
  uint8_t(*got)[32] = malloc(N * 32), (*want)[32] = malloc(N * 32);
  cr_assert(data && off && lens && got && want);
  cx_rng_bytes(&rng, data, data_len);
  for (int i = 0; i < N; i++) {
    lens[i] = (uint32_t)cx_rng_below(&rng, 600);
    off[i] = (uint32_t)cx_rng_below(&rng, data_len - lens[i]);
  }
  cr_assert_eq(cx_gpu_sha256_batch(g, N, data, data_len, off, lens, got, &err),
               CX_GPU_OK, "%s", err.message);
  cx_hd_sha256_batch(N, data, off, lens, want);
  cr_assert(memcmp(got, want, N * 32) == 0, "device SHA-256 differs from host");
  static const size_t sizes[] = {1, 2, 3, 7, 1024, 2049, 4097, 65539, 200000};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t n = sizes[k], ll = k % 2 ? 33 : 32;
    cr_assert(n * ll <= data_len);
    uint8_t r1[32], r2[32];
    cr_assert_eq(cx_gpu_merkle_root(g, n, data, ll, r1, &err), CX_GPU_OK, "%s",
                 err.message);
    cr_assert_eq(cx_hd_merkle_root(n, data, ll, r2), 0);
    cr_assert_arr_eq(r1, r2, 32, "device Merkle root differs for n=%zu", n);
  }
  cr_assert(cx_gpu_healthy(g));
  free(data), free(off), free(lens), free(got), free(want);
  cx_gpu_close(g);
}

Test(gpu_device, verify_matches_host) {
  cx_gpu_ctx *g = open_or_skip();
  cx_rng rng = {cx_test_seed("gpu_device.verify")};
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  size_t n = (size_t)cx_test_iters(150000); /* > 2 chunks of the ring */
  uint8_t *pubs = malloc(33 * n), *digs = malloc(32 * n), *sigs = malloc(64 * n);
  uint8_t *got = malloc(n), *want = malloc(n);
  cr_assert(pubs && digs && sigs && got && want);
  /* A few hundred real signatures, replicated with corruptions. */
  for (size_t i = 0; i < n; i++) {
    if (i < 256) {
      uint8_t sk[32];
      do cx_rng_bytes(&rng, sk, 32);
      while (!secp256k1_ec_seckey_verify(ctx, sk));
      cx_rng_bytes(&rng, digs + 32 * i, 32);
      secp256k1_pubkey pk;
      secp256k1_ecdsa_signature sig;
      size_t pl = 33;
      cr_assert(secp256k1_ec_pubkey_create(ctx, &pk, sk));
      secp256k1_ec_pubkey_serialize(ctx, pubs + 33 * i, &pl, &pk, SECP256K1_EC_COMPRESSED);
      cr_assert(secp256k1_ecdsa_sign(ctx, &sig, digs + 32 * i, sk, NULL, NULL));
      secp256k1_ecdsa_signature_serialize_compact(ctx, sigs + 64 * i, &sig);
    } else {
      size_t j = i % 256;
      memcpy(pubs + 33 * i, pubs + 33 * j, 33);
      memcpy(digs + 32 * i, digs + 32 * j, 32);
      memcpy(sigs + 64 * i, sigs + 64 * j, 64);
      if (cx_rng_below(&rng, 2)) sigs[64 * i + cx_rng_below(&rng, 64)] ^= 1;
    }
  }
  cx_gpu_error err = {0};
  cr_assert_eq(cx_gpu_verify_batch(g, n, pubs, digs, sigs, got, &err), CX_GPU_OK,
               "%s", err.message);
  cx_hd_verify_batch(n, pubs, digs, sigs, want);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(got[i], want[i], "verdict %zu: device %d, host %d", i, got[i], want[i]);
  cr_assert_eq(cx_gpu_verify_batch(g, 0, NULL, NULL, NULL, NULL, &err), CX_GPU_OK);
  secp256k1_context_destroy(ctx);
  free(pubs), free(digs), free(sigs), free(got), free(want);
  cx_gpu_close(g);
}
