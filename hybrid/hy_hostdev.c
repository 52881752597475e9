/* Host-thread device: queue + workers running exec on each attempt. */
#include "hy_hostdev.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct cx_hostdev {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  cx_attempt *head, *tail;
  bool stopping;
  unsigned threads;
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
  pthread_mutex_unlock(&d->mu);
  return NULL;
}

static void cx_hostdev_stop(cx_hostdev *d, unsigned started) {
  pthread_mutex_lock(&d->mu);
  d->stopping = true;
  pthread_cond_broadcast(&d->cv);
  pthread_mutex_unlock(&d->mu);
  for (unsigned i = 0; i < started; i++)
    pthread_join(d->tids[i], NULL);
  pthread_cond_destroy(&d->cv);
  pthread_mutex_destroy(&d->mu);
  free(d->tids);
  free(d);
}

cx_hostdev *cx_hostdev_create(unsigned threads, cx_hostdev_exec_fn exec,
                              cx_hostdev_taken_fn taken, void *ctx,
                              cx_backend_metrics *m, cx_error *err) {
  if (threads == 0)
    threads = 1;
  cx_hostdev *d = calloc(1, sizeof *d);
  if (!d || !(d->tids = calloc(threads, sizeof *d->tids))) {
    free(d);
    cx_error_set(err, CX_ENOMEM, "out of memory creating a device queue");
    return NULL;
  }
  pthread_mutex_init(&d->mu, NULL);
  pthread_cond_init(&d->cv, NULL);
  d->threads = threads;
  d->exec = exec;
  d->taken = taken;
  d->ctx = ctx;
  d->m = m;
  for (unsigned i = 0; i < threads; i++) {
    int rc = pthread_create(&d->tids[i], NULL, cx_hostdev_main, d);
    if (rc != 0) {
      cx_hostdev_stop(d, i);
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

void cx_hostdev_destroy(cx_hostdev *d) {
  if (d)
    cx_hostdev_stop(d, d->threads);
}
