/* `chainexec bench hybrid`: the CPU worker pool and the hybrid scheduler.
 *
 * Measures, on signatures made by the test signer (all valid):
 *  - baselines: a plain libsecp256k1 loop (parse key, parse signature,
 *    secp256k1_ecdsa_verify) on one thread, and the same loop split over
 *    two plain pthreads;
 *  - cx_sched_verify with strategy cpu on pools of 1 and 2 threads, as
 *    signatures per second, as a fraction of threads x the one-thread
 *    plain loop (the target is >= 0.95), and against the plain loops at
 *    the same thread count (meaningful where the cores are shared);
 *  - a chunk-size sweep of the pool's parallel-for (2 threads);
 *  - a sim crossover sweep: wall time of one verify batch on the pool
 *    against the `sim` device (2 host threads running the gpu/ host math,
 *    trusted, so only the 2% sample is rechecked) for several device
 *    latencies (delay_us) and batch sizes, and the smallest batch at which
 *    the device wins: the measured basis of the AUTO threshold.
 * Verdicts are checked (all must be valid); a wrong one fails the run.
 * Throughputs are the best of 2 rounds (1 with --quick), baselines and
 * scheduler alternating; crossover points average one round of batches.
 */
#ifndef CX_BENCH_HYBRID_H
#define CX_BENCH_HYBRID_H

/* argv[0] is "hybrid"; flags: --json (one JSON document on stdout instead
 * of the tables), --quick (small counts, for CI smoke runs), --help.
 * Returns 0 on success, 1 on a failure (one line on stderr), 2 on a usage
 * error. */
int cx_bench_hybrid(int argc, char **argv);

#endif /* CX_BENCH_HYBRID_H */
