/* Test signer: deterministic keys from a seed, RFC 6979 signing through
 * libsecp256k1 (its default nonce function), compact low-S output. */
#include "signer.h"

#include <assert.h>
#include <secp256k1.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "tx.h"

/* Invariant: ctx is randomised once at creation and only read afterwards,
 * so concurrent signing with one signer is safe. */
struct cx_signer {
  secp256k1_context *ctx;
};

cx_signer *cx_signer_create(void) {
  cx_signer *s = malloc(sizeof *s);
  if (!s)
    return NULL;
  s->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  if (!s->ctx) {
    free(s);
    return NULL;
  }
  /* Blinding for side-channel resistance; a fixed seed keeps test runs
   * reproducible and does not change any signature (RFC 6979). */
  uint8_t seed[32];
  cx_sha256("chainexec signer blinding", 25, seed);
  if (!secp256k1_context_randomize(s->ctx, seed)) {
    secp256k1_context_destroy(s->ctx);
    free(s);
    return NULL;
  }
  return s;
}

void cx_signer_destroy(cx_signer *s) {
  if (!s)
    return;
  secp256k1_context_destroy(s->ctx);
  free(s);
}

void cx_signer_keypair(const cx_signer *s, uint64_t seed, uint8_t seckey[32],
                       uint8_t pubkey33[33]) {
  uint8_t le[8];
  for (int i = 0; i < 8; i++)
    le[i] = (uint8_t)(seed >> (8 * i));
  cx_sha256(le, sizeof le, seckey);
  /* Out of range (0 or >= n) with probability ~2^-128: chain until not. */
  while (!secp256k1_ec_seckey_verify(s->ctx, seckey)) {
    uint8_t next[32];
    cx_sha256(seckey, 32, next);
    memcpy(seckey, next, 32);
  }
  secp256k1_pubkey pk;
  size_t len = 33;
  int ok = secp256k1_ec_pubkey_create(s->ctx, &pk, seckey);
  assert(ok && "a verified secret key always has a public key");
  (void)ok;
  secp256k1_ec_pubkey_serialize(s->ctx, pubkey33, &len, &pk,
                                SECP256K1_EC_COMPRESSED);
}

bool cx_signer_sign(const cx_signer *s, const uint8_t seckey[32],
                    const uint8_t digest32[32], uint8_t sig64[64]) {
  secp256k1_ecdsa_signature sig;
  /* NULL nonce function = RFC 6979; libsecp256k1 emits low-S. */
  if (!secp256k1_ecdsa_sign(s->ctx, &sig, digest32, seckey, NULL, NULL))
    return false;
  secp256k1_ecdsa_signature_serialize_compact(s->ctx, sig64, &sig);
  return true;
}

size_t cx_signer_finish_tx(const cx_signer *s, const uint8_t seckey[32],
                           struct cx_tx_builder *b) {
  uint8_t digest[32], sig[64];
  cx_sha256(b->buf, b->len, digest);
  if (!cx_signer_sign(s, seckey, digest, sig))
    return 0;
  return cx_tx_build_finish(b, sig);
}
