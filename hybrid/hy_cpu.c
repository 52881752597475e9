/* CPU computation on the worker pool. */
#include "hy_cpu.h"

#include <stdlib.h>

#include "sha256.h"

/* Items per libsecp256k1/SHA call inside a chunk: bounds the pointer
 * arrays kept on the stack for index lists. */
#define CX_CPU_SLICE 64

typedef struct cx_cpu_job {
  const cx_verifier *v;
  const cx_cpu_input *in;
  const size_t *idx;
  size_t lo;
  uint8_t *verdicts;
  uint8_t (*out)[32];
} cx_cpu_job;

static void cx_cpu_verify_part(void *arg, size_t begin, size_t end,
                               unsigned worker) {
  (void)worker;
  const cx_cpu_job *j = arg;
  if (!j->idx) {
    size_t lo = j->lo + begin;
    cx_verify_batch(j->v, end - begin, j->in->pubkeys + lo,
                    j->in->digests + lo, j->in->sigs + lo,
                    j->verdicts + begin);
    return;
  }
  for (size_t i = begin; i < end; i++) {
    size_t k = j->idx[i];
    j->verdicts[i] = cx_verify(j->v, j->in->pubkeys[k], j->in->digests[k],
                               j->in->sigs[k])
                         ? 1
                         : 0;
  }
}

static void cx_cpu_sha_part(void *arg, size_t begin, size_t end,
                            unsigned worker) {
  (void)worker;
  const cx_cpu_job *j = arg;
  if (!j->idx) {
    size_t lo = j->lo + begin;
    cx_sha256_batch(end - begin, j->in->msgs + lo, j->in->lens + lo,
                    j->out + begin);
    return;
  }
  const uint8_t *msgs[CX_CPU_SLICE];
  size_t lens[CX_CPU_SLICE];
  while (begin < end) {
    size_t m = end - begin < CX_CPU_SLICE ? end - begin : CX_CPU_SLICE;
    for (size_t i = 0; i < m; i++) {
      msgs[i] = j->in->msgs[j->idx[begin + i]];
      lens[i] = j->in->lens[j->idx[begin + i]];
    }
    cx_sha256_batch(m, msgs, lens, j->out + begin);
    begin += m;
  }
}

void cx_cpu_verify(cx_pool *pool, const cx_verifier *v, size_t chunk,
                   const cx_cpu_input *in, const size_t *idx, size_t lo,
                   size_t m, uint8_t *verdicts) {
  /* A verification costs tens of microseconds, so the shared cursor is
   * cheap even for small chunks, and small chunks keep both threads busy
   * to the end when a core is shared (bench hybrid's chunk sweep: 16-256
   * beat 1024+ on the 2-core sandbox). */
  if (chunk == 0) {
    chunk = m / (8 * (size_t)cx_pool_threads(pool));
    chunk = chunk < 1 ? 1 : chunk > 64 ? 64 : chunk;
  }
  cx_cpu_job j = {.v = v, .in = in, .idx = idx, .lo = lo,
                  .verdicts = verdicts};
  cx_pool_parallel_for(pool, m, chunk, cx_cpu_verify_part, &j);
}

void cx_cpu_sha256(cx_pool *pool, size_t chunk, const cx_cpu_input *in,
                   const size_t *idx, size_t lo, size_t m,
                   uint8_t (*out)[32]) {
  /* Hashing is ~100x cheaper per item than verification: larger chunks
   * keep the cursor traffic negligible. */
  if (chunk == 0)
    chunk = m / (8 * cx_pool_threads(pool)) > 256
                ? m / (8 * cx_pool_threads(pool))
                : 256;
  cx_cpu_job j = {.in = in, .idx = idx, .lo = lo, .out = out};
  cx_pool_parallel_for(pool, m, chunk, cx_cpu_sha_part, &j);
}

/* The backend object. */
typedef struct cx_cpu {
  cx_backend base;
  cx_pool *pool;
  const cx_verifier *v;
} cx_cpu;

static bool cx_cpu_is_available(const cx_backend *b) {
  (void)b;
  return true;
}

static void cx_cpu_caps(const cx_backend *b, cx_backend_caps *out) {
  const cx_cpu *c = (const cx_cpu *)b;
  double t = cx_pool_threads(c->pool);
  out->max_batch = (size_t)1 << 24;
  out->preferred_batch = 1024;
  out->item_ns[CX_TASK_VERIFY] = 33000.0 / t;
  out->item_ns[CX_TASK_SHA256] = 150.0 / t;
  out->latency_ns = 5000.0;
}

static void cx_cpu_attempt_sha(void *arg, size_t begin, size_t end,
                               unsigned worker) {
  (void)worker;
  cx_attempt *a = arg;
  for (size_t i = begin; i < end; i++)
    cx_sha256(a->msg_data + a->offsets[i], a->lens[i], a->out[i]);
}

typedef struct cx_cpu_attempt_job {
  const cx_verifier *v;
  cx_attempt *a;
} cx_cpu_attempt_job;

static void cx_cpu_attempt_verify(void *arg, size_t begin, size_t end,
                                  unsigned worker) {
  (void)worker;
  cx_cpu_attempt_job *j = arg;
  cx_attempt *a = j->a;
  for (size_t i = begin; i < end; i++)
    a->verdicts[i] = cx_verify(j->v, a->pub33s + i * 33,
                               a->digests + i * 32, a->sigs64 + i * 64)
                         ? 1
                         : 0;
}

static int cx_cpu_submit(cx_backend *b, cx_attempt *a, cx_error *err) {
  (void)err;
  cx_cpu *c = (cx_cpu *)b;
  a->submit_ns = a->start_ns = cx_now_ns();
  if (a->kind == CX_TASK_VERIFY) {
    cx_cpu_attempt_job j = {c->v, a};
    cx_pool_parallel_for(c->pool, a->n, 0, cx_cpu_attempt_verify, &j);
  } else {
    cx_pool_parallel_for(c->pool, a->n, 256, cx_cpu_attempt_sha, a);
  }
  a->end_ns = cx_now_ns();
  cx_attempt_complete(a, CX_OK);
  return CX_OK;
}

static void cx_cpu_destroy(cx_backend *b) { free(b); }

static const cx_backend_ops cx_cpu_ops = {
    .is_available = cx_cpu_is_available,
    .caps = cx_cpu_caps,
    .submit = cx_cpu_submit,
    .destroy = cx_cpu_destroy,
};

cx_backend *cx_cpu_backend_create(cx_pool *pool, const cx_verifier *v,
                                  cx_error *err) {
  cx_cpu *c = calloc(1, sizeof *c);
  if (!c) {
    cx_error_set(err, CX_ENOMEM, "out of memory creating the cpu backend");
    return NULL;
  }
  c->pool = pool;
  c->v = v;
  snprintf(c->base.name, sizeof c->base.name, "cpu");
  c->base.kind = CX_DEVICE_CPU;
  c->base.ops = &cx_cpu_ops;
  c->base.impl = c;
  return &c->base;
}
