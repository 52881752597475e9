/* The sim backend: host-thread device with seeded fault injection.
 *
 * Invariants: `rng` and `submitted` change only under `mu`, in submission
 * order; the fault of an attempt is fixed at submit (attempt->tag). A hang
 * is counted in `injected` when drawn (it always ends in a timeout); a
 * failure or a wrong result when the scheduler takes it (one that comes
 * after the deadline is a timeout instead), so the scheduler's error and
 * mismatch counts equal them exactly.
 */
#include "hy_sim.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hy_devmath.h"
#include "hy_hostdev.h"

enum { CX_SIM_OK, CX_SIM_FAIL, CX_SIM_WRONG, CX_SIM_HANG };

typedef struct cx_sim {
  cx_backend base; /* first: the backend is the sim */
  cx_sim_spec spec;
  cx_hostdev *dev;
  pthread_mutex_t mu;
  uint64_t rng, submitted;
  atomic_ullong injected[3];
} cx_sim;

static uint64_t cx_sim_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void cx_sim_sleep_us(unsigned us) {
  struct timespec ts = {.tv_sec = us / 1000000u,
                        .tv_nsec = (long)(us % 1000000u) * 1000};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* Corrupts the result: every item, or wrong_items evenly spaced ones. */
static void cx_sim_corrupt(const cx_sim *s, cx_attempt *a) {
  size_t k = s->spec.wrong_items ? s->spec.wrong_items : a->n;
  if (k > a->n)
    k = a->n;
  for (size_t j = 0; j < k; j++) {
    size_t i = j * a->n / k;
    if (a->kind == CX_TASK_VERIFY)
      a->verdicts[i] ^= 1;
    else
      a->out[i][j % 32] ^= 0x01;
  }
}

static int cx_sim_exec(void *ctx, cx_attempt *a) {
  cx_sim *s = ctx;
  if (s->spec.delay_us)
    cx_sim_sleep_us(s->spec.delay_us);
  a->start_ns = cx_now_ns();
  if (a->tag == CX_SIM_FAIL) {
    a->end_ns = cx_now_ns();
    return CX_EDEVICE;
  }
  if (a->kind == CX_TASK_VERIFY)
    cx_devmath_verify(a->n, a->pub33s, a->digests, a->sigs64,
                      a->verdicts);
  else
    cx_devmath_sha256(a->n, a->msg_data, a->offsets, a->lens, a->out);
  a->end_ns = cx_now_ns();
  if (a->tag == CX_SIM_WRONG)
    cx_sim_corrupt(s, a);
  if (a->tag == CX_SIM_HANG && s->spec.stuck_ms)
    cx_sim_sleep_us(s->spec.stuck_ms * 1000u); /* deaf to abandon */
  else if (a->tag == CX_SIM_HANG)
    cx_attempt_wait_abandoned(a, cx_now_ns() +
                                     (uint64_t)s->spec.hang_ms * 1000000ull);
  return CX_OK;
}

static bool cx_sim_is_available(const cx_backend *b) {
  (void)b;
  return true;
}

static void cx_sim_caps(const cx_backend *b, cx_backend_caps *out) {
  const cx_sim *s = (const cx_sim *)b;
  double t = s->spec.threads;
  out->max_batch = s->spec.max_batch;
  out->preferred_batch = s->spec.max_batch < 1024 ? s->spec.max_batch : 1024;
  out->item_ns[CX_TASK_VERIFY] = 40000.0 / t;
  out->item_ns[CX_TASK_SHA256] = 400.0 / t;
  out->latency_ns = s->spec.delay_us * 1000.0 + 20000.0;
}

static int cx_sim_draw(cx_sim *s) {
  if (s->submitted++ < s->spec.fail_first)
    return CX_SIM_FAIL;
  double u = (double)(cx_sim_next(&s->rng) >> 11) * 0x1.0p-53;
  if (u < s->spec.fail)
    return CX_SIM_FAIL;
  if (u < s->spec.fail + s->spec.wrong)
    return CX_SIM_WRONG;
  if (u < s->spec.fail + s->spec.wrong + s->spec.hang)
    return CX_SIM_HANG;
  return CX_SIM_OK;
}

static int cx_sim_submit(cx_backend *b, cx_attempt *a, cx_error *err) {
  cx_sim *s = (cx_sim *)b;
  /* Draw and queue under one lock so the draw order is the queue order. */
  pthread_mutex_lock(&s->mu);
  a->tag = cx_sim_draw(s);
  int rc = cx_hostdev_submit(s->dev, a, err);
  if (rc == CX_OK && a->tag == CX_SIM_HANG)
    cx_metric_add(&s->injected[a->tag - 1], 1);
  pthread_mutex_unlock(&s->mu);
  return rc;
}

static void cx_sim_taken(void *ctx, const cx_attempt *a) {
  cx_sim *s = ctx;
  if (a->tag == CX_SIM_FAIL || a->tag == CX_SIM_WRONG)
    cx_metric_add(&s->injected[a->tag - 1], 1);
}

static void cx_sim_destroy(cx_backend *b) {
  cx_sim *s = (cx_sim *)b;
  if (!cx_hostdev_destroy(s->dev))
    return; /* a stuck batch (stuck_ms) still runs on s: leave it */
  pthread_mutex_destroy(&s->mu);
  free(s);
}

static const cx_backend_ops cx_sim_ops = {
    .is_available = cx_sim_is_available,
    .caps = cx_sim_caps,
    .submit = cx_sim_submit,
    .destroy = cx_sim_destroy,
};

cx_backend *cx_sim_backend_create(const cx_sim_spec *spec, unsigned index,
                                  cx_error *err) {
  cx_sim *s = calloc(1, sizeof *s);
  if (!s) {
    cx_error_set(err, CX_ENOMEM, "out of memory creating a sim device");
    return NULL;
  }
  s->spec = *spec;
  s->rng = spec->seed + index;
  for (int i = 0; i < 3; i++)
    atomic_init(&s->injected[i], 0);
  pthread_mutex_init(&s->mu, NULL);
  snprintf(s->base.name, sizeof s->base.name, "sim%u", index);
  s->base.kind = CX_DEVICE_SIM;
  s->base.ops = &cx_sim_ops;
  s->base.impl = s;
  s->dev = cx_hostdev_create(spec->threads, cx_sim_exec, cx_sim_taken, s,
                             &s->base.m, (uint64_t)spec->close_ms * 1000000u,
                             err);
  if (!s->dev) {
    pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
  }
  return &s->base;
}

void cx_sim_injected(const cx_backend *b, uint64_t out[3]) {
  const cx_sim *s = (const cx_sim *)b;
  for (int i = 0; i < 3; i++)
    out[i] = b->kind == CX_DEVICE_SIM ? cx_metric_get(&s->injected[i]) : 0;
}
