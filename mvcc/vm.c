/* The op VM (SPEC section 4). See vm.h for the buffer's invariants. */
#include "vm.h"

#include "sha256.h"

/* The cell of `key`, reading it through `read` on first touch. Returns 0
 * with *out set, or what `read` returned. */
static int vm_get(cx_vm_buf *buf, const cx_key *key, cx_vm_read_fn read,
                  void *ctx, cx_vm_cell **out) {
  for (unsigned i = 0; i < buf->n; i++) {
    cx_vm_cell *c = &buf->cells[i];
    if (cx_vm_key_eq(&c->key, key)) {
      *out = c;
      return 0;
    }
  }
  cx_vm_cell *c = &buf->cells[buf->n];
  c->key = *key;
  c->written = 0;
  c->read = 1;
  c->hint = NULL;
  c->v0 = c->v1 = 0;
  int rc = read(ctx, c);
  if (rc != 0)
    return rc;
  buf->n++;
  *out = c;
  return 0;
}

/* Blind write of a kv key: no read is needed (and none is recorded) when
 * the transaction has not touched the key yet. */
static void vm_put_kv(cx_vm_buf *buf, const cx_key *key, uint64_t value) {
  for (unsigned i = 0; i < buf->n; i++) {
    cx_vm_cell *c = &buf->cells[i];
    if (cx_vm_key_eq(&c->key, key)) {
      c->v0 = value;
      c->written = 1;
      return;
    }
  }
  cx_vm_cell *c = &buf->cells[buf->n++];
  c->key = *key;
  c->read = 0;
  c->written = 1;
  c->hint = NULL;
  c->v0 = value;
  c->v1 = 0;
}

/* Runs one op. Returns 0 with *status set (CX_TX_COMMITTED when the op
 * succeeded), or what a read returned. */
static int vm_op(const cx_op *op, cx_vm_buf *buf, cx_vm_read_fn read,
                 void *ctx, uint8_t *status) {
  cx_key k;
  cx_vm_cell *c;
  int rc;
  *status = CX_TX_COMMITTED;
  switch (op->code) {
  case CX_OP_TRANSFER: {
    /* cells[0] is the sender (read first by cx_vm_execute); looking the
     * recipient up only after the debit keeps a self-transfer in op order
     * on one cell. */
    cx_vm_cell *s = &buf->cells[0];
    if (s->v0 < op->amount) {
      *status = CX_TX_INSUFFICIENT_FUNDS;
      return 0;
    }
    s->v0 -= op->amount;
    s->written = 1;
    cx_vm_key_account(&k, op->a);
    if ((rc = vm_get(buf, &k, read, ctx, &c)) != 0)
      return rc;
    if (c->v0 > UINT64_MAX - op->amount) {
      *status = CX_TX_OVERFLOW;
      return 0;
    }
    c->v0 += op->amount;
    c->written = 1;
    return 0;
  }
  case CX_OP_SET:
    cx_vm_key_kv(&k, op->a);
    vm_put_kv(buf, &k, op->amount);
    return 0;
  case CX_OP_COPY: {
    cx_vm_key_kv(&k, op->a);
    if ((rc = vm_get(buf, &k, read, ctx, &c)) != 0)
      return rc;
    uint64_t v = c->v0;
    cx_vm_key_kv(&k, op->b);
    vm_put_kv(buf, &k, v);
    return 0;
  }
  case CX_OP_APPEND: {
    cx_vm_key_kv(&k, op->a);
    if ((rc = vm_get(buf, &k, read, ctx, &c)) != 0)
      return rc;
    uint64_t n = c->v0;
    if (n == UINT64_MAX) {
      *status = CX_TX_OVERFLOW;
      return 0;
    }
    uint8_t msg[40];
    memcpy(msg, op->a, 32);
    cx_store_u64le(msg + 32, n);
    cx_key slot;
    slot.kind = CX_ENTRY_KV;
    cx_sha256(msg, sizeof msg, slot.bytes);
    vm_put_kv(buf, &slot, op->amount);
    c->v0 = n + 1; /* c stays valid: cells never move */
    c->written = 1;
    return 0;
  }
  default: /* ADD, SUB, ASSERT_GE: read-modify the key */
    break;
  }
  cx_vm_key_kv(&k, op->a);
  if ((rc = vm_get(buf, &k, read, ctx, &c)) != 0)
    return rc;
  switch (op->code) {
  case CX_OP_ADD:
    if (c->v0 > UINT64_MAX - op->amount)
      *status = CX_TX_OVERFLOW;
    else {
      c->v0 += op->amount;
      c->written = 1;
    }
    break;
  case CX_OP_SUB:
    if (c->v0 < op->amount)
      *status = CX_TX_INSUFFICIENT_FUNDS;
    else {
      c->v0 -= op->amount;
      c->written = 1;
    }
    break;
  default: /* CX_OP_ASSERT_GE; the decoder rejected unknown opcodes */
    if (c->v0 < op->amount)
      *status = CX_TX_ASSERT_FAILED;
    break;
  }
  return 0;
}

int cx_vm_execute(const cx_tx *tx, const uint8_t sender[20],
                  cx_vm_read_fn read, void *ctx, cx_vm_buf *buf,
                  uint8_t *status) {
  cx_key k;
  cx_vm_cell *s;
  int rc;
  buf->n = 0;
  cx_vm_key_account(&k, sender);
  if ((rc = vm_get(buf, &k, read, ctx, &s)) != 0)
    return rc;
  if (s->v1 != tx->nonce) {
    *status = CX_TX_BAD_NONCE;
    return 0;
  }
  const uint8_t *cur = tx->ops;
  for (unsigned i = 0; i < tx->op_count; i++) {
    cx_op op;
    cx_tx_next_op(&cur, &op);
    if ((rc = vm_op(&op, buf, read, ctx, status)) != 0)
      return rc;
    if (*status != CX_TX_COMMITTED)
      return 0;
  }
  /* No op changes a nonce, so cells[0].v1 is still the checked nonce. */
  if (buf->cells[0].v1 == UINT64_MAX) {
    *status = CX_TX_OVERFLOW;
    return 0;
  }
  buf->cells[0].v1++;
  buf->cells[0].written = 1;
  *status = CX_TX_COMMITTED;
  return 0;
}
