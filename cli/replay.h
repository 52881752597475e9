/* Internals of `chainexec replay` (cmd_replay.c: options, output and the
 * comparison with expect; replay_resume.c: checking a database that
 * already holds a chain; replay_run.c: running the blocks of a linear
 * chain or a block tree, SPEC section 9). */
#ifndef CX_CLI_REPLAY_H
#define CX_CLI_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chainexec.h"
#include "fixture.h"

typedef struct replay_opts {
  const char *file, *metrics_file, *metrics_listen;
  bool json, quiet;
  bool reorg;     /* a stored chain that leaves the fixture's canonical
                     chain is reverted to where they part, not refused */
  bool head_each; /* forkchoice after every block, as a node following
                     its consensus: reorganises at each branch switch */
  bool preverify; /* submit each block's transactions for pre-verification
                     while the one before it runs (replay_preverify.h) */
  cx_config cfg;
} replay_opts;

/* What replay knows about each block: its result and its status counts
 * (counts come from the database for resumed blocks). */
typedef struct replay_out {
  uint8_t genesis_root[32];
  cx_fixture_expect *blocks;
  uint32_t (*counts)[7];
  bool *resumed;   /* per block: its result was read from the database */
  size_t n_resumed;
  size_t *canon;   /* canon[h - 1]: index of the canonical block at h */
  size_t n_canon;  /* height of the canonical chain */
  double exec_s;
  uint64_t exec_txs;
} replay_out;

/* Fills r->canon / r->n_canon from the fixture's parent links. */
void cx_replay_canon(const cx_fixture *f, replay_out *r);

/* Checks the chain stored in an engine that has a genesis against the
 * fixture's canonical chain and fills in the results of the blocks it
 * already holds (marking them resumed). A stored chain that leaves the
 * canonical chain is refused (CX_EMISMATCH) unless o->reorg, which
 * reverts it to the last block they share. */
int cx_replay_check_stored(cx_engine *e, const cx_fixture *f,
                           const replay_opts *o, replay_out *r,
                           cx_error *err);

/* Runs every block not resumed, in file order, and records the results. */
int cx_replay_run(cx_engine *e, const cx_fixture *f, const replay_opts *o,
                  replay_out *r, cx_error *err);

#endif /* CX_CLI_REPLAY_H */
