/* `replay --preverify`: the replay acts as a node's mempool, submitting
 * each block's transactions for pre-verification (cx_engine_submit) while
 * the previous block executes, so the block finds its signatures in the
 * engine's cache. Results never depend on it (chainexec.h). */
#ifndef CX_CLI_REPLAY_PREVERIFY_H
#define CX_CLI_REPLAY_PREVERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "chainexec.h"
#include "fixture.h"

/* Submits block i of f without waiting; nothing when i is past the last
 * block. Errors as cx_engine_submit() (CX_ESTATE: cache disabled). */
int cx_cli_preverify_block(cx_engine *e, const cx_fixture *f, size_t i,
                           cx_error *err);

/* One line on stderr: submitted transactions, block cache hits and
 * misses, evictions and the cache's memory. */
void cx_cli_preverify_report(const cx_engine *e);

#endif /* CX_CLI_REPLAY_PREVERIFY_H */
