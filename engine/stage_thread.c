/* One-job helper thread (see stage_thread.h). */
#include "stage_thread.h"

static void *stage_main(void *p) {
  cx_stage_thread *t = p;
  pthread_mutex_lock(&t->mu);
  for (;;) {
    while (!t->stop && !(t->has_job && !t->done))
      pthread_cond_wait(&t->cv, &t->mu);
    if (t->has_job && !t->done) {
      cx_stage_fn fn = t->fn;
      void *arg = t->arg;
      pthread_mutex_unlock(&t->mu);
      int rc = fn(arg);
      pthread_mutex_lock(&t->mu);
      t->rc = rc;
      t->done = true;
      pthread_cond_broadcast(&t->cv);
      continue;
    }
    break; /* stop requested and no job left */
  }
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

int cx_stage_thread_start(cx_stage_thread *t) {
  t->fn = NULL;
  t->arg = NULL;
  t->rc = 0;
  t->has_job = t->done = t->stop = false;
  int rc = pthread_mutex_init(&t->mu, NULL);
  if (rc != 0)
    return rc;
  rc = pthread_cond_init(&t->cv, NULL);
  if (rc != 0) {
    pthread_mutex_destroy(&t->mu);
    return rc;
  }
  rc = pthread_create(&t->thread, NULL, stage_main, t);
  if (rc != 0) {
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
  }
  return rc;
}

void cx_stage_thread_submit(cx_stage_thread *t, cx_stage_fn fn, void *arg) {
  pthread_mutex_lock(&t->mu);
  t->fn = fn;
  t->arg = arg;
  t->has_job = true;
  t->done = false;
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

bool cx_stage_thread_busy(const cx_stage_thread *t) {
  return t->has_job; /* only the owning thread changes or reads it */
}

int cx_stage_thread_wait(cx_stage_thread *t) {
  pthread_mutex_lock(&t->mu);
  int rc = 0;
  if (t->has_job) {
    while (!t->done)
      pthread_cond_wait(&t->cv, &t->mu);
    rc = t->rc;
    t->has_job = false;
  }
  pthread_mutex_unlock(&t->mu);
  return rc;
}

void cx_stage_thread_stop(cx_stage_thread *t) {
  cx_stage_thread_wait(t);
  pthread_mutex_lock(&t->mu);
  t->stop = true;
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
  pthread_join(t->thread, NULL);
  pthread_cond_destroy(&t->cv);
  pthread_mutex_destroy(&t->mu);
}
