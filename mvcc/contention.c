/* Contention estimate; see contention.h. */
#include "contention.h"

#include <string.h>

#include "vm.h"

static uint64_t bytes_hash(const uint8_t *p, size_t len, uint64_t seed) {
  uint64_t h = seed;
  for (size_t o = 0; o < len; o += 8) {
    uint64_t x = 0;
    memcpy(&x, p + o, len - o < 8 ? len - o : 8);
    h = (h ^ x) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
  }
  return h;
}

/* Records a touch of key hash h by tx i; returns 1 when a recent tx
 * touched the same bucket. */
static int touch(uint32_t *table, uint64_t h, uint32_t i, uint32_t window) {
  uint32_t *e = &table[h & (CX_CONTENTION_TABLE - 1)];
  int hit = *e != 0 && i - (*e - 1) <= window && *e - 1 != i;
  *e = i + 1;
  return hit;
}

unsigned cx_contention_percent(const cx_exec_input *in, unsigned k,
                               uint32_t *table) {
  memset(table, 0, CX_CONTENTION_TABLE * sizeof *table);
  uint32_t window = 2 * (k ? k : 1), looked = 0, conflicted = 0;
  for (size_t i = 0; i < in->n && looked < CX_CONTENTION_SAMPLE; i++) {
    const cx_tx *tx = &in->txs[i];
    if (cx_vm_prestatus(tx, in->sig_ok[i]) != CX_VM_RUN)
      continue;
    uint32_t pos = looked++;
    int hit = touch(table, bytes_hash(in->senders[i], 20, 1), pos, window);
    const uint8_t *cur = tx->ops;
    for (unsigned o = 0; o < tx->op_count; o++) {
      cx_op op;
      cx_tx_next_op(&cur, &op);
      if (op.code == CX_OP_TRANSFER)
        hit |= touch(table, bytes_hash(op.a, 20, 1), pos, window);
      else
        hit |= touch(table, bytes_hash(op.a, 32, 2), pos, window);
      if (op.b)
        hit |= touch(table, bytes_hash(op.b, 32, 2), pos, window);
    }
    conflicted += (uint32_t)hit;
    /* Three neighbours in four conflicting will not turn into few: stop
     * looking (the 2-account case runs in ~100 ns a transaction, so the
     * look must stay cheap). */
    if (looked == 32 && conflicted * 4 >= looked * 3)
      break;
  }
  return looked ? (unsigned)(100u * conflicted / looked) : 0;
}
