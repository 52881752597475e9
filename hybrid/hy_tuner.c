/* Adaptive thresholds and batch sizes from measured per-item costs. */
#include "hy_tuner.h"

/* Starting AUTO thresholds when none is configured: a device batch must
 * hide its launch latency (tens of microseconds) behind saved CPU work. */
static const size_t cx_tune_default_threshold[CX_TASK_KINDS] = {
    [CX_TASK_SHA256] = 4096, [CX_TASK_VERIFY] = 256};

static double cx_ema(double old, double sample) {
  return old + CX_TUNE_ALPHA * (sample - old);
}

static size_t cx_clamp(double v, size_t lo, size_t hi) {
  if (!(v >= (double)lo))
    return lo;
  if (v >= (double)hi)
    return hi;
  return (size_t)v;
}

/* The smallest batch the tuner picks: CX_TUNE_MIN_BATCH, or less for a
 * backend whose maximum is smaller. */
static size_t cx_tune_min_batch(const cx_backend *b) {
  return b->caps.max_batch < CX_TUNE_MIN_BATCH ? b->caps.max_batch
                                                : CX_TUNE_MIN_BATCH;
}

void cx_tuner_init(cx_tuner *t, const size_t thresholds[CX_TASK_KINDS],
                   const cx_backend_caps *cpu_caps,
                   uint64_t latency_target_ns) {
  pthread_mutex_init(&t->mu, NULL);
  t->latency_target_ns = latency_target_ns;
  for (int k = 0; k < CX_TASK_KINDS; k++) {
    t->cpu_item_ns[k] = cpu_caps->item_ns[k];
    t->fixed[k] = thresholds[k] != 0;
    t->threshold[k] = t->fixed[k] ? thresholds[k]
                                  : cx_tune_default_threshold[k];
    atomic_init(&t->threshold_pub[k], t->threshold[k]);
  }
}

void cx_tuner_destroy(cx_tuner *t) { pthread_mutex_destroy(&t->mu); }

void cx_tuner_backend_init(cx_backend *b) {
  b->ops->caps(b, &b->caps);
  if (b->caps.max_batch == 0)
    b->caps.max_batch = 1;
  for (int k = 0; k < CX_TASK_KINDS; k++) {
    cx_backend_tune *u = &b->tune[k];
    u->item_ns = b->caps.item_ns[k] > 0 ? b->caps.item_ns[k] : 1.0;
    u->latency_ns = b->caps.latency_ns > 0 ? b->caps.latency_ns : 1.0;
    u->items_per_s = 0;
    u->batch = cx_clamp((double)b->caps.preferred_batch,
                        cx_tune_min_batch(b), b->caps.max_batch);
    atomic_init(&u->batch_pub, u->batch);
  }
}

void cx_tuner_cpu(cx_tuner *t, cx_task_kind k, size_t n, uint64_t wall_ns) {
  if (n == 0)
    return;
  double per = (double)wall_ns / (double)n;
  pthread_mutex_lock(&t->mu);
  t->cpu_item_ns[k] = cx_ema(t->cpu_item_ns[k], per > 0.1 ? per : 0.1);
  pthread_mutex_unlock(&t->mu);
}

void cx_tuner_device(cx_tuner *t, cx_backend *b, cx_task_kind k, size_t n,
                     uint64_t wall_ns, uint64_t compute_ns) {
  if (n == 0)
    return;
  if (compute_ns == 0 || compute_ns > wall_ns)
    compute_ns = wall_ns;
  pthread_mutex_lock(&t->mu);
  cx_backend_tune *u = &b->tune[k];
  double item = (double)compute_ns / (double)n;
  u->item_ns = cx_ema(u->item_ns, item > 0.01 ? item : 0.01);
  u->latency_ns = cx_ema(u->latency_ns, (double)(wall_ns - compute_ns) + 1.0);
  /* Batch size: only a full batch says something about the size. */
  if (n >= u->batch) {
    double ips = (double)n * 1e9 / (double)(wall_ns ? wall_ns : 1);
    if (wall_ns > t->latency_target_ns)
      u->batch = cx_clamp((double)u->batch * 0.8, cx_tune_min_batch(b),
                          b->caps.max_batch);
    else if (ips > u->items_per_s)
      u->batch = cx_clamp((double)u->batch * 1.2 + 1, cx_tune_min_batch(b),
                          b->caps.max_batch);
    u->items_per_s = u->items_per_s == 0 ? ips : cx_ema(u->items_per_s, ips);
    atomic_store(&u->batch_pub, u->batch);
  }
  /* AUTO threshold: the batch size where the device's latency is paid
   * back by its per-item saving over the pool. */
  if (!t->fixed[k]) {
    double saving = t->cpu_item_ns[k] - u->item_ns;
    double target = saving > 0 ? u->latency_ns / saving
                               : (double)CX_TUNE_MAX_THRESHOLD;
    double cur = (double)t->threshold[k];
    if (target > cur * 1.2)
      target = cur * 1.2 + 1;
    if (target < cur * 0.8)
      target = cur * 0.8;
    t->threshold[k] = cx_clamp(target, CX_TUNE_MIN_THRESHOLD,
                               CX_TUNE_MAX_THRESHOLD);
    atomic_store(&t->threshold_pub[k], t->threshold[k]);
  }
  pthread_mutex_unlock(&t->mu);
}

size_t cx_tuner_threshold(const cx_tuner *t, cx_task_kind k) {
  return atomic_load(&((cx_tuner *)t)->threshold_pub[k]);
}

size_t cx_tuner_batch(const cx_backend *b, cx_task_kind k) {
  return atomic_load(&((cx_backend *)b)->tune[k].batch_pub);
}

double cx_tuner_cpu_rate(cx_tuner *t, cx_task_kind k) {
  pthread_mutex_lock(&t->mu);
  double r = 1e9 / t->cpu_item_ns[k];
  pthread_mutex_unlock(&t->mu);
  return r;
}

double cx_tuner_device_rate(cx_tuner *t, const cx_backend *b,
                            cx_task_kind k, size_t n) {
  pthread_mutex_lock(&t->mu);
  const cx_backend_tune *u = &b->tune[k];
  double per = u->item_ns + u->latency_ns / (double)(n ? n : 1);
  pthread_mutex_unlock(&t->mu);
  return 1e9 / per;
}
