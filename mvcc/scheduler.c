/* Block-STM scheduler; invariants in scheduler.h. Lock order: a worker
 * never holds two transaction locks at once. */
#include "scheduler.h"

#include <stdlib.h>
#include <string.h>

#include "cx_error.h"

enum { ST_READY, ST_EXECUTING, ST_EXECUTED, ST_ABORTING };

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
  int ok = 0;
  cx_spin *l = tx_lock(s, txn);
  cx_spin_lock(l);
  cx_stm_tx *t = &s->txs[txn];
  if (t->status == ST_READY) {
    t->status = ST_EXECUTING;
    *incarnation = t->incarnation;
    ok = 1;
  }
  cx_spin_unlock(l);
  return ok;
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

cx_task cx_stm_task_for(cx_stm *s, int kind, uint32_t txn) {
  cx_task t = {CX_TASK_NONE, txn, 0};
  if (kind == CX_TASK_EXECUTE) {
    if (try_incarnate(s, txn, &t.incarnation))
      t.kind = CX_TASK_EXECUTE;
    return t;
  }
  cx_spin *l = tx_lock(s, txn);
  cx_spin_lock(l);
  if (s->txs[txn].status == ST_EXECUTED) {
    t.kind = CX_TASK_VALIDATE;
    t.incarnation = s->txs[txn].incarnation;
  }
  cx_spin_unlock(l);
  return t;
}

static void set_ready(cx_stm *s, uint32_t txn) {
  cx_spin *l = tx_lock(s, txn);
  cx_spin_lock(l);
  s->txs[txn].incarnation++;
  s->txs[txn].status = ST_READY;
  cx_spin_unlock(l);
}

static void set_status(cx_stm *s, uint32_t txn, uint8_t status) {
  cx_spin *l = tx_lock(s, txn);
  cx_spin_lock(l);
  s->txs[txn].status = status;
  cx_spin_unlock(l);
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
  int suspended = b->status != ST_EXECUTED;
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

cx_task cx_stm_finish_execution(cx_stm *s, uint32_t txn,
                                  uint32_t incarnation, int wrote_new) {
  cx_spin *l = tx_lock(s, txn);
  cx_spin_lock(l);
  s->txs[txn].status = ST_EXECUTED;
  cx_stm_dep *deps = s->txs[txn].deps;
  s->txs[txn].deps = NULL;
  cx_spin_unlock(l);
  if (deps) {
    uint32_t min = UINT32_MAX;
    for (cx_stm_dep *d = deps; d; d = d->next) {
      set_ready(s, d->txn);
      if (d->txn < min)
        min = d->txn;
    }
    decrease_idx(s, &s->execution_idx, min);
  }
  if (atomic_load(&s->validation_idx) > txn) {
    if (!wrote_new) {
      cx_task t = {CX_TASK_VALIDATE, txn, incarnation};
      return t;
    }
    decrease_idx(s, &s->validation_idx, txn);
  }
  return no_task;
}

int cx_stm_try_validation_abort(cx_stm *s, uint32_t txn,
                                  uint32_t incarnation) {
  int won = 0;
  cx_spin *l = tx_lock(s, txn);
  cx_spin_lock(l);
  cx_stm_tx *t = &s->txs[txn];
  if (t->status == ST_EXECUTED && t->incarnation == incarnation) {
    t->status = ST_ABORTING;
    won = 1;
  }
  cx_spin_unlock(l);
  return won;
}

cx_task cx_stm_finish_validation(cx_stm *s, uint32_t txn, int aborted) {
  if (aborted) {
    set_ready(s, txn);
    decrease_idx(s, &s->validation_idx, (uint64_t)txn + 1);
    if (atomic_load(&s->execution_idx) > txn) {
      cx_task t = {CX_TASK_EXECUTE, txn, 0};
      if (try_incarnate(s, txn, &t.incarnation))
        return t;
    }
  }
  return no_task;
}

void cx_stm_halt(cx_stm *s) { atomic_store(&s->done, 1); }
