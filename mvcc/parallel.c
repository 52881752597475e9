/* Block-STM workers; invariants in parallel.h and the headers it uses. */
#include "parallel.h"

#include <limits.h>
#include <stddef.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "claim.h"
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
  free(p->out);
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

/* Room for a write set of `keys` entries and k worker states. */
static int par_grow_rest(cx_par *p, size_t keys, unsigned k) {
  if (keys == 0)
    keys = 1; /* p->out + offset must never be arithmetic on NULL */
  if (keys > p->out_cap) {
    cx_entry *o = malloc(keys * sizeof *o);
    if (!o)
      return CX_ENOMEM;
    free(p->out);
    p->out = o;
    p->out_cap = keys;
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

/* The most keys tx i can touch: sender plus two per op; none for a tx
 * that takes its status without running (a malformed tx's op_count is not
 * meaningful). */
static size_t par_tx_keys(const cx_exec_input *in, size_t i) {
  if (cx_vm_prestatus(&in->txs[i], in->sig_ok[i]) != CX_VM_RUN)
    return 0;
  return 1 + 2 * (size_t)in->txs[i].op_count;
}

/* Keys expected per transaction when the table is not sized exactly: a
 * sender and one op's key (a transfer), with room to spare. */
#define PAR_KEYS_PER_TX 3u

int cx_par_reset(cx_par *p, const cx_exec_input *in, cx_base_read_fn read,
                 void *read_ctx, uint8_t *statuses, unsigned k,
                 uint32_t batch, int exact) {
  if (in->n >= UINT32_MAX)
    return CX_ELIMIT;
  int rc = par_grow_txs(p, in->n);
  if (rc != 0)
    return rc;
  /* Sender plus two keys per op bounds the keys the block can touch
   * (cx_seq_max_keys); summing it reads every transaction once more, so
   * it is done only after a block overflowed the estimate. */
  size_t keys = PAR_KEYS_PER_TX * in->n + 64;
  if (keys > CX_MV_MAX_KEYS)
    keys = CX_MV_MAX_KEYS; /* a block that needs more fails exactly below */
  if (exact) {
    keys = 0;
    for (size_t i = 0; i < in->n; i++)
      keys += par_tx_keys(in, i);
  }
  rc = cx_mv_reset(&p->mv, keys, exact);
  if (rc == 0) /* the write set holds at most one entry per slot */
    rc = par_grow_rest(p, cx_mv_limit(&p->mv), k);
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
    memset(&wk->owned, 0, sizeof wk->owned);
    wk->owned.arena = &wk->arena;
    wk->par = p;
    wk->executions = wk->reexecutions = 0;
    wk->validation_failures = wk->dependency_waits = 0;
  }
  return CX_OK;
}

static void par_fail(cx_par *p, int code) {
  int zero = 0;
  atomic_compare_exchange_strong(&p->error, &zero, code);
  cx_stm_halt(&p->sched);
}

/* Read-set marks: a key that had no slot when read (par_record gives it
 * one), and a seq no slot can show (forces the full check of
 * cx_mv_read_still; a slot would need 2^32 - 1 writes to reach it). */
#define PAR_SLOT_PENDING UINT32_MAX
#define PAR_SEQ_RECHECK UINT_MAX

/* The VM's read interface over the multi-version memory: records every
 * read with the version it saw, and points the cell's hint at the record
 * (par_record finds the slot there). The VM reads a key once per run. A
 * key no transaction has touched yet is read from the base state without
 * creating its slot: par_record creates it, with this transaction's
 * version when it writes the key, so a new key costs one atomic operation
 * rather than an insert and then a locked write. */
static int par_read(void *ctx, cx_vm_cell *cell) {
  cx_par_worker *w = ctx;
  cx_par *p = w->par;
  cx_par_read *rec = &w->rs->e[w->rs->n];
  cell->hint = rec;
  size_t at;
  cx_mv_slot *slot = cx_mv_slot_find(&p->mv, &cell->key, &at);
  if (!slot) {
    rec->slot = PAR_SLOT_PENDING;
    rec->seq = (unsigned)at; /* where par_record's probe starts */
    rec->txn = CX_MV_STORAGE;
    rec->incarnation = 0;
    w->rs->n++;
    return p->read(p->read_ctx, &cell->key, &cell->v0, &cell->v1);
  }
  cx_mv_read r;
  cx_mv_read_at(slot, w->txn, &r);
  rec->slot = (uint32_t)cx_mv_slot_index(&p->mv, slot);
  rec->seq = r.seq;
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

/* True when the keys written now (locs[0..n)) include slot. */
static int par_wrote(const cx_par_loc *locs, uint32_t n, cx_par_loc slot) {
  for (uint32_t i = 0; i < n; i++)
    if (locs[i] == slot)
      return 1;
  return 0;
}

/* Publishes the finished incarnation's reads and writes. Returns 0 and
 * sets *wrote_new, or CX_ENOMEM. */
static int par_record(cx_par_worker *w, uint32_t txn, uint32_t inc,
                      int committed, int *wrote_new) {
  cx_par *p = w->par;
  cx_par_tx *t = &p->txs[txn];
  uint32_t n_new = 0;
  unsigned n_cells = committed ? w->vm.n : 0;
  /* The written keys go right after the read set, in the same allocation
   * (sized for both in par_execute), and are kept with it. */
  cx_par_readset *rs = w->rs;
  cx_par_loc *locs = cx_par_locs(rs);
  *wrote_new = 0;
  for (unsigned c = 0; c < w->vm.n; c++) {
    cx_vm_cell *cell = &w->vm.cells[c];
    cx_par_read *rec = cell->hint; /* NULL for a blind write */
    int write = c < n_cells && cell->written;
    if (!write && !(rec && rec->slot == PAR_SLOT_PENDING))
      continue;
    cx_mv_slot *slot = NULL;
    cx_mv_version *v = NULL;
    int fresh = 0, inserted = 0;
    if (rec && rec->slot != PAR_SLOT_PENDING) {
      slot = cx_mv_slot_at(&p->mv, rec->slot);
    } else {
      /* A new key (as far as this run saw): its slot, created now with
       * this transaction's version when it writes it. */
      cx_mv_version *first =
          write ? cx_mv_version_new(&w->arena, txn, inc, cell->v0, cell->v1)
                : NULL;
      if (write && !first)
        return CX_ENOMEM;
      if (rec) {
        size_t at = rec->seq;
        slot = cx_mv_slot_probe(&p->mv, &cell->key, &at, &w->owned, first,
                                &inserted);
      } else {
        slot = cx_mv_slot_lookup(&p->mv, &cell->key, &w->owned, first,
                                 &inserted);
      }
      if (!slot)
        return w->owned.full ? CX_PAR_RETRY : CX_ENOMEM;
      if (inserted) {
        v = first;
        fresh = write;
      }
      if (rec) {
        rec->slot = (uint32_t)cx_mv_slot_index(&p->mv, slot);
        /* Created by us: nothing was written to it before (seq 0, and our
         * own version is invisible to our reads). Found: another
         * transaction created it after our read, so check it in full. */
        rec->seq = inserted ? 0 : PAR_SEQ_RECHECK;
      }
    }
    if (!write)
      continue;
    if (!v)
      v = cx_mv_write(slot, txn, inc, cell->v0, cell->v1, &w->arena, &fresh,
                      rec ? &rec->seq : NULL);
    if (!v)
      return CX_ENOMEM;
    *wrote_new |= fresh;
    locs[n_new++] = (cx_par_loc)cx_mv_slot_index(&p->mv, slot);
  }
  /* Keys the previous incarnation wrote and this one did not. */
  const cx_par_readset *prev =
      atomic_load_explicit(&t->rs, memory_order_relaxed); /* ours */
  if (prev) {
    const cx_par_loc *old = cx_par_locs(prev);
    for (uint32_t i = 0; i < prev->n_locs; i++)
      if (!par_wrote(locs, n_new, old[i]))
        cx_mv_mark_deleted(cx_mv_slot_at(&p->mv, old[i]), txn);
  }
  rs->n_locs = n_new;
  cx_arena_trim(&w->rs_arena, rs,
                (size_t)((char *)(locs + n_new) - (char *)rs));
  /* Published last: cx_mv_write above may still adjust its seqs. */
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
  if (inc == 0) /* first run in this block: no earlier writes (parallel.h) */
    atomic_store_explicit(&p->txs[txn].rs, NULL, memory_order_relaxed);
  /* Room for the most reads and writes a run can make, trimmed by
   * par_record. */
  size_t room = CX_VM_MAX_CELLS * (sizeof w->rs->e[0] + sizeof(cx_par_loc));
  w->rs = cx_arena_alloc(&w->rs_arena, sizeof *w->rs + room);
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
  for (uint32_t i = 0; rs && valid && i < rs->n; i++) {
    cx_mv_slot *slot = cx_mv_slot_at(&p->mv, rs->e[i].slot);
    valid = cx_mv_unchanged(slot, rs->e[i].seq) ||
            cx_mv_read_still(slot, txn, rs->e[i].txn, rs->e[i].incarnation);
  }
  int aborted =
      !valid && cx_stm_try_validation_abort(&p->sched, txn, task.incarnation);
  if (aborted) {
    w->validation_failures++;
    const cx_par_loc *locs = cx_par_locs(rs);
    for (uint32_t i = 0; i < rs->n_locs; i++)
      cx_mv_mark_estimate(cx_mv_slot_at(&p->mv, locs[i]), txn);
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

/* Prefetch distances, in transactions ahead of the one about to run: the
 * decoded transaction and its records first, then its ops (whose address
 * the decoded transaction holds), so neither stalls the run. (Prefetching
 * the slots of its keys, for writing, measured slower: it pulls lines
 * from the other cores while they still use them.) */
#define PAR_AHEAD_TX 6u
#define PAR_AHEAD_OPS 4u

static void par_prefetch(const cx_par *p, uint32_t i) {
  const cx_exec_input *in = p->in;
  uint32_t j = i + PAR_AHEAD_TX;
  if (j < in->n) {
    __builtin_prefetch(&in->txs[j]);
    __builtin_prefetch(&p->sched.txs[j], 1);
    __builtin_prefetch(&p->txs[j], 1);
  }
  j = i + PAR_AHEAD_OPS;
  if (j < in->n) {
    __builtin_prefetch(in->txs[j].ops);
    __builtin_prefetch(in->senders[j]);
  }
}

/* After done: no claim is active, so no slot or version changes any more
 * (every change happens under a claim, and the release of the last claim
 * happens before done is set), and the final pass may read them all. */

/* Entry i of the final pass's live slots (ctx). */
static void par_fill(void *ctx, size_t i, cx_entry *e) {
  const cx_mv_slot *s = ((const cx_mv_slot *const *)ctx)[i];
  e->key = s->key;
  cx_mv_final(s, &e->v0, &e->v1);
}

/* The final values of part q's keys, sorted, at p->out + p->part_off[q];
 * scratch from w's arena. */
static void par_final_part(cx_par *p, cx_par_worker *w, unsigned q) {
  size_t off = 0, slots = 0;
  for (unsigned w2 = 0; w2 < p->k; w2++) {
    const cx_mv_owned *o = &p->workers[w2]->owned;
    for (unsigned r = 0; r < q; r++)
      off += o->count[r];
    slots += o->count[q];
  }
  p->part_off[q] = off;
  p->part_n[q] = 0;
  if (slots == 0)
    return;
  /* The keys a committed transaction wrote, then sorted entries built
   * straight from their slots (no array of unsorted entries). */
  const cx_mv_slot **live = cx_arena_alloc(&w->arena, slots * sizeof *live);
  if (!live) {
    par_fail(p, CX_ENOMEM);
    return;
  }
  size_t n = 0;
  for (unsigned w2 = 0; w2 < p->k; w2++)
    for (const cx_mv_owned_block *b = p->workers[w2]->owned.head[q]; b;
         b = b->next)
      for (uint32_t j = 0; j < b->n; j++)
        if (cx_mv_final(b->s[j], NULL, NULL))
          live[n++] = b->s[j];
  if (cx_mv_sort_items((const void *const *)live, offsetof(cx_mv_slot, key),
                       n, par_fill, (void *)live, p->out + off,
                       &w->arena) != 0) {
    par_fail(p, CX_ENOMEM);
    return;
  }
  p->part_n[q] = n;
}

#define PAR_STATUS_RANGE 4096u /* transactions per claim of status copy */

static void par_final(cx_par *p, cx_par_worker *w) {
  size_t n = p->in->n;
  size_t units = CX_MV_PARTS + (n + PAR_STATUS_RANGE - 1) / PAR_STATUS_RANGE;
  for (;;) {
    size_t i = atomic_fetch_add(&p->final_claimed, 1);
    if (i >= units || atomic_load(&p->error) != 0)
      return;
    if (i < CX_MV_PARTS) {
      par_final_part(p, w, (unsigned)i);
      continue;
    }
    size_t end = (i - CX_MV_PARTS + 1) * PAR_STATUS_RANGE;
    for (size_t t = end - PAR_STATUS_RANGE; t < n && t < end; t++)
      p->statuses[t] = p->txs[t].status;
  }
}

const cx_entry *cx_par_writes(cx_par *p, size_t *n) {
  size_t pos = 0;
  for (unsigned q = 0; q < CX_MV_PARTS; q++) {
    if (p->part_off[q] != pos && p->part_n[q] > 0)
      memmove(p->out + pos, p->out + p->part_off[q],
              p->part_n[q] * sizeof *p->out);
    pos += p->part_n[q];
  }
  *n = pos;
  return p->out;
}

void cx_par_work(void *arg, unsigned worker) {
  cx_par *p = arg;
  unsigned me = cx_claim_state(&p->claimed, p->k, worker);
  if (me >= p->k)
    return; /* more invocations than prepared states: nothing to add */
  cx_par_worker *w = p->workers[me];
  unsigned idle = 0;
  while (!cx_stm_done(&p->sched)) {
    cx_stm_claim c = cx_stm_next_claim(&p->sched, p->batch, me, p->k);
    if (c.kind == CX_TASK_NONE) {
      /* Nothing to claim until another worker finishes a task: yield the
       * core rather than spin on a machine that may be oversubscribed. */
      if (++idle > 8)
        sched_yield();
      continue;
    }
    idle = 0;
    for (uint32_t i = c.begin; i < c.end; i++) {
      if (c.kind == CX_TASK_EXECUTE)
        par_prefetch(p, i);
      par_chain(w, cx_stm_task_for(&p->sched, c.kind, i));
    }
    cx_stm_release(&p->sched);
  }
  par_final(p, w);
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
  c->threads = (unsigned)__builtin_popcountll(atomic_load(&p->claimed));
}
