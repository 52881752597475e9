/* Block-STM workers; invariants in parallel.h and the headers it uses. */
#include "parallel.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "cx_error.h"
#include "sort.h"

int cx_par_init(cx_par *p) {
  memset(p, 0, sizeof *p);
  cx_mv_init(&p->mv);
  cx_stm_init(&p->sched);
  return CX_OK;
}

void cx_par_destroy(cx_par *p) {
  for (unsigned w = 0; w < p->workers_cap; w++) {
    if (p->workers[w]) {
      cx_arena_free(&p->workers[w]->arena);
      cx_arena_free(&p->workers[w]->rs_arena);
    }
    free(p->workers[w]);
  }
  free(p->workers);
  free(p->txs);
  free(p->locs);
  cx_mv_destroy(&p->mv);
  cx_stm_destroy(&p->sched);
  memset(p, 0, sizeof *p);
}

/* Per-transaction arrays for n transactions. */
static int par_grow_txs(cx_par *p, size_t n) {
  if (n <= p->tx_cap)
    return CX_OK;
  cx_par_tx *t = aligned_alloc(64, (n * sizeof *t + 63) & ~(size_t)63);
  if (!t)
    return CX_ENOMEM;
  free(p->txs);
  p->txs = t;
  p->tx_cap = n;
  return CX_OK;
}

/* Room for `locs` written-version pointers and k worker states. */
static int par_grow_rest(cx_par *p, size_t locs, unsigned k) {
  if (locs == 0)
    locs = 1; /* p->locs + offset must never be arithmetic on NULL */
  if (locs > p->locs_cap) {
    cx_mv_version **l = malloc(locs * sizeof *l);
    if (!l)
      return CX_ENOMEM;
    free(p->locs);
    p->locs = l;
    p->locs_cap = locs;
  }
  if (k > p->workers_cap) {
    cx_par_worker **ws = realloc(p->workers, k * sizeof *ws);
    if (!ws)
      return CX_ENOMEM;
    p->workers = ws;
    for (unsigned w = p->workers_cap; w < k; w++)
      ws[w] = NULL;
    p->workers_cap = k;
  }
  for (unsigned w = 0; w < k; w++) {
    if (!p->workers[w]) {
      /* Separate, cache-line aligned allocations keep workers' hot
       * counters apart. */
      size_t size = (sizeof(cx_par_worker) + 63) & ~(size_t)63;
      p->workers[w] = aligned_alloc(64, size);
      if (!p->workers[w])
        return CX_ENOMEM;
      memset(p->workers[w], 0, sizeof(cx_par_worker));
    }
  }
  return CX_OK;
}

/* Room for tx i's written versions: sender plus two keys per op; none for
 * a tx that takes its status without running (a malformed tx's op_count
 * is not meaningful). */
static size_t par_tx_locs(const cx_exec_input *in, size_t i) {
  if (cx_vm_prestatus(&in->txs[i], in->sig_ok[i]) != CX_VM_RUN)
    return 0;
  return 1 + 2 * (size_t)in->txs[i].op_count;
}

int cx_par_reset(cx_par *p, const cx_exec_input *in, cx_base_read_fn read,
                 void *read_ctx, uint8_t *statuses, unsigned k,
                 uint32_t batch) {
  if (in->n >= UINT32_MAX)
    return CX_ELIMIT;
  int rc = par_grow_txs(p, in->n);
  if (rc != 0)
    return rc;
  size_t locs = 0;
  for (size_t i = 0; i < in->n; i++) {
    atomic_init(&p->txs[i].rs, NULL);
    p->txs[i].loc_off = locs;
    p->txs[i].n_locs = 0;
    locs += par_tx_locs(in, i);
  }
  /* locs also bounds the keys the block can write (cx_seq_max_keys). */
  rc = par_grow_rest(p, locs, k);
  if (rc == 0)
    rc = cx_mv_reset(&p->mv, locs);
  if (rc == 0)
    rc = cx_stm_reset(&p->sched, (uint32_t)in->n);
  if (rc != 0)
    return rc;
  p->in = in;
  p->read = read;
  p->read_ctx = read_ctx;
  p->statuses = statuses;
  atomic_store(&p->error, 0);
  atomic_store(&p->claimed, 0);
  atomic_store(&p->final_claimed, 0);
  p->k = k;
  p->batch = batch ? batch : 1;
  for (unsigned w = 0; w < k; w++) {
    cx_par_worker *wk = p->workers[w];
    cx_arena_reset(&wk->arena);
    cx_arena_reset(&wk->rs_arena);
    wk->owned.head = NULL;
    wk->owned.count = 0;
    wk->par = p;
    wk->executions = wk->reexecutions = 0;
    wk->validation_failures = wk->dependency_waits = 0;
    wk->out = NULL;
    wk->out_n = 0;
  }
  return CX_OK;
}

static void par_fail(cx_par *p, int code) {
  int zero = 0;
  atomic_compare_exchange_strong(&p->error, &zero, code);
  cx_stm_halt(&p->sched);
}

/* The VM's read interface over the multi-version memory: records every
 * read with the version it saw, and points the cell's hint at the record
 * (par_record finds the slot there). The VM reads a key once per run. */
static int par_read(void *ctx, cx_vm_cell *cell) {
  cx_par_worker *w = ctx;
  cx_par *p = w->par;
  cx_mv_slot *slot =
      cx_mv_slot_get(&p->mv, &cell->key, &w->arena, &w->owned);
  if (!slot)
    return CX_ENOMEM;
  cx_mv_read r;
  cx_mv_read_at(slot, w->txn, &r);
  cx_par_read *rec = &w->rs->e[w->rs->n];
  rec->slot = slot;
  rec->seq = r.seq;
  cell->hint = rec;
  switch (r.kind) {
  case CX_MV_READ_ESTIMATE:
    w->blocker = r.txn;
    return CX_VM_SUSPEND;
  case CX_MV_READ_VALUE:
    rec->txn = r.txn;
    rec->incarnation = r.incarnation;
    cell->v0 = r.v0;
    cell->v1 = r.v1;
    w->rs->n++;
    return 0;
  default:
    rec->txn = CX_MV_STORAGE;
    rec->incarnation = 0;
    w->rs->n++;
    return p->read(p->read_ctx, &cell->key, &cell->v0, &cell->v1);
  }
}

/* Publishes the finished incarnation's reads and writes. Returns 0 and
 * sets *wrote_new, or CX_ENOMEM. */
static int par_record(cx_par_worker *w, uint32_t txn, uint32_t inc,
                      int committed, int *wrote_new) {
  cx_par *p = w->par;
  cx_par_tx *t = &p->txs[txn];
  uint32_t stamp = inc + 1, n_new = 0;
  cx_mv_version **locs = p->locs + t->loc_off;
  /* A first incarnation has no earlier writes to compare: its list goes
   * straight into place. */
  cx_mv_version **dst = t->n_locs ? w->written : locs;
  *wrote_new = 0;
  for (unsigned c = 0; committed && c < w->vm.n; c++) {
    cx_vm_cell *cell = &w->vm.cells[c];
    if (!cell->written)
      continue;
    cx_par_read *rec = cell->hint; /* NULL for a blind write */
    cx_mv_slot *slot =
        rec ? rec->slot
            : cx_mv_slot_get(&p->mv, &cell->key, &w->arena, &w->owned);
    int fresh = 0;
    cx_mv_version *v =
        slot ? cx_mv_write(slot, txn, inc, cell->v0, cell->v1, &w->arena,
                           &fresh, rec ? &rec->seq : NULL)
             : NULL;
    if (!v)
      return CX_ENOMEM;
    v->stamp = stamp;
    *wrote_new |= fresh;
    dst[n_new++] = v;
  }
  for (uint32_t i = 0; i < t->n_locs; i++)
    if (locs[i]->stamp != stamp)
      cx_mv_mark_deleted(locs[i]);
  if (dst != locs && n_new > 0)
    memcpy(locs, dst, n_new * sizeof *locs);
  t->n_locs = n_new;
  /* Published last: cx_mv_write above may still adjust its seqs. */
  cx_par_readset *rs = w->rs;
  cx_arena_trim(&w->rs_arena, rs, sizeof *rs + rs->n * sizeof rs->e[0]);
  atomic_store_explicit(&t->rs, rs, memory_order_release);
  return CX_OK;
}

static cx_task par_execute(cx_par_worker *w, cx_task task) {
  cx_par *p = w->par;
  const cx_exec_input *in = p->in;
  uint32_t txn = task.txn, inc = task.incarnation;
  const cx_tx *tx = &in->txs[txn];
  unsigned pre = cx_vm_prestatus(tx, in->sig_ok[txn]);
  uint8_t status = (uint8_t)pre;
  int rc = 0;
  /* Room for the most reads a run can make, trimmed by par_record. */
  w->rs = cx_arena_alloc(&w->rs_arena, sizeof *w->rs +
                                           CX_VM_MAX_CELLS * sizeof w->rs->e[0]);
  if (!w->rs) {
    par_fail(p, CX_ENOMEM);
    return (cx_task){CX_TASK_NONE, 0, 0};
  }
  for (;;) {
    w->txn = txn;
    w->rs->n = 0;
    w->vm.n = 0;
    if (pre != CX_VM_RUN)
      break;
    rc = cx_vm_execute(tx, in->senders[txn], par_read, w, &w->vm, &status);
    if (rc != CX_VM_SUSPEND)
      break;
    cx_stm_dep *dep = cx_arena_alloc(&w->arena, sizeof *dep);
    if (!dep) {
      par_fail(p, CX_ENOMEM);
      return (cx_task){CX_TASK_NONE, 0, 0};
    }
    if (cx_stm_add_dependency(&p->sched, txn, w->blocker, dep)) {
      cx_arena_trim(&w->rs_arena, w->rs, 0); /* nothing to publish */
      w->dependency_waits++;
      return (cx_task){CX_TASK_NONE, 0, 0};
    }
    /* The writer finished meanwhile: its values are there now. */
  }
  if (pre == CX_VM_RUN && rc != 0) {
    par_fail(p, rc);
    return (cx_task){CX_TASK_NONE, 0, 0};
  }
  int wrote_new;
  rc = par_record(w, txn, inc, status == CX_TX_COMMITTED, &wrote_new);
  if (rc != 0) {
    par_fail(p, rc);
    return (cx_task){CX_TASK_NONE, 0, 0};
  }
  p->txs[txn].status = status;
  if (pre == CX_VM_RUN) {
    w->executions++;
    w->reexecutions += inc > 0;
  }
  return cx_stm_finish_execution(&p->sched, txn, inc, wrote_new);
}

static cx_task par_validate(cx_par_worker *w, cx_task task) {
  cx_par *p = w->par;
  uint32_t txn = task.txn;
  const cx_par_readset *rs =
      atomic_load_explicit(&p->txs[txn].rs, memory_order_acquire);
  int valid = 1;
  for (uint32_t i = 0; rs && valid && i < rs->n; i++)
    valid = cx_mv_unchanged(rs->e[i].slot, rs->e[i].seq) ||
            cx_mv_read_still(rs->e[i].slot, txn, rs->e[i].txn,
                             rs->e[i].incarnation);
  int aborted =
      !valid && cx_stm_try_validation_abort(&p->sched, txn, task.incarnation);
  if (aborted) {
    w->validation_failures++;
    cx_mv_version **locs = p->locs + p->txs[txn].loc_off;
    for (uint32_t i = 0; i < p->txs[txn].n_locs; i++)
      cx_mv_mark_estimate(locs[i]);
  }
  return cx_stm_finish_validation(&p->sched, txn, aborted);
}

/* Runs a task and every task that follows from it. */
static void par_chain(cx_par_worker *w, cx_task task) {
  while (task.kind != CX_TASK_NONE && !cx_stm_done(&w->par->sched)) {
    if (task.kind == CX_TASK_EXECUTE)
      task = par_execute(w, task);
    else
      task = par_validate(w, task);
  }
}

/* The final values of the slots one worker state created, sorted, into
 * that state's arena. */
static void par_final_one(cx_par *p, cx_par_worker *w) {
  cx_entry *tmp = cx_arena_alloc(&w->arena, (w->owned.count + 1) * sizeof *tmp);
  cx_entry *out = cx_arena_alloc(&w->arena, (w->owned.count + 1) * sizeof *out);
  if (!tmp || !out) {
    par_fail(p, CX_ENOMEM);
    return;
  }
  size_t n = 0;
  for (cx_mv_slot *s = w->owned.head; s; s = s->owned_next) {
    if (!cx_mv_final(s, &tmp[n].v0, &tmp[n].v1))
      continue;
    tmp[n].key = s->key;
    n++;
  }
  if (cx_mv_sort(tmp, n, out, &w->arena) != 0) {
    par_fail(p, CX_ENOMEM);
    return;
  }
  w->out = out;
  w->out_n = n;
}

/* After done: no claim is active, so no slot or version changes any more
 * (every change happens under a claim, and the release of the last claim
 * happens before done is set), and the final pass may read them all. */
#define PAR_STATUS_RANGE 4096u /* transactions per claim of status copy */

static void par_final(cx_par *p) {
  size_t n = p->in->n;
  size_t units = p->k + (n + PAR_STATUS_RANGE - 1) / PAR_STATUS_RANGE;
  for (;;) {
    size_t i = atomic_fetch_add(&p->final_claimed, 1);
    if (i >= units || atomic_load(&p->error) != 0)
      return;
    if (i < p->k) {
      par_final_one(p, p->workers[i]);
      continue;
    }
    size_t end = (i - p->k + 1) * PAR_STATUS_RANGE;
    for (size_t t = end - PAR_STATUS_RANGE; t < n && t < end; t++)
      p->statuses[t] = p->txs[t].status;
  }
}

void cx_par_work(void *arg, unsigned worker) {
  (void)worker;
  cx_par *p = arg;
  unsigned me = atomic_fetch_add(&p->claimed, 1);
  if (me >= p->k)
    return; /* more invocations than prepared states: nothing to add */
  cx_par_worker *w = p->workers[me];
  unsigned idle = 0;
  while (!cx_stm_done(&p->sched)) {
    cx_stm_claim c = cx_stm_next_claim(&p->sched, p->batch);
    if (c.kind == CX_TASK_NONE) {
      /* Nothing to claim until another worker finishes a task: yield the
       * core rather than spin on a machine that may be oversubscribed. */
      if (++idle > 8)
        sched_yield();
      continue;
    }
    idle = 0;
    for (uint32_t i = c.begin; i < c.end; i++)
      par_chain(w, cx_stm_task_for(&p->sched, c.kind, i));
    cx_stm_release(&p->sched);
  }
  par_final(p);
}

void cx_par_counters(const cx_par *p, cx_exec_counters *c) {
  memset(c, 0, sizeof *c);
  for (unsigned w = 0; w < p->k; w++) {
    const cx_par_worker *wk = p->workers[w];
    c->executions += wk->executions;
    c->reexecutions += wk->reexecutions;
    c->validation_failures += wk->validation_failures;
    c->dependency_waits += wk->dependency_waits;
  }
  c->path = CX_EXEC_PARALLEL;
  unsigned ran = atomic_load(&p->claimed);
  c->threads = ran < p->k ? ran : p->k;
}
