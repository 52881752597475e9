/* CX_HD: one qualifier for arithmetic that runs on both sides.
 *
 * The gpu/hd_*.h headers hold the SHA-256, field, scalar, point and ECDSA
 * arithmetic once. Under nvcc their functions become __host__ __device__, so
 * the kernels and the host-compiled `sim` backend (and its tests) run the
 * same code; under a plain C11 compiler they are ordinary static inline
 * functions. The headers are valid C11 and CUDA C++: no designated
 * initialisers, no implicit void * conversions, no libc calls.
 */
#ifndef CX_HD_H
#define CX_HD_H

#ifdef __CUDACC__
#define CX_HD __host__ __device__
#define CX_HD_INLINE static __host__ __device__ __forceinline__
#define CX_HD_FUNC static __host__ __device__ inline
#else
#define CX_HD
#define CX_HD_INLINE static inline
#define CX_HD_FUNC static inline
#endif

/* CX_HD_HOT marks the hot operations (field and scalar multiplication,
 * point doubling and additions). By default they are CX_HD_FUNC, and the
 * device compiler inlines them everywhere: about 1 MB of machine code for
 * the verify kernel, which stalls on instruction fetch (docs/gpu.md).
 * With CX_HD_OUTLINE=1 (CMake CHAINEXEC_GPU_OUTLINE, off by default: this
 * build gave wrong verdicts on an H100 and has not run on a device since)
 * they stay out of line on both sides, so the host tests exercise the same
 * calls, with their pointer arguments and aliasing, that the device runs. */
#if defined(CX_HD_OUTLINE) && CX_HD_OUTLINE
#ifdef __CUDACC__
#define CX_HD_HOT static __host__ __device__ __noinline__
#elif defined(__GNUC__)
#define CX_HD_HOT static __attribute__((noinline, unused))
#else
#define CX_HD_HOT static
#endif
#else
#define CX_HD_HOT CX_HD_FUNC
#endif

/* CX_HD_UNROLL before a loop with a constant trip count: limb loops must
 * unroll so that limbs live in registers (-O2 keeps them in memory; 3x
 * slower on the host). nvcc unrolls on its own but is told as well. */
#if defined(__CUDACC__) || defined(__clang__)
#define CX_HD_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define CX_HD_UNROLL _Pragma("GCC unroll 16")
#else
#define CX_HD_UNROLL
#endif

#endif /* CX_HD_H */
