/* Execution on a plan (phase 3 of plan.h) and the block's write set. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cx_error.h"
#include "plan.h"
#include "sort.h"
#include "spin.h"

static void stop_with(cx_plan *p, atomic_int *flag, int code) {
  int zero = 0;
  atomic_compare_exchange_strong(flag, &zero, code);
  atomic_store(&p->stop, 1);
}

/* The slot of one of the running transaction's planned keys, or NULL. */
static inline cx_plan_slot *own_slot(const cx_plan_worker *w,
                                     const cx_key *key) {
  const cx_plan *p = w->plan;
  uint32_t j0 = p->off[w->txn], jn = j0 + p->cnt[w->txn];
  for (uint32_t j = j0; j < jn; j++) {
    cx_plan_slot *s = &p->slots[cx_plan_slot_of(p, j)];
    if (cx_vm_key_eq(&s->key, key))
      return s;
  }
  return NULL;
}

/* The VM's read interface: the key's slot (the base on first touch). */
static int plan_read(void *ctx, cx_vm_cell *cell) {
  cx_plan_worker *w = ctx;
  cx_plan_slot *s = own_slot(w, &cell->key);
  if (!s)
    return CX_PLAN_FALLBACK;
  cell->hint = s;
  if (!s->loaded) {
    int rc = w->plan->read(w->plan->read_ctx, &s->key, &s->v0, &s->v1);
    if (rc != 0)
      return rc;
    s->loaded = 1;
  }
  cell->v0 = s->v0;
  cell->v1 = s->v1;
  return 0;
}

/* Keeps a run-time key's write (its own list; see plan.h). */
static int keep_dynamic(cx_plan_worker *w, const cx_vm_cell *c) {
  if (w->n_dyn == w->dyn_cap) {
    size_t cap = w->dyn_cap ? 2 * w->dyn_cap : 64;
    cx_plan_slot *d = aligned_alloc(64, cap * sizeof *d);
    if (!d)
      return CX_ENOMEM;
    if (w->n_dyn)
      memcpy(d, w->dyn, w->n_dyn * sizeof *d);
    free(w->dyn);
    w->dyn = d;
    w->dyn_cap = cap;
  }
  cx_plan_slot *d = &w->dyn[w->n_dyn++];
  d->key = c->key;
  d->last = w->txn;
  d->v0 = c->v0;
  d->v1 = c->v1;
  return CX_OK;
}

/* Applies a committed transaction's writes. Returns 0, or 1 when a
 * run-time key meets a planned key (conflict), or CX_ENOMEM. */
static int commit(cx_plan_worker *w) {
  for (unsigned c = 0; c < w->vm.n; c++) {
    const cx_vm_cell *cell = &w->vm.cells[c];
    if (!cell->written)
      continue;
    cx_plan_slot *s = cell->hint ? cell->hint : own_slot(w, &cell->key);
    if (s) {
      s->v0 = cell->v0;
      s->v1 = cell->v1;
      s->loaded = s->written = 1;
      continue;
    }
    if (cx_plan_lookup(w->plan, &cell->key) != CX_PLAN_NONE)
      return 1;
    int rc = keep_dynamic(w, cell);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* True when every predecessor of transaction i is done. */
static inline int ready(const cx_plan *p, uint32_t i) {
  uint32_t j0 = p->off[i], jn = j0 + p->cnt[i];
  for (uint32_t j = j0; j < jn; j++) {
    uint32_t q = cx_plan_pred_of(p, j);
    if (q != CX_PLAN_NONE &&
        !atomic_load_explicit(&p->done[q], memory_order_acquire))
      return 0;
  }
  return 1;
}

/* Runs transaction i (ready). Returns 0, or stops the block. */
static int run_tx(cx_plan *p, cx_plan_worker *w, uint32_t i) {
  const cx_exec_input *in = p->in;
  unsigned pre = cx_vm_prestatus(&in->txs[i], in->sig_ok[i]);
  uint8_t status = (uint8_t)pre;
  if (pre == CX_VM_RUN) {
    w->txn = i;
    int rc = cx_vm_execute(&in->txs[i], in->senders[i], plan_read, w, &w->vm,
                           &status);
    if (rc == CX_PLAN_FALLBACK) {
      stop_with(p, &p->conflict, 1);
      return -1;
    }
    if (rc != 0) {
      stop_with(p, &p->error, rc);
      return -1;
    }
    w->executions++;
    if (status == CX_TX_COMMITTED && (rc = commit(w)) != 0) {
      if (rc == 1)
        stop_with(p, &p->conflict, 1);
      else
        stop_with(p, &p->error, rc);
      return -1;
    }
  }
  p->st[i] = status;
  atomic_store_explicit(&p->done[i], 1, memory_order_release);
  return 0;
}

/* Prefetch distance, in transactions: the slots of the transaction that
 * far ahead (known from the plan) come into the cache while this one
 * runs. For reading: a write prefetch would take lines from the other
 * worker. */
#define PLAN_AHEAD 4u

static inline void prefetch_tx(const cx_plan *p, size_t i) {
  if (i >= p->in->n)
    return;
  uint32_t j0 = p->off[i], jn = j0 + p->cnt[i];
  for (uint32_t j = j0; j < jn && j < j0 + 4; j++)
    __builtin_prefetch(&p->slots[cx_plan_slot_of(p, j)]);
}

static void plan_final(cx_plan *p, cx_plan_worker *w);

/* Runs the ready transactions of w->pend[0..*np), keeping the others in
 * order. Returns how many ran, or -1 when the block stopped. */
static long run_pending(cx_plan *p, cx_plan_worker *w, size_t *np) {
  size_t left = 0;
  long ran = 0;
  for (size_t t = 0; t < *np; t++) {
    uint32_t i = w->pend[t];
    if (ready(p, i)) {
      if (run_tx(p, w, i) != 0)
        return -1;
      ran++;
    } else {
      w->pend[left++] = i;
    }
  }
  *np = left;
  return ran;
}

/* Deferred transactions a worker may carry, in claims: it keeps claiming
 * while some wait, so a predecessor still running on another worker
 * rarely leaves it spinning; past this it drains them first. */
#define PLAN_PEND_CLAIMS 4u

void cx_planexec_run(cx_plan *p, cx_plan_worker *w) {
  size_t n = p->in->n;
  uint32_t batch = p->batch;
  size_t cap = (size_t)batch * PLAN_PEND_CLAIMS;
  if (w->pend_cap < cap) {
    uint32_t *q = realloc(w->pend, cap * sizeof *q);
    if (!q) {
      stop_with(p, &p->error, CX_ENOMEM);
      return;
    }
    w->pend = q;
    w->pend_cap = cap;
  }
  /* Ready transactions run at once; the others wait, in order, while this
   * worker goes on with its next claims. Every claimed transaction's
   * predecessors are claimed too, by running workers, and the lowest
   * unfinished transaction is always ready, so the deferred ones always
   * drain. */
  size_t np = 0;
  int claims_left = 1;
  unsigned spins = 0;
  while (claims_left || np > 0) {
    if (atomic_load_explicit(&p->stop, memory_order_relaxed))
      return;
    size_t ran = 0;
    if (claims_left && np + batch <= cap) {
      size_t b = atomic_fetch_add_explicit(&p->next_tx, batch,
                                           memory_order_relaxed);
      if (b >= n) {
        claims_left = 0;
      } else {
        size_t e = b + batch < n ? b + batch : n;
        for (size_t i = b; i < b + PLAN_AHEAD && i < e; i++)
          prefetch_tx(p, i);
        for (size_t i = b; i < e; i++) {
          if (i + PLAN_AHEAD < e)
            prefetch_tx(p, i + PLAN_AHEAD);
          if (ready(p, (uint32_t)i)) {
            if (run_tx(p, w, (uint32_t)i) != 0)
              return;
            ran++;
          } else {
            w->pend[np++] = (uint32_t)i;
            w->waits++;
          }
        }
      }
    }
    long r = np ? run_pending(p, w, &np) : 0;
    if (r < 0)
      return;
    ran += (size_t)r;
    if (ran) {
      atomic_fetch_add_explicit(&p->txs_done, ran, memory_order_release);
      spins = 0;
    } else if (np) {
      cx_spin_backoff(&spins); /* nothing ready, nothing to claim */
    }
  }
  /* Every transaction claimed is being run by a running worker: wait for
   * them all, then share the write set. */
  spins = 0;
  while (atomic_load_explicit(&p->txs_done, memory_order_acquire) < n) {
    if (atomic_load_explicit(&p->stop, memory_order_relaxed))
      return;
    cx_spin_backoff(&spins);
  }
  plan_final(p, w);
}

/* --- The write set ------------------------------------------------------- */

static int cmp_dyn(const void *a, const void *b) {
  const cx_plan_slot *x = *(const cx_plan_slot *const *)a,
                     *y = *(const cx_plan_slot *const *)b;
  int c = cx_key_cmp(&x->key, &y->key);
  if (c)
    return c;
  return x->last < y->last ? -1 : x->last > y->last;
}

static void fill(void *ctx, size_t i, cx_entry *e) {
  const cx_plan_slot *s = ((const cx_plan_slot *const *)ctx)[i];
  e->key = s->key;
  e->v0 = s->v0;
  e->v1 = s->v1;
}

/* The final pass, shared by the workers when no run-time key was written
 * (else the caller builds the write set alone, cx_plan_writes): each range
 * q of the write set (cx_mv_part) gets its written slots, sorted, at
 * out + part_off[q]; the offsets count every slot of the earlier ranges,
 * and cx_plan_writes closes the gaps. */
static void plan_final(cx_plan *p, cx_plan_worker *w) {
  for (unsigned v = 0; v < p->k; v++)
    if (p->workers[v]->n_dyn)
      return;
  for (unsigned q; (q = atomic_fetch_add(&p->final_claim, 1)) < CX_MV_PARTS;) {
    size_t off = 0, slots = 0;
    for (unsigned t = 0; t < p->parts; t++) {
      for (unsigned r = 0; r < q; r++)
        off += p->part[t].n[r];
      slots += p->part[t].n[q];
    }
    p->part_off[q] = off;
    p->part_n[q] = 0;
    if (slots == 0)
      continue;
    const void **live = cx_arena_alloc(&w->arena, slots * sizeof *live);
    if (!live) {
      stop_with(p, &p->error, CX_ENOMEM);
      return;
    }
    size_t m = 0;
    for (unsigned t = 0; t < p->parts; t++) {
      const uint32_t *l = p->part[t].list[q];
      for (uint32_t r = 0; r < p->part[t].n[q]; r++)
        if (p->slots[l[r]].written)
          live[m++] = &p->slots[l[r]];
    }
    if (cx_mv_sort_items(live, offsetof(cx_plan_slot, key), m, fill,
                         (void *)live, p->out + off, &w->arena) != 0) {
      stop_with(p, &p->error, CX_ENOMEM);
      return;
    }
    p->part_n[q] = m;
  }
}

int cx_plan_writes(cx_plan *p, const cx_entry **writes, size_t *n) {
  int rc = atomic_load(&p->error);
  if (rc != 0)
    return rc;
  if (atomic_load(&p->conflict))
    return CX_PLAN_FALLBACK;
  if (p->in->n)
    memcpy(p->statuses, p->st, p->in->n);
  size_t dyn = 0;
  for (unsigned w = 0; w < p->k; w++)
    dyn += p->workers[w]->n_dyn;
  if (dyn == 0) { /* the workers wrote it (plan_final) */
    size_t pos = 0;
    for (unsigned q = 0; q < CX_MV_PARTS; q++) {
      if (p->part_off[q] != pos && p->part_n[q] > 0)
        memmove(p->out + pos, p->out + p->part_off[q],
                p->part_n[q] * sizeof *p->out);
      pos += p->part_n[q];
    }
    *writes = p->out;
    *n = pos;
    return CX_OK;
  }
  size_t top = atomic_load(&p->slot_top);
  if (top > p->slot_cap)
    top = p->slot_cap;
  if (top + dyn + 1 > p->items_cap) {
    const void **it = malloc((top + dyn + 1) * sizeof *it);
    if (!it)
      return CX_ENOMEM;
    free((void *)p->items);
    p->items = it;
    p->items_cap = top + dyn + 1;
  }
  size_t m = 0;
  for (size_t s = 0; s < top; s++)
    if (p->slots[s].used && p->slots[s].written)
      p->items[m++] = &p->slots[s];
  if (dyn > 0) {
    /* Run-time keys: the highest transaction index wins for each key. */
    const void **d = p->items + m;
    size_t nd = 0;
    for (unsigned w = 0; w < p->k; w++)
      for (size_t r = 0; r < p->workers[w]->n_dyn; r++)
        d[nd++] = &p->workers[w]->dyn[r];
    qsort(d, nd, sizeof *d, cmp_dyn);
    for (size_t r = 0; r < nd; r++)
      if (r + 1 == nd || cx_key_cmp(&((const cx_plan_slot *)d[r])->key,
                                    &((const cx_plan_slot *)d[r + 1])->key))
        p->items[m++] = d[r];
  }
  if (m + 1 > p->out_cap) { /* run-time keys beyond the slots */
    cx_entry *o = malloc((m + 1) * sizeof *o);
    if (!o)
      return CX_ENOMEM;
    free(p->out);
    p->out = o;
    p->out_cap = m + 1;
  }
  cx_arena_reset(&p->scratch);
  rc = cx_mv_sort_items(p->items, offsetof(cx_plan_slot, key), m, fill,
                        (void *)p->items, p->out, &p->scratch);
  if (rc != 0)
    return rc;
  *writes = p->out;
  *n = m;
  return CX_OK;
}

void cx_plan_counters(const cx_plan *p, cx_exec_counters *c,
                      cx_plan_stats *s) {
  uint64_t ex = 0, waits = 0, dyn = 0;
  for (unsigned w = 0; w < p->k; w++) {
    ex += p->workers[w]->executions;
    waits += p->workers[w]->waits;
    dyn += p->workers[w]->n_dyn;
  }
  c->executions = ex;
  c->reexecutions = c->validation_failures = 0;
  c->dependency_waits = waits;
  c->path = CX_EXEC_PLANNED;
  c->threads = (unsigned)__builtin_popcountll(atomic_load(&p->claimed));
  s->keys = s->hot = 0;
  for (unsigned q = 0; q < p->parts; q++) {
    s->keys += p->part[q].keys;
    if (p->part[q].hot > s->hot)
      s->hot = p->part[q].hot;
  }
  s->dynamic = dyn;
}
