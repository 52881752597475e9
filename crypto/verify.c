/* secp256k1 ECDSA verification (SPEC section 3) over one long-lived
 * libsecp256k1 context. cx_verify is deliberately a thin wrapper: parse the
 * key (or find it parsed in the key cache), parse the compact signature,
 * verify; no allocation, no copies beyond libsecp256k1's own parsed forms
 * on the stack. The batch form gives the same verdicts, parsing a key once
 * for a run of equal keys. */
#include "verify.h"

#include <secp256k1.h>
#include <stdlib.h>
#include <string.h>

#include "keycache.h"

/* Invariant: ctx is created once and only read afterwards (verification
 * never writes it), so one verifier serves many threads; the key cache
 * (NULL when disabled) is thread-safe and only ever holds what parsing
 * gave. */
struct cx_verifier {
  secp256k1_context *ctx;
  cx_keycache *keys;
};

_Static_assert(sizeof(secp256k1_pubkey) == 64,
               "the key cache stores a parsed key in 64 bytes");

cx_verifier *cx_verifier_create_with_cache(size_t cache_slots) {
  cx_verifier *v = malloc(sizeof *v);
  if (!v)
    return NULL;
  v->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  v->keys = cache_slots ? cx_keycache_create(cache_slots) : NULL;
  if (!v->ctx || (cache_slots && !v->keys)) {
    if (v->ctx)
      secp256k1_context_destroy(v->ctx);
    free(v);
    return NULL;
  }
  return v;
}

cx_verifier *cx_verifier_create(void) {
  return cx_verifier_create_with_cache(CX_KEYCACHE_DEFAULT_SLOTS);
}

void cx_verifier_destroy(cx_verifier *v) {
  if (!v)
    return;
  secp256k1_context_destroy(v->ctx);
  cx_keycache_destroy(v->keys);
  free(v);
}

/* Parses pubkey33 into *pk, through the key cache: true when it parses
 * (with length 33 only the 02/03 prefixes do; x >= p or off-curve fail). */
static bool parse_key(const cx_verifier *v, const uint8_t pubkey33[33],
                      secp256k1_pubkey *pk) {
  if (v->keys) {
    int r = cx_keycache_get(v->keys, pubkey33, pk->data);
    if (r != CX_KEYCACHE_MISS)
      return r == CX_KEYCACHE_VALID;
  }
  bool ok = secp256k1_ec_pubkey_parse(v->ctx, pk, pubkey33, 33) == 1;
  if (v->keys)
    cx_keycache_put(v->keys, pubkey33, ok, ok ? pk->data : NULL);
  return ok;
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
  if (!parse_key(v, pubkey33, &pk))
    return false;
  return verify_parsed(v, &pk, digest32, sig64);
}

void cx_verify_batch(const cx_verifier *v, size_t n,
                     const uint8_t *const *pubkeys,
                     const uint8_t *const *digests,
                     const uint8_t *const *sigs, uint8_t *verdicts) {
  /* Consecutive signatures by one sender (common in a block) reuse the
   * parsed key without even a cache lookup: parsing decompresses the
   * point, about an eighth of a verification. */
  secp256k1_pubkey pk;
  const uint8_t *parsed = NULL;
  bool parsed_ok = false;
  for (size_t i = 0; i < n; i++) {
    if (!parsed || memcmp(parsed, pubkeys[i], 33) != 0) {
      parsed = pubkeys[i];
      parsed_ok = parse_key(v, parsed, &pk);
    }
    verdicts[i] = parsed_ok && verify_parsed(v, &pk, digests[i], sigs[i]);
  }
}
