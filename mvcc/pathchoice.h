/* The automatic choice between the sequential and the parallel path for a
 * block where Block-STM could run (two or more threads, a block big
 * enough, contention under the limit of contention.h).
 *
 * Whether parallelism pays depends on what a transaction costs, which the
 * executor cannot know in advance: with an in-memory base state a transfer
 * runs in a few hundred nanoseconds and Block-STM's bookkeeping (versions,
 * read sets, validation, shared indices, cache lines moving between cores)
 * can cost more than a second core brings; with base reads from a
 * database it is the other way round. So the executor measures, per class
 * of block (size and contention).
 *
 * It compares the paths only on blocks run close together, and only on
 * blocks that followed a block of the same path (a "warm" block: its own
 * previous block left its tables in the caches; a block after one of the
 * other path pays for reloading them, which a node that stays on one path
 * does not, and Block-STM pays more for it than sequential). Each time a
 * warm block follows a warm block of the other path, the pair gives a
 * ratio (parallel time per transaction over sequential), and the choice
 * follows the median of the last CX_PATH_SAMPLES ratios. A machine whose
 * speed drifts (a busy neighbour, another process's caches) slows both
 * members of a pair alike, where comparing each path's own recent times
 * would credit the drift to whichever path happened to run during it; and
 * a median is not moved by one preempted or lucky block.
 *
 * So paths run in pairs of blocks: the executor first alternates pairs for
 * CX_PATH_WARMUP_BLOCKS blocks (CX_PATH_SAMPLES ratios: the first pair
 * has nothing to be compared with), then takes the
 * faster path, re-trying the slower one for a pair of blocks now and then:
 * after CX_PATH_EXPLORE_MIN blocks of the class, an interval that doubles
 * (up to CX_PATH_EXPLORE_MAX) each time the re-try confirms the choice. A
 * re-try gives two ratios, with the warm blocks before and after it. The
 * choice never changes a result, only the time and the counters.
 *
 * Invariants (per class c): ratio[c] holds the last n_ratios[c] ratios
 * (at most CX_PATH_SAMPLES; slot next[c] is the next to overwrite);
 * last_path[c] is the path of the class's previous block (-1 before its
 * first) and run[c] how many blocks in a row ran it (1 or 2: 2 means "two
 * or more"); warm_path[c] and warm_ns[c] are the path and time per
 * transaction of the latest warm block (-1 before one); since[c] counts
 * the class's blocks since its last re-try; interval[c] is 0 (not
 * started) or in [MIN, MAX]; best[c] is the path chosen at the last look.
 * State of one executor; not thread-safe (an executor runs one block at a
 * time).
 */
#ifndef CX_MVCC_PATHCHOICE_H
#define CX_MVCC_PATHCHOICE_H

#include <stddef.h>

#define CX_PATH_CLASSES 8u
#define CX_PATH_SAMPLES 5u
#define CX_PATH_WARMUP_BLOCKS (2u * CX_PATH_SAMPLES + 2u)
#define CX_PATH_EXPLORE_MIN 16u
#define CX_PATH_EXPLORE_MAX 1024u

typedef struct cx_path_stats {
  double ratio[CX_PATH_CLASSES][CX_PATH_SAMPLES]; /* parallel / sequential */
  unsigned n_ratios[CX_PATH_CLASSES], next[CX_PATH_CLASSES];
  int last_path[CX_PATH_CLASSES];
  unsigned run[CX_PATH_CLASSES];
  int warm_path[CX_PATH_CLASSES];
  double warm_ns[CX_PATH_CLASSES];
  unsigned since[CX_PATH_CLASSES], interval[CX_PATH_CLASSES];
  int best[CX_PATH_CLASSES];
} cx_path_stats;

/* Empty statistics: nothing measured yet. */
void cx_path_init(cx_path_stats *s);

/* The path (cx_exec_path) for an eligible block of n transactions whose
 * contention estimate is pct percent. */
int cx_path_pick(cx_path_stats *s, size_t n, unsigned pct);

/* Records that such a block took `seconds` on `path`. */
void cx_path_record(cx_path_stats *s, size_t n, unsigned pct, int path,
                    double seconds);

#endif /* CX_MVCC_PATHCHOICE_H */
