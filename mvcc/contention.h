/* A cheap look at a block before choosing a path: how often does a
 * transaction touch a key that one of the few transactions just before it
 * touched? With k workers, Block-STM runs about k neighbouring
 * transactions at once, so such conflicts mean suspensions and
 * re-executions instead of parallel progress, and past a point the
 * sequential path is faster.
 *
 * Only keys known before execution count (sender, TRANSFER recipients,
 * the kv keys named by ops); APPEND slots are derived at run time and are
 * ignored. Keys are bucketed by hash into a small table, so a collision
 * can only overstate contention (erring towards the sequential path, which
 * is always correct).
 */
#ifndef CX_MVCC_CONTENTION_H
#define CX_MVCC_CONTENTION_H

#include <stdint.h>

#include "mvcc.h"

#define CX_CONTENTION_TABLE 2048u /* uint32 entries the caller provides */
/* Transactions looked at, at most: enough to tell 2 hot accounts from 100
 * or 10,000 (the estimate's error is a few percent), few enough that the
 * look costs about 1% of running a 1000-transaction block. */
#define CX_CONTENTION_SAMPLE 128u

/* Fraction, in percent, of the first CX_CONTENTION_SAMPLE runnable
 * transactions that touch a key also touched within the 2*k transactions
 * before them (from the first 32 alone when at least 75% of those do).
 * `table` is scratch of CX_CONTENTION_TABLE entries. */
unsigned cx_contention_percent(const cx_exec_input *in, unsigned k,
                               uint32_t *table);

#endif /* CX_MVCC_CONTENTION_H */
