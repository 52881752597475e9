/* Scheduler statistics and their Prometheus text exposition. */
#include <stdio.h>

#include "hy_attempt.h"
#include "hy_sched.h"
#include "hy_sim.h"

void cx_sched_stats_get(const cx_sched *s, cx_sched_stats *out) {
  *out = (cx_sched_stats){0};
  if (!s)
    return;
  for (int k = 0; k < CX_TASK_KINDS; k++) {
    out->items_cpu += cx_metric_get(&s->cpu->m.items[k]);
    for (int c = 0; c < CX_FALLBACK_CAUSES; c++)
      out->fallbacks[c] += cx_metric_get(&s->m.fallbacks[k][c]);
    out->crosscheck_samples += cx_metric_get(&s->m.crosscheck_samples[k]);
  }
  out->device_backends = s->ndev;
  for (unsigned i = 0; i < s->ndev; i++) {
    const cx_backend *b = s->dev[i];
    const cx_backend_metrics *m = &b->m;
    for (int k = 0; k < CX_TASK_KINDS; k++) {
      out->items_device += cx_metric_get(&m->items[k]);
      out->device_batches += cx_metric_get(&m->batches[k]);
    }
    out->device_ok += cx_metric_get(&m->ok);
    out->device_errors += cx_metric_get(&m->errors);
    out->device_timeouts += cx_metric_get(&m->timeouts);
    out->device_mismatches += cx_metric_get(&m->mismatches);
    out->retries += cx_metric_get(&m->retries);
    out->late_dropped += cx_metric_get(&m->late_dropped);
    out->device_busy_ns += cx_metric_get(&m->busy_ns);
    out->device_kernel_ns += cx_metric_get(&m->kernel_ns);
    out->breaker_opens += cx_metric_get(&b->health.opens);
    out->backends_open +=
        cx_breaker_state_now(&b->health) == CX_BREAKER_OPEN;
    out->backends_trusted += cx_breaker_trusted(&b->health);
    uint64_t inj[3];
    cx_sim_injected(b, inj);
    out->sim_injected_fail += inj[0];
    out->sim_injected_wrong += inj[1];
    out->sim_injected_hang += inj[2];
  }
  out->verify_threshold = cx_tuner_threshold(&s->tuner, CX_TASK_VERIFY);
  out->sha_threshold = cx_tuner_threshold(&s->tuner, CX_TASK_SHA256);
}

#define CX_M "chainexec_sched_"

static void cx_sched_write_backend(const cx_sched *s, const cx_backend *b,
                                   FILE *f, int part) {
  const cx_backend_metrics *m = &b->m;
  char labels[96];
  for (int k = 0; k < CX_TASK_KINDS; k++) {
    snprintf(labels, sizeof labels, "backend=\"%s\",kind=\"%s\"", b->name,
             cx_task_kind_names[k]);
    if (part == 0)
      cx_hist_write(f, CX_M "batch_duration_seconds", labels,
                    &m->batch_ns[k]);
    else if (part == 1)
      fprintf(f, CX_M "items_total{%s} %llu\n", labels,
              (unsigned long long)cx_metric_get(&m->items[k]));
    else if (part == 2 && b != s->cpu)
      fprintf(f, CX_M "batch_size{%s} %zu\n", labels,
              cx_tuner_batch(b, (cx_task_kind)k));
  }
}

/* A counter per kind x label value; vals is a [CX_TASK_KINDS][count]
 * array. */
static void cx_sched_write_matrix(FILE *f, const char *name, const char *help,
                                  const char *label,
                                  const char *const *values, int count,
                                  const atomic_ullong *vals) {
  char full[96];
  snprintf(full, sizeof full, CX_M "%s", name);
  cx_metrics_header(f, full, "counter", help);
  for (int k = 0; k < CX_TASK_KINDS; k++)
    for (int i = 0; i < count; i++)
      fprintf(f, "%s{kind=\"%s\",%s=\"%s\"} %llu\n", full,
              cx_task_kind_names[k], label, values[i],
              (unsigned long long)cx_metric_get(&vals[k * count + i]));
}

int cx_sched_metrics_write(const cx_sched *s, FILE *f) {
  if (!s || !f)
    return CX_EINVAL;
  static const struct {
    const char *name, *type, *help;
  } parts[3] = {
      {CX_M "batch_duration_seconds", "histogram",
       "Wall time of batches per backend and kind (device: submit to "
       "result)"},
      {CX_M "items_total", "counter",
       "Items whose result came from the backend"},
      {CX_M "batch_size", "gauge", "Current tuned device batch size"},
  };
  for (int p = 0; p < 3; p++) {
    cx_metrics_header(f, parts[p].name, parts[p].type, parts[p].help);
    cx_sched_write_backend(s, s->cpu, f, p);
    for (unsigned i = 0; i < s->ndev; i++)
      cx_sched_write_backend(s, s->dev[i], f, p);
  }
  cx_sched_write_matrix(f, "routes_total",
                        "Routing decisions of whole requests", "route",
                        cx_route_names, CX_ROUTES, &s->m.routes[0][0]);
  cx_sched_write_matrix(f, "fallbacks_total",
                        "Device batches computed on the CPU instead, by cause",
                        "cause", cx_fallback_names, CX_FALLBACK_CAUSES,
                        &s->m.fallbacks[0][0]);
  cx_metrics_header(f, CX_M "crosscheck_samples_total", "counter",
                    "Device results recomputed on the CPU");
  cx_metrics_header(f, CX_M "crosscheck_mismatches_total", "counter",
                    "Device batches discarded by the cross-check");
  for (int k = 0; k < CX_TASK_KINDS; k++) {
    fprintf(f, CX_M "crosscheck_samples_total{kind=\"%s\"} %llu\n",
            cx_task_kind_names[k],
            (unsigned long long)cx_metric_get(&s->m.crosscheck_samples[k]));
    fprintf(f, CX_M "crosscheck_mismatches_total{kind=\"%s\"} %llu\n",
            cx_task_kind_names[k],
            (unsigned long long)cx_metric_get(
                &s->m.crosscheck_mismatches[k]));
  }
  cx_metrics_header(f, CX_M "threshold_items", "gauge",
                    "Current AUTO threshold (device at/above) per kind");
  for (int k = 0; k < CX_TASK_KINDS; k++)
    fprintf(f, CX_M "threshold_items{kind=\"%s\"} %zu\n",
            cx_task_kind_names[k],
            cx_tuner_threshold(&s->tuner, (cx_task_kind)k));
  static const struct {
    const char *name, *help;
  } dev_counters[] = {
      {"device_errors_total", "Device attempts that reported an error"},
      {"device_timeouts_total", "Device attempts abandoned at the deadline"},
      {"device_mismatches_total", "Device attempts failing the cross-check"},
      {"device_retries_total", "Resubmissions after an error or timeout"},
      {"device_late_results_total", "Results dropped after abandonment"},
      {"device_bytes_total", "Bytes copied to and from the device"},
      {"breaker_opens_total", "Times the circuit breaker opened"},
  };
  uint64_t now = cx_now_ns();
  double elapsed = (double)(now - s->created_ns);
  for (unsigned c = 0; c < sizeof dev_counters / sizeof *dev_counters; c++) {
    char name[96];
    snprintf(name, sizeof name, CX_M "%s", dev_counters[c].name);
    cx_metrics_header(f, name, "counter", dev_counters[c].help);
    for (unsigned i = 0; i < s->ndev; i++) {
      const cx_backend *b = s->dev[i];
      const atomic_ullong *v[] = {&b->m.errors,       &b->m.timeouts,
                                  &b->m.mismatches,   &b->m.retries,
                                  &b->m.late_dropped, &b->m.bytes_moved,
                                  &b->health.opens};
      fprintf(f, "%s{backend=\"%s\"} %llu\n", name, b->name,
              (unsigned long long)cx_metric_get(v[c]));
    }
  }
  cx_metrics_header(f, CX_M "breaker_state", "gauge",
                    "Circuit breaker: 0 closed, 1 open, 2 half-open");
  for (unsigned i = 0; i < s->ndev; i++)
    fprintf(f, CX_M "breaker_state{backend=\"%s\"} %d\n", s->dev[i]->name,
            (int)cx_breaker_state_now(&s->dev[i]->health));
  cx_metrics_header(f, CX_M "backend_trusted", "gauge",
                    "1 when results are sampled, 0 when fully rechecked");
  for (unsigned i = 0; i < s->ndev; i++)
    fprintf(f, CX_M "backend_trusted{backend=\"%s\"} %d\n", s->dev[i]->name,
            cx_breaker_trusted(&s->dev[i]->health) ? 1 : 0);
  cx_metrics_header(f, CX_M "device_busy_fraction", "gauge",
                    "Fraction of time since start the device spent on "
                    "batches");
  for (unsigned i = 0; i < s->ndev; i++)
    fprintf(f, CX_M "device_busy_fraction{backend=\"%s\"} %.6f\n",
            s->dev[i]->name,
            elapsed > 0 ? (double)cx_metric_get(&s->dev[i]->m.busy_ns) /
                              elapsed
                        : 0.0);
  cx_metrics_header(f, CX_M "device_kernel_seconds_total", "counter",
                    "Device compute time of batches taken or not (CUDA "
                    "kernel events; the whole call for sim)");
  for (unsigned i = 0; i < s->ndev; i++)
    fprintf(f, CX_M "device_kernel_seconds_total{backend=\"%s\"} %.9f\n",
            s->dev[i]->name,
            (double)cx_metric_get(&s->dev[i]->m.kernel_ns) / 1e9);
  return ferror(f) ? CX_EIO : CX_OK;
}
