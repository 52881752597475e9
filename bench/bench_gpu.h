/* `chainexec bench gpu`: the CUDA kernels, and the host build of their
 * arithmetic, each beside a CPU baseline measured in the same run.
 *
 * With a CUDA device: items/s of ECDSA verify, SHA-256 of 128-byte
 * messages and Merkle roots, kernel-only (CUDA events) and end-to-end
 * (copies included), for batch sizes 256 .. 2^20 (Merkle: 2^20 and 2^24
 * leaves), against crypto/ on one CPU thread (libsecp256k1, SHA-NI), and
 * the crossover batch size where the device passes the CPU.
 * Always (and alone when there is no device, which it says first): the
 * host-compiled CX_HD code (what the `sim` backend runs) against
 * libsecp256k1 and crypto/ on the same inputs. Every result is checked
 * against its baseline; a mismatch fails the run.
 */
#ifndef CX_BENCH_GPU_H
#define CX_BENCH_GPU_H

/* argv[0] is "gpu"; flags: --json (one JSON document on stdout), --quick
 * (small counts, for CI smoke runs), --help. Returns 0 on success, 1 on a
 * failure (one line on stderr), 2 on a usage error. */
int cx_bench_gpu(int argc, char **argv);

#endif /* CX_BENCH_GPU_H */
