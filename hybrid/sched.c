/* The hybrid scheduler: routing, device pipeline, cross-checks, fallback.
 *
 * Invariants:
 *  - every item of a request is written to the caller's output exactly
 *    once, by the CPU or from a device attempt that passed its
 *    cross-check; a device result is never written before that check;
 *  - per request at most CX_SCHED_WINDOW attempts are in flight per
 *    backend (double buffering), so an attempt's deadline covers its own
 *    batch plus at most one queued ahead of it;
 *  - every breaker acquire is followed by exactly one success, failure or
 *    cancel report (probes must be reported).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hy_attempt.h"
#include "hy_cpu.h"
#include "hy_sched.h"

#define CX_SCHED_WINDOW 2

/* One request: n homogeneous items and where their results go. */
typedef struct cx_req {
  cx_task_kind kind;
  size_t n;
  cx_cpu_input in;
  uint8_t *verdicts;
  uint8_t (*out)[32];
  cx_batch_stats *st; /* per-call stats, or NULL; touched by this thread */
} cx_req;

/* A device attempt of a request, in flight. */
typedef struct cx_flight {
  cx_attempt *a;
  unsigned dev;
  size_t lo, hi;
  bool probe;
  unsigned tries;
} cx_flight;

typedef enum cx_check {
  CX_CHECK_OK,            /* device result matched; output written */
  CX_CHECK_MISMATCH,      /* device result discarded; range still to do */
  CX_CHECK_MISMATCH_DONE, /* discarded, but the full recheck is written */
  CX_CHECK_NOMEM          /* could not check; range still to do */
} cx_check;

/* Records in the call's stats that `name` produced results. */
static void cx_req_used(const cx_req *r, const char *name) {
  if (!r->st)
    return;
  if (r->st->backend[0] == '\0')
    snprintf(r->st->backend, sizeof r->st->backend, "%s", name);
  else if (strcmp(r->st->backend, name) != 0)
    snprintf(r->st->backend, sizeof r->st->backend, "mixed");
}

/* CPU computation of items [lo, hi) straight into the output. */
static void cx_sched_cpu(cx_sched *s, const cx_req *r, size_t lo, size_t hi,
                         bool tune) {
  if (hi <= lo)
    return;
  uint64_t t0 = cx_now_ns();
  if (r->kind == CX_TASK_VERIFY)
    cx_cpu_verify(s->pool, s->v, s->cfg.cpu_chunk, &r->in, NULL, lo, hi - lo,
                  r->verdicts + lo);
  else
    cx_cpu_sha256(s->pool, s->cfg.cpu_chunk, &r->in, NULL, lo, hi - lo,
                  r->out + lo);
  uint64_t dt = cx_now_ns() - t0;
  cx_req_used(r, s->cpu->name);
  cx_backend_metrics *m = &s->cpu->m;
  cx_metric_add(&m->items[r->kind], hi - lo);
  cx_metric_add(&m->batches[r->kind], 1);
  cx_hist_observe(&m->batch_ns[r->kind], dt);
  if (tune && hi - lo >= 64)
    cx_tuner_cpu(&s->tuner, r->kind, hi - lo, dt);
}

static void cx_sched_fallback(cx_sched *s, const cx_req *r, size_t lo,
                              size_t hi, cx_fallback_cause cause) {
  cx_metric_add(&s->m.fallbacks[r->kind][cause], 1);
  cx_sched_cpu(s, r, lo, hi, false);
}

static uint64_t cx_sched_random(cx_sched *s) {
  uint64_t z = s->cfg.seed + 0x9e3779b97f4a7c15ull *
                                 (atomic_fetch_add(&s->sample_ctr, 1) + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Builds the sample of a trusted backend's batch: every device "invalid"
 * (verify) plus max(1, ceil(fraction*n)) random items, as absolute
 * indices. Returns the count, or 0 when a full recheck is as cheap (or
 * memory is short): the caller then rechecks everything. */
static size_t cx_sched_sample(cx_sched *s, const cx_req *r,
                              const cx_flight *f, size_t **idx_out) {
  const cx_attempt *a = f->a;
  size_t n = a->n, rejects = 0;
  double want_d = ceil(s->cfg.crosscheck_fraction * (double)n);
  size_t want = want_d < 1 ? 1 : want_d > (double)n ? n : (size_t)want_d;
  if (r->kind == CX_TASK_VERIFY)
    for (size_t i = 0; i < n; i++)
      rejects += a->verdicts[i] == 0;
  size_t m = want + rejects;
  if (m * 2 >= n)
    return 0;
  size_t *idx = malloc(m * sizeof *idx);
  if (!idx)
    return 0;
  size_t j = 0;
  if (rejects)
    for (size_t i = 0; i < n; i++)
      if (a->verdicts[i] == 0)
        idx[j++] = f->lo + i;
  while (j < m)
    idx[j++] = f->lo + (size_t)(cx_sched_random(s) % n);
  *idx_out = idx;
  return m;
}

/* Trust but verify (see cx_sched.h): recomputes all items of an untrusted
 * backend's batch, or a sample of a trusted one's, and compares. */
static cx_check cx_sched_crosscheck(cx_sched *s, const cx_req *r,
                                    const cx_flight *f) {
  const cx_attempt *a = f->a;
  size_t n = a->n, *idx = NULL, m = 0;
  bool trusted = cx_breaker_trusted(&s->dev[f->dev]->health) &&
                 s->cfg.crosscheck_fraction < 1.0;
  if (trusted)
    m = cx_sched_sample(s, r, f, &idx);
  if (!idx)
    m = n; /* full recheck of [lo, hi) */
  bool verify = r->kind == CX_TASK_VERIFY;
  void *cpu = malloc(m * (verify ? 1 : 32));
  if (!cpu) {
    free(idx);
    return CX_CHECK_NOMEM;
  }
  if (verify)
    cx_cpu_verify(s->pool, s->v, s->cfg.cpu_chunk, &r->in, idx, f->lo, m,
                  cpu);
  else
    cx_cpu_sha256(s->pool, s->cfg.cpu_chunk, &r->in, idx, f->lo, m, cpu);
  cx_metric_add(&s->m.crosscheck_samples[r->kind], m);
  bool same = true;
  for (size_t j = 0; j < m && same; j++) {
    size_t i = idx ? idx[j] - f->lo : j;
    same = verify ? ((uint8_t *)cpu)[j] == a->verdicts[i]
                  : memcmp((uint8_t *)cpu + 32 * j, a->out[i], 32) == 0;
  }
  cx_check rc = same ? CX_CHECK_OK : CX_CHECK_MISMATCH;
  if (!idx) {
    /* The recheck is the CPU result: take it, match or not. */
    if (verify)
      memcpy(r->verdicts + f->lo, cpu, n);
    else
      memcpy(r->out + f->lo, cpu, 32 * n);
    if (!same)
      rc = CX_CHECK_MISMATCH_DONE;
  } else if (same) {
    if (verify)
      memcpy(r->verdicts + f->lo, a->verdicts, n);
    else
      memcpy(r->out + f->lo, a->out, 32 * n);
  }
  free(cpu);
  free(idx);
  return rc;
}

/* Picks a device with room in this request's window whose breaker lets
 * work through, fewest in flight first. Returns its index or -1. */
static int cx_sched_pick(cx_sched *s, const unsigned *inflight, bool *probe) {
  uint64_t now = cx_now_ns();
  for (unsigned load = 0; load < CX_SCHED_WINDOW; load++)
    for (unsigned i = 0; i < s->ndev; i++) {
      cx_backend *b = s->dev[i];
      if (inflight[i] != load || !b->ops->is_available(b))
        continue;
      if (cx_breaker_acquire(&b->health, now, probe))
        return (int)i;
    }
  return -1;
}

/* Creates and submits the attempt of [lo, hi) to device d. False when it
 * could not be submitted (the breaker has been told). */
static bool cx_sched_submit(cx_sched *s, const cx_req *r, unsigned d,
                            bool probe, size_t lo, size_t hi, cx_flight *f) {
  cx_backend *b = s->dev[d];
  cx_attempt *a =
      r->kind == CX_TASK_VERIFY
          ? cx_attempt_create_verify(r->in.pubkeys, r->in.digests,
                                     r->in.sigs, lo, hi)
          : cx_attempt_create_sha(r->in.msgs, r->in.lens, lo, hi);
  if (!a) {
    cx_breaker_cancel(&b->health, probe);
    return false;
  }
  cx_error e = {0};
  if (b->ops->submit(b, a, &e) != CX_OK) {
    cx_metric_add(&b->m.errors, 1);
    cx_metric_add(&b->m.batches[r->kind], 1);
    cx_breaker_failure(&b->health, cx_now_ns(), probe);
    cx_attempt_release(a);
    return false;
  }
  /* The attempt's clock starts at submission (a->submit_ns). */
  cx_metric_add(&b->m.bytes_moved, a->bytes_in + a->bytes_out);
  if (r->st) {
    r->st->device_batches++;
    r->st->bytes_moved += a->bytes_in + a->bytes_out;
  }
  *f = (cx_flight){.a = a, .dev = d, .lo = lo, .hi = hi, .probe = probe};
  return true;
}

/* Waits for a flight and takes its result if it is good. Returns true when
 * the range's output is written; otherwise *cause says why not. */
static bool cx_sched_collect(cx_sched *s, const cx_req *r, cx_flight *f,
                             cx_fallback_cause *cause) {
  cx_backend *b = s->dev[f->dev];
  cx_attempt *a = f->a;
  int rc = cx_attempt_wait(a, a->submit_ns + s->deadline_ns);
  uint64_t now = cx_now_ns(), wall = now - a->submit_ns;
  bool done = false;
  cx_metric_add(&b->m.batches[r->kind], 1);
  cx_hist_observe(&b->m.batch_ns[r->kind], wall);
  if (rc == CX_OK) {
    cx_check c = cx_sched_crosscheck(s, r, f);
    if (c == CX_CHECK_OK) {
      cx_metric_add(&b->m.ok, 1);
      cx_metric_add(&b->m.items[r->kind], a->n);
      cx_req_used(r, b->name);
      if (r->st)
        r->st->items_device += a->n;
      cx_breaker_success(&b->health, f->probe);
      cx_tuner_device(&s->tuner, b, r->kind, a->n, wall,
                      a->end_ns > a->start_ns ? a->end_ns - a->start_ns : 0);
      done = true;
    } else if (c == CX_CHECK_NOMEM) {
      cx_breaker_cancel(&b->health, f->probe);
      *cause = CX_FALLBACK_ERROR;
    } else {
      cx_metric_add(&b->m.mismatches, 1);
      cx_metric_add(&s->m.crosscheck_mismatches[r->kind], 1);
      cx_breaker_failure(&b->health, now, f->probe);
      *cause = CX_FALLBACK_MISMATCH;
      if (c == CX_CHECK_MISMATCH_DONE) {
        /* Output written by the full recheck: a fallback all the same. */
        cx_metric_add(&s->m.fallbacks[r->kind][CX_FALLBACK_MISMATCH], 1);
        cx_metric_add(&s->cpu->m.items[r->kind], a->n);
        cx_req_used(r, s->cpu->name);
        done = true;
      }
    }
  } else {
    cx_metric_add(rc == CX_ETIMEOUT ? &b->m.timeouts : &b->m.errors, 1);
    cx_breaker_failure(&b->health, now, f->probe);
    *cause = rc == CX_ETIMEOUT ? CX_FALLBACK_TIMEOUT : CX_FALLBACK_ERROR;
  }
  cx_attempt_release(a);
  f->a = NULL;
  return done;
}

/* Runs [lo, hi) on the devices (in chunks of `chunk`, 0 = each backend's
 * tuned batch) and [cpu_lo, cpu_hi) on the pool meanwhile. Whatever the
 * devices do not deliver goes to the CPU. */
static void cx_sched_devices(cx_sched *s, const cx_req *r, size_t lo,
                             size_t hi, size_t cpu_lo, size_t cpu_hi,
                             size_t chunk) {
  cx_flight fifo[CX_SCHED_WINDOW * CX_SCHED_MAX_DEVICES];
  unsigned inflight[CX_SCHED_MAX_DEVICES] = {0};
  size_t head = 0, count = 0, cap = CX_SCHED_WINDOW * s->ndev;
  size_t cursor = lo;
  bool cpu_done = cpu_hi <= cpu_lo;
  for (;;) {
    while (cursor < hi && count < cap) {
      bool probe;
      int d = cx_sched_pick(s, inflight, &probe);
      if (d < 0)
        break;
      size_t size = chunk ? chunk : cx_tuner_batch(s->dev[d], r->kind);
      if (size > s->dev[d]->caps.max_batch)
        size = s->dev[d]->caps.max_batch;
      if (size > hi - cursor)
        size = hi - cursor;
      cx_flight *f = &fifo[(head + count) % cap];
      if (cx_sched_submit(s, r, (unsigned)d, probe, cursor, cursor + size,
                          f)) {
        inflight[d]++;
        count++;
      } else {
        cx_sched_fallback(s, r, cursor, cursor + size, CX_FALLBACK_ERROR);
      }
      cursor += size;
    }
    if (!cpu_done) {
      cx_sched_cpu(s, r, cpu_lo, cpu_hi, true);
      cpu_done = true;
    }
    if (count == 0) {
      if (cursor >= hi)
        return;
      cx_sched_fallback(s, r, cursor, hi, CX_FALLBACK_UNAVAILABLE);
      return;
    }
    cx_flight f = fifo[head];
    head = (head + 1) % cap;
    count--;
    inflight[f.dev]--;
    cx_fallback_cause cause = CX_FALLBACK_ERROR;
    unsigned tries = f.tries;
    if (cx_sched_collect(s, r, &f, &cause))
      continue;
    if (cause != CX_FALLBACK_MISMATCH && tries < s->cfg.max_retries) {
      bool probe;
      int d = cx_sched_pick(s, inflight, &probe);
      cx_flight *g = &fifo[(head + count) % cap];
      if (d >= 0 && cx_sched_submit(s, r, (unsigned)d, probe, f.lo, f.hi, g)) {
        cx_metric_add(&s->dev[d]->m.retries, 1);
        if (r->st)
          r->st->retries++;
        g->tries = tries + 1;
        inflight[d]++;
        count++;
        continue;
      }
    }
    cx_sched_fallback(s, r, f.lo, f.hi, cause);
  }
}

/* Devices' share of a balanced request of n items, from the throughput
 * estimates, so that both sides finish together. A device whose breaker
 * waits for a probe gets one small batch, so balance lets it recover. */
static size_t cx_sched_balance_share(cx_sched *s, const cx_req *r,
                                     size_t *chunk) {
  double dev_rate = 0;
  unsigned usable = 0;
  size_t probes = 0;
  uint64_t now = cx_now_ns();
  for (unsigned i = 0; i < s->ndev; i++) {
    cx_backend *b = s->dev[i];
    if (cx_breaker_state_now(&b->health) != CX_BREAKER_CLOSED) {
      if (cx_breaker_probe_due(&b->health, now)) {
        probes += CX_TUNE_MIN_BATCH;
        usable++;
      }
      continue;
    }
    size_t per = r->n / s->ndev + 1;
    dev_rate += cx_tuner_device_rate(&s->tuner, b, r->kind, per);
    usable++;
  }
  double cpu_rate = cx_tuner_cpu_rate(&s->tuner, r->kind);
  size_t share = (size_t)((double)r->n * dev_rate / (dev_rate + cpu_rate)) +
                 probes;
  /* One batch per device holds its whole share, so the device part is in
   * flight before the pool starts on its own part. One, not a window of
   * smaller ones: a device runs its queue in order, and on an H100 two
   * half batches of a 10,000-signature block each paid a whole kernel's
   * latency (balance ran at 0.68x of gpu); a device that overlaps work
   * does it inside its batch (the CUDA launcher's stream ring). */
  *chunk = usable ? share / usable + 1 : 0;
  return share > r->n ? r->n : share;
}

static int cx_sched_run(cx_sched *s, const cx_req *r) {
  uint64_t t0 = cx_now_ns();
  if (r->st)
    r->st->items += r->n;
  if (r->n == 0)
    return CX_OK;
  cx_route route = CX_ROUTE_DEVICE;
  if (s->cfg.strategy == CX_STRATEGY_CPU)
    route = CX_ROUTE_CPU_STRATEGY;
  else if (s->ndev == 0)
    route = CX_ROUTE_CPU_NO_DEVICE;
  else if (s->cfg.strategy == CX_STRATEGY_AUTO &&
           r->n < cx_tuner_threshold(&s->tuner, r->kind))
    route = CX_ROUTE_CPU_SMALL;
  else if (s->cfg.strategy == CX_STRATEGY_BALANCE)
    route = CX_ROUTE_BALANCE;
  cx_metric_add(&s->m.routes[r->kind][route], 1);
  if (route == CX_ROUTE_DEVICE) {
    cx_sched_devices(s, r, 0, r->n, 0, 0, 0);
  } else if (route == CX_ROUTE_BALANCE) {
    size_t chunk, share = cx_sched_balance_share(s, r, &chunk);
    cx_sched_devices(s, r, 0, share, share, r->n, chunk);
  } else {
    cx_sched_cpu(s, r, 0, r->n, true);
  }
  if (r->st)
    r->st->wall_ns += cx_now_ns() - t0;
  return CX_OK;
}

int cx_sched_verify(cx_sched *s, size_t n, const uint8_t *const *pubkeys,
                    const uint8_t *const *digests,
                    const uint8_t *const *sigs, uint8_t *verdicts,
                    cx_error *err) {
  return cx_sched_verify_stats(s, n, pubkeys, digests, sigs, verdicts, NULL,
                               err);
}

int cx_sched_sha256(cx_sched *s, size_t n, const uint8_t *const *msgs,
                    const size_t *lens, uint8_t (*out)[32], cx_error *err) {
  return cx_sched_sha256_stats(s, n, msgs, lens, out, NULL, err);
}

int cx_sched_verify_stats(cx_sched *s, size_t n,
                          const uint8_t *const *pubkeys,
                          const uint8_t *const *digests,
                          const uint8_t *const *sigs, uint8_t *verdicts,
                          cx_batch_stats *st, cx_error *err) {
  if (!s || (n && (!pubkeys || !digests || !sigs || !verdicts)))
    return cx_error_set(err, CX_EINVAL, "cx_sched_verify: NULL scheduler "
                        "or array with %zu items", n);
  cx_req r = {.kind = CX_TASK_VERIFY, .n = n, .verdicts = verdicts,
              .st = st,
              .in = {.pubkeys = pubkeys, .digests = digests, .sigs = sigs}};
  return cx_sched_run(s, &r);
}

int cx_sched_sha256_stats(cx_sched *s, size_t n, const uint8_t *const *msgs,
                          const size_t *lens, uint8_t (*out)[32],
                          cx_batch_stats *st, cx_error *err) {
  if (!s || (n && (!msgs || !lens || !out)))
    return cx_error_set(err, CX_EINVAL, "cx_sched_sha256: NULL scheduler "
                        "or array with %zu items", n);
  cx_req r = {.kind = CX_TASK_SHA256, .n = n, .out = out, .st = st,
              .in = {.msgs = msgs, .lens = lens}};
  return cx_sched_run(s, &r);
}

cx_sched *cx_sched_create(const cx_sched_config *cfg, cx_pool *pool,
                          const cx_verifier *verifier, cx_error *err) {
  if (!cfg || !pool || !verifier) {
    cx_error_set(err, CX_EINVAL, "cx_sched_create: NULL config, pool or "
                 "verifier");
    return NULL;
  }
  if ((unsigned)cfg->strategy > CX_STRATEGY_BALANCE ||
      !(cfg->crosscheck_fraction >= 0.0 && cfg->crosscheck_fraction <= 1.0)) {
    cx_error_set(err, CX_EINVAL, "bad scheduler config: strategy %d, "
                 "crosscheck_fraction %g (must be in [0, 1])",
                 (int)cfg->strategy, cfg->crosscheck_fraction);
    return NULL;
  }
  cx_sched *s = calloc(1, sizeof *s);
  if (!s) {
    cx_error_set(err, CX_ENOMEM, "out of memory creating the scheduler");
    return NULL;
  }
  s->cfg = *cfg;
  s->cfg.gpu = NULL; /* not kept: the caller's string may go away */
  s->pool = pool;
  s->v = verifier;
  s->created_ns = cx_now_ns();
  s->deadline_ns = (uint64_t)(cfg->deadline_ms ? cfg->deadline_ms : 2000) *
                   1000000ull;
  uint64_t window = (uint64_t)(cfg->breaker_window_ms
                                   ? cfg->breaker_window_ms
                                   : 10000) * 1000000ull;
  uint64_t cooldown = (uint64_t)(cfg->breaker_cooldown_ms
                                     ? cfg->breaker_cooldown_ms
                                     : 1000) * 1000000ull;
  unsigned trust_after = cfg->trust_after ? cfg->trust_after : 8;
  atomic_init(&s->sample_ctr, 0);
  cx_error e = {0};
  s->cpu = cx_cpu_backend_create(pool, verifier, &e);
  if (!s->cpu ||
      cx_devices_create(cfg->gpu, s->dev, &s->ndev, s->note,
                        sizeof s->note, &e) != CX_OK) {
    if (s->cpu)
      s->cpu->ops->destroy(s->cpu);
    free(s);
    if (err)
      *err = e;
    return NULL;
  }
  cx_tuner_backend_init(s->cpu);
  size_t thr[CX_TASK_KINDS] = {[CX_TASK_SHA256] = cfg->sha_threshold,
                               [CX_TASK_VERIFY] = cfg->verify_threshold};
  cx_tuner_init(&s->tuner, thr, &s->cpu->caps, s->deadline_ns / 4);
  cx_breaker_init(&s->cpu->health, window, cooldown, 0);
  for (unsigned i = 0; i < s->ndev; i++) {
    cx_tuner_backend_init(s->dev[i]);
    cx_breaker_init(&s->dev[i]->health, window, cooldown, trust_after);
  }
  return s;
}

void cx_sched_destroy(cx_sched *s) {
  if (!s)
    return;
  for (unsigned i = 0; i < s->ndev; i++) {
    cx_backend *b = s->dev[i];
    cx_breaker_destroy(&b->health);
    b->ops->destroy(b);
  }
  cx_breaker_destroy(&s->cpu->health);
  s->cpu->ops->destroy(s->cpu);
  cx_tuner_destroy(&s->tuner);
  free(s);
}

const char *cx_sched_note(const cx_sched *s) { return s ? s->note : ""; }
