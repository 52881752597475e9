/* `chainexec bench storage`: durable block commit and snapshot point
 * reads of the state store, each against a plain LMDB loop measured in
 * the same run on the same disk.
 *
 * Commit: a genesis of K accounts (100k; 10k with --quick), then rounds of
 * one block that updates all K accounts, committed with
 * cx_store_commit_block in sync mode (fsync on commit). Baseline: a plain
 * LMDB environment holding the same K accounts, where one write
 * transaction does the same K sorted mdb_put calls and commits with fsync.
 * Rounds alternate baseline and store, so a noisy neighbour hurts both
 * alike; the best round of each is reported.
 * Reads: random point reads of existing accounts from one warm snapshot
 * (cx_snapshot_read), single thread, against mdb_get on a read
 * transaction of the baseline environment; then the same snapshot shared
 * by one thread per online CPU (at most 8); best of 3 alternating rounds.
 * After the rounds the stored values are checked against the last block;
 * a mismatch fails the run.
 * Then schema 3 against an emulated schema-2 commit, and reverts against
 * commits: see bench_storage_undo.h.
 */
#ifndef CX_BENCH_STORAGE_H
#define CX_BENCH_STORAGE_H

/* argv[0] is "storage"; flags: --json (one JSON document on stdout instead
 * of the table), --quick (small sizes, for CI smoke runs), --dir PATH
 * (where the two databases are created, default a fresh directory under
 * $TMPDIR; removed afterwards), --help.
 * JSON: {"commit": {"block_keys", "puts_per_s", "mode": "sync",
 * "ms_per_block", "baseline_puts_per_s", "baseline_ms_per_block", "ratio",
 * "rounds"}, "reads": {"count", "reads_per_s", "threads": 1,
 * "baseline_reads_per_s", "ratio", "mt_threads", "mt_reads_per_s"},
 * "schema2": {"block_keys", "rounds", "baseline", "ms_per_block" and
 * "schema2_ms_per_block" ({"median", "min", "max"}), "ratio" (of the
 * medians, schema 3 / schema 2), "undo_retention", "filling_ms_per_block",
 * "filling_schema2_ms_per_block", "filling_ratio"}, "revert": {"accounts",
 * "writes_per_block", "undo_retention", "commit_ms" ({"median", "min",
 * "max"}), "commit_ms_before_pruning", "commit_ms_with_pruning",
 * "schema2_commit_ms_same_blocks", "ratio_to_schema2",
 * "depths": [{"depth", "revert_ms_per_block", "ratio_to_commit",
 * "reorg_ms_per_block"}]}, "quick", "dir"}.
 * Returns 0 on success, 1 on a failure (one line on stderr), 2 on a usage
 * error. */
int cx_bench_storage(int argc, char **argv);

#endif /* CX_BENCH_STORAGE_H */
