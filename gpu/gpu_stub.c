/* gpu.h for builds without CUDA: no device, every launch unsupported. */
#ifndef CX_HAVE_CUDA

#include <stdio.h>

#include "gpu.h"

#define CX_GPU_NO_CUDA "no CUDA in this build (configured with CHAINEXEC_CUDA=OFF or nvcc not found)"

struct cx_gpu_ctx {
  int unused;
};

int cx_gpu_built_with_cuda(void) { return 0; }

int cx_gpu_device_count(void) { return 0; }

int cx_gpu_caps_get(int dev, cx_gpu_caps *out, cx_gpu_error *err) {
  (void)dev;
  (void)out;
  return cx_gpu_error_set(err, CX_GPU_EUNSUPPORTED, "%s", CX_GPU_NO_CUDA);
}

int cx_gpu_describe(char *buf, size_t len) {
  if (buf && len) snprintf(buf, len, "no CUDA device: CPU only (this build has no CUDA)");
  return 0;
}

cx_gpu_ctx *cx_gpu_open(int dev, cx_gpu_error *err) {
  (void)dev;
  cx_gpu_error_set(err, CX_GPU_EUNSUPPORTED, "%s", CX_GPU_NO_CUDA);
  return NULL;
}

void cx_gpu_close(cx_gpu_ctx *g) { (void)g; }

int cx_gpu_healthy(const cx_gpu_ctx *g) {
  (void)g;
  return 0;
}

void cx_gpu_last_timing(const cx_gpu_ctx *g, cx_gpu_timing *out) {
  (void)g;
  if (out) *out = (cx_gpu_timing){0};
}

int cx_gpu_verify_batch(cx_gpu_ctx *g, size_t n, const uint8_t *pub33s,
                        const uint8_t *digests, const uint8_t *sigs64,
                        uint8_t *verdicts, cx_gpu_error *err) {
  (void)g, (void)n, (void)pub33s, (void)digests, (void)sigs64, (void)verdicts;
  return cx_gpu_error_set(err, CX_GPU_EUNSUPPORTED, "%s", CX_GPU_NO_CUDA);
}

int cx_gpu_sha256_batch(cx_gpu_ctx *g, size_t n, const uint8_t *data,
                        size_t data_len, const uint32_t *offsets,
                        const uint32_t *lens, uint8_t (*out)[32],
                        cx_gpu_error *err) {
  (void)g, (void)n, (void)data, (void)data_len, (void)offsets, (void)lens,
      (void)out;
  return cx_gpu_error_set(err, CX_GPU_EUNSUPPORTED, "%s", CX_GPU_NO_CUDA);
}

int cx_gpu_merkle_root(cx_gpu_ctx *g, size_t n, const uint8_t *leaves,
                       size_t leaf_len, uint8_t out[32], cx_gpu_error *err) {
  (void)g, (void)n, (void)leaves, (void)leaf_len, (void)out;
  return cx_gpu_error_set(err, CX_GPU_EUNSUPPORTED, "%s", CX_GPU_NO_CUDA);
}

int cx_gpu_optest(cx_gpu_ctx *g, int op, size_t n, const uint8_t *in,
                  uint8_t *out, cx_gpu_error *err) {
  (void)g, (void)op, (void)n, (void)in, (void)out;
  return cx_gpu_error_set(err, CX_GPU_EUNSUPPORTED, "%s", CX_GPU_NO_CUDA);
}

#else
/* ISO C forbids an empty translation unit. */
typedef int cx_gpu_stub_unused;
#endif /* CX_HAVE_CUDA */
