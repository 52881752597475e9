/* Host build of the CX_HD arithmetic: see host_math.h. */
#include "host_math.h"

#include <stdlib.h>

#include "gpu_error.h"
#include "hd_ecdsa.h"
#include "hd_gtab_data.h"
#include "hd_merkle.h"
#include "hd_sha256.h"

static const cx_hd_gtab cx_hd_host_gtab = CX_HD_GTAB_INIT;

int cx_hd_verify(const uint8_t pub33[33], const uint8_t digest[32],
                 const uint8_t sig64[64]) {
  return cx_hd_ecdsa_verify(&cx_hd_host_gtab, pub33, digest, sig64);
}

void cx_hd_verify_batch(size_t n, const uint8_t *pub33s,
                        const uint8_t *digests, const uint8_t *sigs64,
                        uint8_t *verdicts) {
  for (size_t i = 0; i < n; i++)
    verdicts[i] = (uint8_t)cx_hd_ecdsa_verify(
        &cx_hd_host_gtab, pub33s + 33 * i, digests + 32 * i, sigs64 + 64 * i);
}

void cx_hd_sha256(const uint8_t *msg, size_t len, uint8_t out[32]) {
  cx_hd_sha256_prefixed(0, 0, msg, len, out);
}

void cx_hd_sha256_batch(size_t n, const uint8_t *data,
                        const uint32_t *offsets, const uint32_t *lens,
                        uint8_t (*out)[32]) {
  for (size_t i = 0; i < n; i++)
    cx_hd_sha256_prefixed(0, 0, data + offsets[i], lens[i], out[i]);
}

int cx_hd_merkle_root(size_t n, const uint8_t *leaves, size_t leaf_len,
                      uint8_t out[32]) {
  if (n == 0) {
    cx_hd_sha256_prefixed(0, 0, NULL, 0, out);
    return CX_GPU_OK;
  }
  uint8_t(*nodes)[32] = malloc(n * sizeof *nodes);
  if (!nodes) return CX_GPU_ENOMEM;
  for (size_t i = 0; i < n; i++)
    cx_hd_merkle_leaf(leaves + i * leaf_len, leaf_len, nodes[i]);
  for (size_t w = n; w > 1; w = (w + 1) / 2)
    for (size_t i = 0; i < (w + 1) / 2; i++)
      cx_hd_merkle_level_step(nodes, w, i);
  for (int i = 0; i < 32; i++) out[i] = nodes[0][i];
  free(nodes);
  return CX_GPU_OK;
}
