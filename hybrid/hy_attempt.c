/* Device attempts: input copies, result buffers, one-shot completion. */
#include "hy_attempt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t cx_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One allocation for the header and every buffer; `bytes` is the size of
 * the buffers after the header. */
static cx_attempt *cx_attempt_alloc(cx_task_kind kind, size_t n,
                                    size_t bytes) {
  cx_attempt *a = calloc(1, sizeof *a + bytes);
  if (!a)
    return NULL;
  atomic_init(&a->refs, 1);
  atomic_init(&a->state, CX_ATTEMPT_PENDING);
  pthread_mutex_init(&a->mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&a->cv, &attr);
  pthread_condattr_destroy(&attr);
  a->kind = kind;
  a->n = n;
  a->status = CX_OK;
  return a;
}

cx_attempt *cx_attempt_create_verify(const uint8_t *const *pubkeys,
                                     const uint8_t *const *digests,
                                     const uint8_t *const *sigs, size_t lo,
                                     size_t hi) {
  size_t n = hi - lo;
  cx_attempt *a = cx_attempt_alloc(CX_TASK_VERIFY, n, n * (33 + 32 + 64 + 1));
  if (!a)
    return NULL;
  uint8_t *p = (uint8_t *)(a + 1);
  a->pub33s = p;
  a->digests = p + n * 33;
  a->sigs64 = a->digests + n * 32;
  a->verdicts = a->sigs64 + n * 64;
  for (size_t i = 0; i < n; i++) {
    memcpy(a->pub33s + i * 33, pubkeys[lo + i], 33);
    memcpy(a->digests + i * 32, digests[lo + i], 32);
    memcpy(a->sigs64 + i * 64, sigs[lo + i], 64);
  }
  a->bytes_in = n * (33 + 32 + 64);
  a->bytes_out = n;
  return a;
}

cx_attempt *cx_attempt_create_sha(const uint8_t *const *msgs,
                                  const size_t *lens, size_t lo, size_t hi) {
  size_t n = hi - lo, total = 0;
  for (size_t i = lo; i < hi; i++) {
    if (lens[i] >= UINT32_MAX - total)
      return NULL;
    total += lens[i];
  }
  /* Layout: offsets, lens (32-bit aligned first), digests, messages. */
  size_t words = 2 * n * sizeof(uint32_t);
  cx_attempt *a = cx_attempt_alloc(CX_TASK_SHA256, n, words + n * 32 + total);
  if (!a)
    return NULL;
  a->offsets = (uint32_t *)(void *)(a + 1);
  a->lens = a->offsets + n;
  a->out = (uint8_t(*)[32])(void *)(a->lens + n);
  a->msg_data = (uint8_t *)(a->out + n);
  a->msg_len = total;
  uint32_t off = 0;
  for (size_t i = 0; i < n; i++) {
    a->offsets[i] = off;
    a->lens[i] = (uint32_t)lens[lo + i];
    if (lens[lo + i])
      memcpy(a->msg_data + off, msgs[lo + i], lens[lo + i]);
    off += (uint32_t)lens[lo + i];
  }
  a->bytes_in = total + words;
  a->bytes_out = n * 32;
  return a;
}

void cx_attempt_ref(cx_attempt *a) {
  atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
}

void cx_attempt_release(cx_attempt *a) {
  if (!a || atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1)
    return;
  pthread_cond_destroy(&a->cv);
  pthread_mutex_destroy(&a->mu);
  free(a);
}

bool cx_attempt_complete(cx_attempt *a, int status) {
  return cx_attempt_complete_cb(a, status, NULL, NULL);
}

bool cx_attempt_complete_cb(cx_attempt *a, int status,
                            void (*on_taken)(void *ctx, const cx_attempt *a),
                            void *ctx) {
  pthread_mutex_lock(&a->mu);
  bool taken = atomic_load(&a->state) == CX_ATTEMPT_PENDING;
  if (taken) {
    if (on_taken)
      on_taken(ctx, a);
    a->status = status;
    atomic_store(&a->state, CX_ATTEMPT_DONE);
    pthread_cond_broadcast(&a->cv);
  }
  pthread_mutex_unlock(&a->mu);
  return taken;
}

bool cx_attempt_abandoned(const cx_attempt *a) {
  return atomic_load(&a->state) == CX_ATTEMPT_ABANDONED;
}

static void cx_timespec_at(struct timespec *ts, uint64_t ns) {
  ts->tv_sec = (time_t)(ns / 1000000000ull);
  ts->tv_nsec = (long)(ns % 1000000000ull);
}

void cx_attempt_wait_abandoned(cx_attempt *a, uint64_t until_ns) {
  struct timespec ts;
  cx_timespec_at(&ts, until_ns);
  pthread_mutex_lock(&a->mu);
  while (atomic_load(&a->state) == CX_ATTEMPT_PENDING &&
         cx_now_ns() < until_ns)
    if (pthread_cond_timedwait(&a->cv, &a->mu, &ts) == ETIMEDOUT)
      break;
  pthread_mutex_unlock(&a->mu);
}

int cx_attempt_wait(cx_attempt *a, uint64_t deadline_ns) {
  struct timespec ts;
  cx_timespec_at(&ts, deadline_ns);
  pthread_mutex_lock(&a->mu);
  while (atomic_load(&a->state) == CX_ATTEMPT_PENDING) {
    if (pthread_cond_timedwait(&a->cv, &a->mu, &ts) == ETIMEDOUT &&
        atomic_load(&a->state) == CX_ATTEMPT_PENDING) {
      atomic_store(&a->state, CX_ATTEMPT_ABANDONED);
      pthread_cond_broadcast(&a->cv);
      break;
    }
  }
  int rc = atomic_load(&a->state) == CX_ATTEMPT_DONE ? a->status
                                                     : CX_ETIMEOUT;
  pthread_mutex_unlock(&a->mu);
  return rc;
}
