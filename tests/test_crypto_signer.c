/* Test signer: an RFC 6979 known answer, low-S output, determinism, round
 * trips through cx_verify, deterministic key derivation, and signing a
 * builder's transaction. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cx_test.h"
#include "sha256.h"
#include "signer.h"
#include "tx.h"
#include "verify.h"

/* n/2, big-endian. */
static const uint8_t half_order[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
    0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

Test(crypto_signer, rfc6979_known_answer) {
  /* Secret key 1, message SHA-256("Satoshi Nakamoto"): the widely
   * published RFC 6979 secp256k1 vector, in low-S form. */
  cx_signer *s = cx_signer_create();
  cr_assert_not_null(s);
  uint8_t sk[32] = {0}, digest[32], sig[64], want[64];
  sk[31] = 1;
  cx_sha256("Satoshi Nakamoto", 16, digest);
  cr_assert(cx_signer_sign(s, sk, digest, sig));
  cr_assert(cx_test_unhex(
      "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
      "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5",
      want, 64));
  cr_assert_eq(memcmp(sig, want, 64), 0);
  cx_signer_destroy(s);
}

Test(crypto_signer, round_trip_low_s_deterministic) {
  cx_signer *s = cx_signer_create();
  cx_signer *s2 = cx_signer_create();
  cx_verifier *v = cx_verifier_create();
  cr_assert(s && s2 && v);
  cx_rng rng = {cx_test_seed("crypto_signer.round_trip_low_s_deterministic")};
  uint64_t iters = cx_test_iters(300);
  for (uint64_t it = 0; it < iters; it++) {
    uint8_t sk[32], sk2[32], pub[33], pub2[33], digest[32], sig[64], sig2[64];
    uint64_t seed = cx_rng_next(&rng);
    cx_signer_keypair(s, seed, sk, pub);
    cx_signer_keypair(s2, seed, sk2, pub2); /* same seed, other signer */
    cr_assert_eq(memcmp(sk, sk2, 32), 0);
    cr_assert_eq(memcmp(pub, pub2, 33), 0);
    cr_assert(pub[0] == 0x02 || pub[0] == 0x03);
    cx_rng_bytes(&rng, digest, 32);
    cr_assert(cx_signer_sign(s, sk, digest, sig));
    cr_assert(cx_signer_sign(s2, sk, digest, sig2));
    cr_assert_eq(memcmp(sig, sig2, 64), 0, "RFC 6979 signing is deterministic");
    cr_assert_leq(memcmp(sig + 32, half_order, 32), 0, "signature is high-S");
    cr_assert(cx_verify(v, pub, digest, sig));
    /* Any other digest or key fails. */
    digest[it % 32] ^= (uint8_t)(1u << (it % 8));
    cr_assert_not(cx_verify(v, pub, digest, sig));
    digest[it % 32] ^= (uint8_t)(1u << (it % 8));
    uint8_t osk[32], opub[33];
    cx_signer_keypair(s, seed + 1, osk, opub);
    cr_assert_not(cx_verify(v, opub, digest, sig));
  }
  fprintf(stderr, "round_trip_low_s_deterministic: %llu keys signed and "
          "verified\n", (unsigned long long)iters);
  cx_verifier_destroy(v);
  cx_signer_destroy(s);
  cx_signer_destroy(s2);
}

Test(crypto_signer, rejects_bad_secret_keys) {
  cx_signer *s = cx_signer_create();
  cr_assert_not_null(s);
  uint8_t zero[32] = {0}, big[32], digest[32] = {1}, sig[64];
  memset(big, 0xff, sizeof big); /* >= n */
  cr_assert_not(cx_signer_sign(s, zero, digest, sig));
  cr_assert_not(cx_signer_sign(s, big, digest, sig));
  cx_signer_destroy(s);
  cx_signer_destroy(NULL);
}

Test(crypto_signer, finish_tx_signs_the_unsigned_form) {
  cx_signer *s = cx_signer_create();
  cx_verifier *v = cx_verifier_create();
  cr_assert(s && v);
  uint8_t sk[32], pub[33], buf[CX_TX_MAX_LEN], key[32] = {9};
  cx_signer_keypair(s, 7, sk, pub);
  cx_tx_builder b;
  cx_tx_build_begin(&b, buf, pub, 3);
  cr_assert(cx_tx_build_op(&b, CX_OP_SET, key, NULL, 42));
  size_t unsigned_len = b.len;
  size_t len = cx_signer_finish_tx(s, sk, &b);
  cr_assert_eq(len, unsigned_len + CX_TX_SIG_LEN);
  cx_tx tx;
  cr_assert(cx_tx_decode(buf, len, &tx));
  uint8_t h[32], direct[32];
  cx_tx_hash(&tx, h);
  cx_sha256(buf, unsigned_len, direct);
  cr_assert_eq(memcmp(h, direct, 32), 0);
  cr_assert(cx_verify(v, tx.pubkey, h, tx.sig));
  /* A bad key signs nothing. */
  uint8_t zero[32] = {0};
  cx_tx_build_begin(&b, buf, pub, 4);
  cr_assert(cx_tx_build_op(&b, CX_OP_SET, key, NULL, 1));
  cr_assert_eq(cx_signer_finish_tx(s, zero, &b), 0);
  cx_verifier_destroy(v);
  cx_signer_destroy(s);
}
