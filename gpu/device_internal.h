/* Internal to the CUDA build of gpu/ (C++/CUDA only): the kernel launch
 * wrappers that device.cu's launchers call, and the CUDA_OK-style macro.
 *
 * Every wrapper enqueues on the given stream and returns the launch status
 * (cudaGetLastError); device pointers must stay valid until the stream has
 * passed the kernel.
 */
#ifndef CX_GPU_DEVICE_INTERNAL_H
#define CX_GPU_DEVICE_INTERNAL_H

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include "hd_ecdsa.h"

/* Verify: d_in holds n keys (33 B each), then n digests (32 B), then n
 * signatures (64 B); d_out receives n verdict bytes. sms: the device's
 * multiprocessor count, which sizes the thread blocks. */
cudaError_t cx_gpu_launch_verify(cudaStream_t s, size_t n, const uint8_t *d_in,
                                 uint8_t *d_out, const cx_hd_gtab *d_gtab,
                                 int sms);

/* SHA-256 of n messages of d_data at d_off[i], d_len[i]. */
cudaError_t cx_gpu_launch_sha256(cudaStream_t s, size_t n,
                                 const uint8_t *d_data, const uint32_t *d_off,
                                 const uint32_t *d_len, uint8_t *d_out);

/* Merkle root of n >= 1 leaves of leaf_len bytes at d_leaves into d_root,
 * using d_a and d_b (n * 32 bytes each) as level buffers. */
cudaError_t cx_gpu_launch_merkle(cudaStream_t s, size_t n,
                                 const uint8_t *d_leaves, size_t leaf_len,
                                 uint8_t *d_a, uint8_t *d_b, uint8_t *d_root);

/* Operation test (hd_optest.h): op on n records, one thread each. */
cudaError_t cx_gpu_launch_optest(cudaStream_t s, int op, size_t n,
                                 const uint8_t *d_in, uint8_t *d_out,
                                 const cx_hd_gtab *d_gtab);

#endif /* CX_GPU_DEVICE_INTERNAL_H */
