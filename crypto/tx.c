/* Transaction wire codec (SPEC section 3): decoding without copies, the
 * MALFORMED rules, tx_hash, addresses, and the builder used by tests and
 * generators. */
#include "tx.h"

#include <string.h>

#include "sha256.h"

const char *cx_tx_status_name(int status) {
  switch (status) {
  case CX_TX_COMMITTED:
    return "COMMITTED";
  case CX_TX_MALFORMED:
    return "MALFORMED";
  case CX_TX_BAD_SIGNATURE:
    return "BAD_SIGNATURE";
  case CX_TX_BAD_NONCE:
    return "BAD_NONCE";
  case CX_TX_INSUFFICIENT_FUNDS:
    return "INSUFFICIENT_FUNDS";
  case CX_TX_OVERFLOW:
    return "OVERFLOW";
  case CX_TX_ASSERT_FAILED:
    return "ASSERT_FAILED";
  }
  return "UNKNOWN";
}

size_t cx_op_body_len(uint8_t code) {
  switch (code) {
  case CX_OP_TRANSFER:
    return 28;
  case CX_OP_SET:
  case CX_OP_ADD:
  case CX_OP_SUB:
  case CX_OP_ASSERT_GE:
  case CX_OP_APPEND:
    return 40;
  case CX_OP_COPY:
    return 64;
  }
  return 0;
}

static bool malformed(cx_tx *out) {
  out->malformed = true;
  return false;
}

bool cx_tx_decode(const uint8_t *wire, size_t len, cx_tx *out) {
  memset(out, 0, sizeof *out);
  out->wire = wire;
  out->wire_len = len;
  if (len < CX_TX_MIN_LEN || wire[0] != 1)
    return malformed(out);
  uint16_t op_count = (uint16_t)(wire[42] | (uint16_t)wire[43] << 8);
  if (op_count == 0 || op_count > CX_TX_MAX_OPS)
    return malformed(out);
  /* The ops must end exactly CX_TX_SIG_LEN bytes before the end. */
  size_t ops_end_max = len - CX_TX_SIG_LEN;
  size_t pos = CX_TX_HEADER_LEN;
  for (uint16_t i = 0; i < op_count; i++) {
    if (pos >= len)
      return malformed(out); /* ran past the end of the bytes */
    size_t body = cx_op_body_len(wire[pos]);
    if (body == 0)
      return malformed(out); /* unknown opcode */
    if (body + 1 > len - pos)
      return malformed(out); /* op runs past the end */
    pos += 1 + body;
  }
  if (pos != ops_end_max)
    return malformed(out); /* not exactly 64 bytes left for the signature */
  out->malformed = false;
  out->pubkey = wire + 1;
  out->nonce = cx_load_u64le(wire + 34);
  out->op_count = op_count;
  out->ops = wire + CX_TX_HEADER_LEN;
  out->ops_len = pos - CX_TX_HEADER_LEN;
  out->sig = wire + pos;
  return true;
}

void cx_tx_next_op(const uint8_t **cursor, cx_op *op) {
  const uint8_t *p = *cursor;
  op->code = p[0];
  op->b = NULL;
  switch (op->code) {
  case CX_OP_TRANSFER:
    op->a = p + 1;
    op->amount = cx_load_u64le(p + 21);
    break;
  case CX_OP_COPY:
    op->a = p + 1;
    op->b = p + 33;
    op->amount = 0;
    break;
  default:
    op->a = p + 1;
    op->amount = cx_load_u64le(p + 33);
    break;
  }
  *cursor = p + 1 + cx_op_body_len(op->code);
}

size_t cx_tx_hash_len(const cx_tx *tx) {
  return tx->malformed ? tx->wire_len : tx->wire_len - CX_TX_SIG_LEN;
}

void cx_tx_hash(const cx_tx *tx, uint8_t out[32]) {
  cx_sha256(tx->wire, cx_tx_hash_len(tx), out);
}

void cx_address_of(const uint8_t pubkey33[33], uint8_t out20[20]) {
  uint8_t h[32];
  cx_sha256(pubkey33, 33, h);
  memcpy(out20, h + 12, 20);
}

void cx_tx_build_begin(cx_tx_builder *b, uint8_t *buf,
                       const uint8_t pubkey33[33], uint64_t nonce) {
  b->buf = buf;
  buf[0] = 1;
  memcpy(buf + 1, pubkey33, 33);
  cx_store_u64le(buf + 34, nonce);
  buf[42] = buf[43] = 0;
  b->len = CX_TX_HEADER_LEN;
  b->op_count = 0;
}

bool cx_tx_build_op(cx_tx_builder *b, uint8_t code, const uint8_t *a,
                    const uint8_t *b32, uint64_t amount) {
  size_t body = cx_op_body_len(code);
  if (b->op_count >= CX_TX_MAX_OPS || body == 0)
    return false;
  uint8_t *p = b->buf + b->len;
  p[0] = code;
  if (code == CX_OP_TRANSFER) {
    memcpy(p + 1, a, 20);
    cx_store_u64le(p + 21, amount);
  } else if (code == CX_OP_COPY) {
    memcpy(p + 1, a, 32);
    memcpy(p + 33, b32, 32);
  } else {
    memcpy(p + 1, a, 32);
    cx_store_u64le(p + 33, amount);
  }
  b->len += 1 + body;
  b->op_count++;
  b->buf[42] = (uint8_t)(b->op_count & 0xff);
  b->buf[43] = (uint8_t)(b->op_count >> 8);
  return true;
}

size_t cx_tx_build_finish(cx_tx_builder *b, const uint8_t sig64[64]) {
  memcpy(b->buf + b->len, sig64, CX_TX_SIG_LEN);
  b->len += CX_TX_SIG_LEN;
  return b->len;
}
