/* secp256k1 ECDSA verification (SPEC section 3) over one long-lived
 * libsecp256k1 context. cx_verify is deliberately a thin wrapper: parse the
 * key, parse the compact signature, verify; no allocation, no copies
 * beyond libsecp256k1's own parsed forms on the stack. The batch form
 * gives the same verdicts, parsing a key once for a run of equal keys. */
#include "verify.h"

#include <secp256k1.h>
#include <stdlib.h>
#include <string.h>

/* Invariant: ctx is created once and only read afterwards (verification
 * never writes it), so one verifier serves many threads. */
struct cx_verifier {
  secp256k1_context *ctx;
};

cx_verifier *cx_verifier_create(void) {
  cx_verifier *v = malloc(sizeof *v);
  if (!v)
    return NULL;
  v->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  if (!v->ctx) {
    free(v);
    return NULL;
  }
  return v;
}

void cx_verifier_destroy(cx_verifier *v) {
  if (!v)
    return;
  secp256k1_context_destroy(v->ctx);
  free(v);
}

/* Signature checks on an already parsed key. */
static bool verify_parsed(const cx_verifier *v, const secp256k1_pubkey *pk,
                          const uint8_t digest32[32], const uint8_t sig64[64]) {
  secp256k1_ecdsa_signature sig;
  /* Rejects r >= n or s >= n. */
  if (!secp256k1_ecdsa_signature_parse_compact(v->ctx, &sig, sig64))
    return false;
  /* Rejects high-S, r = 0 and s = 0. */
  return secp256k1_ecdsa_verify(v->ctx, &sig, digest32, pk) == 1;
}

bool cx_verify(const cx_verifier *v, const uint8_t pubkey33[33],
               const uint8_t digest32[32], const uint8_t sig64[64]) {
  secp256k1_pubkey pk;
  /* With length 33 only the 02/03 prefixes parse; x >= p or off-curve
   * fail here. */
  if (!secp256k1_ec_pubkey_parse(v->ctx, &pk, pubkey33, 33))
    return false;
  return verify_parsed(v, &pk, digest32, sig64);
}

void cx_verify_batch(const cx_verifier *v, size_t n,
                     const uint8_t *const *pubkeys,
                     const uint8_t *const *digests,
                     const uint8_t *const *sigs, uint8_t *verdicts) {
  /* Consecutive signatures by one sender (common in a block) reuse the
   * parsed key: parsing decompresses the point, about a tenth of a
   * verification. */
  secp256k1_pubkey pk;
  const uint8_t *parsed = NULL;
  bool parsed_ok = false;
  for (size_t i = 0; i < n; i++) {
    if (!parsed || memcmp(parsed, pubkeys[i], 33) != 0) {
      parsed = pubkeys[i];
      parsed_ok = secp256k1_ec_pubkey_parse(v->ctx, &pk, parsed, 33) == 1;
    }
    verdicts[i] = parsed_ok && verify_parsed(v, &pk, digests[i], sigs[i]);
  }
}
