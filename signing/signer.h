/* Test signer: libsecp256k1 ECDSA signing with RFC 6979 nonces.
 *
 * Only tests, fixture generation and the benchmark generator hold private
 * keys; the engine never does. A cx_signer owns one signing context;
 * signing with one signer from several threads at once is safe (the
 * context is only read).
 */
#ifndef CX_SIGNER_H
#define CX_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cx_signer cx_signer;

cx_signer *cx_signer_create(void);
void cx_signer_destroy(cx_signer *s);

/* Derives a valid secret key deterministically from seed (SHA-256 chained
 * until it is in range) and its compressed public key. */
void cx_signer_keypair(const cx_signer *s, uint64_t seed, uint8_t seckey[32],
                       uint8_t pubkey33[33]);

/* Signs digest32 with seckey; writes compact low-S r||s. False on a bad
 * secret key. */
bool cx_signer_sign(const cx_signer *s, const uint8_t seckey[32],
                    const uint8_t digest32[32], uint8_t sig64[64]);

/* Signs a builder's transaction: hashes the unsigned bytes and appends
 * the signature. Returns the wire length, 0 on a bad key. */
struct cx_tx_builder;
size_t cx_signer_finish_tx(const cx_signer *s, const uint8_t seckey[32],
                           struct cx_tx_builder *b);

#endif /* CX_SIGNER_H */
