/* Block-STM scheduler; invariants in scheduler.h. Lock order: a worker
 * never holds two transaction locks at once. */
#include "scheduler.h"

#include <stdlib.h>
#include <string.h>

#include "cx_error.h"

enum {
  ST_READY = CX_STM_READY,
  ST_EXECUTING = CX_STM_EXECUTING,
  ST_EXECUTED = CX_STM_EXECUTED,
  ST_ABORTING = CX_STM_ABORTING
};

static const cx_task no_task = {CX_TASK_NONE, 0, 0};

void cx_stm_init(cx_stm *s) { memset(s, 0, sizeof *s); }

void cx_stm_destroy(cx_stm *s) {
  free(s->txs);
  free((void *)s->owner);
  memset(s, 0, sizeof *s);
}

#define STM_MAX_GEN (((uint64_t)1 << (64 - CX_STM_GEN_SHIFT)) - 1)

int cx_stm_reset(cx_stm *s, uint32_t n) {
  int clear = atomic_load(&s->halted);
  if (n > s->txs_cap) {
    cx_stm_tx *t = aligned_alloc(_Alignof(cx_stm_tx), (size_t)n * sizeof *t);
    atomic_uchar *o = calloc(n / CX_STM_OWNER_SPAN + 1, sizeof *o);
    if (!t || !o) {
      free(t);
      free((void *)o);
      return CX_ENOMEM;
    }
    free(s->txs);
    free((void *)s->owner);
    s->txs = t;
    s->owner = o;
    s->txs_cap = n;
    clear = 1;
  }
  uint64_t gen = s->gen_bits >> CX_STM_GEN_SHIFT;
  /* Generation 0, lock free, no dependents: READY at incarnation 0 for
   * every later generation (see scheduler.h). */
  if ((clear || gen == STM_MAX_GEN) && s->txs_cap > 0) {
    memset(s->txs, 0, s->txs_cap * sizeof *s->txs);
    gen = 0;
  }
  s->gen_bits = (gen + 1) << CX_STM_GEN_SHIFT;
  atomic_store(&s->halted, 0);
  s->n = n;
  atomic_store(&s->execution_idx, 0);
  atomic_store(&s->validation_idx, 0);
  atomic_store(&s->decrease_cnt, 0);
  atomic_store(&s->num_active_tasks, 0);
  atomic_store(&s->done, n == 0);
  return CX_OK;
}

#define ST(inc, status)                                                        \
  (s->gen_bits |                                                               \
   (uint64_t)((uint32_t)(inc) & CX_STM_INC_MASK) << CX_STM_INC_SHIFT |        \
   (status))
#define ST_STATUS(st) ((unsigned)((st) & 3))
#define ST_INC(st) cx_stm_inc(st)
#define ST_FLAGS(st) ((st) & (CX_STM_LOCK | CX_STM_DEPS))

/* Every state access is sequentially consistent (see scheduler.h). */

/* A move made by the transaction's owner (see scheduler.h): the next
 * incarnation when `next`, the given status, LOCK and DEPS kept. */
static void move_state(cx_stm *s, uint32_t txn, int next, unsigned status) {
  atomic_uint_fast64_t *a = &s->txs[txn].state;
  uint_fast64_t raw = atomic_load(a);
  for (;;) {
    uint64_t st = cx_stm_state_now(s, raw);
    if (atomic_compare_exchange_weak(
            a, &raw, ST(ST_INC(st) + (next ? 1 : 0), status) | ST_FLAGS(st)))
      return;
  }
}

/* Takes txn's LOCK; returns the state it held (LOCK clear). */
static uint64_t lock_state(cx_stm *s, uint32_t txn) {
  atomic_uint_fast64_t *a = &s->txs[txn].state;
  unsigned spins = 0;
  uint_fast64_t raw = atomic_load(a);
  for (;;) {
    if (raw & CX_STM_LOCK) {
      cx_spin_backoff(&spins);
      raw = atomic_load(a);
    } else if (atomic_compare_exchange_weak(a, &raw, raw | CX_STM_LOCK)) {
      return raw;
    }
  }
}

static void decrease_idx(cx_stm *s, atomic_uint_fast64_t *idx,
                         uint64_t target) {
  uint_fast64_t cur = atomic_load(idx);
  while (cur > target && !atomic_compare_exchange_weak(idx, &cur, target)) {
  }
  atomic_fetch_add(&s->decrease_cnt, 1);
}

static void check_done(cx_stm *s) {
  uint_fast64_t observed = atomic_load(&s->decrease_cnt);
  uint_fast64_t e = atomic_load(&s->execution_idx);
  uint_fast64_t v = atomic_load(&s->validation_idx);
  if ((e < v ? e : v) >= s->n && atomic_load(&s->num_active_tasks) == 0 &&
      observed == atomic_load(&s->decrease_cnt))
    atomic_store(&s->done, 1);
}

/* READY -> EXECUTING. */
static int try_incarnate(cx_stm *s, uint32_t txn, uint32_t *incarnation) {
  cx_task t = cx_stm_task_for(s, CX_TASK_EXECUTE, txn);
  *incarnation = t.incarnation;
  return t.kind == CX_TASK_EXECUTE;
}

cx_stm_claim cx_stm_next_claim(cx_stm *s, uint32_t batch, unsigned me,
                               unsigned k) {
  cx_stm_claim c = {CX_TASK_NONE, 0, 0};
  uint_fast64_t v = atomic_load(&s->validation_idx);
  uint_fast64_t e = atomic_load(&s->execution_idx);
  int validate = v < e;
  if (validate && batch >= CX_STM_AFFINITY_BATCH && e < s->n &&
      v + (uint64_t)CX_STM_LAG_SPANS * CX_STM_OWNER_SPAN * k > e &&
      atomic_load_explicit(&s->owner[v / CX_STM_OWNER_SPAN],
                           memory_order_relaxed) != me)
    validate = 0; /* another worker's span: execute meanwhile */
  atomic_uint_fast64_t *idx = validate ? &s->validation_idx
                                       : &s->execution_idx;
  if (atomic_load(idx) >= s->n) {
    check_done(s);
    return c;
  }
  atomic_fetch_add(&s->num_active_tasks, 1);
  uint_fast64_t begin = atomic_fetch_add(idx, batch);
  if (begin >= s->n) {
    atomic_fetch_sub(&s->num_active_tasks, 1);
    return c;
  }
  c.kind = validate ? CX_TASK_VALIDATE : CX_TASK_EXECUTE;
  c.begin = (uint32_t)begin;
  c.end = begin + batch < s->n ? (uint32_t)(begin + batch) : s->n;
  if (!validate)
    for (uint32_t i = c.begin; i < c.end; i += CX_STM_OWNER_SPAN)
      atomic_store_explicit(&s->owner[i / CX_STM_OWNER_SPAN],
                            (unsigned char)me, memory_order_relaxed);
  return c;
}

void cx_stm_release(cx_stm *s) { atomic_fetch_sub(&s->num_active_tasks, 1); }

/* ABORTING -> READY with the next incarnation, by the owner. */
static void set_ready(cx_stm *s, uint32_t txn) {
  move_state(s, txn, 1, ST_READY);
}

/* A move by the owner that keeps the incarnation. */
static void set_status(cx_stm *s, uint32_t txn, unsigned status) {
  move_state(s, txn, 0, status);
}

int cx_stm_add_dependency(cx_stm *s, uint32_t txn, uint32_t blocking,
                            cx_stm_dep *node) {
  /* txn is ours (EXECUTING) and in no dependency list, so nobody else
   * looks at it until it is published below: marking it ABORTING first
   * and reverting when `blocking` turns out finished is safe, and spares
   * holding two locks at once. It must be ABORTING before it is visible
   * in the list, or blocking's resume could be overwritten. */
  set_status(s, txn, ST_ABORTING);
  cx_stm_tx *b = &s->txs[blocking];
  uint64_t st = cx_stm_state_now(s, lock_state(s, blocking));
  int suspended = ST_STATUS(st) != ST_EXECUTED;
  if (suspended) { /* deps is meaningful only while DEPS is set */
    node->txn = txn;
    node->next = (st & CX_STM_DEPS) ? b->deps : NULL;
    b->deps = node;
  }
  /* Unlock, keeping what others moved meanwhile (a dependent does not
   * stop the owner's moves, only the move to EXECUTED). */
  uint_fast64_t raw = atomic_load(&b->state);
  while (!atomic_compare_exchange_weak(
      &b->state, &raw,
      (raw & ~(uint64_t)CX_STM_LOCK) | (suspended ? CX_STM_DEPS : 0u))) {
  }
  if (!suspended)
    set_status(s, txn, ST_EXECUTING);
  return suspended;
}

cx_stm_dep *cx_stm_finish_with_deps(cx_stm *s, uint32_t txn, uint64_t to) {
  uint64_t st = cx_stm_state_now(s, lock_state(s, txn));
  cx_stm_tx *t = &s->txs[txn];
  cx_stm_dep *deps = (st & CX_STM_DEPS) ? t->deps : NULL;
  t->deps = NULL;
  /* The owner holds LOCK and nobody else moves EXECUTING: a store that
   * clears LOCK and DEPS. */
  atomic_store(&t->state, to);
  return deps;
}

void cx_stm_after_execution(cx_stm *s, uint32_t txn, cx_stm_dep *deps,
                            int lower_validation) {
  if (deps) {
    uint32_t min = UINT32_MAX;
    for (cx_stm_dep *d = deps; d; d = d->next) {
      set_ready(s, d->txn);
      if (d->txn < min)
        min = d->txn;
    }
    decrease_idx(s, &s->execution_idx, min);
  }
  if (lower_validation)
    decrease_idx(s, &s->validation_idx, txn);
}

int cx_stm_try_validation_abort(cx_stm *s, uint32_t txn,
                                  uint32_t incarnation) {
  atomic_uint_fast64_t *a = &s->txs[txn].state;
  uint_fast64_t raw = atomic_load(a);
  for (;;) {
    uint64_t st = cx_stm_state_now(s, raw);
    if (ST_STATUS(st) != ST_EXECUTED ||
        ST_INC(st) != (incarnation & CX_STM_INC_MASK))
      return 0;
    if (atomic_compare_exchange_weak(
            a, &raw, ST(incarnation, ST_ABORTING) | ST_FLAGS(st)))
      return 1;
  }
}

cx_task cx_stm_finish_abort(cx_stm *s, uint32_t txn) {
  set_ready(s, txn);
  decrease_idx(s, &s->validation_idx, (uint64_t)txn + 1);
  if (atomic_load(&s->execution_idx) > txn) {
    cx_task t = {CX_TASK_EXECUTE, txn, 0};
    if (try_incarnate(s, txn, &t.incarnation))
      return t;
  }
  return no_task;
}

void cx_stm_halt(cx_stm *s) {
  atomic_store(&s->halted, 1); /* locks or dependents may be left behind */
  atomic_store(&s->done, 1);
}
