/* Circuit breaker and trust state of a device backend. */
#include "hy_breaker.h"

static void cx_breaker_publish(cx_breaker *b) {
  atomic_store(&b->state_pub, (int)b->state);
  atomic_store(&b->trusted_pub, b->trusted);
}

void cx_breaker_init(cx_breaker *b, uint64_t window_ns, uint64_t cooldown_ns,
                     unsigned trust_after) {
  pthread_mutex_init(&b->mu, NULL);
  b->state = CX_BREAKER_CLOSED;
  b->last_fail_ns = b->opened_ns = 0;
  b->window_ns = window_ns;
  b->cooldown_ns = cooldown_ns;
  b->clean_streak = 0;
  b->trust_after = trust_after;
  b->trusted = false;
  atomic_init(&b->state_pub, CX_BREAKER_CLOSED);
  atomic_init(&b->trusted_pub, false);
  atomic_init(&b->opens, 0);
  atomic_init(&b->probes, 0);
}

void cx_breaker_destroy(cx_breaker *b) { pthread_mutex_destroy(&b->mu); }

bool cx_breaker_acquire(cx_breaker *b, uint64_t now_ns, bool *probe) {
  *probe = false;
  pthread_mutex_lock(&b->mu);
  bool ok = b->state == CX_BREAKER_CLOSED;
  if (b->state == CX_BREAKER_OPEN && now_ns - b->opened_ns >= b->cooldown_ns) {
    b->state = CX_BREAKER_HALF_OPEN;
    *probe = ok = true;
    atomic_fetch_add(&b->probes, 1);
    cx_breaker_publish(b);
  }
  pthread_mutex_unlock(&b->mu);
  return ok;
}

void cx_breaker_success(cx_breaker *b, bool probe) {
  pthread_mutex_lock(&b->mu);
  if (probe && b->state == CX_BREAKER_HALF_OPEN) {
    b->state = CX_BREAKER_CLOSED;
    b->last_fail_ns = 0;
  }
  if (++b->clean_streak >= b->trust_after)
    b->trusted = true;
  cx_breaker_publish(b);
  pthread_mutex_unlock(&b->mu);
}

void cx_breaker_failure(cx_breaker *b, uint64_t now_ns, bool probe) {
  pthread_mutex_lock(&b->mu);
  b->clean_streak = 0;
  b->trusted = false;
  bool open = (probe && b->state == CX_BREAKER_HALF_OPEN) ||
              (b->state == CX_BREAKER_CLOSED && b->last_fail_ns != 0 &&
               now_ns - b->last_fail_ns <= b->window_ns);
  b->last_fail_ns = now_ns ? now_ns : 1;
  if (open) {
    b->state = CX_BREAKER_OPEN;
    b->opened_ns = now_ns;
    atomic_fetch_add(&b->opens, 1);
  }
  cx_breaker_publish(b);
  pthread_mutex_unlock(&b->mu);
}

void cx_breaker_cancel(cx_breaker *b, bool probe) {
  if (!probe)
    return;
  pthread_mutex_lock(&b->mu);
  if (b->state == CX_BREAKER_HALF_OPEN) {
    b->state = CX_BREAKER_OPEN; /* cooldown already over: next call probes */
    cx_breaker_publish(b);
  }
  pthread_mutex_unlock(&b->mu);
}

bool cx_breaker_probe_due(cx_breaker *b, uint64_t now_ns) {
  pthread_mutex_lock(&b->mu);
  bool due = b->state == CX_BREAKER_OPEN &&
             now_ns - b->opened_ns >= b->cooldown_ns;
  pthread_mutex_unlock(&b->mu);
  return due;
}

bool cx_breaker_trusted(const cx_breaker *b) {
  return atomic_load(&b->trusted_pub);
}

cx_breaker_state cx_breaker_state_now(const cx_breaker *b) {
  return (cx_breaker_state)atomic_load(&b->state_pub);
}
