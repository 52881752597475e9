/* Health of one device backend: circuit breaker plus trust state.
 *
 * Invariants (under `mu`):
 *  - CLOSED: work may be submitted; `last_fail_ns` is the time of the
 *    latest failure (0 = none); a second failure within `window_ns` of it
 *    opens the breaker.
 *  - OPEN: no work until `opened_ns + cooldown_ns`; then the first
 *    cx_breaker_acquire() turns it HALF_OPEN and returns a probe.
 *  - HALF_OPEN: exactly one probe is in flight; its success closes the
 *    breaker, its failure reopens it (opened_ns = now).
 *  - `trusted` is true only after `trust_after` consecutive successes
 *    with no failure in between; every failure clears it.
 * `state_pub`, `trusted_pub` and `opens` mirror the state for lock-free
 * readers (metrics).
 */
#ifndef CX_HYBRID_BREAKER_H
#define CX_HYBRID_BREAKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum cx_breaker_state {
  CX_BREAKER_CLOSED = 0,
  CX_BREAKER_OPEN = 1,
  CX_BREAKER_HALF_OPEN = 2
} cx_breaker_state;

typedef struct cx_breaker {
  pthread_mutex_t mu;
  cx_breaker_state state;
  uint64_t last_fail_ns, opened_ns, window_ns, cooldown_ns;
  unsigned clean_streak, trust_after;
  bool trusted;
  atomic_int state_pub;
  atomic_bool trusted_pub;
  atomic_ullong opens, probes;
} cx_breaker;

void cx_breaker_init(cx_breaker *b, uint64_t window_ns, uint64_t cooldown_ns,
                     unsigned trust_after);
void cx_breaker_destroy(cx_breaker *b);

/* May work be submitted at `now_ns`? Sets *probe when this submission is
 * the half-open probe (its outcome must be reported). */
bool cx_breaker_acquire(cx_breaker *b, uint64_t now_ns, bool *probe);

/* Reports a clean batch (result taken, cross-check passed). */
void cx_breaker_success(cx_breaker *b, bool probe);

/* Reports an error, timeout or mismatch at `now_ns`. */
void cx_breaker_failure(cx_breaker *b, uint64_t now_ns, bool probe);

/* Gives back a probe that was acquired but never submitted. */
void cx_breaker_cancel(cx_breaker *b, bool probe);

/* True when the breaker is open and its cooldown is over at now_ns, i.e.
 * the next cx_breaker_acquire() would return a probe. */
bool cx_breaker_probe_due(cx_breaker *b, uint64_t now_ns);

/* Lock-free reads for routing and metrics. */
bool cx_breaker_trusted(const cx_breaker *b);
cx_breaker_state cx_breaker_state_now(const cx_breaker *b);

#endif /* CX_HYBRID_BREAKER_H */
