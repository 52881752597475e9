/* The planned parallel executor: every key a transaction reads is in its
 * bytes (SPEC section 4: sender, TRANSFER recipients, op keys, COPY src
 * and dst, APPEND counters), so the block is planned before it runs, and
 * then runs on one single-version overlay with no validation and no
 * re-execution.
 *
 * Phases, each shared among the workers by claims on atomic counters (a
 * worker waits only for work another worker has claimed, never for a
 * worker to start, as cx_run_workers_fn requires):
 * 1. keys: by ranges of transactions, each transaction's static keys are
 *    listed (entries off[i] .. off[i] + cnt[i]) with their hashes;
 * 2. slots: by partitions of the key hash, each distinct key gets a slot
 *    (a cache line holding the key and its value), and each entry the
 *    previous transaction of the block that touched its key (`pred`, or
 *    CX_PLAN_NONE); a key first touched by a read is loaded from the base
 *    there (in parallel, off the execution's dependency chain);
 * 3. execution: workers claim batches of consecutive transactions and run
 *    each one once all its predecessors are done, deferring those that
 *    are not ready (and claiming on meanwhile); a transaction reads and
 *    writes its keys' slots only;
 * 4. write set: once every transaction is done, workers sort the written
 *    slots of each key range (cx_mv_part) into place; cx_plan_writes
 *    closes the gaps, or, when run-time keys were written, builds the
 *    write set alone.
 *
 * Invariants during execution:
 * - a slot is accessed only by a transaction that touches its key, and
 *   those are totally ordered through pred and done[] (release/acquire),
 *   so slot fields need no atomics; `loaded` says v0/v1 hold the key's
 *   value as of the latest transaction done (else the base has it), and
 *   `written` that a committed transaction wrote it;
 * - the only keys not planned are APPEND slot keys (they depend on the
 *   counter's value). A committed transaction's write of such a key that
 *   is not among its own planned keys is looked up in the plan: when some
 *   transaction of the block touches that key (not ordered against the
 *   writer), the run stops with `conflict` set and the caller re-runs the
 *   block on the sequential path; otherwise no transaction reads it, and
 *   it goes to the worker's dynamic list, where the highest transaction
 *   index wins for each key. The first transaction (in block order) whose
 *   write meets a planned key runs on correct inputs, so a conflict is
 *   never missed, and nothing of a stopped run is kept.
 * Memory is kept between blocks; nothing is allocated per transaction.
 */
#ifndef CX_MVCC_PLAN_H
#define CX_MVCC_PLAN_H

#include <stdatomic.h>

#include "arena.h"
#include "mvmemory.h"
#include "mvcc.h"
#include "vm.h"

#define CX_PLAN_NONE UINT32_MAX

/* Partitions of the key hash in planning (workers beyond share them). */
#define CX_PLAN_MAX_PARTS 8u

/* Returned by the read function when the VM asks for a key the plan does
 * not hold (impossible by SPEC section 4; kept as a guard): the block then
 * falls back like a conflict. Not a cx code. */
#define CX_PLAN_FALLBACK (-3)

/* One key of the block: one cache line. As a dynamic-list record, `last`
 * is the writing transaction. */
typedef struct cx_plan_slot {
  _Alignas(64) cx_key key;
  uint8_t loaded, written, used;
  uint32_t touches; /* transactions of the block touching the key */
  uint32_t last;    /* planning: latest transaction touching it */
  uint64_t v0, v1;
} cx_plan_slot;

/* A partition of the key hashes: its index of slot numbers (+1, 0 =
 * empty; linear probing, at most half full) and its chunk of slots. */
typedef struct cx_plan_part {
  _Alignas(64) uint32_t *index; /* a line each: partitions run on
                                   different workers */
  size_t cap, index_cap;
  uint32_t next, end; /* free slots of its current chunk */
  uint32_t keys, hot; /* distinct keys; most touches on one */
  /* Its slots by range of the write set (cx_mv_part), for the final pass:
   * list[q][0..n[q]) (grown when a block needs more, kept between blocks). */
  uint32_t *list[CX_MV_PARTS];
  uint32_t n[CX_MV_PARTS], lcap[CX_MV_PARTS];
} cx_plan_part;

typedef struct cx_plan_worker {
  struct cx_plan *plan;
  uint32_t txn;          /* running transaction */
  cx_plan_slot *dyn;     /* run-time keys written (see above) */
  size_t n_dyn, dyn_cap;
  uint32_t *pend;        /* deferred transactions, in block order */
  size_t pend_cap;
  cx_vm_buf vm;
  cx_arena arena; /* final pass scratch */
  uint64_t executions, waits;
} cx_plan_worker;

typedef struct cx_plan {
  const cx_exec_input *in;
  cx_base_read_fn read;
  void *read_ctx;
  uint8_t *statuses;
  unsigned k, parts;
  uint32_t batch;
  /* Per transaction (n entries; off has n + 1). */
  uint32_t *off;
  uint16_t *cnt;
  _Atomic uint8_t *done;
  uint8_t *st; /* statuses, line-aligned like done[] (claims of 64 own
                  whole lines); copied out by cx_plan_writes */
  size_t tx_cap;
  /* Per entry (off[n] of them). */
  uint64_t *hash; /* plan_hash: bit 0 is the kind (1 = kv) */
  const uint8_t **src;
  size_t ent_cap;
  /* Entry j's slot (low 32 bits) and predecessor (high 32), in the array
   * of its key's partition: each partition's worker writes only its own
   * array, so neighbouring entries of other partitions share no line. */
  uint64_t *res[CX_PLAN_MAX_PARTS];
  size_t res_cap[CX_PLAN_MAX_PARTS];
  cx_plan_slot *slots;
  size_t slot_cap, slots_alloc;
  cx_plan_part *part;
  unsigned part_cap;
  cx_plan_worker **workers;
  unsigned workers_cap;
  atomic_uint_fast64_t claimed; /* worker states taken */
  atomic_uint keys_claim, keys_done, parts_claim, parts_done;
  atomic_uint slot_top; /* slots handed out in chunks */
  atomic_size_t next_tx, txs_done;
  atomic_uint final_claim;
  size_t part_off[CX_MV_PARTS], part_n[CX_MV_PARTS];
  atomic_int error, conflict, stop;
  /* Write set, built by cx_plan_writes. */
  const void **items;
  size_t items_cap;
  cx_entry *out;
  size_t out_cap;
  cx_arena scratch;
} cx_plan;

/* Statistics of a planned block, after the workers returned. */
typedef struct cx_plan_stats {
  uint64_t keys;    /* distinct planned keys */
  uint64_t hot;     /* transactions touching the most-touched key */
  uint64_t dynamic; /* run-time keys written */
} cx_plan_stats;

/* An empty plan (no memory yet). */
void cx_plan_init(cx_plan *p);
void cx_plan_destroy(cx_plan *p);

/* Prepares a block for k (1 to 64) workers claiming `batch` transactions
 * at a time; lists each transaction's entry range (one pass over the
 * block). Single-threaded. Returns 0, CX_ENOMEM, or CX_ELIMIT (n >= 2^32
 * - 1, or 2^31 entries). */
int cx_plan_reset(cx_plan *p, const cx_exec_input *in, cx_base_read_fn read,
                  void *read_ctx, uint8_t *statuses, unsigned k,
                  uint32_t batch);

/* Worker body (cx_worker_fn); arg is the cx_plan. Runs phases 1 to 4
 * (statuses are written as transactions finish); any number of
 * invocations, started late or one after another, gives the same result. */
void cx_plan_work(void *arg, unsigned worker);

/* After the workers returned: 0 with the sorted write set in *writes and *n
 * (owned by p, valid until the next reset), CX_PLAN_FALLBACK when the
 * block must run again sequentially (conflict), or the first error (a
 * base read's code, CX_ENOMEM). Single-threaded. */
int cx_plan_writes(cx_plan *p, const cx_entry **writes, size_t *n);

/* Counters (path CX_EXEC_PLANNED) and statistics of the block. */
void cx_plan_counters(const cx_plan *p, cx_exec_counters *c,
                      cx_plan_stats *s);

/* Internal to plan.c / planexec.c. The slot of a planned key, or
 * CX_PLAN_NONE; read-only, safe once planning is over. */
uint32_t cx_plan_lookup(const cx_plan *p, const cx_key *key);
/* Phase 3 for worker w (planexec.c). */
void cx_planexec_run(cx_plan *p, cx_plan_worker *w);

static inline unsigned cx_plan_part_of(uint64_t h, unsigned parts) {
  return (unsigned)(((h >> 48) * parts) >> 16);
}

/* Slot and predecessor of entry j (after planning). */
static inline uint32_t cx_plan_slot_of(const cx_plan *p, uint32_t j) {
  return (uint32_t)p->res[cx_plan_part_of(p->hash[j], p->parts)][j];
}
static inline uint32_t cx_plan_pred_of(const cx_plan *p, uint32_t j) {
  return (uint32_t)(p->res[cx_plan_part_of(p->hash[j], p->parts)][j] >> 32);
}

/* Hash of a key for the plan: cx_vm_key_hash with bit 0 set to the kind,
 * so that planning keeps one word per entry. Computed from the key's
 * bytes in the transaction (src: 20 bytes for an account, 32 for kv), as
 * cx_vm_key_hash computes it on the cx_key built from them. */
static inline uint64_t cx_plan_hash_raw(uint8_t kind, const uint8_t *src) {
  uint64_t x[4];
  memcpy(&x[0], src, 8);
  memcpy(&x[1], src + 8, 8);
  if (kind == CX_ENTRY_ACCOUNT) {
    uint32_t t;
    memcpy(&t, src + 16, 4);
    x[2] = t; /* bytes 20..31 of an account key are zero */
    x[3] = 0;
  } else {
    memcpy(&x[2], src + 16, 8);
    memcpy(&x[3], src + 24, 8);
  }
  uint64_t h = 0x9e3779b97f4a7c15ull * (uint64_t)(kind + 1u);
  for (int w = 0; w < 4; w++) {
    h = (h ^ x[w]) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  return (h & ~(uint64_t)1) | (kind == CX_ENTRY_KV);
}

/* The same on a built key. */
static inline uint64_t cx_plan_hash(const cx_key *k) {
  return cx_plan_hash_raw(k->kind, k->bytes);
}

#endif /* CX_MVCC_PLAN_H */
