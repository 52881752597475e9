/* The `cpu` backend: libsecp256k1 verification and SHA-256 (SHA-NI when
 * present) on the worker pool. The scheduler calls the range/list
 * functions directly on the caller's arrays (no copies); the backend
 * object gives the CPU a name, caps and metrics like any device, and its
 * submit computes an attempt synchronously on the pool.
 *
 * All functions block until done and use the pool (serialised with other
 * pool users).
 */
#ifndef CX_HYBRID_CPU_H
#define CX_HYBRID_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "hy_backend.h"
#include "pool.h"
#include "verify.h"

/* Inputs of a request, by pointer (the caller's arrays). */
typedef struct cx_cpu_input {
  const uint8_t *const *pubkeys, *const *digests, *const *sigs;
  const uint8_t *const *msgs;
  const size_t *lens;
} cx_cpu_input;

/* Computes items idx[0..m) (or lo..lo+m when idx is NULL) of `in`; the
 * result of the j-th item goes to verdicts[j] / out[j]. `chunk` is the
 * parallel-for chunk (0 = auto). */
void cx_cpu_verify(cx_pool *pool, const cx_verifier *v, size_t chunk,
                   const cx_cpu_input *in, const size_t *idx, size_t lo,
                   size_t m, uint8_t *verdicts);
void cx_cpu_sha256(cx_pool *pool, size_t chunk, const cx_cpu_input *in,
                   const size_t *idx, size_t lo, size_t m,
                   uint8_t (*out)[32]);

/* The cpu backend object (named "cpu"). */
cx_backend *cx_cpu_backend_create(cx_pool *pool, const cx_verifier *v,
                                  cx_error *err);

#endif /* CX_HYBRID_CPU_H */
