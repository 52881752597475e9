/* secp256k1 ECDSA verification through libsecp256k1 (SPEC section 3).
 *
 * A cx_verifier owns one long-lived libsecp256k1 context and a cache of
 * parsed keys (keycache.h: a node sees the same senders block after
 * block); create it once per engine, never per call. Verification only
 * reads the context and the cache is thread-safe, so one verifier may be
 * used from many threads at once. The cache never changes a verdict.
 *
 * Semantics: valid exactly when the 33-byte key parses (prefix 02/03,
 * x < p, on the curve), the 64-byte compact r||s parses (r, s < n) and
 * secp256k1_ecdsa_verify accepts it, which rejects high-S (s > n/2) and
 * r = 0 or s = 0.
 */
#ifndef CX_VERIFY_H
#define CX_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cx_verifier cx_verifier;

/* Creates a verifier with a key cache of CX_KEYCACHE_DEFAULT_SLOTS
 * entries; NULL on allocation failure. */
cx_verifier *cx_verifier_create(void);

/* The same with a key cache of `cache_slots` entries (rounded up to a
 * power of two), or none when 0 (tests compare the two). */
cx_verifier *cx_verifier_create_with_cache(size_t cache_slots);
/* Destroys it; NULL is a no-op. No verification may be in flight. */
void cx_verifier_destroy(cx_verifier *v);

/* True when sig64 is a valid signature of digest32 under pubkey33. */
bool cx_verify(const cx_verifier *v, const uint8_t pubkey33[33],
               const uint8_t digest32[32], const uint8_t sig64[64]);

/* verdicts[i] = cx_verify(v, pubkeys[i], digests[i], sigs[i]) ? 1 : 0. */
void cx_verify_batch(const cx_verifier *v, size_t n,
                     const uint8_t *const *pubkeys,
                     const uint8_t *const *digests,
                     const uint8_t *const *sigs, uint8_t *verdicts);

#endif /* CX_VERIFY_H */
