/* Waiting for another thread for a few dozen instructions (a slot's
 * sequence lock, a transaction's LOCK bit, a slot being filled): spin
 * briefly, then yield the core. The machine may run more threads than it
 * has cores, and a waiter must not burn the time slice of a preempted
 * holder. The waits themselves use acquire/release atomics only, so
 * ThreadSanitizer sees the ordering.
 */
#ifndef CX_MVCC_SPIN_H
#define CX_MVCC_SPIN_H

#include <sched.h>

static inline void cx_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* One step of waiting for another thread: pause briefly, then yield. */
static inline void cx_spin_backoff(unsigned *spins) {
  if (++*spins < 100)
    cx_cpu_relax();
  else
    sched_yield();
}

#endif /* CX_MVCC_SPIN_H */
