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
