/* ECDSA verify kernel: one thread per signature, running the CX_HD code of
 * hd_ecdsa.h (the same code the host tests check). */
#include "device_internal.h"

static __global__ void cx_gpu_verify_kernel(size_t n, const uint8_t *in,
                                            uint8_t *out,
                                            const cx_hd_gtab *gtab) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const uint8_t *pub = in + 33 * i;
  const uint8_t *dig = in + 33 * n + 32 * i;
  const uint8_t *sig = in + 65 * n + 64 * i;
  out[i] = (uint8_t)cx_hd_ecdsa_verify(gtab, pub, dig, sig);
}

cudaError_t cx_gpu_launch_verify(cudaStream_t s, size_t n, const uint8_t *d_in,
                                 uint8_t *d_out, const cx_hd_gtab *d_gtab,
                                 int sms) {
  if (n == 0) return cudaSuccess;
  /* A thread's verify is a long dependent chain, so a batch smaller than
   * the device finishes in one thread's time only if it reaches every
   * multiprocessor: a block's batch (10,000 signatures) in blocks of 128
   * threads kept 79 of an H100's 132 SMs busy. Smaller blocks spread it;
   * large batches keep 128 (fewer, fuller blocks). */
  unsigned threads = 128;
  size_t want_blocks = 2 * (size_t)(sms > 0 ? sms : 1);
  while (threads > 32 && (n + threads - 1) / threads < want_blocks) threads /= 2;
  unsigned blocks = (unsigned)((n + threads - 1) / threads);
  cx_gpu_verify_kernel<<<blocks, threads, 0, s>>>(n, d_in, d_out, d_gtab);
  return cudaGetLastError();
}
