/* Internals of `chainexec bench tps`: one grid cell's measurements.
 *
 * A cell is (accounts, txs per block, blocks). Its blocks are generated
 * once, then run three ways in the same invocation:
 *   - the engine as configured (threads, strategy, GPU, pipelined blocks);
 *   - the sequential reference: one thread, CPU only, no pipelining;
 *   - the baseline: a plain libsecp256k1 verify loop over the same
 *     signatures on the same number of threads (nothing but verification).
 * Both engine runs must end in the same state root, or the cell fails.
 * With --preverify a fourth measurement follows (tps_cell_preverify).
 * tps figures count transactions from wire bytes to durable commit.
 */
#ifndef CX_BENCH_TPS_H
#define CX_BENCH_TPS_H

#include <stdbool.h>
#include <stdint.h>

#include "chainexec.h"

/* Median and range of one figure over the blocks of a cell. */
typedef struct tps_spread {
  double median, min, max;
} tps_spread;

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
  /* --preverify (tps_cell_preverify): per block, interleaved, on fresh
   * engines: execute_block latency of a block not pre-verified and of the
   * same block after its transactions were submitted and waited for; the
   * rate of that pre-verification (submit to wait, decode and hash
   * included) and of a CPU-only pool verify of the same signatures. */
  bool preverify;
  tps_spread block_latency, preverified_latency, preverify_rate,
      pool_verify_rate;
  uint64_t pre_hits;          /* cache hits of the pre-verified blocks */
  size_t sigcache_limit;      /* cfg.sigcache_bytes */
  cx_preverify_stats pre_stats; /* of the pre-verified engine, at the end */
} tps_cell;

/* Generates the cell's blocks and runs the three measurements. Returns
 * CX_OK, or an error (engine failure, diverging roots) with err set. */
int tps_cell_run(tps_cell *c, cx_error *err);

struct cx_fixture;
/* The --preverify measurements over f's blocks (called by tps_cell_run
 * when c->preverify). CX_EMISMATCH when the two runs differ. */
int tps_cell_preverify(tps_cell *c, const struct cx_fixture *f,
                       cx_error *err);

#endif /* CX_BENCH_TPS_H */
