/* An in-memory base state: the read side the executor needs, over a hash
 * map of entries. For tests, the fixture runner and the execution
 * benchmark (the engine itself reads an LMDB snapshot instead).
 *
 * Threading: any number of concurrent cx_memstate_read() calls are safe
 * while no cx_memstate_put() runs.
 */
#ifndef CX_MVCC_MEMSTATE_H
#define CX_MVCC_MEMSTATE_H

#include <stddef.h>

#include "mvcc.h"

typedef struct cx_memstate cx_memstate;

/* An empty state, or NULL when out of memory. */
cx_memstate *cx_memstate_create(void);
void cx_memstate_destroy(cx_memstate *s);

/* Sets each entry's key to its values (inserting or overwriting); a block's
 * write set applied this way gives the state after the block. Returns 0,
 * CX_ENOMEM or CX_ELIMIT (the state may then hold part of the entries). */
int cx_memstate_put(cx_memstate *s, const cx_entry *entries, size_t n);

/* Number of keys held. */
size_t cx_memstate_count(const cx_memstate *s);

/* cx_base_read_fn over a cx_memstate passed as ctx: zeros for an absent
 * key; always returns 0. */
int cx_memstate_read(void *ctx, const cx_key *key, uint64_t *v0,
                     uint64_t *v1);

#endif /* CX_MVCC_MEMSTATE_H */
