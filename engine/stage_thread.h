/* A helper thread that runs one job at a time for the overlapped pipeline
 * (prepare ahead, commit behind).
 *
 * Invariants: at most one job is queued or running (`has_job`); submit()
 * is only called when the thread is idle, wait() returns the job's result
 * and makes everything the job wrote visible to the caller (mutex
 * hand-off). Only the thread that started the stage thread submits to it,
 * waits for it and stops it.
 */
#ifndef CX_ENGINE_STAGE_THREAD_H
#define CX_ENGINE_STAGE_THREAD_H

#include <pthread.h>
#include <stdbool.h>

typedef int (*cx_stage_fn)(void *arg);

typedef struct cx_stage_thread {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  cx_stage_fn fn;
  void *arg;
  int rc;
  bool has_job; /* submitted and not yet waited for */
  bool done;    /* the submitted job has returned */
  bool stop;
} cx_stage_thread;

/* Starts the thread. Returns 0, or an errno value (nothing to stop then). */
int cx_stage_thread_start(cx_stage_thread *t);

/* Hands fn(arg) to the idle thread. */
void cx_stage_thread_submit(cx_stage_thread *t, cx_stage_fn fn, void *arg);

/* True when a job was submitted and not waited for yet. */
bool cx_stage_thread_busy(const cx_stage_thread *t);

/* Waits for the submitted job and returns its result (0 when none). */
int cx_stage_thread_wait(cx_stage_thread *t);

/* Waits for any job, stops and joins the thread. */
void cx_stage_thread_stop(cx_stage_thread *t);

#endif /* CX_ENGINE_STAGE_THREAD_H */
