/* Transaction wire codec (SPEC section 3).
 *
 * Decoding never copies op bodies: a cx_tx points into the caller's wire
 * bytes, which must outlive it. Layout:
 *   u8 version(=1) | u8[33] pubkey | u64 nonce | u16 op_count (1..64) |
 *   ops | u8[64] signature
 * Op bodies: TRANSFER to[20] amount u64 (28 bytes); SET/ADD/SUB/ASSERT_GE/
 * APPEND key[32] u64 (40 bytes); COPY src[32] dst[32] (64 bytes).
 */
#ifndef CX_TX_H
#define CX_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CX_TX_HEADER_LEN 44u  /* version + pubkey + nonce + op_count */
#define CX_TX_SIG_LEN 64u
#define CX_TX_MIN_LEN 108u    /* header + signature, no ops */
#define CX_TX_MAX_OPS 64u
#define CX_TX_MAX_LEN (CX_TX_HEADER_LEN + CX_TX_MAX_OPS * 65u + CX_TX_SIG_LEN)

enum cx_opcode {
  CX_OP_TRANSFER = 0x01,
  CX_OP_SET = 0x02,
  CX_OP_ADD = 0x03,
  CX_OP_SUB = 0x04,
  CX_OP_COPY = 0x05,
  CX_OP_ASSERT_GE = 0x06,
  CX_OP_APPEND = 0x07,
};

/* Transaction statuses (SPEC section 4). */
enum cx_tx_status {
  CX_TX_COMMITTED = 0,
  CX_TX_MALFORMED = 1,
  CX_TX_BAD_SIGNATURE = 2,
  CX_TX_BAD_NONCE = 3,
  CX_TX_INSUFFICIENT_FUNDS = 4,
  CX_TX_OVERFLOW = 5,
  CX_TX_ASSERT_FAILED = 6,
};

/* Human name of a status ("COMMITTED", "BAD_NONCE", ...). */
const char *cx_tx_status_name(int status);

/* A decoded transaction; pointers alias the wire bytes. When malformed is
 * true only wire/wire_len are meaningful. */
typedef struct cx_tx {
  const uint8_t *wire;
  size_t wire_len;
  bool malformed;
  const uint8_t *pubkey; /* 33 bytes */
  uint64_t nonce;
  uint16_t op_count;
  const uint8_t *ops;    /* op_count encoded ops, ops_len bytes */
  size_t ops_len;
  const uint8_t *sig;    /* 64 bytes: r || s big-endian */
} cx_tx;

/* One decoded op. `a` is the recipient (20 bytes) for TRANSFER, else the
 * first 32-byte key (src for COPY, counter for APPEND); `b` is COPY's dst,
 * NULL otherwise; `amount` is the u64 operand (0 for COPY). */
typedef struct cx_op {
  uint8_t code;
  const uint8_t *a;
  const uint8_t *b;
  uint64_t amount;
} cx_op;

/* Decodes wire[0..len) into *out, applying every MALFORMED rule. Returns
 * true when well-formed; false sets out->malformed (never reads past
 * wire+len). */
bool cx_tx_decode(const uint8_t *wire, size_t len, cx_tx *out);

/* Body length of an opcode (28, 40 or 64), or 0 when unknown. */
size_t cx_op_body_len(uint8_t code);

/* Reads the op at *cursor of a well-formed tx and advances the cursor.
 * Only valid on ops that cx_tx_decode accepted. */
void cx_tx_next_op(const uint8_t **cursor, cx_op *op);

/* The bytes tx_hash covers: the unsigned form (wire minus signature), or
 * all wire bytes when malformed. */
size_t cx_tx_hash_len(const cx_tx *tx);

/* tx_hash = SHA-256 of the bytes above. */
void cx_tx_hash(const cx_tx *tx, uint8_t out[32]);

/* address(pubkey) = SHA-256(pubkey)[12..32]. */
void cx_address_of(const uint8_t pubkey33[33], uint8_t out20[20]);

/* Little-endian helpers used by the codec and the VM. */
static inline uint64_t cx_load_u64le(const uint8_t *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t v; /* one unaligned load instead of a byte loop (hot in the VM) */
  __builtin_memcpy(&v, p, sizeof v);
  return v;
#else
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
#endif
}
static inline void cx_store_u64le(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* --- Encoding (tests, fixtures, benchmark generator) ------------------ */

/* Builder for a transaction's wire bytes. buf must hold CX_TX_MAX_LEN. */
typedef struct cx_tx_builder {
  uint8_t *buf;
  size_t len;
  uint16_t op_count;
} cx_tx_builder;

/* Starts a transaction: version 1, pubkey, nonce, op_count 0. */
void cx_tx_build_begin(cx_tx_builder *b, uint8_t *buf,
                       const uint8_t pubkey33[33], uint64_t nonce);
/* Appends an op. For TRANSFER `a` is 20 bytes; for COPY `b` is dst.
 * Returns false when CX_TX_MAX_OPS ops are already present. */
bool cx_tx_build_op(cx_tx_builder *b, uint8_t code, const uint8_t *a,
                    const uint8_t *b32, uint64_t amount);
/* Appends the signature and returns the wire length. */
size_t cx_tx_build_finish(cx_tx_builder *b, const uint8_t sig64[64]);

#endif /* CX_TX_H */
