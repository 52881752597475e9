/* chainexec: the execution layer of a blockchain node.
 *
 * A node hands chainexec blocks of signed transactions (SPEC.md section 3
 * wire form). chainexec decodes and hashes them, verifies their secp256k1
 * signatures (CPU pool or GPU through the hybrid scheduler), executes them
 * in parallel with results identical to running them one by one, writes the
 * block's effects to LMDB in one durable transaction and returns the block's
 * statuses and roots (SPEC.md sections 4 and 5).
 *
 * Conventions
 *  - Every function returning int returns CX_OK (0) or a cx_code from
 *    cx_error.h, and fills *err (when not NULL) with a message a person can
 *    act on.
 *  - Threading: one cx_engine may be used by one thread at a time unless a
 *    function says otherwise; different engines are independent (no global
 *    state), but two engines must not open the same database directory.
 *  - Ownership: inputs are borrowed for the duration of the call; outputs
 *    are written into caller memory or into a cx_block_result that the
 *    caller releases with cx_block_result_free().
 */
#ifndef CHAINEXEC_H
#define CHAINEXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the library, "MAJOR.MINOR.PATCH". */
CX_API const char *cx_version(void);

/* --- Configuration ------------------------------------------------------ */

typedef enum cx_strategy_kind {
  CX_STRATEGY_KIND_AUTO = 0, /* GPU above a per-kind batch threshold */
  CX_STRATEGY_KIND_CPU = 1,  /* CPU pool only */
  CX_STRATEGY_KIND_GPU = 2,  /* GPU first, CPU as fallback */
  CX_STRATEGY_KIND_BALANCE = 3 /* split batches by measured throughput */
} cx_strategy_kind;

typedef enum cx_durability_kind {
  CX_SYNC = 0,  /* fsync on every block commit (default) */
  CX_NOSYNC = 1 /* benchmarks only: no fsync (LMDB's MDB_NOSYNC). A
                   process crash loses nothing; an OS crash or power loss
                   loses the last blocks and, unless the filesystem keeps
                   write order, can damage the file (refused at the next
                   open by the integrity check, see skip_verify) */
} cx_durability_kind;

typedef struct cx_config {
  /* Database directory, created when missing. NULL: a private temporary
   * directory removed by cx_engine_close(). */
  const char *db_path;
  /* Worker threads (CPU pool and parallel execution); 0 = online CPUs. */
  unsigned threads;
  cx_strategy_kind strategy;
  /* GPU selection: NULL or "none" (CPU only), "all", a list "0,1", or a
   * software device "sim" / "sim:fail=0.2,wrong=0.05,hang=0.01,delay_us=300". */
  const char *gpu;
  /* Batch sizes at/above which `auto` sends work to the GPU; 0 = default. */
  size_t verify_threshold;
  size_t sha_threshold;
  cx_durability_kind durability;
  /* Initial LMDB map size in bytes; 0 = default. */
  size_t map_size;
  /* Overlap stages of consecutive blocks in cx_engine_execute_blocks(). */
  bool pipeline;
  /* Serve Prometheus metrics over HTTP from cx_engine_open() until
   * cx_engine_close() (see cx_engine_metrics_listen()); NULL: no server. */
  const char *metrics_listen;
  /* Skip the integrity check of an existing database at open. By default
   * cx_engine_open() first reads every page of the database in a forked
   * child process (LMDB keeps no checksums; a damaged page could otherwise
   * crash a later commit) and refuses a damaged one with CX_ECORRUPT. The
   * check costs O(database size) at every open (docs/security.md has
   * figures); set this for huge databases on trusted storage. */
  bool skip_verify;
  /* Open an existing database without writing to it (queries only, as
   * `chainexec info` does): nothing is created, no writer lock is taken,
   * so a node committing to the same database neither blocks nor waits;
   * cx_engine_load_genesis and cx_engine_execute_block(s) then fail with
   * CX_ESTATE before doing any work. Needs db_path; a directory without a
   * database fails the open. */
  bool read_only;
  /* Committed blocks whose undo data the store keeps (default 256): the
   * chain can be reverted, and read or executed on, down to
   * height() - undo_retention (see cx_engine_retention_floor()). 0 keeps
   * none: nothing committed can be reverted. */
  unsigned undo_retention;
  /* Memory for speculative blocks (their write sets and statuses), in
   * bytes; 0 = default (1 GiB). cx_engine_execute_on() beyond it fails
   * with CX_ELIMIT naming this setting. */
  size_t speculative_mem_limit;
  /* Memory limit in bytes of the signature cache (see "Pre-verification"
   * below), header included; 0 disables the cache and cx_engine_submit();
   * below a few hundred bytes cx_engine_open() refuses it (CX_EINVAL). */
  size_t sigcache_bytes;
} cx_config;

/* Fills *cfg with the defaults (temporary db, all cores, auto, no GPU,
 * sync, pipeline on, no metrics server, undo retention 256 blocks, 1 GiB
 * for speculative blocks, a 32 MiB signature cache). */
CX_API void cx_config_default(cx_config *cfg);

/* --- Engine ------------------------------------------------------------- */

typedef struct cx_engine cx_engine;

/* Opens (creating or recovering) the database and starts the worker pool
 * and scheduler. Returns NULL with *err set on failure (bad config, a
 * database that cannot be opened, a newer schema, a bad GPU spec, a
 * damaged database: CX_ECORRUPT naming the table and what is wrong).
 * Unless cfg->skip_verify, an existing database is checked first in a
 * forked child process, before any engine thread starts (see
 * cx_config.skip_verify). */
CX_API cx_engine *cx_engine_open(const cx_config *cfg, cx_error *err);

/* Stops workers, closes the database (removing it when temporary). NULL is a
 * no-op. */
CX_API void cx_engine_close(cx_engine *e);

/* A genesis account or storage entry (SPEC section 2). */
typedef struct cx_genesis_account {
  uint8_t address[20];
  uint64_t balance;
  uint64_t nonce;
} cx_genesis_account;

typedef struct cx_genesis_kv {
  uint8_t key[32];
  uint64_t value;
} cx_genesis_kv;

/* Loads the genesis state into an empty database and writes state_root(0)
 * to out_root. CX_ESTATE when the database already holds a genesis or was
 * opened read-only;
 * CX_EINVAL when an address or key is listed twice. */
CX_API int cx_engine_load_genesis(cx_engine *e,
                                  const cx_genesis_account *accounts,
                                  size_t n_accounts, const cx_genesis_kv *kv,
                                  size_t n_kv, uint8_t out_root[32],
                                  cx_error *err);

/* Limits of one block: more transactions, or more wire bytes in all, make
 * cx_engine_execute_block() fail with CX_ELIMIT before anything runs. */
#define CX_MAX_BLOCK_TXS 1000000u
#define CX_MAX_BLOCK_BYTES ((size_t)1 << 30) /* 1 GiB */

/* A block to execute: wire transactions, borrowed for the call. */
typedef struct cx_block {
  size_t tx_count;
  const uint8_t *const *txs; /* txs[i]: wire bytes of transaction i */
  const size_t *tx_lens;
} cx_block;

/* Per-block counters. */
typedef struct cx_block_counters {
  uint64_t executions;          /* VM runs, incarnations included */
  uint64_t reexecutions;        /* incarnations beyond the first */
  uint64_t validation_failures;
  uint64_t dependency_waits;
  bool parallel;                /* parallel executor (else sequential) */
  /* The executor's path: 0 sequential, 1 Block-STM, 2 planned (mvcc.h
   * cx_exec_path), and why (cx_exec_reason: 0 forced, 1 one thread, 2
   * small block, 3 contended, 4 measured, 6 planned run fell back to the
   * sequential path, 7 Block-STM after such a fallback). For a planned
   * block: distinct keys planned, transactions on the most-touched key,
   * and run-time (APPEND slot) keys written. */
  int exec_path, exec_reason;
  uint64_t plan_keys, plan_hot, plan_dynamic;
  uint64_t verify_gpu_items;    /* signatures checked on a GPU/sim device */
  uint64_t verify_cpu_items;    /* signatures checked on the CPU pool */
  uint64_t verify_cache_hits;   /* signatures found in the signature cache
                                   (not checked again) */
  /* Device time of this block's verify stage: busy (copies and launches
   * included) and kernel (device compute, CUDA events). Compared with
   * verify_s they say how busy the GPU kept during verification. */
  double verify_device_busy_s, verify_device_kernel_s;
  /* Stage wall times in seconds. In an overlapped run (cfg.pipeline)
   * stages of consecutive blocks share the worker pool, so a stage's time
   * includes waiting for it; their sum then exceeds the run's wall time. */
  double decode_s, hash_s, verify_s, execute_s, roots_s, commit_s;
} cx_block_counters;

/* Result of one block. statuses has tx_count entries (SPEC status codes). */
typedef struct cx_block_result {
  uint64_t height;
  size_t tx_count;
  uint8_t *statuses;
  uint8_t tx_root[32];
  uint8_t receipts_root[32];
  uint8_t write_root[32];
  uint8_t state_root[32];
  uint32_t status_counts[7];
  cx_block_counters counters;
} cx_block_result;

/* Executes one block on top of the current state and commits it durably as
 * height()+1. On success fills *out (release with cx_block_result_free).
 * Malformed or invalid transactions are statuses, not errors. Errors:
 * CX_EINVAL (NULL arguments), CX_ESTATE (no genesis loaded yet, or the
 * engine was opened read-only),
 * CX_ELIMIT (see CX_MAX_BLOCK_*), or an I/O, database or memory failure;
 * every error leaves the database at the previous block (nothing
 * half-written), and the code is returned whether or not err is NULL. */
CX_API int cx_engine_execute_block(cx_engine *e, const cx_block *in,
                                   cx_block_result *out, cx_error *err);

/* Executes n blocks in order, overlapping the stages of consecutive blocks
 * when cfg.pipeline is set; outputs are identical to n calls of
 * cx_engine_execute_block. out has n entries. On error, blocks before the
 * failing one are committed and their results filled; *n_done tells how
 * many (the other entries stay zeroed). With cfg.pipeline and n > 1 the
 * call runs two helper threads for its duration: one prepares (decodes,
 * hashes, verifies) block i+1 while the calling thread executes block i,
 * and one commits block i-1 meanwhile; block i reads block i-1's writes
 * before they are committed, and a failed commit discards everything
 * after it. */
CX_API int cx_engine_execute_blocks(cx_engine *e, size_t n,
                                    const cx_block *blocks,
                                    cx_block_result *out, size_t *n_done,
                                    cx_error *err);

/* Releases what cx_engine_execute_block allocated in *r; safe to call on a
 * zeroed result. */
CX_API void cx_block_result_free(cx_block_result *r);

/* --- Blocks on branches (SPEC section 9) ------------------------------- */

/* A node executes proposals before they are final, several per height, and
 * later picks one branch; chains reorganise. Blocks therefore form a tree
 * rooted at the genesis:
 *  - a *committed* block is on the chain in the database (heights
 *    0..height()); the committed blocks from cx_engine_retention_floor()
 *    up to the head can be executed on, read at and reverted to;
 *  - a *speculative* block was executed by cx_engine_execute_on() on a
 *    parent (a committed block within the retention, or another
 *    speculative block) and lives in memory only: nothing of it is durable
 *    until cx_engine_make_head() commits it.
 * A block executes exactly as if the chain from the genesis to it were the
 * only chain: siblings never see each other's effects.
 *
 * Handles: a cx_block_id names one block of one engine. 0 is never a
 * valid id. Ids are never reused: an id whose block is gone (discarded,
 * reverted, or pruned once its chain fell out of the retention) gives
 * CX_ENOTFOUND; an id of another engine gives CX_EINVAL. Executing the same
 * block twice on the same parent gives two distinct ids with identical
 * results. A speculative block keeps its id when it is committed.
 *
 * Threading: as the rest of the engine, one thread at a time. The calls
 * below may be interleaved freely with cx_engine_execute_block(s), which
 * keep their meaning (execute on the head, then make it the head). */
typedef uint64_t cx_block_id;

/* What the engine knows of a block. */
typedef struct cx_block_info {
  uint64_t height;
  bool committed;       /* on the committed chain (else speculative) */
  cx_block_id parent;   /* 0 for the genesis, or when the parent is a
                           committed block below the retention floor */
  uint8_t state_root[32];
} cx_block_info;

/* Lowest committed height that can be reverted to, read at or executed
 * on: max(0, height() - undo_retention), and never below the height at
 * which the database was migrated from schema 2 (older blocks have no undo
 * data). Equals height() when undo_retention is 0. */
CX_API uint64_t cx_engine_retention_floor(const cx_engine *e);

/* The id of the committed block at `height` (0: the genesis). The same
 * block gives the same id while it stays committed. Errors: CX_ESTATE (no
 * genesis), CX_ENOTFOUND (above height()), CX_ELIMIT (below the retention
 * floor; the message names undo_retention). */
CX_API int cx_engine_block_at(cx_engine *e, uint64_t height, cx_block_id *out,
                              cx_error *err);

/* Executes `in` on top of block `parent` (cx_engine_block_at() for a
 * committed one, or a speculative block's id) without committing anything:
 * *out gets the full result (statuses, the four roots, counters; height is
 * the parent's + 1; release with cx_block_result_free) and *out_id the new
 * speculative block's id. Statuses and roots equal those of executing the
 * chain genesis..parent, then `in`, one block at a time. Errors: CX_EINVAL
 * (NULL argument, an id of another engine), CX_ENOTFOUND (unknown or gone
 * parent), CX_ELIMIT (a committed ancestor below the retention floor,
 * speculative_mem_limit reached, or CX_MAX_BLOCK_*: the message names the
 * limit), CX_ESTATE (no genesis, read-only engine), I/O or memory
 * failures. On error nothing is kept. */
CX_API int cx_engine_execute_on(cx_engine *e, cx_block_id parent,
                                const cx_block *in, cx_block_id *out_id,
                                cx_block_result *out, cx_error *err);

/* Executes n blocks speculatively as one chain: blocks[0] on `parent`,
 * blocks[i] on blocks[i-1]. With cfg.pipeline and n > 1, block i+1 is
 * prepared (decoded, hashed, verified) on a helper thread while block i
 * executes, as in cx_engine_execute_blocks(); results are identical to n
 * calls of cx_engine_execute_on(). ids[i] and out[i] (release each with
 * cx_block_result_free) are filled for the *n_done blocks that succeeded;
 * on error those stay (speculative) and the rest stay zeroed. Errors as
 * cx_engine_execute_on, the message naming the failing blocks[i]. */
CX_API int cx_engine_execute_chain_on(cx_engine *e, cx_block_id parent,
                                      size_t n, const cx_block *blocks,
                                      cx_block_id *ids, cx_block_result *out,
                                      size_t *n_done, cx_error *err);

/* Forkchoice: makes block `id` the head. The chain from the genesis to it
 * becomes the committed chain: committed blocks not on it are reverted
 * (through their undo data), and its speculative ancestors and itself are
 * committed in order, all in ONE database transaction under the
 * configured durability. After a crash (SIGKILL, power loss in CX_SYNC) at
 * any moment the database is either at the old head or at `id`, with
 * state, roots and statuses consistent: never in between, never a mix.
 * Making a committed block the head reverts to it (cx_engine_revert).
 * Speculative blocks whose chain passes through a reverted block are
 * dropped (their ids give CX_ENOTFOUND); the others stay. Errors:
 * CX_EINVAL, CX_ENOTFOUND (as cx_engine_execute_on), CX_ELIMIT (the fork
 * point is below the retention floor), CX_ESTATE (read-only), database
 * and I/O failures (nothing changed). */
CX_API int cx_engine_make_head(cx_engine *e, cx_block_id id, cx_error *err);

/* Discards a speculative block and every speculative block built on it,
 * releasing their memory. CX_ESTATE for a committed block (revert it
 * instead), CX_ENOTFOUND / CX_EINVAL as above. */
CX_API int cx_engine_discard(cx_engine *e, cx_block_id id, cx_error *err);

/* Reverts the committed chain to `height` (a forkchoice to a committed
 * ancestor), in one transaction, crash-safe as cx_engine_make_head. The
 * reverted blocks' ids (and speculative blocks built on them) are
 * dropped. CX_ENOTFOUND above height(), CX_ELIMIT below the retention
 * floor, CX_ESTATE (no genesis, read-only). */
CX_API int cx_engine_revert(cx_engine *e, uint64_t height, cx_error *err);

/* Height, parent, state root and whether a block is committed. */
CX_API int cx_engine_block_info(cx_engine *e, cx_block_id id,
                                cx_block_info *out, cx_error *err);

/* Account and storage reads at a block (speculative or committed, as
 * cx_engine_execute_on would see them after that block). */
CX_API int cx_engine_get_account_at(cx_engine *e, cx_block_id at,
                                    const uint8_t address[20],
                                    uint64_t *balance, uint64_t *nonce,
                                    cx_error *err);
CX_API int cx_engine_get_kv_at(cx_engine *e, cx_block_id at,
                               const uint8_t key[32], uint64_t *value,
                               cx_error *err);

/* One entry of the state: an account (key_len 20: v0 balance, v1 nonce)
 * or a storage key (key_len 32: v0 value, v1 0). Return nonzero to stop. */
typedef int (*cx_state_visit)(void *ctx, const uint8_t *key, size_t key_len,
                              uint64_t v0, uint64_t v1);

/* Visits the committed state at `height` (within the retention) in key
 * order: accounts by address, then storage by key, every stored entry
 * (zeros included). Errors as cx_engine_revert for the height. */
CX_API int cx_engine_state_at(cx_engine *e, uint64_t height,
                              cx_state_visit fn, void *ctx, cx_error *err);

/* --- Queries (committed state) ---------------------------------------- */

/* Height of the last committed block (0: genesis only or empty). */
CX_API uint64_t cx_engine_height(const cx_engine *e);

/* Directory of the engine's database (the private temporary one when
 * cfg.db_path was NULL). Owned by the engine, valid until close. */
CX_API const char *cx_engine_db_path(const cx_engine *e);

/* True when a genesis has been loaded. */
CX_API bool cx_engine_has_genesis(const cx_engine *e);

/* state_root(0) and the current state root. */
CX_API void cx_engine_genesis_root(const cx_engine *e, uint8_t out[32]);
CX_API void cx_engine_state_root(const cx_engine *e, uint8_t out[32]);

/* Account state; (0, 0) for an account never written. */
CX_API int cx_engine_get_account(cx_engine *e, const uint8_t address[20],
                                 uint64_t *balance, uint64_t *nonce,
                                 cx_error *err);

/* Storage value; 0 for a key never written. */
CX_API int cx_engine_get_kv(cx_engine *e, const uint8_t key[32],
                            uint64_t *value, cx_error *err);

/* Roots, status counts and statuses of a committed block (counters are not
 * stored). out->statuses is allocated (release with cx_block_result_free)
 * and holds tx_count statuses; NULL for a block without transactions.
 * CX_ENOTFOUND above height(). */
CX_API int cx_engine_block_roots(cx_engine *e, uint64_t height,
                                 cx_block_result *out, cx_error *err);

/* Appends the engine's and scheduler's metrics in Prometheus text
 * exposition format to buf (NUL-terminated, truncated to cap). Returns the
 * length it needed. Safe to call from another thread while a block runs. */
CX_API size_t cx_engine_metrics(cx_engine *e, char *buf, size_t cap);

/* Writes the metrics text of cx_engine_metrics() to the file at `path`
 * (replaced atomically: written beside it, then renamed). CX_EIO,
 * CX_EACCES or CX_ENOSPC with the path on failure. Same thread rule as
 * cx_engine_metrics(). */
CX_API int cx_engine_metrics_write_file(cx_engine *e, const char *path,
                                        cx_error *err);

/* Starts serving the metrics over HTTP (GET /metrics, Prometheus text
 * format 0.0.4) on a thread of its own until cx_engine_close() or
 * cx_engine_metrics_stop(). `addr_port` is "PORT" (binds 127.0.0.1 only),
 * "HOST:PORT" or "[IPV6]:PORT"; port 0 picks a free port (see
 * cx_engine_metrics_port()). A wildcard address (0.0.0.0, [::]) is bound
 * only when given explicitly: the endpoint has no authentication, so
 * expose it beyond the host on purpose only. Errors: CX_EINVAL (bad
 * address), CX_ESTATE (already serving), CX_EIO (cannot bind). Not
 * thread-safe with other calls on e. */
CX_API int cx_engine_metrics_listen(cx_engine *e, const char *addr_port,
                                    cx_error *err);

/* TCP port the metrics server is bound to, 0 when not serving. */
CX_API uint16_t cx_engine_metrics_port(const cx_engine *e);

/* Stops the metrics server (no-op when not serving). */
CX_API void cx_engine_metrics_stop(cx_engine *e);

/* --- Pre-verification and the signature cache ------------------------ */

/* A node sees most transactions before the block that carries them
 * (gossip, mempool). Submitting them as they arrive verifies their
 * signatures off the block's critical path: each submission is decoded
 * and hashed, and the well-formed transactions' signatures are verified
 * in batches through the engine's scheduler (on a GPU node they go to the
 * device, with the fallback and cross-check rules of cx_sched.h), on a
 * background thread of the engine started at the first submission.
 * Successful verifications are kept in a bounded cache (memory limit
 * cfg.sigcache_bytes, default 32 MiB; FIFO eviction per bucket) keyed by
 * a hash, salted randomly per engine, of pubkey || tx_hash || signature.
 * The verify stage of every block looks each transaction up: hits are not
 * verified again; misses are verified as without the cache, in one batch
 * (and not cached: the cache holds what was submitted). Only successes are cached, and a
 * hit needs the exact key, signature and message, so statuses and roots
 * never depend on the cache, on what was submitted, or when. Entries stay
 * after their block commits and age out by eviction; on a fork a
 * submitted transaction hits on both branches, and again if a branch is
 * executed anew (a verdict does not depend on state).
 *
 * Threading: cx_engine_submit(), cx_engine_submit_wait(),
 * cx_engine_preverify() and cx_engine_preverify_stats() may be called
 * from any number of threads at once, and concurrently with
 * cx_engine_execute_block(s), cx_engine_execute_on(), cx_engine_make_head(),
 * cx_engine_metrics() and the queries; not
 * concurrently with cx_engine_close(). Pre-verification shares the
 * engine's worker pool with block execution (a pre-verification batch in
 * flight delays a block's use of the pool by at most one batch of
 * CX_PREVERIFY_BATCH signatures). */

/* Largest batch of signatures the background thread verifies at once. */
#define CX_PREVERIFY_BATCH 2048u
/* Transactions that may wait in the submission queue; beyond it
 * cx_engine_submit() refuses with CX_ELIMIT. */
#define CX_PREVERIFY_MAX_PENDING 1000000u

/* Names one submission; wait for it with cx_engine_submit_wait(). */
typedef struct cx_submit_ticket {
  uint64_t seq;
} cx_submit_ticket;

/* Queues n wire transactions for pre-verification and returns at once.
 * The bytes are copied (borrowed for the call only). Malformed
 * transactions, invalid signatures and transactions already cached are
 * accepted and simply not cached. When ticket is not NULL it receives a
 * ticket for cx_engine_submit_wait(); not waiting is fine. A transaction
 * longer than any well-formed one is counted malformed, not copied.
 * Errors: CX_EINVAL (NULL arguments, a NULL transaction with a non-zero
 * length), CX_ESTATE (cache disabled: cfg.sigcache_bytes = 0), CX_ELIMIT (more
 * than CX_PREVERIFY_MAX_PENDING transactions would be queued: wait for a
 * ticket, then submit again), CX_ENOMEM. On error nothing is queued. */
CX_API int cx_engine_submit(cx_engine *e, const uint8_t *const *txs,
                            const size_t *lens, size_t n,
                            cx_submit_ticket *ticket, cx_error *err);

/* Blocks until the submission named by ticket (and every earlier one) has
 * been pre-verified and its successes cached. CX_EINVAL for NULL or a
 * ticket this engine did not issue. */
CX_API int cx_engine_submit_wait(cx_engine *e, const cx_submit_ticket *ticket,
                                 cx_error *err);

/* Verdicts of cx_engine_preverify(). */
typedef enum cx_preverdict {
  CX_PREVERDICT_VALID = 0,     /* signature verified (or was cached) */
  CX_PREVERDICT_MALFORMED = 1, /* SPEC section 3 decoding failed */
  CX_PREVERDICT_BAD_SIGNATURE = 2
} cx_preverdict;

/* Pre-verifies n wire transactions on the calling thread (through the
 * scheduler, as the background thread does) and, when verdicts is not
 * NULL, writes one cx_preverdict per transaction: what a mempool needs to
 * drop a transaction that can never commit. The verdict is about the
 * signature only (a valid transaction may still fail its nonce or
 * balance). Errors as cx_engine_submit() (CX_ELIMIT does not apply). */
CX_API int cx_engine_preverify(cx_engine *e, const uint8_t *const *txs,
                               const size_t *lens, size_t n,
                               uint8_t *verdicts, cx_error *err);

/* Counters of pre-verification and of the cache since open. */
typedef struct cx_preverify_stats {
  uint64_t submissions;    /* cx_engine_submit/preverify calls accepted */
  uint64_t submitted_txs;  /* transactions in them */
  uint64_t pending_txs;    /* queued, not yet pre-verified (now) */
  uint64_t malformed;      /* not decodable: not cached */
  uint64_t already_cached; /* found in the cache: not verified again */
  uint64_t verified_valid, verified_invalid; /* checked by pre-verification */
  uint64_t batches;        /* scheduler verify batches of pre-verification */
  double busy_s;           /* time spent pre-verifying (decode to insert) */
  /* Block verify stage: signatures found / not found in the cache. */
  uint64_t block_hits, block_misses;
  /* The cache: keys it holds, memory bound (table + header) and pages
   * backed now (<= bytes <= cfg.sigcache_bytes), keys
   * cached now, inserts, evictions of a full bucket, inserts dropped to a
   * concurrent writer. All 0 when the cache is disabled. */
  uint64_t capacity, bytes, resident_bytes, entries;
  uint64_t inserts, evictions, dropped;
} cx_preverify_stats;

/* Fills *out. Thread-safe (see above). */
CX_API void cx_engine_preverify_stats(const cx_engine *e,
                                      cx_preverify_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* CHAINEXEC_H */
