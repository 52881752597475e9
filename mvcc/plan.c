/* Planning of the planned executor (phases 1 and 2 of plan.h), its memory
 * and the workers' entry point. */
#include "plan.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "cx_error.h"
#include "claim.h"
#include "spin.h"

/* Transactions per claim of phase 1; slots per chunk of phase 2. */
#define PLAN_KEYS_RANGE 1024u
#define PLAN_CHUNK 256u

void cx_plan_init(cx_plan *p) { memset(p, 0, sizeof *p); }

void cx_plan_destroy(cx_plan *p) {
  free(p->off), free(p->cnt), free((void *)p->done);
  free(p->hash), free((void *)p->src);
  free(p->st), free(p->slots);
  for (unsigned q = 0; q < CX_PLAN_MAX_PARTS; q++)
    free(p->res[q]);
  for (unsigned q = 0; q < p->part_cap; q++) {
    free(p->part[q].index);
    for (unsigned r = 0; r < CX_MV_PARTS; r++)
      free(p->part[q].list[r]);
  }
  free(p->part);
  for (unsigned w = 0; w < p->workers_cap; w++)
    if (p->workers[w]) {
      free(p->workers[w]->dyn);
      free(p->workers[w]->pend);
      cx_arena_free(&p->workers[w]->arena);
      free(p->workers[w]);
    }
  free(p->workers);
  free((void *)p->items), free(p->out);
  cx_arena_free(&p->scratch);
  memset(p, 0, sizeof *p);
}

/* *ptr grown to hold n elements of `size` bytes (contents not kept). */
static int grow(void *ptr, size_t *cap, size_t n, size_t size) {
  if (n <= *cap)
    return CX_OK;
  void *q = aligned_alloc(64, (n * size + 63) & ~(size_t)63);
  if (!q)
    return CX_ENOMEM;
  free(*(void **)ptr);
  *(void **)ptr = q;
  *cap = n;
  return CX_OK;
}

static int grow_tx(cx_plan *p, size_t n) {
  if (n <= p->tx_cap)
    return CX_OK;
  size_t c = 0;
  int rc = grow(&p->off, &c, n + 1, sizeof *p->off);
  c = 0;
  if (rc == 0)
    rc = grow(&p->cnt, &c, n, sizeof *p->cnt);
  c = 0;
  if (rc == 0)
    rc = grow((void *)&p->done, &c, n, sizeof *p->done);
  c = 0;
  if (rc == 0)
    rc = grow(&p->st, &c, n, sizeof *p->st);
  if (rc == 0)
    p->tx_cap = n;
  else
    p->tx_cap = 0; /* some arrays may be short: regrow all next time */
  return rc;
}

static int grow_entries(cx_plan *p, size_t e) {
  if (e <= p->ent_cap)
    return CX_OK;
  size_t c = 0;
  int rc = grow(&p->hash, &c, e, sizeof *p->hash);
  c = 0;
  if (rc == 0)
    rc = grow((void *)&p->src, &c, e, sizeof *p->src);
  p->ent_cap = rc == 0 ? e : 0;
  return rc;
}

static int grow_workers(cx_plan *p, unsigned k) {
  if (k > p->workers_cap) {
    cx_plan_worker **ws = realloc(p->workers, k * sizeof *ws);
    if (!ws)
      return CX_ENOMEM;
    for (unsigned w = p->workers_cap; w < k; w++)
      ws[w] = NULL;
    p->workers = ws;
    p->workers_cap = k;
  }
  for (unsigned w = 0; w < k; w++)
    if (!p->workers[w]) {
      size_t size = (sizeof(cx_plan_worker) + 63) & ~(size_t)63;
      p->workers[w] = aligned_alloc(64, size);
      if (!p->workers[w])
        return CX_ENOMEM;
      memset(p->workers[w], 0, sizeof(cx_plan_worker));
    }
  if (k > p->part_cap) {
    cx_plan_part *pt = aligned_alloc(64, k * sizeof *pt);
    if (!pt)
      return CX_ENOMEM;
    memset(pt, 0, k * sizeof *pt);
    if (p->part_cap)
      memcpy(pt, p->part, p->part_cap * sizeof *pt);
    free(p->part);
    p->part = pt;
    p->part_cap = k;
  }
  return CX_OK;
}

int cx_plan_reset(cx_plan *p, const cx_exec_input *in, cx_base_read_fn read,
                  void *read_ctx, uint8_t *statuses, unsigned k,
                  uint32_t batch) {
  size_t n = in->n;
  if (n >= UINT32_MAX)
    return CX_ELIMIT;
  int rc = grow_tx(p, n + 1); /* never empty: an empty block too */
  if (rc != 0)
    return rc;
  /* Entry ranges: sender plus up to two keys per op (a bound: transfers
   * use two of their three). */
  size_t e = 0;
  for (size_t i = 0; i < n; i++) {
    p->off[i] = (uint32_t)e;
    if (cx_vm_prestatus(&in->txs[i], in->sig_ok[i]) == CX_VM_RUN)
      e += 1 + 2 * (size_t)in->txs[i].op_count;
    if (e >= (1u << 31))
      return CX_ELIMIT;
  }
  p->off[n] = (uint32_t)e;
  if ((rc = grow_entries(p, e ? e : 1)) != 0 ||
      (rc = grow_workers(p, k)) != 0)
    return rc;
  p->parts = k < CX_PLAN_MAX_PARTS ? k : CX_PLAN_MAX_PARTS;
  for (unsigned q = 0; q < p->parts; q++)
    if ((rc = grow(&p->res[q], &p->res_cap[q], e ? e : 1,
                   sizeof *p->res[q])) != 0)
      return rc;
  size_t slots = e + (size_t)k * PLAN_CHUNK;
  if ((rc = grow(&p->slots, &p->slots_alloc, slots, sizeof *p->slots)) != 0)
    return rc;
  p->slot_cap = slots;
  /* Each partition's index could hold every key (hashes chosen to fall in
   * one partition must not overflow it). */
  size_t cap = 16;
  while (cap < 2 * e)
    cap *= 2;
  for (unsigned q = 0; q < p->parts; q++) {
    cx_plan_part *pt = &p->part[q];
    if ((rc = grow(&pt->index, &pt->index_cap, cap, sizeof *pt->index)) != 0)
      return rc;
    pt->cap = cap;
    pt->next = pt->end = 0;
    pt->keys = pt->hot = 0;
  }
  /* The write set holds at most one entry per slot. */
  if (slots > p->out_cap) {
    cx_entry *o = malloc(slots * sizeof *o);
    if (!o)
      return CX_ENOMEM;
    free(p->out);
    p->out = o;
    p->out_cap = slots;
  }
  memset((void *)p->done, 0, n ? n : 1);
  for (unsigned w = 0; w < k; w++) {
    cx_plan_worker *wk = p->workers[w];
    wk->plan = p;
    wk->n_dyn = 0;
    wk->executions = wk->waits = 0;
    cx_arena_reset(&wk->arena);
  }
  p->in = in;
  p->read = read;
  p->read_ctx = read_ctx;
  p->statuses = statuses;
  p->k = k;
  p->batch = batch ? batch : 1;
  atomic_store(&p->claimed, 0);
  atomic_store(&p->keys_claim, 0);
  atomic_store(&p->keys_done, 0);
  atomic_store(&p->parts_claim, 0);
  atomic_store(&p->parts_done, 0);
  atomic_store(&p->slot_top, 0);
  atomic_store(&p->next_tx, 0);
  atomic_store(&p->txs_done, 0);
  atomic_store(&p->final_claim, 0);
  atomic_store(&p->error, 0);
  atomic_store(&p->conflict, 0);
  atomic_store(&p->stop, 0);
  return CX_OK;
}

/* --- Phase 1: each transaction's keys ------------------------------------ */

/* Entry j: the key at src, of `kind`; `blind` when the op writes it
 * without reading it (SET, COPY dst), so planning need not load it. */
static inline void put_entry(cx_plan *p, uint32_t j, uint8_t kind,
                             const uint8_t *src, int blind) {
  p->hash[j] = cx_plan_hash_raw(kind, src) | (uint64_t)blind << 1;
  p->src[j] = src;
}

static void plan_keys(cx_plan *p, size_t begin, size_t end) {
  const cx_exec_input *in = p->in;
  for (size_t i = begin; i < end; i++) {
    const cx_tx *tx = &in->txs[i];
    uint32_t j = p->off[i];
    if (p->off[i + 1] == j) { /* takes its status without running */
      p->cnt[i] = 0;
      continue;
    }
    put_entry(p, j++, CX_ENTRY_ACCOUNT, in->senders[i], 0);
    const uint8_t *cur = tx->ops;
    for (unsigned o = 0; o < tx->op_count; o++) {
      cx_op op;
      cx_tx_next_op(&cur, &op);
      put_entry(p, j++,
                op.code == CX_OP_TRANSFER ? CX_ENTRY_ACCOUNT : CX_ENTRY_KV,
                op.a, op.code == CX_OP_SET);
      if (op.b)
        put_entry(p, j++, CX_ENTRY_KV, op.b, 1);
    }
    p->cnt[i] = (uint16_t)(j - p->off[i]);
  }
}

/* --- Phase 2: slots and predecessors ------------------------------------- */


/* Key equality against a key's bytes in a transaction. */
static inline int key_is(const cx_key *k, uint8_t kind, const uint8_t *src) {
  if (k->kind != kind)
    return 0;
  if (kind == CX_ENTRY_ACCOUNT)
    return memcmp(k->bytes, src, 20) == 0;
  return memcmp(k->bytes, src, 32) == 0;
}

/* The slot of key (kind, src; plan hash h) in partition pt, or
 * CX_PLAN_NONE; *at is the index position where it is or would go.
 * Read-only. Bits 0 and 1 of h are flags, not index bits. */
static inline uint32_t probe(const cx_plan *p, const cx_plan_part *pt,
                             uint8_t kind, const uint8_t *src, uint64_t h,
                             size_t *at) {
  size_t mask = pt->cap - 1, i = (size_t)(h >> 2) & mask;
  for (;;) {
    uint32_t s = pt->index[i];
    if (s == 0 || key_is(&p->slots[s - 1].key, kind, src)) {
      *at = i;
      return s ? s - 1 : CX_PLAN_NONE;
    }
    i = (i + 1) & mask;
  }
}

uint32_t cx_plan_lookup(const cx_plan *p, const cx_key *key) {
  uint64_t h = cx_plan_hash(key);
  size_t at;
  return probe(p, &p->part[cx_plan_part_of(h, p->parts)], key->kind, key->bytes, h,
               &at);
}

/* Records slot s (key k) in pt's list of its write-set range. */
static int list_slot(cx_plan_part *pt, const cx_key *k, uint32_t s) {
  unsigned q = cx_mv_part(k);
  if (pt->n[q] == pt->lcap[q]) {
    uint32_t cap = pt->lcap[q] ? 2 * pt->lcap[q] : 256;
    uint32_t *l = realloc(pt->list[q], cap * sizeof *l);
    if (!l)
      return CX_ENOMEM;
    pt->list[q] = l;
    pt->lcap[q] = cap;
  }
  pt->list[q][pt->n[q]++] = s;
  return CX_OK;
}

/* A new slot for partition pt, or CX_PLAN_NONE when the slots ran out
 * (impossible: there is one per entry plus a chunk per partition). */
static uint32_t new_slot(cx_plan *p, cx_plan_part *pt) {
  if (pt->next == pt->end) {
    uint32_t base = atomic_fetch_add(&p->slot_top, PLAN_CHUNK);
    if ((size_t)base + PLAN_CHUNK > p->slot_cap)
      return CX_PLAN_NONE;
    pt->next = base;
    pt->end = base + PLAN_CHUNK;
  }
  return pt->next++;
}

static void plan_fail(cx_plan *p, int code) {
  int zero = 0;
  atomic_compare_exchange_strong(&p->error, &zero, code);
  atomic_store(&p->stop, 1);
}

/* Partition q: a slot per key, each entry's predecessor. A key first
 * touched by a read is loaded from the base here, off the execution's
 * critical path (a key first written blind is loaded on first read, if
 * any, during execution). */
static void plan_part(cx_plan *p, unsigned q) {
  cx_plan_part *pt = &p->part[q];
  memset(pt->index, 0, pt->cap * sizeof *pt->index);
  memset(pt->n, 0, sizeof pt->n);
  size_t n = p->in->n;
  unsigned parts = p->parts;
  uint32_t keys = 0, hot = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t j0 = p->off[i], jn = j0 + p->cnt[i];
    for (uint32_t j = j0; j < jn; j++) {
      uint64_t h = p->hash[j];
      if (cx_plan_part_of(h, parts) != q)
        continue;
      uint8_t kind = h & 1 ? CX_ENTRY_KV : CX_ENTRY_ACCOUNT;
      size_t at;
      uint32_t s = probe(p, pt, kind, p->src[j], h, &at);
      cx_plan_slot *sl;
      if (s == CX_PLAN_NONE) {
        s = new_slot(p, pt);
        if (s == CX_PLAN_NONE)
          return plan_fail(p, CX_ELIMIT);
        sl = &p->slots[s];
        if (kind == CX_ENTRY_ACCOUNT)
          cx_vm_key_account(&sl->key, p->src[j]);
        else
          cx_vm_key_kv(&sl->key, p->src[j]);
        sl->loaded = sl->written = 0;
        sl->used = 1;
        sl->touches = 0;
        sl->last = CX_PLAN_NONE;
        pt->index[at] = s + 1;
        keys++;
        int rc = list_slot(pt, &sl->key, s);
        if (rc == 0 && !(h & 2)) {
          rc = p->read(p->read_ctx, &sl->key, &sl->v0, &sl->v1);
          sl->loaded = 1;
        }
        if (rc != 0)
          return plan_fail(p, rc);
      }
      sl = &p->slots[s];
      uint64_t *res = &p->res[q][j];
      if (sl->last == (uint32_t)i) { /* the same key twice in one tx */
        *res = s | (uint64_t)CX_PLAN_NONE << 32;
        continue;
      }
      *res = s | (uint64_t)sl->last << 32;
      sl->last = (uint32_t)i;
      if (++sl->touches > hot)
        hot = sl->touches;
    }
  }
  for (uint32_t s = pt->next; s < pt->end; s++)
    p->slots[s].used = 0; /* the rest of the chunk: not a key */
  pt->keys = keys;
  pt->hot = hot;
}

/* --- Workers ------------------------------------------------------------- */

/* Waits until `done` reaches `all`: every claim is held by a running
 * worker, so this never waits for a worker to start. */
static void wait_for(atomic_uint *done, unsigned all) {
  unsigned spins = 0;
  while (atomic_load_explicit(done, memory_order_acquire) < all)
    cx_spin_backoff(&spins);
}

void cx_plan_work(void *arg, unsigned worker) {
  cx_plan *p = arg;
  unsigned me = cx_claim_state(&p->claimed, p->k, worker);
  if (me >= p->k)
    return;
  size_t n = p->in->n;
  unsigned ranges = (unsigned)((n + PLAN_KEYS_RANGE - 1) / PLAN_KEYS_RANGE);
  for (unsigned r; (r = atomic_fetch_add(&p->keys_claim, 1)) < ranges;) {
    size_t b = (size_t)r * PLAN_KEYS_RANGE;
    plan_keys(p, b, b + PLAN_KEYS_RANGE < n ? b + PLAN_KEYS_RANGE : n);
    atomic_fetch_add_explicit(&p->keys_done, 1, memory_order_release);
  }
  wait_for(&p->keys_done, ranges);
  for (unsigned q; (q = atomic_fetch_add(&p->parts_claim, 1)) < p->parts;) {
    plan_part(p, q);
    atomic_fetch_add_explicit(&p->parts_done, 1, memory_order_release);
  }
  wait_for(&p->parts_done, p->parts);
  if (atomic_load(&p->error) == 0)
    cx_planexec_run(p, p->workers[me]);
}
