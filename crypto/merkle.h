/* RFC 6962 Merkle Tree Hash (SPEC section 5).
 *
 * MTH([]) = H(""), MTH([d]) = H(0x00 || d), and for n > 1 with k the largest
 * power of two below n, MTH(D) = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])).
 * Built bottom-up, level by level, on the batch SHA-256 API: pairing
 * adjacent nodes and promoting an odd last node unchanged gives exactly the
 * recursive definition. Thread-safe; allocates scratch per call.
 */
#ifndef CX_MERKLE_H
#define CX_MERKLE_H

#include <stddef.h>
#include <stdint.h>

/* Root over n leaves of arbitrary length (leaves[i], lens[i]).
 * Returns 0, or CX_ENOMEM when scratch cannot be allocated. */
int cx_merkle_root(size_t n, const uint8_t *const *leaves, const size_t *lens,
                   uint8_t out[32]);

/* Root over n leaves of leaf_len bytes each, back to back at data. */
int cx_merkle_root_fixed(size_t n, const uint8_t *data, size_t leaf_len,
                         uint8_t out[32]);

#endif /* CX_MERKLE_H */
