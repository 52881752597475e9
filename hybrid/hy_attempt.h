/* A device attempt: one homogeneous device batch with its own copies of the
 * inputs and its own result buffers, shared by the scheduler (which waits
 * for it with a deadline) and the backend (which computes it).
 *
 * Invariants:
 *  - inputs are copied at creation, so a backend that finishes after the
 *    scheduler gave up never reads caller memory;
 *  - `state` goes PENDING -> DONE (cx_attempt_complete) or PENDING ->
 *    ABANDONED (cx_attempt_wait at the deadline), exactly once; the result
 *    buffers are read by the scheduler only after DONE, so a late result
 *    is dropped and an attempt's result is taken at most once;
 *  - `refs` counts holders (creator + a backend that accepted it); the
 *    last cx_attempt_release frees it;
 *  - `next` belongs to the backend queue holding the attempt.
 */
#ifndef CX_HYBRID_ATTEMPT_H
#define CX_HYBRID_ATTEMPT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_sched.h"

enum { CX_ATTEMPT_PENDING, CX_ATTEMPT_DONE, CX_ATTEMPT_ABANDONED };

typedef struct cx_attempt {
  atomic_int refs;
  atomic_int state;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC; signalled on DONE and ABANDONED */
  int status;        /* CX_OK or the device's error, valid once DONE */
  cx_task_kind kind;
  size_t n;
  /* CX_TASK_VERIFY: contiguous n*33, n*32, n*64 bytes; verdicts n. */
  uint8_t *pub33s, *digests, *sigs64, *verdicts;
  /* CX_TASK_SHA256: messages back to back (msg_len bytes in all, below
   * 4 GiB), message i at offsets[i] with lens[i] bytes (the layout of
   * cx_gpu_sha256_batch); out n digests. */
  uint8_t *msg_data;
  size_t msg_len;
  uint32_t *offsets, *lens;
  uint8_t (*out)[32];
  size_t bytes_in, bytes_out;
  uint64_t submit_ns, start_ns, end_ns; /* monotonic; set by the device */
  int tag; /* for the backend holding it (e.g. the sim fault drawn) */
  struct cx_attempt *next;
} cx_attempt;

/* Monotonic clock in nanoseconds. */
uint64_t cx_now_ns(void);

/* Copies items [lo, hi) of a verify request into a new attempt (refs=1).
 * NULL on allocation failure. */
cx_attempt *cx_attempt_create_verify(const uint8_t *const *pubkeys,
                                     const uint8_t *const *digests,
                                     const uint8_t *const *sigs, size_t lo,
                                     size_t hi);
/* The same for SHA-256 messages; NULL also when the messages of the range
 * add up to 4 GiB or more (the device layout uses 32-bit offsets). */
cx_attempt *cx_attempt_create_sha(const uint8_t *const *msgs,
                                  const size_t *lens, size_t lo, size_t hi);

void cx_attempt_ref(cx_attempt *a);
void cx_attempt_release(cx_attempt *a);

/* Device side: publishes the result with `status`. Returns false when the
 * attempt was already abandoned (the result is dropped). Call once. */
bool cx_attempt_complete(cx_attempt *a, int status);

/* The same, calling on_taken(ctx, a) (when not NULL) if the result is
 * taken, before the scheduler can see it: whatever on_taken counts is
 * visible to the scheduler once its wait returns. */
bool cx_attempt_complete_cb(cx_attempt *a, int status,
                            void (*on_taken)(void *ctx, const cx_attempt *a),
                            void *ctx);

/* True once the scheduler gave up on the attempt. */
bool cx_attempt_abandoned(const cx_attempt *a);

/* Device side: waits until the attempt is abandoned or `until_ns` passes
 * (used by the sim to hang past the deadline). */
void cx_attempt_wait_abandoned(cx_attempt *a, uint64_t until_ns);

/* Scheduler side: waits for completion until `deadline_ns` (monotonic).
 * Returns the device status, or CX_ETIMEOUT after abandoning the attempt
 * (a completion racing with the deadline wins if it came first). */
int cx_attempt_wait(cx_attempt *a, uint64_t deadline_ns);

#endif /* CX_HYBRID_ATTEMPT_H */
