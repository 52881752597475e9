/* Transaction codec (SPEC section 3): round trips of random transactions,
 * every MALFORMED rule with a crafted byte string, truncation at every
 * length, tx_hash of well-formed and malformed bytes, addresses. */
#include <criterion/criterion.h>
#include <string.h>

#include "cx_test.h"
#include "sha256.h"
#include "tx.h"

static const uint8_t pubkey[33] = {0x02, 1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t sig[64] = {0xaa, 0xbb};

/* A well-formed transaction with one op of each kind. */
static size_t build_all_ops(uint8_t *buf) {
  cx_tx_builder b;
  uint8_t k1[32] = {1}, k2[32] = {2}, to[20] = {3};
  cx_tx_build_begin(&b, buf, pubkey, 42);
  cr_assert(cx_tx_build_op(&b, CX_OP_TRANSFER, to, NULL, 5));
  cr_assert(cx_tx_build_op(&b, CX_OP_SET, k1, NULL, 6));
  cr_assert(cx_tx_build_op(&b, CX_OP_ADD, k1, NULL, 7));
  cr_assert(cx_tx_build_op(&b, CX_OP_SUB, k1, NULL, 8));
  cr_assert(cx_tx_build_op(&b, CX_OP_COPY, k1, k2, 0));
  cr_assert(cx_tx_build_op(&b, CX_OP_ASSERT_GE, k2, NULL, 9));
  cr_assert(cx_tx_build_op(&b, CX_OP_APPEND, k2, NULL, 10));
  return cx_tx_build_finish(&b, sig);
}

Test(crypto_tx, decodes_every_op_kind) {
  uint8_t buf[CX_TX_MAX_LEN];
  size_t len = build_all_ops(buf);
  cr_assert_eq(len, 44 + 29 + 5 * 41 + 65 + 64);
  cx_tx tx;
  cr_assert(cx_tx_decode(buf, len, &tx));
  cr_assert_not(tx.malformed);
  cr_assert_eq(tx.nonce, 42);
  cr_assert_eq(tx.op_count, 7);
  cr_assert_eq(memcmp(tx.pubkey, pubkey, 33), 0);
  cr_assert_eq(memcmp(tx.sig, sig, 64), 0);
  const uint8_t *cur = tx.ops;
  static const uint8_t codes[] = {1, 2, 3, 4, 5, 6, 7};
  static const uint64_t amounts[] = {5, 6, 7, 8, 0, 9, 10};
  for (int i = 0; i < 7; i++) {
    cx_op op;
    cx_tx_next_op(&cur, &op);
    cr_assert_eq(op.code, codes[i]);
    cr_assert_eq(op.amount, amounts[i], "op %d", i);
    cr_assert_eq(op.b != NULL, op.code == CX_OP_COPY);
  }
  cr_assert_eq(cur, tx.ops + tx.ops_len);
  cr_assert_eq(cur, tx.sig);
}

Test(crypto_tx, random_round_trip) {
  cx_rng rng = {cx_test_seed("crypto_tx.random_round_trip")};
  uint64_t iters = cx_test_iters(5000);
  uint8_t buf[CX_TX_MAX_LEN];
  for (uint64_t it = 0; it < iters; it++) {
    uint8_t pk[33], sg[64];
    cx_rng_bytes(&rng, pk, sizeof pk);
    cx_rng_bytes(&rng, sg, sizeof sg);
    uint64_t nonce = cx_rng_next(&rng);
    unsigned nops = 1 + (unsigned)cx_rng_below(&rng, CX_TX_MAX_OPS);
    uint8_t codes[CX_TX_MAX_OPS], a[CX_TX_MAX_OPS][32], b2[CX_TX_MAX_OPS][32];
    uint64_t amt[CX_TX_MAX_OPS];
    cx_tx_builder b;
    cx_tx_build_begin(&b, buf, pk, nonce);
    for (unsigned i = 0; i < nops; i++) {
      codes[i] = (uint8_t)(1 + cx_rng_below(&rng, 7));
      cx_rng_bytes(&rng, a[i], 32);
      cx_rng_bytes(&rng, b2[i], 32);
      amt[i] = codes[i] == CX_OP_COPY ? 0 : cx_rng_next(&rng);
      cr_assert(cx_tx_build_op(&b, codes[i], a[i], b2[i], amt[i]));
    }
    size_t len = cx_tx_build_finish(&b, sg);
    cx_tx tx;
    cr_assert(cx_tx_decode(buf, len, &tx), "iteration %llu",
              (unsigned long long)it);
    cr_assert_eq(tx.nonce, nonce);
    cr_assert_eq(tx.op_count, nops);
    cr_assert_eq(memcmp(tx.pubkey, pk, 33), 0);
    cr_assert_eq(memcmp(tx.sig, sg, 64), 0);
    const uint8_t *cur = tx.ops;
    for (unsigned i = 0; i < nops; i++) {
      cx_op op;
      cx_tx_next_op(&cur, &op);
      cr_assert_eq(op.code, codes[i]);
      cr_assert_eq(op.amount, amt[i]);
      cr_assert_eq(memcmp(op.a, a[i], codes[i] == CX_OP_TRANSFER ? 20 : 32), 0);
      if (codes[i] == CX_OP_COPY)
        cr_assert_eq(memcmp(op.b, b2[i], 32), 0);
    }
    /* tx_hash covers the unsigned form. */
    uint8_t h1[32], h2[32];
    cx_tx_hash(&tx, h1);
    cx_sha256(buf, len - 64, h2);
    cr_assert_eq(memcmp(h1, h2, 32), 0);
  }
}

static bool malformed(const uint8_t *buf, size_t len) {
  cx_tx tx;
  bool ok = cx_tx_decode(buf, len, &tx);
  cr_assert_eq(ok, !tx.malformed);
  return !ok;
}

Test(crypto_tx, every_malformed_rule) {
  uint8_t buf[CX_TX_MAX_LEN + 64];
  size_t len = build_all_ops(buf);
  cr_assert_not(malformed(buf, len));

  /* shorter than 108 bytes (including empty) */
  cr_assert(malformed(buf, 0));
  cr_assert(malformed(buf, 107));
  /* version other than 1 */
  buf[0] = 2;
  cr_assert(malformed(buf, len));
  buf[0] = 0;
  cr_assert(malformed(buf, len));
  buf[0] = 1;
  /* op_count 0 and above 64 */
  uint8_t save42 = buf[42], save43 = buf[43];
  buf[42] = 0;
  buf[43] = 0;
  cr_assert(malformed(buf, len));
  buf[42] = 65;
  cr_assert(malformed(buf, len));
  buf[42] = 7;
  buf[43] = 1; /* 263 */
  cr_assert(malformed(buf, len));
  buf[42] = save42;
  buf[43] = save43;
  /* unknown opcode: 0x00 and 0x08 in place of the first op */
  buf[44] = 0x00;
  cr_assert(malformed(buf, len));
  buf[44] = 0x08;
  cr_assert(malformed(buf, len));
  buf[44] = 0xff;
  cr_assert(malformed(buf, len));
  buf[44] = CX_OP_TRANSFER;
  cr_assert_not(malformed(buf, len));
  /* ops run past the end: claim more ops than the bytes hold */
  buf[42] = 8;
  cr_assert(malformed(buf, len));
  buf[42] = 7;
  /* too many bytes left for the signature (65) and too few (63) */
  buf[len] = 0;
  cr_assert(malformed(buf, len + 1));
  cr_assert(malformed(buf, len - 1));
  /* claim fewer ops: 41 + 64 bytes remain after them */
  buf[42] = 6;
  cr_assert(malformed(buf, len));
  buf[42] = 7;
  cr_assert_not(malformed(buf, len));
}

Test(crypto_tx, the_smallest_well_formed_tx) {
  /* 44 header + TRANSFER (29) + 64 signature = 137 bytes */
  uint8_t buf[CX_TX_MAX_LEN];
  cx_tx_builder b;
  uint8_t to[20] = {0};
  cx_tx_build_begin(&b, buf, pubkey, 0);
  cr_assert(cx_tx_build_op(&b, CX_OP_TRANSFER, to, NULL, 1));
  size_t len = cx_tx_build_finish(&b, sig);
  cr_assert_eq(len, 137);
  cr_assert_not(malformed(buf, len));
  /* 108..136 bytes with a valid header are all malformed */
  for (size_t l = 108; l < len; l++)
    cr_assert(malformed(buf, l), "length %zu", l);
}

Test(crypto_tx, max_ops_accepted_and_64_is_the_limit) {
  uint8_t buf[CX_TX_MAX_LEN];
  uint8_t k[32] = {7};
  cx_tx_builder b;
  cx_tx_build_begin(&b, buf, pubkey, 1);
  for (int i = 0; i < 64; i++)
    cr_assert(cx_tx_build_op(&b, CX_OP_COPY, k, k, 0));
  cr_assert_not(cx_tx_build_op(&b, CX_OP_SET, k, NULL, 1));
  size_t len = cx_tx_build_finish(&b, sig);
  cr_assert_eq(len, CX_TX_MAX_LEN);
  cr_assert_not(malformed(buf, len));
}

Test(crypto_tx, truncation_at_every_length) {
  uint8_t buf[CX_TX_MAX_LEN];
  size_t len = build_all_ops(buf);
  for (size_t l = 0; l < len; l++) {
    /* A copy of exactly l bytes on the heap, so ASan catches any read past
     * the end. */
    uint8_t *copy = malloc(l ? l : 1);
    memcpy(copy, buf, l);
    cx_tx tx;
    cr_assert_not(cx_tx_decode(copy, l, &tx), "length %zu decoded", l);
    cr_assert(tx.malformed);
    cr_assert_eq(cx_tx_hash_len(&tx), l);
    free(copy);
  }
}

Test(crypto_tx, malformed_hash_covers_all_bytes) {
  uint8_t buf[200];
  memset(buf, 0x5a, sizeof buf);
  cx_tx tx;
  cr_assert_not(cx_tx_decode(buf, sizeof buf, &tx));
  uint8_t h1[32], h2[32];
  cx_tx_hash(&tx, h1);
  cx_sha256(buf, sizeof buf, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0);
  /* the empty transaction hashes to H("") */
  cr_assert_not(cx_tx_decode(buf, 0, &tx));
  cx_tx_hash(&tx, h1);
  cx_sha256(NULL, 0, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0);
}

Test(crypto_tx, address_is_last_20_bytes_of_the_key_hash) {
  uint8_t h[32], addr[20];
  cx_sha256(pubkey, 33, h);
  cx_address_of(pubkey, addr);
  cr_assert_eq(memcmp(addr, h + 12, 20), 0);
}

Test(crypto_tx, status_names) {
  cr_assert_str_eq(cx_tx_status_name(0), "COMMITTED");
  cr_assert_str_eq(cx_tx_status_name(3), "BAD_NONCE");
  cr_assert_str_eq(cx_tx_status_name(6), "ASSERT_FAILED");
  cr_assert_str_eq(cx_tx_status_name(7), "UNKNOWN");
}
