/* `chainexec bench crypto`: SHA-256 batch, Merkle and verify throughput,
 * each against a plain-library baseline measured in the same run.
 *
 * Measures, single-threaded:
 *  - batch SHA-256 of 128-byte messages (cx_sha256_batch_fixed and the
 *    pointer form) against a loop of OpenSSL SHA256();
 *  - the Merkle root of 2^20 32-byte leaves against the batch API on 2^20
 *    128-byte messages (both 3 * 2^20 compressions);
 *  - cx_verify against a plain libsecp256k1 loop over the same 33-byte keys
 *    and 64-byte signatures (parse key, parse signature, verify), and,
 *    for reference, a loop of secp256k1_ecdsa_verify on pre-parsed inputs.
 * Baseline and candidates alternate chunk by chunk (1024 messages, 16
 * signatures) in a rotating order, each chunk timed as its best over the
 * rounds and the bests summed, so a noisy neighbour on a shared machine
 * hurts all alike and a preemption is replaced by another round's time.
 * The Merkle root and the batch it is compared with alternate as whole
 * runs, best of the rounds. Outputs are checked against the
 * baselines' (digests, verdicts); a mismatch fails the run.
 */
#ifndef CX_BENCH_CRYPTO_H
#define CX_BENCH_CRYPTO_H

/* argv[0] is "crypto"; flags: --json (one JSON document on stdout instead
 * of the table), --quick (small counts, for CI smoke runs), --help.
 * Returns 0 on success, 1 on a failure (one line on stderr: allocation,
 * or a result that differs from its baseline), 2 on a usage error. */
int cx_bench_crypto(int argc, char **argv);

#endif /* CX_BENCH_CRYPTO_H */
