/* Host entry points to the gpu/ arithmetic (the CX_HD headers compiled by
 * the host C compiler). This is what the `sim` backend runs: the very code
 * the CUDA kernels run, on host threads, so CI checks the GPU math without
 * a GPU. Plain C; no CUDA types. Every function is thread-safe (no shared
 * state; the G tables are constants).
 */
#ifndef CX_GPU_HOST_MATH_H
#define CX_GPU_HOST_MATH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* secp256k1 ECDSA verify with libsecp256k1 semantics (SPEC section 3).
 * pub33: compressed key; digest: the 32-byte message hash; sig64: r || s,
 * 32-byte big-endian each. Returns 1 when valid, 0 when not (bad key
 * prefix, x >= p, x off the curve, r or s zero or >= n, high-S, or a
 * mismatch). Never fails otherwise. */
int cx_hd_verify(const uint8_t pub33[33], const uint8_t digest[32],
                 const uint8_t sig64[64]);

/* verdicts[i] = cx_hd_verify(pub33s + 33i, digests + 32i, sigs64 + 64i)
 * for i < n (contiguous arrays, as the CUDA launcher takes them). */
void cx_hd_verify_batch(size_t n, const uint8_t *pub33s,
                        const uint8_t *digests, const uint8_t *sigs64,
                        uint8_t *verdicts);

/* out = SHA-256(msg[0..len)); msg may be NULL when len is 0. */
void cx_hd_sha256(const uint8_t *msg, size_t len, uint8_t out[32]);

/* out[i] = SHA-256(data + offsets[i], lens[i]) for i < n (the layout of
 * cx_gpu_sha256_batch). */
void cx_hd_sha256_batch(size_t n, const uint8_t *data,
                        const uint32_t *offsets, const uint32_t *lens,
                        uint8_t (*out)[32]);

/* RFC 6962 Merkle Tree Hash (SPEC section 5) over n leaves of leaf_len
 * bytes each, back to back at leaves (32 for tx_root, 33 for
 * receipts_root). n = 0 gives SHA-256(""). Returns 0, or 2 (CX_GPU_ENOMEM)
 * when scratch (32*n bytes) cannot be allocated; out is then untouched. */
int cx_hd_merkle_root(size_t n, const uint8_t *leaves, size_t leaf_len,
                      uint8_t out[32]);

#ifdef __cplusplus
}
#endif

#endif /* CX_GPU_HOST_MATH_H */
