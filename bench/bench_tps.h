/* Internals of `chainexec bench tps`: one grid cell's measurements.
 *
 * A cell is (accounts, txs per block, blocks). Its blocks are generated
 * once, then run three ways in the same invocation:
 *   - the engine as configured (threads, strategy, GPU, pipelined blocks);
 *   - the sequential reference: one thread, CPU only, no pipelining;
 *   - the baseline: a plain libsecp256k1 verify loop over the same
 *     signatures on the same number of threads (nothing but verification).
 * Both engine runs must end in the same state root, or the cell fails.
 * tps figures count transactions from wire bytes to durable commit.
 */
#ifndef CX_BENCH_TPS_H
#define CX_BENCH_TPS_H

#include <stdbool.h>
#include <stdint.h>

#include "chainexec.h"

typedef struct tps_cell {
  /* inputs */
  uint64_t accounts, txs, blocks, seed;
  uint64_t warmup;   /* blocks run first by both engine runs, untimed */
  unsigned threads;  /* resolved, >= 1 */
  cx_config cfg;     /* the engine run's configuration */
  /* results */
  double tps, sequential_tps, baseline_verify_per_s;
  double wall_s, sequential_wall_s, baseline_s, gen_s;
  uint64_t committed, total_txs;
  cx_block_counters sum; /* stage times and counters summed over blocks */
  uint64_t parallel_blocks;
} tps_cell;

/* Generates the cell's blocks and runs the three measurements. Returns
 * CX_OK, or an error (engine failure, diverging roots) with err set. */
int tps_cell_run(tps_cell *c, cx_error *err);

#endif /* CX_BENCH_TPS_H */
