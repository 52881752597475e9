/* A one-word spin lock for critical sections of a few dozen instructions
 * (a version-list update, a status change). It lives beside the data it
 * guards, so taking it costs no extra cache miss and two unrelated locks
 * never share a line by accident. A waiter spins briefly, then yields the
 * core: the machine may run more threads than it has cores, and a waiter
 * must not burn the time slice of a preempted holder. Acquire/release
 * atomics only, so ThreadSanitizer sees the ordering.
 */
#ifndef CX_MVCC_SPIN_H
#define CX_MVCC_SPIN_H

#include <sched.h>
#include <stdatomic.h>

typedef atomic_uint cx_spin; /* 0 = free; zero-initialise or cx_spin_init */

static inline void cx_spin_init(cx_spin *l) { atomic_init(l, 0); }

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

static inline void cx_spin_lock(cx_spin *l) {
  unsigned spins = 0;
  while (atomic_exchange_explicit(l, 1, memory_order_acquire)) {
    while (atomic_load_explicit(l, memory_order_relaxed))
      cx_spin_backoff(&spins);
  }
}

static inline void cx_spin_unlock(cx_spin *l) {
  atomic_store_explicit(l, 0, memory_order_release);
}

#endif /* CX_MVCC_SPIN_H */
