/* Benchmark entry points of `chainexec bench <name>`.
 *
 * Each benchmark lives in bench/bench_<name>.c and is called with argv[0]
 * set to its name and the remaining command-line arguments after it. It
 * prints a human table on stdout, or one JSON document with --json, always
 * measuring a baseline in the same run. Returns the process exit status:
 * 0 success, 1 failure (one line on stderr), 2 usage error.
 * Threading: call from one thread at a time (they print to stdout); each
 * benchmark creates and joins its own threads and engines.
 */
#ifndef CX_BENCH_H
#define CX_BENCH_H

/* SHA-256 batch, Merkle and verify against plain loops (bench_crypto.c). */
int cx_bench_crypto(int argc, char **argv);
/* LMDB block commits (bench_storage.c). */
int cx_bench_storage(int argc, char **argv);
/* Parallel execution against the sequential executor (bench_exec.c). */
int cx_bench_exec(int argc, char **argv);
/* The hybrid scheduler and its routing (bench_hybrid.c). */
int cx_bench_hybrid(int argc, char **argv);
/* CUDA kernels, or the sim device (bench_gpu.c). */
int cx_bench_gpu(int argc, char **argv);

/* Blocks on branches: execute_on below the head and reorgs, against the
 * linear path (bench_forks.c). */
int cx_bench_forks(int argc, char **argv);

/* End-to-end TPS (issue 9): generated signed transfers, wire bytes to
 * durable commit, against a sequential run and a plain verify loop. */
int cx_bench_tps(int argc, char **argv);

#endif /* CX_BENCH_H */
