/* Measured choice of path; see pathchoice.h. */
#include "pathchoice.h"

#include "mvcc.h"

/* Size (below or above 4096 txs: fixed costs weigh on small blocks) times
 * four contention bands. */
static unsigned path_class(size_t n, unsigned pct) {
  unsigned band = pct <= 2 ? 0 : pct <= 8 ? 1 : pct <= 20 ? 2 : 3;
  return (n >= 4096 ? 4u : 0u) + band;
}

static double median_of(const double *ring, unsigned count) {
  double v[CX_PATH_SAMPLES];
  unsigned n = count < CX_PATH_SAMPLES ? count : CX_PATH_SAMPLES;
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

int cx_path_pick(cx_path_stats *s, size_t n, unsigned pct) {
  unsigned c = path_class(n, pct);
  const unsigned *cnt = s->count[c];
  if (cnt[CX_EXEC_PARALLEL] < CX_PATH_WARMUP ||
      cnt[CX_EXEC_SEQUENTIAL] < CX_PATH_WARMUP) /* alternate, parallel first */
    return cnt[CX_EXEC_PARALLEL] <= cnt[CX_EXEC_SEQUENTIAL]
               ? CX_EXEC_PARALLEL
               : CX_EXEC_SEQUENTIAL;
  double par = median_of(s->ring[c][CX_EXEC_PARALLEL], cnt[CX_EXEC_PARALLEL]);
  double seq =
      median_of(s->ring[c][CX_EXEC_SEQUENTIAL], cnt[CX_EXEC_SEQUENTIAL]);
  int best = par < seq ? CX_EXEC_PARALLEL : CX_EXEC_SEQUENTIAL;
  if (s->interval[c] == 0) {
    s->interval[c] = CX_PATH_EXPLORE_MIN;
    s->best[c] = best;
  }
  if (best != s->best[c]) { /* the medians crossed: watch closely again */
    s->best[c] = best;
    s->interval[c] = CX_PATH_EXPLORE_MIN;
    s->since[c] = 0;
  }
  if (++s->since[c] < s->interval[c])
    return best;
  s->since[c] = 0;
  if (s->interval[c] < CX_PATH_EXPLORE_MAX)
    s->interval[c] *= 2;
  return 1 - best;
}

void cx_path_record(cx_path_stats *s, size_t n, unsigned pct, int path,
                    double seconds) {
  if (n == 0 || seconds <= 0)
    return;
  unsigned c = path_class(n, pct);
  unsigned *cnt = &s->count[c][path];
  s->ring[c][path][*cnt % CX_PATH_SAMPLES] = seconds * 1e9 / (double)n;
  if (*cnt < 1000000u) /* keeps the ring index meaningful, never wraps */
    (*cnt)++;
}
