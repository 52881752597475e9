/* The sequential executor: the reference semantics of SPEC section 4 (and
 * the fast path for small or contended blocks). Transactions run in block
 * order over an overlay holding the values written by the committed ones.
 */
#ifndef CX_MVCC_SEQUENTIAL_H
#define CX_MVCC_SEQUENTIAL_H

#include "keymap.h"
#include "mvcc.h"
#include "vm.h"

/* Runs the block. On 0, statuses[0..n) are set and overlay->entries[0..
 * overlay->n) is the block's write set (unsorted, each key once, final
 * values); counters gets executions. `vm` is scratch. Returns 0,
 * CX_ENOMEM/CX_ELIMIT (overlay), or the code of a failed base read. */
int cx_seq_run(cx_keymap *overlay, const cx_exec_input *in,
               cx_base_read_fn read, void *read_ctx, cx_vm_buf *vm,
               uint8_t *statuses, cx_exec_counters *counters);

/* Upper bound of the keys the block's runnable transactions can write:
 * sender plus two per op each. */
size_t cx_seq_max_keys(const cx_exec_input *in);

#endif /* CX_MVCC_SEQUENTIAL_H */
