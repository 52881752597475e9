/* SHA-256 batch and RFC 6962 Merkle kernels over the CX_HD code of
 * hd_sha256.h / hd_merkle.h. Merkle: one kernel hashes the leaves, one
 * launch per level while a level is large, then a single block finishes
 * the last levels with __syncthreads between them. Levels ping-pong
 * between two buffers so no thread reads a node another thread rewrites.
 */
#include "device_internal.h"
#include "hd_merkle.h"

#define CX_GPU_HASH_THREADS 256
#define CX_GPU_MERKLE_TAIL 2048 /* levels this small finish in one block */
#define CX_GPU_TAIL_THREADS 1024

static __global__ void cx_gpu_sha256_kernel(size_t n, const uint8_t *data,
                                            const uint32_t *off,
                                            const uint32_t *len,
                                            uint8_t *out) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  cx_hd_sha256_prefixed(0, 0, data + off[i], len[i], out + 32 * i);
}

static __global__ void cx_gpu_leaf_kernel(size_t n, const uint8_t *leaves,
                                          size_t leaf_len, uint8_t *out) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  cx_hd_merkle_leaf(leaves + i * leaf_len, leaf_len, out + 32 * i);
}

static __global__ void cx_gpu_level_kernel(size_t w, const uint8_t *src,
                                           uint8_t *dst) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (w + 1) / 2) return;
  cx_hd_merkle_pair((const uint8_t(*)[32])src, w, i, dst + 32 * i);
}

/* One block: levels from w down to 1, then the root to root. The launch
 * bound makes ptxas fit 1024 threads in the register file (64 registers a
 * thread); without it sm_75 code needs 62, one step from a launch that
 * fails with "too many resources requested". */
static __global__ void __launch_bounds__(CX_GPU_TAIL_THREADS)
    cx_gpu_tail_kernel(size_t w, uint8_t *a, uint8_t *b, uint8_t *root) {
  uint8_t *src = a, *dst = b;
  while (w > 1) {
    size_t half = (w + 1) / 2;
    for (size_t i = threadIdx.x; i < half; i += blockDim.x)
      cx_hd_merkle_pair((const uint8_t(*)[32])src, w, i, dst + 32 * i);
    __syncthreads();
    uint8_t *t = src;
    src = dst;
    dst = t;
    w = half;
  }
  if (threadIdx.x < 32) root[threadIdx.x] = src[threadIdx.x];
}

static unsigned cx_gpu_blocks(size_t n) {
  return (unsigned)((n + CX_GPU_HASH_THREADS - 1) / CX_GPU_HASH_THREADS);
}

cudaError_t cx_gpu_launch_sha256(cudaStream_t s, size_t n,
                                 const uint8_t *d_data, const uint32_t *d_off,
                                 const uint32_t *d_len, uint8_t *d_out) {
  if (n == 0) return cudaSuccess;
  cx_gpu_sha256_kernel<<<cx_gpu_blocks(n), CX_GPU_HASH_THREADS, 0, s>>>(
      n, d_data, d_off, d_len, d_out);
  return cudaGetLastError();
}

cudaError_t cx_gpu_launch_merkle(cudaStream_t s, size_t n,
                                 const uint8_t *d_leaves, size_t leaf_len,
                                 uint8_t *d_a, uint8_t *d_b, uint8_t *d_root) {
  cx_gpu_leaf_kernel<<<cx_gpu_blocks(n), CX_GPU_HASH_THREADS, 0, s>>>(
      n, d_leaves, leaf_len, d_a);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return e;
  uint8_t *src = d_a, *dst = d_b;
  size_t w = n;
  while (w > CX_GPU_MERKLE_TAIL) {
    size_t half = (w + 1) / 2;
    cx_gpu_level_kernel<<<cx_gpu_blocks(half), CX_GPU_HASH_THREADS, 0, s>>>(
        w, src, dst);
    if ((e = cudaGetLastError()) != cudaSuccess) return e;
    uint8_t *t = src;
    src = dst;
    dst = t;
    w = half;
  }
  cx_gpu_tail_kernel<<<1, CX_GPU_TAIL_THREADS, 0, s>>>(w, src, dst, d_root);
  return cudaGetLastError();
}
