/* Engine lifetime, configuration, genesis and committed-state queries. */
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "hex.h"
#include "tempdir.h"

#define CX_DEFAULT_UNDO_RETENTION 256u
#define CX_DEFAULT_SPEC_MEM ((size_t)1 << 30) /* 1 GiB */

#ifndef CX_VERSION_STRING
#define CX_VERSION_STRING "0.0.0"
#endif

const char *cx_version(void) { return CX_VERSION_STRING; }

void cx_config_default(cx_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->strategy = CX_STRATEGY_KIND_AUTO;
  cfg->durability = CX_SYNC;
  cfg->pipeline = true;
  cfg->undo_retention = CX_DEFAULT_UNDO_RETENTION;
  cfg->sigcache_bytes = CX_SIGCACHE_DEFAULT_BYTES;
}

static char *dup_str(const char *s) {
  if (s == NULL)
    return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

static int check_config(const cx_config *cfg, cx_error *err) {
  if (cfg->strategy < CX_STRATEGY_KIND_AUTO ||
      cfg->strategy > CX_STRATEGY_KIND_BALANCE)
    return cx_error_set(err, CX_EINVAL,
                        "config: unknown strategy %d (use auto, cpu, gpu or "
                        "balance)",
                        (int)cfg->strategy);
  if (cfg->durability != CX_SYNC && cfg->durability != CX_NOSYNC)
    return cx_error_set(err, CX_EINVAL,
                        "config: unknown durability %d (use sync or nosync)",
                        (int)cfg->durability);
  if (cfg->threads > CX_POOL_MAX_THREADS)
    return cx_error_set(err, CX_EINVAL, "config: %u threads; at most %u",
                        cfg->threads, CX_POOL_MAX_THREADS);
  if (cfg->db_path != NULL && cfg->db_path[0] == '\0')
    return cx_error_set(err, CX_EINVAL,
                        "config: empty database path (NULL means a temporary "
                        "database)");
  if (cfg->read_only && cfg->db_path == NULL)
    return cx_error_set(err, CX_EINVAL,
                        "config: read_only needs db_path (a temporary "
                        "database would be empty)");
  return CX_OK;
}

static cx_strategy strategy_of(cx_strategy_kind k) {
  switch (k) {
  case CX_STRATEGY_KIND_CPU:
    return CX_STRATEGY_CPU;
  case CX_STRATEGY_KIND_GPU:
    return CX_STRATEGY_GPU;
  case CX_STRATEGY_KIND_BALANCE:
    return CX_STRATEGY_BALANCE;
  default:
    return CX_STRATEGY_AUTO;
  }
}

static void store_config_of(const cx_config *cfg, const char *path,
                            cx_store_config *sc) {
  cx_store_config_default(sc);
  sc->path = path;
  sc->initial_map_size = cfg->map_size;
  sc->durability = cfg->durability == CX_NOSYNC ? CX_DURABILITY_NOSYNC
                                                 : CX_DURABILITY_SYNC;
  sc->read_only = cfg->read_only;
  sc->undo_retention = cfg->undo_retention;
}

/* The integrity check forks (storage/store.h), so it runs before any
 * engine thread exists. A temporary database is new: nothing to check. */
static int verify_store(const cx_config *cfg, cx_error *err) {
  if (cfg->skip_verify || cfg->db_path == NULL)
    return CX_OK;
  cx_store_config sc;
  store_config_of(cfg, cfg->db_path, &sc);
  return cx_store_verify(&sc, err);
}

static int open_store(cx_engine *e, cx_error *err) {
  if (e->cfg.db_path == NULL) {
    e->db_path = cx_tempdir_create(err);
    if (e->db_path == NULL)
      return err ? err->code : CX_EIO;
    e->temp_db = true;
  } else {
    e->db_path = dup_str(e->cfg.db_path);
    if (e->db_path == NULL)
      return cx_error_set(err, CX_ENOMEM, "no memory for the database path");
  }
  e->cfg.db_path = e->db_path;
  cx_store_config sc;
  store_config_of(&e->cfg, e->db_path, &sc);
  /* In the overlapped pipeline a commit that grows the map waits for the
   * next block's execution to release its snapshot, which it always does;
   * allow for a very large block rather than fail the commit. */
  sc.growth_wait_ms = 120000;
  e->store = cx_store_open(&sc, err);
  if (e->store == NULL)
    return err ? err->code : CX_EDB;
  atomic_store(&e->stats.height, cx_store_height(e->store));
  return CX_OK;
}

static int start_workers(cx_engine *e, cx_error *err) {
  e->pool = cx_pool_create(e->cfg.threads, err);
  if (e->pool == NULL)
    return err ? err->code : CX_ENOMEM;
  e->verifier = cx_verifier_create();
  if (e->verifier == NULL)
    return cx_error_set(err, CX_ENOMEM, "no memory for the verifier");
  cx_sched_config sc;
  cx_sched_config_default(&sc);
  sc.strategy = strategy_of(e->cfg.strategy);
  sc.gpu = e->cfg.gpu;
  sc.verify_threshold = e->cfg.verify_threshold;
  sc.sha_threshold = e->cfg.sha_threshold;
  e->sched = cx_sched_create(&sc, e->pool, e->verifier, err);
  if (e->sched == NULL)
    return err ? err->code : CX_EINVAL;
  cx_executor_config xc = {
      .threads = cx_pool_threads(e->pool),
      .run = cx_pool_run_workers,
      .runner = e->pool,
      .min_parallel_txs = 0,
      .force_path = -1,
  };
  e->exec = cx_executor_create(&xc, err);
  if (e->exec == NULL)
    return err ? err->code : CX_ENOMEM;
  return cx_preverify_open(e, err);
}

cx_engine *cx_engine_open(const cx_config *cfg, cx_error *err) {
  cx_error_clear(err);
  cx_config dflt;
  if (cfg == NULL) {
    cx_config_default(&dflt);
    cfg = &dflt;
  }
  if (check_config(cfg, err) != CX_OK || verify_store(cfg, err) != CX_OK)
    return NULL;
  cx_engine *e = calloc(1, sizeof *e);
  if (e == NULL) {
    cx_error_set(err, CX_ENOMEM, "no memory for an engine");
    return NULL;
  }
  e->cfg = *cfg;
  if (e->cfg.speculative_mem_limit == 0)
    e->cfg.speculative_mem_limit = CX_DEFAULT_SPEC_MEM;
  cx_branches_init(&e->branches, e->cfg.speculative_mem_limit);
  e->cfg.db_path = NULL;
  e->cfg.metrics_listen = NULL;
  e->cfg.gpu = NULL;
  if (cfg->gpu != NULL && (e->gpu = dup_str(cfg->gpu)) == NULL) {
    cx_error_set(err, CX_ENOMEM, "no memory for the GPU spec");
    goto fail;
  }
  e->cfg.gpu = e->gpu;
  e->cfg.db_path = cfg->db_path;
  /* Workers and scheduler first: a bad GPU spec or thread count is refused
   * before the database directory is created. */
  if (start_workers(e, err) != CX_OK || open_store(e, err) != CX_OK)
    goto fail;
  if (cfg->metrics_listen != NULL &&
      cx_engine_metrics_listen(e, cfg->metrics_listen, err) != CX_OK)
    goto fail;
  return e;
fail:
  cx_engine_close(e);
  return NULL;
}

void cx_engine_close(cx_engine *e) {
  if (e == NULL)
    return;
  /* The server's thread reads the scheduler: stop it first. */
  cx_engine_metrics_stop(e);
  cx_preverify_close(e); /* its thread uses the scheduler */
  cx_executor_destroy(e->exec);
  cx_sched_destroy(e->sched);
  cx_verifier_destroy(e->verifier);
  cx_pool_destroy(e->pool);
  cx_store_close(e->store);
  if (e->temp_db)
    (void)cx_tempdir_remove(e->db_path, NULL); /* best effort at close */
  for (size_t i = 0; i < sizeof e->work / sizeof e->work[0]; i++)
    cx_work_free(&e->work[i]);
  cx_branches_free(&e->branches);
  free(e->db_path);
  free(e->gpu);
  free(e);
}

/* --- Genesis ------------------------------------------------------------ */

static int check_unique(const cx_entry *sorted, size_t n, cx_error *err) {
  for (size_t i = 1; i < n; i++) {
    if (cx_key_cmp(&sorted[i - 1].key, &sorted[i].key) != 0)
      continue;
    bool acct = sorted[i].key.kind == CX_ENTRY_ACCOUNT;
    char hex[65];
    cx_hex_encode(sorted[i].key.bytes, acct ? 20 : 32, hex);
    return cx_error_set(err, CX_EINVAL,
                        "genesis lists %s %s twice; each may appear once",
                        acct ? "address" : "key", hex);
  }
  return CX_OK;
}

int cx_engine_refuse_read_only(const cx_engine *e, const char *what,
                               cx_error *err) {
  return cx_error_set(err, CX_ESTATE,
                      "%s was opened read-only: %s refused (open it without "
                      "read_only to write)",
                      e->db_path, what);
}

int cx_engine_load_genesis(cx_engine *e, const cx_genesis_account *accounts,
                           size_t n_accounts, const cx_genesis_kv *kv,
                           size_t n_kv, uint8_t out_root[32], cx_error *err) {
  cx_error_clear(err);
  if (e == NULL || (n_accounts && accounts == NULL) || (n_kv && kv == NULL))
    return cx_error_set(err, CX_EINVAL, "load genesis: NULL argument");
  if (n_accounts > SIZE_MAX / 2 / sizeof(cx_entry) ||
      n_kv > SIZE_MAX / 2 / sizeof(cx_entry))
    return cx_error_set(err, CX_ELIMIT, "load genesis: too many entries");
  if (e->cfg.read_only)
    return cx_engine_refuse_read_only(e, "loading a genesis", err);
  if (cx_store_has_genesis(e->store))
    return cx_error_set(err, CX_ESTATE,
                        "%s already holds a genesis; open a new database to "
                        "load another one",
                        e->db_path);
  size_t n = n_accounts + n_kv;
  cx_entry *ent = malloc((n ? n : 1) * sizeof *ent);
  if (ent == NULL)
    return cx_error_set(err, CX_ENOMEM, "no memory for %zu genesis entries",
                        n);
  for (size_t i = 0; i < n_accounts; i++) {
    ent[i].key = cx_key_account(accounts[i].address);
    ent[i].v0 = accounts[i].balance;
    ent[i].v1 = accounts[i].nonce;
  }
  for (size_t i = 0; i < n_kv; i++) {
    ent[n_accounts + i].key = cx_key_kv(kv[i].key);
    ent[n_accounts + i].v0 = kv[i].value;
    ent[n_accounts + i].v1 = 0;
  }
  cx_entries_sort(ent, n);
  int rc = check_unique(ent, n, err);
  if (rc == CX_OK)
    rc = cx_store_load_genesis(e->store, ent, n, out_root, err);
  free(ent);
  return rc;
}

/* --- Queries ------------------------------------------------------------ */

uint64_t cx_engine_height(const cx_engine *e) {
  return e ? cx_store_height(e->store) : 0;
}

const char *cx_engine_db_path(const cx_engine *e) {
  return e ? e->db_path : NULL;
}

bool cx_engine_has_genesis(const cx_engine *e) {
  return e ? cx_store_has_genesis(e->store) : false;
}

void cx_engine_genesis_root(const cx_engine *e, uint8_t out[32]) {
  if (e)
    cx_store_genesis_root(e->store, out);
  else
    memset(out, 0, 32);
}

void cx_engine_state_root(const cx_engine *e, uint8_t out[32]) {
  if (e)
    cx_store_state_root(e->store, out);
  else
    memset(out, 0, 32);
}

int cx_engine_get_account(cx_engine *e, const uint8_t address[20],
                          uint64_t *balance, uint64_t *nonce, cx_error *err) {
  if (e == NULL || address == NULL || balance == NULL || nonce == NULL)
    return cx_error_set(err, CX_EINVAL, "get account: NULL argument");
  cx_key k = cx_key_account(address);
  return cx_store_get(e->store, &k, balance, nonce, err);
}

int cx_engine_get_kv(cx_engine *e, const uint8_t key[32], uint64_t *value,
                     cx_error *err) {
  if (e == NULL || key == NULL || value == NULL)
    return cx_error_set(err, CX_EINVAL, "get kv: NULL argument");
  cx_key k = cx_key_kv(key);
  uint64_t unused;
  return cx_store_get(e->store, &k, value, &unused, err);
}

int cx_engine_block_roots(cx_engine *e, uint64_t height, cx_block_result *out,
                          cx_error *err) {
  if (e == NULL || out == NULL)
    return cx_error_set(err, CX_EINVAL, "block roots: NULL argument");
  cx_block_record rec;
  int rc = cx_store_block(e->store, height, &rec, err);
  if (rc != CX_OK)
    return rc;
  memset(out, 0, sizeof *out);
  out->height = rec.height;
  out->tx_count = rec.tx_count;
  memcpy(out->tx_root, rec.tx_root, 32);
  memcpy(out->receipts_root, rec.receipts_root, 32);
  memcpy(out->write_root, rec.write_root, 32);
  memcpy(out->state_root, rec.state_root, 32);
  memcpy(out->status_counts, rec.status_counts, sizeof out->status_counts);
  if (rec.tx_count == 0)
    return CX_OK;
  out->statuses = malloc(rec.tx_count);
  if (out->statuses == NULL)
    return cx_error_set(err, CX_ENOMEM, "no memory for block statuses");
  rc = cx_store_block_statuses(e->store, height, out->statuses, rec.tx_count,
                               err);
  if (rc == CX_ENOTFOUND) { /* committed without statuses */
    free(out->statuses);
    out->statuses = NULL;
    cx_error_clear(err);
    return CX_OK;
  }
  if (rc != CX_OK) {
    free(out->statuses);
    out->statuses = NULL;
  }
  return rc;
}

void cx_block_result_free(cx_block_result *r) {
  if (r == NULL)
    return;
  free(r->statuses);
  r->statuses = NULL;
}
