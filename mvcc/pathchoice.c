/* Measured choice of path; see pathchoice.h. */
#include "pathchoice.h"

#include <string.h>

#include "mvcc.h"

/* Size (below or above 4096 txs: fixed costs weigh on small blocks) times
 * four contention bands. */
static unsigned path_class(size_t n, unsigned pct) {
  unsigned band = pct <= 2 ? 0 : pct <= 8 ? 1 : pct <= 20 ? 2 : 3;
  return (n >= 4096 ? 4u : 0u) + band;
}

/* Median of the ring's n ratios (1 <= n <= CX_PATH_SAMPLES). */
static double median_ratio(const double *ring, unsigned n) {
  double v[CX_PATH_SAMPLES];
  for (unsigned i = 0; i < n; i++) { /* insertion sort of <= 5 values */
    unsigned j = i;
    while (j > 0 && v[j - 1] > ring[i]) {
      v[j] = v[j - 1];
      j--;
    }
    v[j] = ring[i];
  }
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void cx_path_init(cx_path_stats *s) {
  memset(s, 0, sizeof *s);
  for (unsigned c = 0; c < CX_PATH_CLASSES; c++)
    s->last_path[c] = s->warm_path[c] = -1;
}

int cx_path_pick(cx_path_stats *s, size_t n, unsigned pct) {
  unsigned c = path_class(n, pct);
  int last = s->last_path[c];
  if (last < 0)
    return CX_EXEC_PARALLEL;
  if (s->n_ratios[c] < CX_PATH_SAMPLES) /* alternate pairs of blocks */
    return s->run[c] < 2 ? last : 1 - last;
  int best = median_ratio(s->ratio[c], s->n_ratios[c]) < 1.0
                 ? CX_EXEC_PARALLEL
                 : CX_EXEC_SEQUENTIAL;
  if (s->interval[c] == 0) {
    s->interval[c] = CX_PATH_EXPLORE_MIN;
    s->best[c] = best;
  }
  if (best != s->best[c]) { /* the choice flipped: watch closely again */
    s->best[c] = best;
    s->interval[c] = CX_PATH_EXPLORE_MIN;
    s->since[c] = 0;
  }
  s->since[c]++;
  if (last != best && s->run[c] < 2)
    return last; /* the second block of a re-try */
  if (s->since[c] < s->interval[c])
    return best;
  s->since[c] = 0;
  if (s->interval[c] < CX_PATH_EXPLORE_MAX)
    s->interval[c] *= 2;
  return 1 - best;
}

void cx_path_record(cx_path_stats *s, size_t n, unsigned pct, int path,
                    double seconds) {
  if (n == 0 || !(seconds > 0) ||
      (path != CX_EXEC_SEQUENTIAL && path != CX_EXEC_PARALLEL))
    return;
  unsigned c = path_class(n, pct);
  int warm = s->last_path[c] == path;
  s->run[c] = warm ? 2u : 1u;
  s->last_path[c] = path;
  if (!warm)
    return;
  double ns = seconds * 1e9 / (double)n;
  if (s->warm_path[c] == 1 - path) {
    double par = path == CX_EXEC_PARALLEL ? ns : s->warm_ns[c];
    double seq = path == CX_EXEC_PARALLEL ? s->warm_ns[c] : ns;
    s->ratio[c][s->next[c]] = par / seq;
    s->next[c] = (s->next[c] + 1) % CX_PATH_SAMPLES;
    if (s->n_ratios[c] < CX_PATH_SAMPLES)
      s->n_ratios[c]++;
  }
  s->warm_path[c] = path;
  s->warm_ns[c] = ns;
}
