/* Sequential executor; see sequential.h. */
#include "sequential.h"

#include "vm.h"

typedef struct seq_ctx {
  const cx_keymap *overlay;
  cx_base_read_fn read;
  void *read_ctx;
} seq_ctx;

/* State as of the current transaction: the overlay of committed writes,
 * else the base state. */
static int seq_read(void *ctx, cx_vm_cell *cell) {
  const seq_ctx *s = ctx;
  const cx_entry *e = cx_keymap_find(s->overlay, &cell->key);
  if (e) {
    cell->v0 = e->v0;
    cell->v1 = e->v1;
    return 0;
  }
  return s->read(s->read_ctx, &cell->key, &cell->v0, &cell->v1);
}

size_t cx_seq_max_keys(const cx_exec_input *in) {
  size_t k = 0;
  for (size_t i = 0; i < in->n; i++)
    if (cx_vm_prestatus(&in->txs[i], in->sig_ok[i]) == CX_VM_RUN)
      k += 1 + 2 * (size_t)in->txs[i].op_count;
  return k;
}

int cx_seq_run(cx_keymap *overlay, const cx_exec_input *in,
               cx_base_read_fn read, void *read_ctx, cx_vm_buf *vm,
               uint8_t *statuses, cx_exec_counters *counters) {
  int rc = cx_keymap_reset(overlay, cx_seq_max_keys(in));
  if (rc != 0)
    return rc;
  seq_ctx ctx = {overlay, read, read_ctx};
  uint64_t executions = 0;
  for (size_t i = 0; i < in->n; i++) {
    const cx_tx *tx = &in->txs[i];
    unsigned pre = cx_vm_prestatus(tx, in->sig_ok[i]);
    if (pre != CX_VM_RUN) {
      statuses[i] = (uint8_t)pre;
      continue;
    }
    rc = cx_vm_execute(tx, in->senders[i], seq_read, &ctx, vm, &statuses[i]);
    if (rc != 0)
      return rc; /* CX_VM_SUSPEND is impossible: seq_read never returns it */
    executions++;
    if (statuses[i] != CX_TX_COMMITTED)
      continue;
    for (unsigned c = 0; c < vm->n; c++) {
      const cx_vm_cell *cell = &vm->cells[c];
      if (!cell->written)
        continue;
      cx_entry *e = cx_keymap_upsert(overlay, &cell->key);
      e->v0 = cell->v0;
      e->v1 = cell->v1;
    }
  }
  counters->executions = executions;
  counters->reexecutions = counters->validation_failures = 0;
  counters->dependency_waits = 0;
  counters->path = CX_EXEC_SEQUENTIAL;
  counters->threads = 1;
  return 0;
}
