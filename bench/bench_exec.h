/* `chainexec bench exec`: the execution stage alone (issue 6), the
 * Block-STM paper's grid.
 *
 * Peer-to-peer transfers between A random accounts (A in 2, 10, 100, 1000,
 * 10000), blocks of T transactions (T in 1000, 10000), transactions
 * pre-decoded, signatures taken as verified, base state in memory. For each
 * point, in the same run and on the same block: the sequential executor
 * (the baseline), the executor as the engine uses it with N threads (the
 * automatic choice of path), and Block-STM forced on, run round-robin so
 * that a noisy machine slows all three alike. Each figure is the median of
 * 10 timed runs after 2 warm-ups (the automatic executor gets 6 more: the
 * blocks its path choice spends timing both paths before it settles, as
 * it does in a node); every run's statuses and write set are checked
 * against the sequential run's (a mismatch fails). Round-robin runs find
 * the caches full of another executor's data; --warm precedes each timed
 * run with an untimed one of the same executor, as blocks on one path
 * back to back would. Both orders are worth reporting: Block-STM's larger
 * footprint suffers more from the first.
 */
#ifndef CX_BENCH_EXEC_H
#define CX_BENCH_EXEC_H

/* argv[0] is "exec"; flags: --accounts A and --txs T (one grid point
 * instead of the grid), --threads N (default 2), --warm (see above),
 * --base memory|lmdb (the base state in memory, the setting, or in
 * an LMDB store read through a snapshot as the engine reads it: base reads
 * then cost what they cost in a node, and Block-STM spreads them),
 * --json (one JSON document
 * {"runs": [{"accounts", "txs", "threads", "sequential_tps",
 * "parallel_tps", "reexecutions", ...}]}), --quick (a tiny grid for a
 * smoke run), --help. Returns 0, 1 on a failure (one line on stderr), 2 on
 * a usage error. */
int cx_bench_exec(int argc, char **argv);

#endif /* CX_BENCH_EXEC_H */
