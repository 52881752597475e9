/* The stages of one block: prepare (limits, decode, hash, verify), execute
 * (mvcc over a storage snapshot), roots (SPEC section 5), commit; and
 * cx_engine_execute_block(), which runs them one after another. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"
#include "merkle.h"

double cx_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cx_block_fail(cx_error *err, int rc, uint64_t height, const char *stage) {
  /* rc, not err->code: with a NULL err the cause is known only here. */
  if (err != NULL)
    cx_error_wrap(err,
                  "block %llu not committed (%s); the database stays at "
                  "height %llu, and the block can be executed again "
                  "once the cause is fixed",
                  (unsigned long long)height + 1, stage,
                  (unsigned long long)height);
  return rc;
}

/* --- Work buffers -------------------------------------------------------- */

void cx_work_free(cx_block_work *w) {
  free(w->txs); /* one allocation carries every per-tx array */
  free(w->statuses);
  free(w->writes);
  memset(w, 0, sizeof *w);
}

static size_t align16(size_t x) { return (x + 15u) & ~(size_t)15u; }

/* Makes room for n transactions: every per-tx array lives in one block
 * carved at 16-byte boundaries, grown geometrically. */
static int work_reserve(cx_block_work *w, size_t n, cx_error *err) {
  if (w->txs != NULL && n <= w->cap)
    return CX_OK;
  size_t cap = n < 256 ? 256 : n + n / 2;
  size_t sz[] = {
      cap * sizeof(cx_tx),          cap * 20,
      cap,                          2 * cap * sizeof(uint8_t *),
      2 * cap * sizeof(size_t),     2 * cap * 32,
      3 * cap * sizeof(uint8_t *),  cap,
      cap * sizeof(size_t),         cap * 33,
  };
  size_t total = 0;
  for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++)
    total += align16(sz[i]);
  uint8_t *mem = malloc(total);
  if (mem == NULL)
    return cx_error_set(err, CX_ENOMEM,
                        "no memory for a block of %zu transactions (%zu "
                        "bytes of work space)",
                        n, total);
  free(w->txs);
  size_t off = 0, k = 0;
#define CX_CARVE(field)                                                        \
  (w->field = (void *)(mem + off), off += align16(sz[k++]))
  CX_CARVE(txs);
  CX_CARVE(senders);
  CX_CARVE(sig_ok);
  CX_CARVE(msgs);
  CX_CARVE(lens);
  CX_CARVE(digests);
  CX_CARVE(vpub);
  w->vdig = w->vpub + cap;
  w->vsig = w->vpub + 2 * cap;
  CX_CARVE(verdicts);
  CX_CARVE(vidx);
  CX_CARVE(receipt_leaves);
#undef CX_CARVE
  w->cap = cap;
  return CX_OK;
}

/* --- Prepare ------------------------------------------------------------- */

static int check_block(const cx_block *in, cx_error *err) {
  if (in == NULL)
    return cx_error_set(err, CX_EINVAL, "NULL block");
  if (in->tx_count > CX_MAX_BLOCK_TXS)
    return cx_error_set(err, CX_ELIMIT,
                        "block has %zu transactions; the limit is %u "
                        "(CX_MAX_BLOCK_TXS): split it",
                        in->tx_count, CX_MAX_BLOCK_TXS);
  if (in->tx_count > 0 && (in->txs == NULL || in->tx_lens == NULL))
    return cx_error_set(err, CX_EINVAL,
                        "block of %zu transactions with NULL txs or tx_lens",
                        in->tx_count);
  size_t bytes = 0;
  for (size_t i = 0; i < in->tx_count; i++) {
    if (in->txs[i] == NULL && in->tx_lens[i] > 0)
      return cx_error_set(err, CX_EINVAL,
                          "transaction %zu: NULL bytes with length %zu", i,
                          in->tx_lens[i]);
    if (in->tx_lens[i] > CX_MAX_BLOCK_BYTES - bytes)
      return cx_error_set(err, CX_ELIMIT,
                          "block passes %zu bytes of transactions at "
                          "transaction %zu; the limit is 1 GiB "
                          "(CX_MAX_BLOCK_BYTES): split it",
                          CX_MAX_BLOCK_BYTES, i);
    bytes += in->tx_lens[i];
  }
  return CX_OK;
}

/* Stands in for the bytes of an empty transaction (NULL, length 0), so
 * batch consumers never see a NULL message. */
static const uint8_t cx_empty_tx[1];

/* Decodes every transaction and lays out the hash batch: the tx hash
 * messages first, then the pubkey of each well-formed tx. Returns the
 * number of well-formed transactions. */
static size_t decode_all(cx_block_work *w, const cx_block *in) {
  size_t n = w->n, m = n;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *wire = in->txs[i] ? in->txs[i] : cx_empty_tx;
    cx_tx *tx = &w->txs[i];
    w->sig_ok[i] = 0;
    bool ok = cx_tx_decode(wire, in->tx_lens[i], tx);
    w->msgs[i] = wire;
    w->lens[i] = cx_tx_hash_len(tx);
    if (ok) {
      w->msgs[m] = tx->pubkey;
      w->lens[m] = 33;
      w->vidx[m - n] = i;
      m++;
    }
  }
  return m - n;
}

/* One scheduler batch for tx hashes and sender addresses, then the verify
 * batch's inputs, then tx_root (it needs only the hashes; computing it
 * here keeps it off the execution thread in the overlapped pipeline). */
static int hash_all(cx_engine *e, cx_block_work *w, size_t nv,
                    cx_error *err) {
  size_t n = w->n;
  int rc = cx_sched_sha256(e->sched, n + nv, w->msgs, w->lens, w->digests,
                           err);
  if (rc != CX_OK)
    return rc;
  for (size_t k = 0; k < nv; k++) {
    size_t i = w->vidx[k];
    memcpy(w->senders[i], w->digests[n + k] + 12, 20);
    w->vpub[k] = w->txs[i].pubkey;
    w->vdig[k] = w->digests[i];
    w->vsig[k] = w->txs[i].sig;
  }
  double t = cx_now_s();
  rc = cx_merkle_root_fixed(n, &w->digests[0][0], 32, w->tx_root);
  w->counters.roots_s = cx_now_s() - t;
  if (rc != CX_OK)
    return cx_error_set(err, rc, "computing tx_root: %s", cx_strerror(rc));
  return CX_OK;
}

static int verify_all(cx_engine *e, cx_block_work *w, size_t nv,
                      cx_error *err) {
  cx_sched_stats before, after;
  cx_sched_stats_get(e->sched, &before);
  size_t hits = 0; /* signature cache: hits are not verified again */
  int rc = cx_preverify_verify_block(e, nv, w->vpub, w->vdig, w->vsig,
                                     w->verdicts, &hits, err);
  if (rc != CX_OK)
    return rc;
  cx_sched_stats_get(e->sched, &after);
  for (size_t k = 0; k < nv; k++)
    w->sig_ok[w->vidx[k]] = w->verdicts[k];
  /* Besides the prepare stage only pre-verification (cx_engine_submit)
   * calls the engine's scheduler, so the difference is this batch's unless
   * a submission ran meanwhile; the clamp keeps the split sane then. */
  size_t checked = nv - hits;
  uint64_t dev = after.items_device - before.items_device;
  w->counters.verify_gpu_items = dev < checked ? dev : checked;
  w->counters.verify_cpu_items = checked - w->counters.verify_gpu_items;
  w->counters.verify_cache_hits = hits;
  w->counters.verify_device_busy_s =
      (double)(after.device_busy_ns - before.device_busy_ns) / 1e9;
  w->counters.verify_device_kernel_s =
      (double)(after.device_kernel_ns - before.device_kernel_ns) / 1e9;
  return CX_OK;
}

int cx_work_prepare(cx_engine *e, cx_block_work *w, const cx_block *in,
                    cx_error *err) {
  memset(&w->counters, 0, sizeof w->counters);
  w->n = 0;
  int rc = check_block(in, err);
  if (rc == CX_OK)
    rc = work_reserve(w, in->tx_count, err);
  if (rc != CX_OK)
    return rc;
  size_t n = in->tx_count;
  free(w->statuses);
  w->statuses = malloc(n ? n : 1);
  if (w->statuses == NULL)
    return cx_error_set(err, CX_ENOMEM, "no memory for %zu statuses", n);
  w->n = n;
  double t0 = cx_now_s();
  size_t nv = decode_all(w, in);
  double t1 = cx_now_s();
  rc = hash_all(e, w, nv, err);
  double t2 = cx_now_s();
  if (rc == CX_OK)
    rc = verify_all(e, w, nv, err);
  double t3 = cx_now_s();
  w->counters.decode_s = t1 - t0;
  /* tx_root's time (inside [t1, t2]) counts as roots, not hash. */
  double hash_s = t2 - t1 - w->counters.roots_s;
  w->counters.hash_s = hash_s > 0 ? hash_s : 0;
  w->counters.verify_s = t3 - t2;
  return rc;
}

/* --- Execute ------------------------------------------------------------- */

/* Binary search of one sorted overlay; true when key is in it. */
static bool overlay_find(const cx_overlay *o, const cx_key *key, uint64_t *v0,
                         uint64_t *v1) {
  size_t lo = 0, hi = o->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cx_key_cmp(&o->entries[mid].key, key);
    if (c == 0) {
      *v0 = o->entries[mid].v0;
      *v1 = o->entries[mid].v1;
      return true;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

int cx_base_read(void *ctx, const cx_key *key, uint64_t *v0, uint64_t *v1) {
  const cx_base_reader *r = ctx;
  for (size_t i = 0; i < r->n_overlays; i++)
    if (overlay_find(&r->overlays[i], key, v0, v1))
      return CX_OK;
  if (r->view != NULL)
    return cx_view_read(r->view, key, v0, v1);
  return cx_snapshot_read(r->snap, key, v0, v1);
}

static int keep_writes(cx_block_work *w, const cx_exec_output *xo,
                       cx_error *err) {
  if (xo->n_writes > w->writes_cap) {
    size_t cap = xo->n_writes + xo->n_writes / 2;
    cx_entry *p = realloc(w->writes, cap * sizeof *p);
    if (p == NULL)
      return cx_error_set(err, CX_ENOMEM, "no memory for %zu writes",
                          xo->n_writes);
    w->writes = p;
    w->writes_cap = cap;
  }
  if (xo->n_writes)
    memcpy(w->writes, xo->writes, xo->n_writes * sizeof *w->writes);
  w->n_writes = xo->n_writes;
  return CX_OK;
}

int cx_work_execute_with(cx_engine *e, cx_block_work *w,
                         const cx_base_reader *r, cx_error *err) {
  double t0 = cx_now_s();
  cx_exec_input xi = {w->n, w->txs, w->sig_ok,
                      (const uint8_t(*)[20])w->senders};
  cx_exec_output xo;
  memset(&xo, 0, sizeof xo);
  xo.statuses = w->statuses;
  int rc = cx_executor_run(e->exec, &xi, cx_base_read, (void *)r, &xo, err);
  if (rc == CX_OK)
    rc = keep_writes(w, &xo, err);
  if (rc != CX_OK)
    return rc;
  w->counters.executions = xo.counters.executions;
  w->counters.reexecutions = xo.counters.reexecutions;
  w->counters.validation_failures = xo.counters.validation_failures;
  w->counters.dependency_waits = xo.counters.dependency_waits;
  w->counters.parallel = xo.counters.path != CX_EXEC_SEQUENTIAL;
  w->counters.exec_path = xo.counters.path;
  w->counters.exec_reason = xo.counters.reason;
  w->counters.plan_keys = xo.counters.plan_keys;
  w->counters.plan_hot = xo.counters.plan_hot;
  w->counters.plan_dynamic = xo.counters.plan_dynamic;
  w->counters.execute_s = cx_now_s() - t0;
  return CX_OK;
}

int cx_work_execute(cx_engine *e, cx_block_work *w, uint64_t base,
                    const cx_block_work *prev, cx_error *err) {
  double t0 = cx_now_s();
  cx_snapshot *snap = cx_store_snapshot(e->store, err);
  if (snap == NULL)
    return err ? err->code : CX_EDB;
  uint64_t h = cx_snapshot_height(snap);
  if (h != base && !(prev != NULL && h == base + 1)) {
    cx_snapshot_release(snap);
    return cx_error_set(err, CX_ESTATE,
                        "%s is at height %llu, expected %llu: is another "
                        "process writing to this database?",
                        e->db_path, (unsigned long long)h,
                        (unsigned long long)base);
  }
  /* The previous block's sorted write set (its commit may still be in
   * flight) over the committed snapshot. */
  cx_overlay ov = {prev ? prev->writes : NULL, prev ? prev->n_writes : 0};
  cx_base_reader r = {snap, NULL, &ov, prev ? 1 : 0};
  int rc = cx_work_execute_with(e, w, &r, err);
  cx_snapshot_release(snap);
  w->counters.execute_s = cx_now_s() - t0; /* the snapshot included */
  return rc;
}

/* --- Roots and commit ---------------------------------------------------- */

int cx_work_roots(cx_block_work *w, uint64_t height,
                  const uint8_t prev_state_root[32], cx_error *err) {
  double t0 = cx_now_s();
  cx_block_record *rec = &w->rec;
  memset(rec, 0, sizeof *rec);
  rec->height = height;
  rec->tx_count = (uint32_t)w->n; /* <= CX_MAX_BLOCK_TXS */
  for (size_t i = 0; i < w->n; i++) {
    uint8_t *leaf = w->receipt_leaves + 33 * i;
    memcpy(leaf, w->digests[i], 32);
    leaf[32] = w->statuses[i];
    if (w->statuses[i] < 7)
      rec->status_counts[w->statuses[i]]++;
  }
  memcpy(rec->tx_root, w->tx_root, 32);
  int rc = cx_merkle_root_fixed(w->n, w->receipt_leaves, 33,
                                rec->receipts_root);
  if (rc == CX_OK)
    rc = cx_entries_root(w->writes, w->n_writes, rec->write_root);
  if (rc != CX_OK)
    return cx_error_set(err, rc, "computing the roots of block %llu: %s",
                        (unsigned long long)height, cx_strerror(rc));
  cx_state_root_next(prev_state_root, rec->write_root, rec->state_root);
  rec->statuses = w->statuses; /* stored with the block for replays */
  w->counters.roots_s += cx_now_s() - t0;
  return CX_OK;
}

int cx_work_commit(cx_engine *e, cx_block_work *w, cx_error *err) {
  double t0 = cx_now_s();
  int rc = cx_store_commit_block(e->store, &w->rec, w->writes, w->n_writes,
                                 err);
  w->counters.commit_s = cx_now_s() - t0;
  return rc;
}

static void add_ns(atomic_uint_fast64_t *c, double s) {
  atomic_fetch_add_explicit(c, (uint_fast64_t)(s * 1e9), memory_order_relaxed);
}

static void add(atomic_uint_fast64_t *c, uint64_t v) {
  atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

void cx_work_result(cx_block_work *w, cx_block_result *out) {
  const cx_block_record *rec = &w->rec;
  memset(out, 0, sizeof *out);
  out->height = rec->height;
  out->tx_count = w->n;
  out->statuses = w->statuses;
  w->statuses = NULL;
  memcpy(out->tx_root, rec->tx_root, 32);
  memcpy(out->receipts_root, rec->receipts_root, 32);
  memcpy(out->write_root, rec->write_root, 32);
  memcpy(out->state_root, rec->state_root, 32);
  memcpy(out->status_counts, rec->status_counts, sizeof out->status_counts);
  out->counters = w->counters;
}

void cx_work_publish(cx_engine *e, cx_block_work *w, cx_block_result *out) {
  const cx_block_record *rec = &w->rec;
  cx_work_result(w, out);
  cx_engine_stats *st = &e->stats;
  const cx_block_counters *c = &w->counters;
  atomic_store_explicit(&st->height, rec->height, memory_order_relaxed);
  add(&st->blocks, 1);
  add(&st->blocks_parallel, c->parallel ? 1 : 0);
  add(&st->txs, w->n);
  for (int s = 0; s < 7; s++)
    add(&st->status[s], rec->status_counts[s]);
  add(&st->writes, w->n_writes);
  add(&st->executions, c->executions);
  add(&st->reexecutions, c->reexecutions);
  add(&st->validation_failures, c->validation_failures);
  add(&st->dependency_waits, c->dependency_waits);
  add(&st->verify_gpu_items, c->verify_gpu_items);
  add(&st->verify_cpu_items, c->verify_cpu_items);
  add_ns(&st->stage_ns[CX_STAGE_DECODE], c->decode_s);
  add_ns(&st->stage_ns[CX_STAGE_HASH], c->hash_s);
  add_ns(&st->stage_ns[CX_STAGE_VERIFY], c->verify_s);
  add_ns(&st->stage_ns[CX_STAGE_EXECUTE], c->execute_s);
  add_ns(&st->stage_ns[CX_STAGE_ROOTS], c->roots_s);
  add_ns(&st->stage_ns[CX_STAGE_COMMIT], c->commit_s);
  /* The head moved: speculative chains resting below the new retention
   * floor can no longer become canonical. */
  if (e->branches.n > 0)
    cx_engine_branches_pruned(e);
}

void cx_work_abandon(cx_engine *e, cx_block_work *w) {
  add(&e->stats.block_failures, 1);
  free(w->statuses);
  w->statuses = NULL;
}

/* --- One block, stages in sequence ---------------------------------------- */

int cx_engine_execute_block(cx_engine *e, const cx_block *in,
                            cx_block_result *out, cx_error *err) {
  cx_error_clear(err);
  if (e == NULL || in == NULL || out == NULL)
    return cx_error_set(err, CX_EINVAL, "execute block: NULL argument");
  memset(out, 0, sizeof *out);
  if (e->cfg.read_only)
    return cx_engine_refuse_read_only(e, "executing a block", err);
  if (!cx_store_has_genesis(e->store))
    return cx_error_set(err, CX_ESTATE,
                        "%s has no genesis: load one "
                        "(cx_engine_load_genesis) before executing blocks",
                        e->db_path);
  uint64_t h = cx_store_height(e->store);
  uint8_t prev[32];
  cx_store_state_root(e->store, prev);
  cx_block_work *w = &e->work[0];
  const char *stage = "preparing";
  int rc = cx_work_prepare(e, w, in, err);
  if (rc == CX_OK) {
    stage = "executing";
    rc = cx_work_execute(e, w, h, NULL, err);
  }
  if (rc == CX_OK) {
    stage = "computing roots";
    rc = cx_work_roots(w, h + 1, prev, err);
  }
  if (rc == CX_OK) {
    stage = "committing";
    rc = cx_work_commit(e, w, err);
  }
  if (rc != CX_OK) {
    cx_work_abandon(e, w);
    return cx_block_fail(err, rc, h, stage);
  }
  cx_work_publish(e, w, out);
  return CX_OK;
}

int cx_engine_execute_blocks(cx_engine *e, size_t n, const cx_block *blocks,
                             cx_block_result *out, size_t *n_done,
                             cx_error *err) {
  cx_error_clear(err);
  if (n_done != NULL)
    *n_done = 0;
  if (e == NULL || (n > 0 && (blocks == NULL || out == NULL)))
    return cx_error_set(err, CX_EINVAL, "execute blocks: NULL argument");
  for (size_t i = 0; i < n; i++)
    memset(&out[i], 0, sizeof out[i]);
  if (e->cfg.read_only && n > 0)
    return cx_engine_refuse_read_only(e, "executing blocks", err);
  if (e->cfg.pipeline && n > 1 && cx_store_has_genesis(e->store))
    return cx_pipeline_run_overlapped(e, n, blocks, out, n_done, err);
  for (size_t i = 0; i < n; i++) {
    int rc = cx_engine_execute_block(e, &blocks[i], &out[i], err);
    if (rc != CX_OK)
      return rc;
    if (n_done != NULL)
      *n_done = i + 1;
  }
  return CX_OK;
}
