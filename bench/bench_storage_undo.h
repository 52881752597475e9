/* Part of `chainexec bench storage` (bench_storage.c): the cost of store
 * schema 3 (record checksums and undo data) and of reverts.
 *
 * Schema 2 vs 3: a block updating all K accounts (as the main commit
 * measurement) committed by the store (schema 3, undo_retention 4) and
 * by a plain-LMDB emulation of the schema-2 commit in the same run: the
 * same five tables, the same sorted cursor puts of unsealed values, block
 * row and statuses appended, three meta puts, one fsync'ed commit. Rounds
 * alternate which goes first; median, min and max per block of each.
 *
 * Reverts: 10,000 accounts, blocks of ~20,000 writes (every account and
 * 10,000 kv keys, half of them new), undo_retention R (64; 16 with
 * --quick), sync commits. R + R/2 blocks are committed (the last R/2
 * prune one undo row each: commit cost before and with pruning; the same
 * blocks also go, interleaved, to a schema-2 emulation), then
 * for each depth d (1, 8, 64; 1, 4, 16 quick): a revert of d blocks
 * (time per reverted block against the median time to commit one), the d
 * blocks committed again one by one (more commit samples), and a reorg of
 * depth d to the same blocks in one call (revert and commit, per block).
 */
#ifndef CX_BENCH_STORAGE_UNDO_H
#define CX_BENCH_STORAGE_UNDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CX_BENCH_UNDO_DEPTHS 3

typedef struct cx_bench_stat {
  double med, min, max; /* seconds */
} cx_bench_stat;

typedef struct cx_bench_undo_results {
  size_t keys;   /* accounts per block, schema comparison */
  int rounds;
  cx_bench_stat s3, s2; /* per block, undo window full */
  unsigned undo_window;  /* undo_retention of the schema-3 store */
  double s3_fill, s2_fill; /* medians while the undo window fills */
  size_t rv_accounts, rv_writes;
  unsigned retention;
  cx_bench_stat commit;        /* per block, all samples */
  double commit_before_prune;  /* median, first R/2 blocks */
  double commit_with_prune;    /* median, blocks R+1.. (one prune each) */
  double commit_schema2;       /* median, the same blocks, schema 2 */
  unsigned depth[CX_BENCH_UNDO_DEPTHS];
  double revert_per_block[CX_BENCH_UNDO_DEPTHS];
  double reorg_per_block[CX_BENCH_UNDO_DEPTHS];
} cx_bench_undo_results;

/* Runs both measurements in directories under root. 0, or 1 with one
 * line on stderr. */
int cx_bench_undo_run(const char *root, size_t keys, bool quick,
                      cx_bench_undo_results *r);

/* The JSON members "schema2": {...}, "revert": {...} followed by ", ". */
void cx_bench_undo_json(const cx_bench_undo_results *r, FILE *f);

/* The table rows. */
void cx_bench_undo_table(const cx_bench_undo_results *r, FILE *f);

#endif /* CX_BENCH_STORAGE_UNDO_H */
