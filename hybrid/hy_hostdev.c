/* Host-thread device: queue + workers running exec on each attempt. */
#include "hy_hostdev.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define CX_HOSTDEV_CLOSE_DEFAULT_NS 10000000000ull /* 10 s */

struct cx_hostdev {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  cx_attempt *head, *tail;
  bool stopping;
  unsigned threads;
  unsigned exited;           /* workers that left their loop */
  uint64_t close_timeout_ns; /* destroy's wait for them */
  pthread_t *tids;
  cx_hostdev_exec_fn exec;
  cx_hostdev_taken_fn taken;
  void *ctx;
  cx_backend_metrics *m;
};

static void *cx_hostdev_main(void *opaque) {
  cx_hostdev *d = opaque;
  pthread_mutex_lock(&d->mu);
  for (;;) {
    while (!d->head && !d->stopping)
      pthread_cond_wait(&d->cv, &d->mu);
    cx_attempt *a = d->head;
    if (!a)
      break; /* stopping and drained */
    d->head = a->next;
    if (!d->head)
      d->tail = NULL;
    a->next = NULL;
    bool stopping = d->stopping;
    pthread_mutex_unlock(&d->mu);
    if (stopping) {
      cx_attempt_complete(a, CX_ESTATE);
    } else if (cx_attempt_abandoned(a)) {
      /* Timed out before it started: no work, nothing to take. */
      cx_attempt_complete(a, CX_ETIMEOUT);
      cx_metric_add(&d->m->late_dropped, 1);
    } else {
      uint64_t t0 = cx_now_ns();
      int status = d->exec(d->ctx, a);
      cx_metric_add(&d->m->busy_ns, cx_now_ns() - t0);
      if (status == CX_OK && a->end_ns > a->start_ns)
        cx_metric_add(&d->m->kernel_ns, a->end_ns - a->start_ns);
      if (!cx_attempt_complete_cb(a, status, d->taken, d->ctx))
        cx_metric_add(&d->m->late_dropped, 1);
    }
    cx_attempt_release(a);
    pthread_mutex_lock(&d->mu);
  }
  d->exited++;
  pthread_cond_broadcast(&d->cv);
  pthread_mutex_unlock(&d->mu);
  return NULL;
}

/* Waits until `started` workers left their loop or the close timeout
 * passed; true when they all did. cv is on CLOCK_MONOTONIC. */
static bool cx_hostdev_wait_exit(cx_hostdev *d, unsigned started) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  uint64_t ns = (uint64_t)until.tv_nsec + d->close_timeout_ns;
  until.tv_sec += (time_t)(ns / 1000000000u);
  until.tv_nsec = (long)(ns % 1000000000u);
  pthread_mutex_lock(&d->mu);
  d->stopping = true;
  pthread_cond_broadcast(&d->cv);
  int rc = 0;
  while (d->exited < started && rc == 0)
    rc = pthread_cond_timedwait(&d->cv, &d->mu, &until);
  bool all = d->exited >= started;
  pthread_mutex_unlock(&d->mu);
  return all;
}

static bool cx_hostdev_stop(cx_hostdev *d, unsigned started) {
  if (!cx_hostdev_wait_exit(d, started)) {
    /* A worker is stuck in exec: leave it (and d, which it uses) behind. */
    for (unsigned i = 0; i < started; i++)
      pthread_detach(d->tids[i]);
    return false;
  }
  for (unsigned i = 0; i < started; i++)
    pthread_join(d->tids[i], NULL);
  pthread_cond_destroy(&d->cv);
  pthread_mutex_destroy(&d->mu);
  free(d->tids);
  free(d);
  return true;
}

cx_hostdev *cx_hostdev_create(unsigned threads, cx_hostdev_exec_fn exec,
                              cx_hostdev_taken_fn taken, void *ctx,
                              cx_backend_metrics *m, uint64_t close_timeout_ns,
                              cx_error *err) {
  if (threads == 0)
    threads = 1;
  cx_hostdev *d = calloc(1, sizeof *d);
  if (!d || !(d->tids = calloc(threads, sizeof *d->tids))) {
    free(d);
    cx_error_set(err, CX_ENOMEM, "out of memory creating a device queue");
    return NULL;
  }
  pthread_mutex_init(&d->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&d->cv, &ca);
  pthread_condattr_destroy(&ca);
  d->close_timeout_ns =
      close_timeout_ns ? close_timeout_ns : CX_HOSTDEV_CLOSE_DEFAULT_NS;
  d->threads = threads;
  d->exec = exec;
  d->taken = taken;
  d->ctx = ctx;
  d->m = m;
  for (unsigned i = 0; i < threads; i++) {
    int rc = pthread_create(&d->tids[i], NULL, cx_hostdev_main, d);
    if (rc != 0) {
      (void)cx_hostdev_stop(d, i); /* idle workers: they all exit */
      cx_error_set(err, CX_ELIMIT, "could not start device thread "
                   "(pthread_create error %d)", rc);
      return NULL;
    }
  }
  return d;
}

int cx_hostdev_submit(cx_hostdev *d, cx_attempt *a, cx_error *err) {
  pthread_mutex_lock(&d->mu);
  if (d->stopping) {
    pthread_mutex_unlock(&d->mu);
    return cx_error_set(err, CX_ESTATE, "device is shutting down");
  }
  cx_attempt_ref(a);
  a->next = NULL;
  a->submit_ns = cx_now_ns();
  if (d->tail)
    d->tail->next = a;
  else
    d->head = a;
  d->tail = a;
  pthread_cond_signal(&d->cv);
  pthread_mutex_unlock(&d->mu);
  return CX_OK;
}

bool cx_hostdev_destroy(cx_hostdev *d) {
  return d ? cx_hostdev_stop(d, d->threads) : true;
}
