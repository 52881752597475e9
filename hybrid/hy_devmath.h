/* The arithmetic a host-run device (sim) computes with: the gpu/ CX_HD
 * code compiled for the host (gpu/host_math.h), i.e. exactly what the
 * CUDA kernels run. One place, so the sim's math can be swapped (e.g. for
 * crypto/ when bisecting a mismatch). Pure and thread-safe.
 */
#ifndef CX_HYBRID_DEVMATH_H
#define CX_HYBRID_DEVMATH_H

#include <stddef.h>
#include <stdint.h>


/* Name of the arithmetic in use ("gpu/host_math"). */
const char *cx_devmath_name(void);

/* verdicts[i] for the n contiguous (33, 32, 64)-byte items. */
void cx_devmath_verify(size_t n, const uint8_t *pub33s,
                       const uint8_t *digests, const uint8_t *sigs64,
                       uint8_t *verdicts);

/* out[i] = SHA-256 of lens[i] bytes at data + offsets[i]. */
void cx_devmath_sha256(size_t n, const uint8_t *data,
                       const uint32_t *offsets, const uint32_t *lens,
                       uint8_t (*out)[32]);

#endif /* CX_HYBRID_DEVMATH_H */
