/* Internal interface between the SHA-256 front end (sha256.c) and its two
 * compression back ends (sha256_portable.c, sha256_shani.c).
 *
 * Invariants: a state h[8] is the FIPS 180-4 working hash in standard order
 * (H0..H7, host-endian words); a block is 64 bytes of message; a message
 * of len bytes is hashed as its floor(len/64) whole blocks straight from the
 * caller's memory followed by the 1 or 2 tail blocks cx_sha256_tail() builds
 * (the remaining len%64 bytes, 0x80, zeros, the 64-bit big-endian bit
 * length). Back ends never allocate and keep no state between calls.
 */
#ifndef CX_SHA256_IMPL_H
#define CX_SHA256_IMPL_H

#include <stddef.h>
#include <stdint.h>

extern const uint32_t cx_sha256_iv[8];
extern const uint32_t cx_sha256_k[64];

/* Builds the padded tail of a message of len bytes whose last len%64 bytes
 * are at rest; returns the number of tail blocks (1 or 2) written to tail. */
size_t cx_sha256_tail(const uint8_t *rest, uint64_t len, uint8_t tail[128]);

/* Writes state h as the 32-byte big-endian digest. */
void cx_sha256_store_digest(const uint32_t h[8], uint8_t out[32]);

/* Applies nblocks consecutive 64-byte blocks to h. */
void cx_sha256_compress_portable(uint32_t h[8], const uint8_t *blocks,
                                 size_t nblocks);
/* Same with the SHA extensions; only when cx_sha256_has_shani(). On a build
 * without them it falls back to the portable code. */
void cx_sha256_compress_shani(uint32_t h[8], const uint8_t *blocks,
                              size_t nblocks);

/* Longest len for cx_sha256_batch_prefixed: 1 + len + 9 fits two blocks. */
#define CX_SHA256_PREFIXED_MAX 118u

/* out[i] = SHA-256(prefix || data[i*len .. (i+1)*len)) for i < n, with
 * len <= CX_SHA256_PREFIXED_MAX: the Merkle leaf (0x00) and node (0x01)
 * hashes without staging copies. Aliasing: out[i] may overlap the bytes of
 * messages 0..i (the in-place halving of a Merkle level: out[j] over the
 * pair at 2j), never those of later messages; every message is read
 * before any digest at or after its index is written. Dispatched like the
 * public entry points; _portable/_shani pin the path. */
void cx_sha256_batch_prefixed(size_t n, uint8_t prefix, const uint8_t *data,
                              size_t len, uint8_t (*out)[32]);
void cx_sha256_batch_prefixed_portable(size_t n, uint8_t prefix,
                                       const uint8_t *data, size_t len,
                                       uint8_t (*out)[32]);
void cx_sha256_batch_prefixed_shani(size_t n, uint8_t prefix,
                                    const uint8_t *data, size_t len,
                                    uint8_t (*out)[32]);

#endif /* CX_SHA256_IMPL_H */
