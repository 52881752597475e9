/* Pre-verification: the submission queue, its batcher thread, the
 * synchronous cx_engine_preverify(), and the cache lookup of the block
 * verify stage. Invariants in preverify.h. */
#include "preverify.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "engine_internal.h"
#include "sigcache.h"

typedef struct pv_job {
  struct pv_job *next;
  uint64_t seq;
  size_t n;
  const uint8_t **txs; /* into data, or NULL for an over-long tx */
  size_t *lens;
  uint8_t data[];
} pv_job;

struct cx_preverify {
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  pv_job *head, *tail;
  uint64_t issued, done_seq;
  size_t pending;
  bool started, stop;
  pthread_t thread;
  /* Counters, read by the metrics from any thread. */
  atomic_uint_fast64_t submissions, submitted_txs, malformed, cached, valid,
      invalid, batches, busy_ns, failures, block_hits, block_misses;
};

static void add(atomic_uint_fast64_t *c, uint64_t v) {
  atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static uint64_t ld(const atomic_uint_fast64_t *c) {
  return (uint64_t)atomic_load_explicit(c, memory_order_relaxed);
}

/* --- Lifetime ------------------------------------------------------------ */

static int get_salt(uint8_t salt[CX_SIGCACHE_SALT_LEN], cx_error *err) {
  size_t got = 0;
  while (got < CX_SIGCACHE_SALT_LEN) {
    ssize_t r = getrandom(salt + got, CX_SIGCACHE_SALT_LEN - got, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return cx_error_set(err, CX_EIO,
                          "signature cache: no random salt (getrandom: %s); "
                          "set sigcache_bytes = 0 to run without the cache",
                          strerror(errno));
    got += (size_t)r;
  }
  return CX_OK;
}

int cx_preverify_open(cx_engine *e, cx_error *err) {
  size_t limit = e->cfg.sigcache_bytes;
  if (limit == 0)
    return CX_OK;
  if (limit < cx_sigcache_min_bytes())
    return cx_error_set(err, CX_EINVAL,
                        "config: sigcache_bytes %zu is below the smallest "
                        "signature cache (%zu bytes); use 0 to disable it",
                        limit, cx_sigcache_min_bytes());
  uint8_t salt[CX_SIGCACHE_SALT_LEN];
  int rc = get_salt(salt, err);
  if (rc != CX_OK)
    return rc;
  e->sigcache = cx_sigcache_create(limit, salt);
  e->preverify = calloc(1, sizeof *e->preverify);
  if (e->sigcache == NULL || e->preverify == NULL) {
    free(e->preverify);
    e->preverify = NULL;
    cx_sigcache_destroy(e->sigcache);
    e->sigcache = NULL;
    return cx_error_set(err, CX_ENOMEM,
                        "no memory for a signature cache of %zu bytes", limit);
  }
  cx_preverify *p = e->preverify;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->work_cv, NULL);
  pthread_cond_init(&p->done_cv, NULL);
  return CX_OK;
}

void cx_preverify_close(cx_engine *e) {
  cx_preverify *p = e->preverify;
  if (p != NULL) {
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work_cv);
    bool started = p->started;
    pthread_mutex_unlock(&p->mu);
    if (started)
      pthread_join(p->thread, NULL);
    for (pv_job *j = p->head, *next; j != NULL; j = next) {
      next = j->next;
      free(j);
    }
    pthread_cond_destroy(&p->done_cv);
    pthread_cond_destroy(&p->work_cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    e->preverify = NULL;
  }
  cx_sigcache_destroy(e->sigcache);
  e->sigcache = NULL;
}

/* --- One batch ------------------------------------------------------------ */

/* Cache keys and lookups of a batch, on the pool: the same work for
 * pre-verification and the block path. */
typedef struct lookup_job {
  const cx_sigcache *c;
  const uint8_t **pub, **dig, **sig;
  uint8_t (*keys)[32];
  uint8_t *hit;
} lookup_job;

static void lookup_range(void *arg, size_t begin, size_t end, unsigned w) {
  (void)w;
  lookup_job *j = arg;
  cx_sigcache_keys(j->c, end - begin, j->pub + begin, j->dig + begin,
                   j->sig + begin, j->keys + begin);
  for (size_t i = begin; i < end; i++)
    j->hit[i] = cx_sigcache_contains(j->c, j->keys[i]);
}

/* Scratch of one batch of at most CX_PREVERIFY_BATCH transactions. */
typedef struct pv_batch {
  cx_tx tx[CX_PREVERIFY_BATCH];
  size_t idx[CX_PREVERIFY_BATCH]; /* well-formed -> input index */
  const uint8_t *msgs[CX_PREVERIFY_BATCH];
  size_t mlens[CX_PREVERIFY_BATCH];
  uint8_t digests[CX_PREVERIFY_BATCH][32];
  uint8_t keys[CX_PREVERIFY_BATCH][32];
  uint8_t hit[CX_PREVERIFY_BATCH];
  const uint8_t *pub[CX_PREVERIFY_BATCH], *dig[CX_PREVERIFY_BATCH],
      *sig[CX_PREVERIFY_BATCH];
  size_t vidx[CX_PREVERIFY_BATCH]; /* to verify -> well-formed index */
  uint8_t ok[CX_PREVERIFY_BATCH];
} pv_batch;

/* Pre-verifies txs[0..n), n <= CX_PREVERIFY_BATCH; verdicts optional. */
static int run_batch(cx_engine *e, pv_batch *b, size_t n,
                     const uint8_t *const *txs, const size_t *lens,
                     uint8_t *verdicts, cx_error *err) {
  cx_preverify *p = e->preverify;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (txs[i] == NULL || !cx_tx_decode(txs[i], lens[i], &b->tx[m])) {
      if (verdicts)
        verdicts[i] = CX_PREVERDICT_MALFORMED;
      continue;
    }
    b->msgs[m] = txs[i];
    b->mlens[m] = cx_tx_hash_len(&b->tx[m]);
    b->idx[m++] = i;
  }
  add(&p->malformed, n - m);
  int rc = cx_sched_sha256(e->sched, m, b->msgs, b->mlens, b->digests, err);
  if (rc != CX_OK)
    return rc;
  for (size_t k = 0; k < m; k++) {
    b->pub[k] = b->tx[k].pubkey;
    b->dig[k] = b->digests[k];
    b->sig[k] = b->tx[k].sig;
  }
  lookup_job job = {e->sigcache, b->pub, b->dig, b->sig, b->keys, b->hit};
  cx_pool_parallel_for(e->pool, m, 0, lookup_range, &job);
  size_t nv = 0;
  for (size_t k = 0; k < m; k++) {
    if (b->hit[k]) {
      if (verdicts)
        verdicts[b->idx[k]] = CX_PREVERDICT_VALID;
      continue;
    }
    b->pub[nv] = b->tx[k].pubkey;
    b->dig[nv] = b->digests[k];
    b->sig[nv] = b->tx[k].sig;
    b->vidx[nv++] = k;
  }
  add(&p->cached, m - nv);
  if (nv == 0)
    return CX_OK;
  rc = cx_sched_verify(e->sched, nv, b->pub, b->dig, b->sig, b->ok, err);
  if (rc != CX_OK)
    return rc;
  add(&p->batches, 1);
  size_t good = 0;
  for (size_t v = 0; v < nv; v++) {
    size_t k = b->vidx[v];
    if (b->ok[v]) {
      (void)cx_sigcache_insert(e->sigcache, b->keys[k]);
      good++;
    }
    if (verdicts)
      verdicts[b->idx[k]] =
          b->ok[v] ? CX_PREVERDICT_VALID : CX_PREVERDICT_BAD_SIGNATURE;
  }
  add(&p->valid, good);
  add(&p->invalid, nv - good);
  return CX_OK;
}

/* Every transaction of txs[0..n) in batches; counts the busy time. */
static int run_all(cx_engine *e, pv_batch *b, size_t n,
                   const uint8_t *const *txs, const size_t *lens,
                   uint8_t *verdicts, cx_error *err) {
  double t0 = cx_now_s();
  int rc = CX_OK;
  for (size_t i = 0; i < n && rc == CX_OK; i += CX_PREVERIFY_BATCH) {
    size_t k = n - i < CX_PREVERIFY_BATCH ? n - i : CX_PREVERIFY_BATCH;
    rc = run_batch(e, b, k, txs + i, lens + i, verdicts ? verdicts + i : NULL,
                   err);
  }
  add(&e->preverify->busy_ns, (uint64_t)((cx_now_s() - t0) * 1e9));
  return rc;
}

/* --- The queue and its thread ------------------------------------------- */

/* Takes the jobs at the head of the queue holding up to one batch of
 * transactions (at least one job). Called with mu held; NULL when empty. */
static pv_job *take_jobs(cx_preverify *p, size_t *n_txs) {
  pv_job *first = p->head, *last = first;
  if (first == NULL)
    return NULL;
  size_t n = first->n;
  while (last->next != NULL && n + last->next->n <= CX_PREVERIFY_BATCH) {
    last = last->next;
    n += last->n;
  }
  p->head = last->next;
  if (p->head == NULL)
    p->tail = NULL;
  last->next = NULL;
  *n_txs = n;
  return first;
}

static void *pv_thread(void *arg) {
  cx_engine *e = arg;
  cx_preverify *p = e->preverify;
  pv_batch *b = malloc(sizeof *b);
  const uint8_t **txs = malloc(CX_PREVERIFY_BATCH * sizeof *txs);
  size_t *lens = malloc(CX_PREVERIFY_BATCH * sizeof *lens);
  pthread_mutex_lock(&p->mu);
  for (;;) {
    size_t n = 0;
    pv_job *jobs = NULL;
    while (!p->stop && (jobs = take_jobs(p, &n)) == NULL)
      pthread_cond_wait(&p->work_cv, &p->mu);
    if (p->stop) { /* close: jobs taken now go back to be freed */
      if (jobs != NULL) {
        pv_job *last = jobs;
        while (last->next)
          last = last->next;
        last->next = p->head;
        p->head = jobs;
      }
      break;
    }
    pthread_mutex_unlock(&p->mu);
    cx_error err;
    cx_error_clear(&err);
    int rc = CX_ENOMEM;
    if (b && txs && lens && jobs->next == NULL) {
      rc = run_all(e, b, jobs->n, jobs->txs, jobs->lens, NULL, &err);
    } else if (b && txs && lens) { /* small jobs: one batch for all */
      size_t k = 0;
      for (pv_job *q = jobs; q != NULL; q = q->next) {
        memcpy(txs + k, q->txs, q->n * sizeof *txs);
        memcpy(lens + k, q->lens, q->n * sizeof *lens);
        k += q->n;
      }
      rc = run_all(e, b, k, txs, lens, NULL, &err);
    }
    if (rc != CX_OK)
      add(&p->failures, 1); /* nothing cached: the block verifies them */
    uint64_t seq = 0;
    for (pv_job *j = jobs, *next; j != NULL; j = next) {
      next = j->next;
      seq = j->seq;
      free(j);
    }
    pthread_mutex_lock(&p->mu);
    p->pending -= n;
    p->done_seq = seq;
    pthread_cond_broadcast(&p->done_cv);
  }
  pthread_mutex_unlock(&p->mu);
  free(b);
  free((void *)txs);
  free(lens);
  return NULL;
}

static int check_txs(cx_engine *e, const uint8_t *const *txs,
                     const size_t *lens, size_t n, const char *what,
                     cx_error *err) {
  if (e == NULL || (n > 0 && (txs == NULL || lens == NULL)))
    return cx_error_set(err, CX_EINVAL, "%s: NULL argument", what);
  if (e->preverify == NULL)
    return cx_error_set(err, CX_ESTATE,
                        "%s: the signature cache is disabled "
                        "(cx_config.sigcache_bytes = 0), so verdicts have "
                        "nowhere to be kept; open the engine with a cache",
                        what);
  for (size_t i = 0; i < n; i++)
    if (txs[i] == NULL && lens[i] > 0)
      return cx_error_set(err, CX_EINVAL,
                          "%s: transaction %zu: NULL bytes with length %zu",
                          what, i, lens[i]);
  return CX_OK;
}

/* A job owning a copy of the transactions (over-long ones are left out:
 * they cannot decode). */
static pv_job *job_copy(const uint8_t *const *txs, const size_t *lens,
                        size_t n) {
  size_t bytes = 0;
  for (size_t i = 0; i < n; i++)
    if (lens[i] <= CX_TX_MAX_LEN)
      bytes += lens[i];
  size_t hdr = sizeof(pv_job) + n * (sizeof(uint8_t *) + sizeof(size_t));
  pv_job *j = malloc(hdr + bytes);
  if (j == NULL)
    return NULL;
  j->next = NULL;
  j->n = n;
  j->txs = (const uint8_t **)(void *)j->data;
  j->lens = (size_t *)(void *)(j->data + n * sizeof(uint8_t *));
  uint8_t *d = j->data + n * (sizeof(uint8_t *) + sizeof(size_t));
  for (size_t i = 0; i < n; i++) {
    j->lens[i] = lens[i];
    if (lens[i] > CX_TX_MAX_LEN || txs[i] == NULL) {
      j->txs[i] = NULL;
      j->lens[i] = txs[i] == NULL ? 0 : lens[i];
      continue;
    }
    memcpy(d, txs[i], lens[i]);
    j->txs[i] = d;
    d += lens[i];
  }
  return j;
}

int cx_engine_submit(cx_engine *e, const uint8_t *const *txs,
                     const size_t *lens, size_t n, cx_submit_ticket *ticket,
                     cx_error *err) {
  int rc = check_txs(e, txs, lens, n, "submit", err);
  if (rc != CX_OK)
    return rc;
  cx_preverify *p = e->preverify;
  if (n > CX_PREVERIFY_MAX_PENDING)
    return cx_error_set(err, CX_ELIMIT,
                        "submit: %zu transactions at once; at most %u may "
                        "be queued: split the submission",
                        n, CX_PREVERIFY_MAX_PENDING);
  pv_job *j = job_copy(txs, lens, n);
  if (j == NULL)
    return cx_error_set(err, CX_ENOMEM,
                        "submit: no memory to queue %zu transactions", n);
  pthread_mutex_lock(&p->mu);
  if (p->pending + n > CX_PREVERIFY_MAX_PENDING) {
    size_t pending = p->pending;
    pthread_mutex_unlock(&p->mu);
    free(j);
    return cx_error_set(err, CX_ELIMIT,
                        "submit: %zu transactions already wait for "
                        "pre-verification (limit %u); wait for a ticket, "
                        "then submit again",
                        pending, CX_PREVERIFY_MAX_PENDING);
  }
  if (!p->started) {
    if (pthread_create(&p->thread, NULL, pv_thread, e) != 0) {
      pthread_mutex_unlock(&p->mu);
      free(j);
      return cx_error_set(err, CX_ELIMIT,
                          "submit: cannot start the pre-verification "
                          "thread");
    }
    p->started = true;
  }
  uint64_t seq = j->seq = ++p->issued; /* j is the thread's once queued */
  if (p->tail)
    p->tail->next = j;
  else
    p->head = j;
  p->tail = j;
  p->pending += n;
  pthread_cond_signal(&p->work_cv);
  pthread_mutex_unlock(&p->mu);
  add(&p->submissions, 1);
  add(&p->submitted_txs, n);
  if (ticket != NULL)
    ticket->seq = seq;
  return CX_OK;
}

int cx_engine_submit_wait(cx_engine *e, const cx_submit_ticket *ticket,
                          cx_error *err) {
  if (e == NULL || ticket == NULL)
    return cx_error_set(err, CX_EINVAL, "submit wait: NULL argument");
  cx_preverify *p = e->preverify;
  if (p == NULL)
    return cx_error_set(err, CX_EINVAL,
                        "submit wait: the signature cache is disabled, so "
                        "this engine issued no ticket");
  pthread_mutex_lock(&p->mu);
  if (ticket->seq > p->issued) {
    uint64_t issued = p->issued;
    pthread_mutex_unlock(&p->mu);
    return cx_error_set(err, CX_EINVAL,
                        "submit wait: ticket %llu was not issued by this "
                        "engine (%llu issued)",
                        (unsigned long long)ticket->seq,
                        (unsigned long long)issued);
  }
  while (p->done_seq < ticket->seq && !p->stop)
    pthread_cond_wait(&p->done_cv, &p->mu);
  pthread_mutex_unlock(&p->mu);
  return CX_OK;
}

int cx_engine_preverify(cx_engine *e, const uint8_t *const *txs,
                        const size_t *lens, size_t n, uint8_t *verdicts,
                        cx_error *err) {
  int rc = check_txs(e, txs, lens, n, "preverify", err);
  if (rc != CX_OK)
    return rc;
  pv_batch *b = malloc(sizeof *b);
  if (b == NULL)
    return cx_error_set(err, CX_ENOMEM, "preverify: no memory");
  add(&e->preverify->submissions, 1);
  add(&e->preverify->submitted_txs, n);
  rc = run_all(e, b, n, txs, lens, verdicts, err);
  free(b);
  return rc;
}

void cx_engine_preverify_stats(const cx_engine *e, cx_preverify_stats *out) {
  if (out == NULL)
    return;
  memset(out, 0, sizeof *out);
  if (e == NULL || e->preverify == NULL)
    return;
  cx_preverify *p = e->preverify;
  out->submissions = ld(&p->submissions);
  out->submitted_txs = ld(&p->submitted_txs);
  pthread_mutex_lock(&p->mu);
  out->pending_txs = p->pending;
  pthread_mutex_unlock(&p->mu);
  out->malformed = ld(&p->malformed);
  out->already_cached = ld(&p->cached);
  out->verified_valid = ld(&p->valid);
  out->verified_invalid = ld(&p->invalid);
  out->batches = ld(&p->batches);
  out->busy_s = (double)ld(&p->busy_ns) * 1e-9;
  out->block_hits = ld(&p->block_hits);
  out->block_misses = ld(&p->block_misses);
  cx_sigcache_stats cs;
  cx_sigcache_stats_get(e->sigcache, &cs);
  out->capacity = cs.capacity;
  out->bytes = cs.bytes;
  out->resident_bytes = cs.resident_bytes;
  out->entries = cs.entries;
  out->inserts = cs.inserts;
  out->evictions = cs.evictions;
  out->dropped = cs.dropped;
}

/* --- The block path ----------------------------------------------------- */

int cx_preverify_verify_block(cx_engine *e, size_t n, const uint8_t **pubkeys,
                              const uint8_t **digests, const uint8_t **sigs,
                              uint8_t *verdicts, size_t *hits, cx_error *err) {
  *hits = 0;
  if (e->sigcache == NULL || n == 0)
    return cx_sched_verify(e->sched, n, pubkeys, digests, sigs, verdicts,
                           err);
  /* keys, hit flags, then the miss batch: its pointers and verdicts */
  size_t per = 32 + 1 + 3 * sizeof(uint8_t *) + 1 + sizeof(size_t);
  uint8_t *mem = malloc(n * per);
  if (mem == NULL)
    return cx_error_set(err, CX_ENOMEM,
                        "no memory to look %zu signatures up in the cache", n);
  uint8_t(*keys)[32] = (void *)mem;
  const uint8_t **mpub = (void *)(mem + 32 * n);
  const uint8_t **mdig = mpub + n, **msig = mpub + 2 * n;
  size_t *midx = (void *)(msig + n);
  uint8_t *hit = (uint8_t *)(midx + n), *mok = hit + n;
  lookup_job job = {e->sigcache, pubkeys, digests, sigs, keys, hit};
  cx_pool_parallel_for(e->pool, n, 0, lookup_range, &job);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    verdicts[i] = hit[i];
    if (hit[i])
      continue;
    mpub[m] = pubkeys[i];
    mdig[m] = digests[i];
    msig[m] = sigs[i];
    midx[m++] = i;
  }
  int rc = m ? cx_sched_verify(e->sched, m, mpub, mdig, msig, mok, err)
             : CX_OK;
  /* Misses are not inserted: the cache holds what was submitted, so the
   * block path adds no writes and a transaction never submitted is
   * verified by every block that carries it (as without the cache). */
  for (size_t k = 0; rc == CX_OK && k < m; k++)
    verdicts[midx[k]] = mok[k];
  free(mem);
  if (rc != CX_OK)
    return rc;
  *hits = n - m;
  add(&e->preverify->block_hits, n - m);
  add(&e->preverify->block_misses, m);
  return CX_OK;
}

/* --- Metrics ------------------------------------------------------------ */

static void family(FILE *f, const char *name, const char *type,
                   const char *help) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *type, const char *help,
                uint64_t v) {
  family(f, name, type, help);
  fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

void cx_preverify_metrics_write(cx_engine *e, FILE *f) {
  if (e->preverify == NULL)
    return;
  cx_preverify_stats s;
  cx_engine_preverify_stats(e, &s);
  one(f, "chainexec_preverify_submissions_total", "counter",
      "Pre-verification submissions accepted.", s.submissions);
  one(f, "chainexec_preverify_transactions_total", "counter",
      "Transactions submitted for pre-verification.", s.submitted_txs);
  one(f, "chainexec_preverify_pending_transactions", "gauge",
      "Submitted transactions not yet pre-verified.", s.pending_txs);
  family(f, "chainexec_preverify_results_total", "counter",
         "Pre-verified transactions by outcome.");
  fprintf(f, "chainexec_preverify_results_total{result=\"valid\"} %llu\n",
          (unsigned long long)s.verified_valid);
  fprintf(f, "chainexec_preverify_results_total{result=\"invalid\"} %llu\n",
          (unsigned long long)s.verified_invalid);
  fprintf(f, "chainexec_preverify_results_total{result=\"cached\"} %llu\n",
          (unsigned long long)s.already_cached);
  fprintf(f,
          "chainexec_preverify_results_total{result=\"malformed\"} %llu\n",
          (unsigned long long)s.malformed);
  one(f, "chainexec_preverify_batches_total", "counter",
      "Scheduler verify batches run by pre-verification.", s.batches);
  family(f, "chainexec_preverify_seconds_total", "counter",
         "Time spent pre-verifying (decode to cache insert).");
  fprintf(f, "chainexec_preverify_seconds_total %.9f\n", s.busy_s);
  family(f, "chainexec_preverify_signatures_per_second", "gauge",
         "Pre-verification throughput: signatures checked per busy second.");
  fprintf(f, "chainexec_preverify_signatures_per_second %.1f\n",
          s.busy_s > 0
              ? (double)(s.verified_valid + s.verified_invalid) / s.busy_s
              : 0.0);
  family(f, "chainexec_sigcache_lookups_total", "counter",
         "Signatures of blocks looked up in the signature cache.");
  fprintf(f, "chainexec_sigcache_lookups_total{result=\"hit\"} %llu\n",
          (unsigned long long)s.block_hits);
  fprintf(f, "chainexec_sigcache_lookups_total{result=\"miss\"} %llu\n",
          (unsigned long long)s.block_misses);
  one(f, "chainexec_sigcache_entries", "gauge",
      "Verdicts held by the signature cache.", s.entries);
  one(f, "chainexec_sigcache_capacity", "gauge",
      "Verdicts the signature cache can hold.", s.capacity);
  one(f, "chainexec_sigcache_inserts_total", "counter",
      "Verdicts written to the signature cache.", s.inserts);
  one(f, "chainexec_sigcache_evictions_total", "counter",
      "Verdicts evicted from a full bucket of the signature cache.",
      s.evictions);
  one(f, "chainexec_sigcache_dropped_total", "counter",
      "Inserts given up to a concurrent writer of the same bucket.",
      s.dropped);
  family(f, "chainexec_sigcache_bytes", "gauge",
         "Memory of the signature cache: its bound and the part resident.");
  fprintf(f, "chainexec_sigcache_bytes{kind=\"limit\"} %llu\n",
          (unsigned long long)s.bytes);
  fprintf(f, "chainexec_sigcache_bytes{kind=\"resident\"} %llu\n",
          (unsigned long long)s.resident_bytes);
}
