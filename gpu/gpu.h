/* The CUDA backend's plain-C interface: devices, contexts, batch launchers.
 *
 * Nothing here exposes CUDA types; the rest of chainexec (hybrid/'s `cuda`
 * backend, `chainexec devices`, bench/) sees only this header. When the
 * build has no CUDA (CX_HAVE_CUDA undefined, gpu_stub.c), every function
 * still exists: cx_gpu_device_count() returns 0 and the others fail with
 * CX_GPU_EUNSUPPORTED and "no CUDA in this build".
 *
 * Model: a cx_gpu_ctx is one device opened once and reused. It owns the
 * device's primary context binding, a ring of streams, a pinned host buffer
 * pool and a device buffer pool that grow to the high-water mark of the
 * batches seen and are zeroed when released. A launcher splits its batch
 * into chunks over the stream ring so that copy-in, kernel and copy-out of
 * consecutive chunks overlap, then waits for all of them: the call returns
 * with results in the caller's arrays or with an error. Every CUDA error is
 * caught (never aborts) and reported with the expression, CUDA's message
 * and file:line; after a device error the context is marked unhealthy and
 * further launches fail fast until it is closed and reopened.
 *
 * Threading: cx_gpu_device_count, cx_gpu_caps_get and cx_gpu_describe are
 * thread-safe. A cx_gpu_ctx is used by one thread at a time (the caller
 * serialises; open one context per submitting thread if needed).
 */
#ifndef CX_GPU_H
#define CX_GPU_H

#include <stddef.h>
#include <stdint.h>

#include "gpu_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Capabilities of one device. */
typedef struct cx_gpu_caps {
  char name[256];       /* e.g. "NVIDIA H100 80GB HBM3" */
  int cc_major;         /* compute capability, e.g. 9.0 */
  int cc_minor;
  int sm_count;         /* streaming multiprocessors */
  size_t total_mem;     /* bytes of device memory */
  int clock_khz;        /* SM clock */
  int async_engines;    /* copy engines (2: copy-in and copy-out overlap) */
} cx_gpu_caps;

/* 1 when this build includes the CUDA backend, else 0. */
int cx_gpu_built_with_cuda(void);

/* Number of usable CUDA devices: 0 without CUDA in the build, without a
 * driver, or without a device (cx_gpu_describe says which). */
int cx_gpu_device_count(void);

/* Fills *out for device dev (0 <= dev < count). Returns CX_GPU_OK, or
 * CX_GPU_EINVAL (bad dev / NULL out), CX_GPU_EUNSUPPORTED, CX_GPU_EDEVICE. */
int cx_gpu_caps_get(int dev, cx_gpu_caps *out, cx_gpu_error *err);

/* Writes one human line about GPU availability into buf (always
 * NUL-terminated when len > 0), e.g. "no CUDA device: CPU only (this build
 * has no CUDA)" or "1 CUDA device". Returns the device count. */
int cx_gpu_describe(char *buf, size_t len);

/* An opened device (opaque). */
typedef struct cx_gpu_ctx cx_gpu_ctx;

/* Opens device dev: binds its context, creates the stream ring and empty
 * buffer pools, uploads the ECDSA G tables. Returns NULL and sets err on
 * failure. Close with cx_gpu_close. */
cx_gpu_ctx *cx_gpu_open(int dev, cx_gpu_error *err);

/* Waits for outstanding work, frees every buffer and stream. NULL is a
 * no-op. */
void cx_gpu_close(cx_gpu_ctx *g);

/* 1 while no device error has been seen on g. */
int cx_gpu_healthy(const cx_gpu_ctx *g);

/* Timings of the last successful launch on g, in milliseconds: kernel_ms
 * is device time of the kernels (CUDA events; for a batch split into
 * chunks over the stream ring, from the first chunk's kernel start to the
 * last one's end, since chunks overlap), total_ms the whole call including
 * copies. */
typedef struct cx_gpu_timing {
  double kernel_ms;
  double total_ms;
  size_t bytes_in;
  size_t bytes_out;
} cx_gpu_timing;
void cx_gpu_last_timing(const cx_gpu_ctx *g, cx_gpu_timing *out);

/* ECDSA verify of n signatures (libsecp256k1 semantics, SPEC section 3):
 * verdicts[i] = 1 (valid) or 0 for key pub33s + 33i, digest digests + 32i,
 * signature sigs64 + 64i (r || s). Inputs are copied; n may be 0. Returns
 * CX_GPU_OK or an error (verdicts then unspecified). */
int cx_gpu_verify_batch(cx_gpu_ctx *g, size_t n, const uint8_t *pub33s,
                        const uint8_t *digests, const uint8_t *sigs64,
                        uint8_t *verdicts, cx_gpu_error *err);

/* SHA-256 of n messages stored in data[0..data_len): message i is
 * data + offsets[i], lens[i] bytes (offsets[i] + lens[i] <= data_len, else
 * CX_GPU_EINVAL). out[i] = its digest. */
int cx_gpu_sha256_batch(cx_gpu_ctx *g, size_t n, const uint8_t *data,
                        size_t data_len, const uint32_t *offsets,
                        const uint32_t *lens, uint8_t (*out)[32],
                        cx_gpu_error *err);

/* RFC 6962 Merkle root (SPEC section 5) of n leaves of leaf_len bytes, back
 * to back at leaves. n = 0 gives SHA-256(""). */
int cx_gpu_merkle_root(cx_gpu_ctx *g, size_t n, const uint8_t *leaves,
                       size_t leaf_len, uint8_t out[32], cx_gpu_error *err);

/* The operation test on the device (hd_optest.h, optest.h): runs
 * operation op (0 <= op < CX_HD_OP_COUNT) on n input records of
 * CX_HD_OPTEST_IN bytes at in, one thread per record, into n output
 * records of CX_HD_OPTEST_OUT bytes at out. For tests and scripts/
 * gpu-check.sh (synchronous, allocates per call). CX_GPU_EINVAL for a bad
 * op or NULL arrays. */
int cx_gpu_optest(cx_gpu_ctx *g, int op, size_t n, const uint8_t *in,
                  uint8_t *out, cx_gpu_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CX_GPU_H */
