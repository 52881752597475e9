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
  memset(s, 0, sizeof *s);
}

int cx_stm_reset(cx_stm *s, uint32_t n) {
  if (n > s->txs_cap) {
    cx_stm_tx *t = aligned_alloc(_Alignof(cx_stm_tx), (size_t)n * sizeof *t);
    if (!t)
      return CX_ENOMEM;
    free(s->txs);
    s->txs = t;
    s->txs_cap = n;
  }
  /* READY, incarnation 0, no dependents, lock free. */
  if (n > 0) /* s->txs may still be NULL: memset(NULL, 0, 0) is UB */
    memset(s->txs, 0, (size_t)n * sizeof *s->txs);
  s->n = n;
  atomic_store(&s->execution_idx, 0);
  atomic_store(&s->validation_idx, 0);
  atomic_store(&s->decrease_cnt, 0);
  atomic_store(&s->num_active_tasks, 0);
  atomic_store(&s->done, n == 0);
  return CX_OK;
}

static cx_spin *tx_lock(cx_stm *s, uint32_t txn) { return &s->txs[txn].lock; }

#define ST(inc, status) ((uint64_t)(inc) << 2 | (status))
#define ST_STATUS(st) ((unsigned)((st) & 3))
#define ST_INC(st) ((uint32_t)((st) >> 2))

/* Every state access is sequentially consistent (see scheduler.h). */
static uint64_t load_state(cx_stm *s, uint32_t txn) {
  return atomic_load(&s->txs[txn].state);
}

/* A move made by the transaction's owner (see scheduler.h). */
static void store_state(cx_stm *s, uint32_t txn, uint64_t st) {
  atomic_store(&s->txs[txn].state, st);
}

/* from -> to, when the state is still `from`. */
static int cas_state(cx_stm *s, uint32_t txn, uint64_t from, uint64_t to) {
  uint_fast64_t expect = from;
  return atomic_compare_exchange_strong(&s->txs[txn].state, &expect, to);
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
  uint64_t st = load_state(s, txn);
  if (ST_STATUS(st) != ST_READY ||
      !cas_state(s, txn, st, ST(ST_INC(st), ST_EXECUTING)))
    return 0;
  *incarnation = ST_INC(st);
  return 1;
}

cx_stm_claim cx_stm_next_claim(cx_stm *s, uint32_t batch) {
  cx_stm_claim c = {CX_TASK_NONE, 0, 0};
  int validate =
      atomic_load(&s->validation_idx) < atomic_load(&s->execution_idx);
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
  return c;
}

void cx_stm_release(cx_stm *s) { atomic_fetch_sub(&s->num_active_tasks, 1); }

/* ABORTING -> READY with the next incarnation, by the owner. */
static void set_ready(cx_stm *s, uint32_t txn) {
  store_state(s, txn, ST(ST_INC(load_state(s, txn)) + 1, ST_READY));
}

/* A move by the owner that keeps the incarnation. */
static void set_status(cx_stm *s, uint32_t txn, unsigned status) {
  store_state(s, txn, ST(ST_INC(load_state(s, txn)), status));
}

int cx_stm_add_dependency(cx_stm *s, uint32_t txn, uint32_t blocking,
                            cx_stm_dep *node) {
  /* txn is ours (EXECUTING) and in no dependency list, so nobody else
   * looks at it until it is published below: marking it ABORTING first
   * and reverting when `blocking` turns out finished is safe, and spares
   * holding two locks at once. It must be ABORTING before it is visible
   * in the list, or blocking's resume could be overwritten. */
  set_status(s, txn, ST_ABORTING);
  cx_spin *l = tx_lock(s, blocking);
  cx_spin_lock(l);
  cx_stm_tx *b = &s->txs[blocking];
  int suspended = ST_STATUS(load_state(s, blocking)) != ST_EXECUTED;
  if (suspended) {
    node->txn = txn;
    node->next = b->deps;
    b->deps = node;
  }
  cx_spin_unlock(l);
  if (!suspended)
    set_status(s, txn, ST_EXECUTING);
  return suspended;
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
  return cas_state(s, txn, ST(incarnation, ST_EXECUTED),
                   ST(incarnation, ST_ABORTING));
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

void cx_stm_halt(cx_stm *s) { atomic_store(&s->done, 1); }
