/* Fixture generator: signed blocks for `chainexec gen`, `bench tps` and
 * the tests (signing/fixture_gen.c).
 *
 * It holds private keys (through the test signer), so it lives in the
 * cx_fixture_gen library beside cx_signer, never in libchainexec.so:
 * the shipped library holds no signing code. It uses the engine only to
 * compute `expect`.
 */
#ifndef CX_FIXTURE_GEN_H
#define CX_FIXTURE_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "fixture.h"

typedef enum cx_fixture_mix {
  CX_FIXTURE_MIX_TRANSFER = 0, /* one TRANSFER per transaction */
  CX_FIXTURE_MIX_MIXED = 1     /* every op kind, APPEND chains, conflicts */
} cx_fixture_mix;

typedef struct cx_fixture_gen_params {
  uint64_t accounts;   /* >= 1 funded accounts (each also a signer) */
  uint64_t blocks;     /* number of blocks */
  uint64_t txs;        /* transactions per block */
  cx_fixture_mix mix;
  double bad_rate;     /* 0..1: share of bad signatures, nonces, bytes */
  uint64_t seed;       /* same parameters and seed: same bytes */
  unsigned threads;    /* signing threads; 0 = 1 */
  /* Run the blocks through an engine (strategy cpu, 1 thread: the
   * sequential path) and store the results as `expect`. The blocks are the
   * same either way: the generator models the state itself to keep sender
   * nonces valid after failing transactions. */
  bool compute_expect;
} cx_fixture_gen_params;

/* Generates a signed fixture. Deterministic in (params, seed) whatever
 * the thread count. Returns CX_OK with *out set, CX_EINVAL on bad
 * parameters, CX_ENOMEM, or an engine error when computing expect. */
int cx_fixture_generate(const cx_fixture_gen_params *p, cx_fixture **out,
                        cx_error *err);

#endif /* CX_FIXTURE_GEN_H */
