/* Operation test kernels for hd_optest.h, one thread per record, running
 * the same CX_HD code that optest.c runs on the host. Each operation
 * before the multiplication has its own kernel (the op a template
 * constant, so the kernel holds only that operation's code); the
 * multiplication, the x check and the verify share one kernel, so its
 * out-of-line copy of cx_hd_ecmult is compiled once (as in the verify
 * kernel) rather than three times: device compile time is what CI pays.
 */
#include "device_internal.h"
#include "hd_optest.h"

template <int OP>
static __global__ void cx_gpu_optest_kernel(size_t n, const uint8_t *in,
                                            uint8_t *out,
                                            const cx_hd_gtab *gtab) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  cx_hd_optest_run(OP, gtab, in + CX_HD_OPTEST_IN * i,
                   out + CX_HD_OPTEST_OUT * i);
}

static __global__ void cx_gpu_optest_ecmult_kernel(int op, size_t n,
                                                   const uint8_t *in,
                                                   uint8_t *out,
                                                   const cx_hd_gtab *gtab) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const uint8_t *r = in + CX_HD_OPTEST_IN * i;
  uint8_t *o = out + CX_HD_OPTEST_OUT * i;
  if (op == CX_HD_OP_ECMULT) cx_hd_optest_run(CX_HD_OP_ECMULT, gtab, r, o);
  else if (op == CX_HD_OP_CHECK_X) cx_hd_optest_run(CX_HD_OP_CHECK_X, gtab, r, o);
  else cx_hd_optest_run(CX_HD_OP_VERIFY, gtab, r, o);
}

typedef void (*cx_gpu_optest_fn)(size_t, const uint8_t *, uint8_t *,
                                 const cx_hd_gtab *);
#define CX_OPK(i) cx_gpu_optest_kernel<i>
static const cx_gpu_optest_fn cx_gpu_optest_kernels[] = {
    CX_OPK(0),  CX_OPK(1),  CX_OPK(2),  CX_OPK(3),  CX_OPK(4),  CX_OPK(5),
    CX_OPK(6),  CX_OPK(7),  CX_OPK(8),  CX_OPK(9),  CX_OPK(10), CX_OPK(11),
    CX_OPK(12), CX_OPK(13), CX_OPK(14), CX_OPK(15), CX_OPK(16), CX_OPK(17),
    CX_OPK(18), CX_OPK(19), CX_OPK(20), CX_OPK(21), CX_OPK(22), CX_OPK(23),
    CX_OPK(24), CX_OPK(25), CX_OPK(26), CX_OPK(27), CX_OPK(28)};
#undef CX_OPK
static_assert(sizeof cx_gpu_optest_kernels / sizeof cx_gpu_optest_kernels[0] ==
                  CX_HD_OP_ECMULT,
              "one kernel per operation of hd_optest.h before ecmult");
static_assert(CX_HD_OP_VERIFY == CX_HD_OP_COUNT - 1 &&
                  CX_HD_OP_CHECK_X == CX_HD_OP_ECMULT + 1,
              "the shared kernel runs the last three operations");

cudaError_t cx_gpu_launch_optest(cudaStream_t s, int op, size_t n,
                                 const uint8_t *d_in, uint8_t *d_out,
                                 const cx_hd_gtab *d_gtab) {
  if (n == 0) return cudaSuccess;
  if (op < 0 || op >= CX_HD_OP_COUNT) return cudaErrorInvalidValue;
  unsigned threads = 64, blocks = (unsigned)((n + threads - 1) / threads);
  if (op >= CX_HD_OP_ECMULT)
    cx_gpu_optest_ecmult_kernel<<<blocks, threads, 0, s>>>(op, n, d_in, d_out,
                                                           d_gtab);
  else
    cx_gpu_optest_kernels[op]<<<blocks, threads, 0, s>>>(n, d_in, d_out,
                                                         d_gtab);
  return cudaGetLastError();
}
