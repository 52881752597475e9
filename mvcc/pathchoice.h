/* The automatic choice between the sequential and the parallel path for a
 * block where Block-STM could run (two or more threads, a block big
 * enough, contention under the limit of contention.h).
 *
 * Whether parallelism pays depends on what a transaction costs, which the
 * executor cannot know in advance: with an in-memory base state a transfer
 * runs in a few hundred nanoseconds and Block-STM's bookkeeping (versions,
 * read sets, validation, shared indices, cache lines moving between cores)
 * can cost more than a second core brings; with base reads from a
 * database it is the other way round. So the executor measures: per class
 * of block (size and contention) it keeps the time per transaction of the
 * last CX_PATH_SAMPLES blocks run on each path and compares their
 * medians (robust to a preempted run and to a lucky one alike). It first
 * alternates until each path has CX_PATH_WARMUP samples, then takes the
 * faster, re-trying the slower one now and then: after
 * CX_PATH_EXPLORE_MIN blocks of the class, an interval that doubles (up to
 * CX_PATH_EXPLORE_MAX) each time the re-try confirms the choice. The
 * choice never changes a result, only the time and the counters.
 *
 * Invariants: count[c][p] samples were recorded, the last
 * min(count, CX_PATH_SAMPLES) of them in ring[c][p] (slot count % SAMPLES
 * is the next to overwrite); since[c] counts the class's eligible blocks
 * since its last re-try; interval[c] is 0 (not started) or in [MIN, MAX];
 * best[c] is the path chosen at the last look. State of one executor; not
 * thread-safe (an executor runs one block at a time).
 */
#ifndef CX_MVCC_PATHCHOICE_H
#define CX_MVCC_PATHCHOICE_H

#include <stddef.h>

#define CX_PATH_CLASSES 8u
#define CX_PATH_SAMPLES 5u
#define CX_PATH_WARMUP 3u
#define CX_PATH_EXPLORE_MIN 16u
#define CX_PATH_EXPLORE_MAX 1024u

typedef struct cx_path_stats {
  double ring[CX_PATH_CLASSES][2][CX_PATH_SAMPLES]; /* ns per tx */
  unsigned count[CX_PATH_CLASSES][2];               /* [class][path] */
  unsigned since[CX_PATH_CLASSES], interval[CX_PATH_CLASSES];
  int best[CX_PATH_CLASSES];
} cx_path_stats;

/* The path (cx_exec_path) for an eligible block of n transactions whose
 * contention estimate is pct percent. */
int cx_path_pick(cx_path_stats *s, size_t n, unsigned pct);

/* Records that such a block took `seconds` on `path`. */
void cx_path_record(cx_path_stats *s, size_t n, unsigned pct, int path,
                    double seconds);

#endif /* CX_MVCC_PATHCHOICE_H */
