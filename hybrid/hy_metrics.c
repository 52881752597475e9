/* Lock-free counters and histograms, Prometheus text helpers. */
#include "hy_metrics.h"

/* Upper bounds of the duration buckets, ns: 50us .. 5s, then +Inf. */
static const uint64_t cx_hist_bounds_ns[CX_HIST_BUCKETS - 1] = {
    50000ull,     100000ull,    250000ull,     500000ull,
    1000000ull,   2500000ull,   10000000ull,   50000000ull,
    250000000ull, 1000000000ull, 5000000000ull};

const char *const cx_task_kind_names[CX_TASK_KINDS] = {"sha256", "verify"};
const char *const cx_route_names[CX_ROUTES] = {
    "cpu_strategy", "cpu_small", "cpu_no_device", "device", "balance"};
const char *const cx_fallback_names[CX_FALLBACK_CAUSES] = {
    "error", "timeout", "mismatch", "unavailable"};

void cx_metric_add(atomic_ullong *c, uint64_t v) {
  atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

uint64_t cx_metric_get(const atomic_ullong *c) {
  return atomic_load_explicit((atomic_ullong *)c, memory_order_relaxed);
}

void cx_hist_observe(cx_hist *h, uint64_t ns) {
  unsigned i = 0;
  while (i < CX_HIST_BUCKETS - 1 && ns > cx_hist_bounds_ns[i])
    i++;
  cx_metric_add(&h->bucket[i], 1);
  cx_metric_add(&h->count, 1);
  cx_metric_add(&h->sum_ns, ns);
}

void cx_metrics_header(FILE *f, const char *name, const char *type,
                       const char *help) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void cx_hist_write(FILE *f, const char *name, const char *labels,
                   const cx_hist *h) {
  uint64_t cum = 0;
  for (unsigned i = 0; i < CX_HIST_BUCKETS; i++) {
    cum += cx_metric_get(&h->bucket[i]);
    if (i < CX_HIST_BUCKETS - 1)
      fprintf(f, "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels,
              (double)cx_hist_bounds_ns[i] / 1e9, (unsigned long long)cum);
    else
      fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels,
              (unsigned long long)cum);
  }
  fprintf(f, "%s_sum{%s} %.9f\n", name, labels,
          (double)cx_metric_get(&h->sum_ns) / 1e9);
  fprintf(f, "%s_count{%s} %llu\n", name, labels,
          (unsigned long long)cx_metric_get(&h->count));
}
