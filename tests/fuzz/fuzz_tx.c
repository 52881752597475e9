/* libFuzzer harness: the transaction wire codec (crypto/tx.h).
 *
 * Any bytes must give a verdict (well-formed or MALFORMED) without a crash
 * or a read past the buffer (ASan checks the reads: libFuzzer hands over a
 * heap buffer of exactly `size` bytes). Beyond not crashing, the harness
 * checks the properties SPEC section 3 defines:
 *  - the verdict equals an independent reference decoder written from the
 *    SPEC text below (not from crypto/tx.c);
 *  - a well-formed tx iterates to exactly op_count ops ending where the
 *    signature starts, and re-encodes byte for byte with the builder;
 *  - tx_hash covers the unsigned form when well-formed, all bytes when not;
 *  - signature verification of a well-formed tx returns a verdict (the
 *    pubkey and r || s come straight from the fuzzer, so they are mostly
 *    unparsable points and out-of-range scalars).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "sha256.h"
#include "tx.h"
#include "verify.h"

/* SPEC section 3, read literally: MALFORMED when shorter than 108 bytes,
 * version != 1, op_count 0 or > 64, an unknown opcode, ops running past the
 * end, or not exactly 64 bytes left after the ops. */
static bool reference_well_formed(const uint8_t *w, size_t n) {
  if (n < 108 || w[0] != 1)
    return false;
  unsigned count = (unsigned)w[42] | (unsigned)w[43] << 8;
  if (count < 1 || count > 64)
    return false;
  size_t at = 44;
  for (unsigned i = 0; i < count; i++) {
    if (at >= n)
      return false;
    size_t body;
    switch (w[at]) {
    case 0x01: body = 20 + 8; break;
    case 0x02: case 0x03: case 0x04: case 0x06: case 0x07: body = 32 + 8; break;
    case 0x05: body = 32 + 32; break;
    default: return false;
    }
    if (n - at < 1 + body)
      return false;
    at += 1 + body;
  }
  return n - at == 64;
}

static void check_well_formed(const uint8_t *data, size_t size, const cx_tx *tx) {
  FUZZ_CHECK(!tx->malformed);
  FUZZ_CHECK(tx->wire == data && tx->wire_len == size);
  FUZZ_CHECK(tx->pubkey == data + 1);
  FUZZ_CHECK(tx->nonce == cx_load_u64le(data + 34));
  FUZZ_CHECK(tx->op_count >= 1 && tx->op_count <= CX_TX_MAX_OPS);
  FUZZ_CHECK(tx->ops == data + CX_TX_HEADER_LEN);
  FUZZ_CHECK(tx->sig == data + size - CX_TX_SIG_LEN);
  FUZZ_CHECK(tx->ops + tx->ops_len == tx->sig);
  FUZZ_CHECK(size <= CX_TX_MAX_LEN);
  FUZZ_CHECK(cx_tx_hash_len(tx) == size - CX_TX_SIG_LEN);

  /* Iterate the ops and rebuild the same bytes with the builder. */
  static uint8_t rebuilt[CX_TX_MAX_LEN];
  cx_tx_builder b;
  cx_tx_build_begin(&b, rebuilt, tx->pubkey, tx->nonce);
  const uint8_t *cur = tx->ops;
  for (unsigned i = 0; i < tx->op_count; i++) {
    cx_op op;
    const uint8_t *before = cur;
    cx_tx_next_op(&cur, &op);
    size_t body = cx_op_body_len(op.code);
    FUZZ_CHECK(body != 0);
    FUZZ_CHECK(cur == before + 1 + body);
    FUZZ_CHECK(cur <= tx->sig);
    FUZZ_CHECK(op.a == before + 1);
    FUZZ_CHECK((op.code == CX_OP_COPY) == (op.b != NULL));
    FUZZ_CHECK(cx_tx_build_op(&b, op.code, op.a, op.b, op.amount));
  }
  FUZZ_CHECK(cur == tx->sig);
  FUZZ_CHECK(cx_tx_build_finish(&b, tx->sig) == size);
  FUZZ_CHECK(memcmp(rebuilt, data, size) == 0);
}

static const cx_verifier *verifier(void) {
  /* Created once per process and kept: the verifier is immutable after
   * creation (a secp256k1 context), so keeping it is not mutable state. */
  static cx_verifier *v;
  if (!v)
    v = cx_verifier_create();
  FUZZ_CHECK(v != NULL);
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cx_tx tx;
  bool ok = cx_tx_decode(data, size, &tx);
  FUZZ_CHECK(ok == !tx.malformed);
  FUZZ_CHECK(ok == reference_well_formed(data, size));

  uint8_t h[32], want[32];
  cx_tx_hash(&tx, h);
  cx_sha256(data, ok ? size - CX_TX_SIG_LEN : size, want);
  FUZZ_CHECK(memcmp(h, want, 32) == 0);

  if (ok) {
    check_well_formed(data, size, &tx);
    bool sig = cx_verify(verifier(), tx.pubkey, h, tx.sig);
    (void)sig; /* either verdict is fine; a crash or a read past is not */
  } else {
    FUZZ_CHECK(cx_tx_hash_len(&tx) == size);
  }
  return 0;
}
