/* The chainexec state store: SPEC section 2 state, block rows and chain
 * metadata in one LMDB environment (a directory on disk).
 *
 * Tables (LMDB named databases):
 *   accounts  address(20)            -> balance u64 LE || nonce u64 LE
 *   kv        key(32)                -> value u64 LE
 *   blocks    height u64 big-endian  -> cx_block_record (160 bytes, LE)
 *   statuses  height u64 big-endian  -> tx_count status bytes (schema 2)
 *   meta      "format", "schema", "height", "genesis_root", "state_root",
 *             "map_size"
 * A key never written reads as zero; a written zero value is stored (a
 * write of 0 is a write), keys are never deleted.
 *
 * Durability: in CX_DURABILITY_SYNC (the default) a block whose commit
 * returned survives any crash, power loss included. Either all of a block
 * is visible after a crash or none of it: after a process crash in every
 * mode, after power loss in SYNC and NOMETASYNC (see cx_durability).
 * Opening a new store writes (schema marker), so the directory must be
 * writable; a read-only open (cx_store_config.read_only) writes nothing.
 *
 * Threading:
 *   - Writer calls (cx_store_load_genesis, cx_store_commit_block,
 *     cx_store_sync, cx_store_close) and the cached accessors
 *     (cx_store_height, cx_store_has_genesis, cx_store_*_root) belong to
 *     one thread at a time (the caller serialises them).
 *   - cx_store_get, cx_store_block, cx_store_scan, cx_store_snapshot and
 *     everything on a snapshot may run on any thread, concurrently with
 *     each other and with a commit on another thread.
 *   - Growing the map (after MDB_MAP_FULL) needs every read transaction of
 *     this process closed: a commit that must grow waits until all
 *     snapshots are released (at most cx_store_config.growth_wait_ms),
 *     then fails with CX_ESTATE, store unchanged. So never commit on a
 *     thread that holds a snapshot it will only release afterwards.
 *
 * Errors are cx codes with a message naming the path and an action:
 * CX_ENOSPC, CX_EACCES, CX_ECORRUPT (not an LMDB file, damaged pages),
 * CX_EVERSION (a newer or foreign schema), CX_EREADERS (reader table
 * full), CX_ELIMIT (map would pass max_map_size), CX_EDB (other LMDB
 * failures), CX_EIO, CX_ENOMEM, CX_EINVAL (misuse), CX_ESTATE.
 * A failed call leaves the database and the cached height/roots exactly
 * as before.
 */
#ifndef CX_STORE_H
#define CX_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_error.h"
#include "state.h" /* cx_key, cx_entry */

/* Schema version this build reads and writes. */
#define CX_STORE_SCHEMA_VERSION 2u /* 2: per-block statuses table */

typedef struct cx_store cx_store;

typedef enum cx_durability {
  /* fsync data and meta on every commit: nothing committed is ever lost. */
  CX_DURABILITY_SYNC = 0,
  /* No fsync (MDB_NOSYNC), for benchmarks. A process crash loses nothing;
   * an OS crash or power loss loses the last blocks, and per LMDB may even
   * damage the file unless the filesystem keeps write order. Call
   * cx_store_sync() to make everything so far durable. */
  CX_DURABILITY_NOSYNC = 1,
  /* fsync data but not the meta page (MDB_NOMETASYNC): power loss may
   * undo the last block(s), never corrupts. Between the two above. */
  CX_DURABILITY_NOMETASYNC = 2
} cx_durability;

typedef struct cx_store_config {
  const char *path;         /* directory; created (one level) if missing */
  size_t initial_map_size;  /* bytes; 0: default 64 MiB */
  size_t growth_step;       /* bytes added on MDB_MAP_FULL; 0: double the
                               map, at least 64 MiB */
  size_t max_map_size;      /* 0: unlimited; else growth past it fails the
                               commit with CX_ELIMIT (store unchanged) */
  unsigned max_readers;     /* LMDB reader slots; 0: default 126 */
  unsigned growth_wait_ms;  /* how long a growing commit waits for open
                               snapshots to be released; 0: 30000 */
  cx_durability durability; /* default CX_DURABILITY_SYNC */
  bool read_only;           /* open an existing store without writing to it
                               (LMDB MDB_RDONLY, read transactions only):
                               nothing is created, no writer lock is taken
                               (a live node's commits neither block nor wait
                               for it), and genesis, commits and sync fail
                               with CX_ESTATE */
} cx_store_config;

/* Fills cfg with the defaults above and path = NULL. */
void cx_store_config_default(cx_store_config *cfg);

/* Opens (creating if needed, unless cfg->read_only) the store at
 * cfg->path: creates the directory if missing, opens LMDB with MDB_NOTLS, clears stale reader
 * slots (mdb_reader_check), checks the schema (refusing a newer or foreign
 * database with CX_EVERSION), and recovers height and roots from `meta`.
 * Returns the handle (caller owns it; free with cx_store_close) or NULL
 * with err set. Open one path at most once per process at a time (LMDB
 * rule); after fork() the child must open its own handle. */
cx_store *cx_store_open(const cx_store_config *cfg, cx_error *err);

/* Integrity check of the store at cfg->path, meant to run just before
 * cx_store_open() (LMDB keeps no page checksums, and a damaged page can
 * pass open and then crash a later commit inside liblmdb). Checks the
 * pages of data.mdb (tree structure, page headers, node bounds, table
 * records, the free list; every page in one tree or free, once: what
 * LMDB's write path trusts), then walks every table checking key and
 * value widths against the schema, key order, entry counts, the block
 * rows' chain of state roots up to meta's, the statuses against the rows,
 * and at height 0 the genesis root recomputed from the stored state.
 * Returns CX_OK, or CX_ECORRUPT with a message naming the table and the
 * fault and what to do (restore a backup taken with mdb_copy /
 * mdb_env_copy, or replay the chain), or the code cx_store_open() would
 * give (CX_EVERSION, ...).
 * A directory without data.mdb passes (nothing to check yet).
 *
 * The walk runs in a child process (fork()), because reading a damaged
 * page can fault inside liblmdb: a child killed by a signal is reported
 * as CX_ECORRUPT and the caller carries on. The child only reads and
 * _exit()s; nothing on disk changes. Call it before the process starts
 * threads where possible (the engine does: it
 * checks before starting its worker pool); with threads it still works on
 * glibc, whose malloc stays usable in a fork child, but a lock held by
 * another thread at fork time stays held in the child. Call it before
 * this process opens the same path (LMDB: no environment across fork).
 *
 * Cost: O(size of the database) at open, one sequential read of every
 * page plus at height 0 a Merkle root of the state (see docs/security.md
 * for figures); open huge databases without it when that is too slow.
 * Not detected: a flip that leaves a well-formed but different value in
 * accounts or kv above height 0 (no stored root commits to the current
 * state), or a branch page's separator key changed so that lookups miss
 * (separators are not compared with the keys below them). */
int cx_store_verify(const cx_store_config *cfg, cx_error *err);

/* Closes the store. Every snapshot must have been released. NULL is a
 * no-op. */
void cx_store_close(cx_store *s);

/* Chain height: the last committed block, 0 before any block. */
uint64_t cx_store_height(const cx_store *s);

/* True once a genesis has been loaded. */
bool cx_store_has_genesis(const cx_store *s);

/* state_root(0) (SPEC section 5); zeros before genesis. */
void cx_store_genesis_root(const cx_store *s, uint8_t out[32]);

/* state_root(height); zeros before genesis. */
void cx_store_state_root(const cx_store *s, uint8_t out[32]);

/* Path the store was opened with (owned by the store). */
const char *cx_store_path(const cx_store *s);

/* Current map size in bytes (grows on demand). */
size_t cx_store_map_size(const cx_store *s);

/* Loads genesis: sorts `entries` in place (cx_entries_sort), refuses a
 * duplicate key (CX_EINVAL) or a store that is read-only or already has a
 * genesis or any block or entry (CX_ESTATE), writes all entries in one transaction with
 * the genesis root computed by cx_genesis_root() and height 0 in meta.
 * n may be 0 (an empty genesis). On success writes state_root(0) to
 * out_root (may be NULL). */
int cx_store_load_genesis(cx_store *s, cx_entry *entries, size_t n,
                          uint8_t out_root[32], cx_error *err);

/* The row of the `blocks` table for one height. */
typedef struct cx_block_record {
  uint64_t height;
  uint8_t tx_root[32], receipts_root[32], write_root[32], state_root[32];
  uint32_t tx_count;
  uint32_t status_counts[7]; /* indexed by tx status code 0..6 */
  /* tx_count statuses to store with the block (table `statuses`), or NULL
   * to store none. Read back with cx_store_block_statuses();
   * cx_store_block() leaves it NULL. */
  const uint8_t *statuses;
} cx_block_record;

/* Commits one block in one write transaction: the puts of `writes` (n
 * entries sorted by cx_key_cmp with unique keys; checked, CX_EINVAL
 * otherwise), the `blocks` row, and meta (height, state_root).
 * Preconditions (CX_ESTATE otherwise): the store is not read-only, a
 * genesis is loaded and rec->height == cx_store_height(s) + 1. rec->state_root must equal
 * cx_state_root_next(current state root, rec->write_root) (CX_EINVAL
 * otherwise); write_root itself is the caller's (not recomputed here).
 * On MDB_MAP_FULL the transaction is aborted, the map grown and the same
 * writes replayed, as often as needed (see growth_wait_ms, max_map_size).
 * In SYNC mode the block is on disk when this returns 0. On failure the
 * store and its cached height/roots are unchanged. */
int cx_store_commit_block(cx_store *s, const cx_block_record *rec,
                          const cx_entry *writes, size_t n, cx_error *err);

/* Reads the block row at `height` into out. CX_ENOTFOUND when absent
 * (height 0 has no row: genesis is in meta). Thread-safe. */
int cx_store_block(cx_store *s, uint64_t height, cx_block_record *out,
                   cx_error *err);

/* Copies the n statuses stored with block `height` into out. CX_ENOTFOUND
 * when none were stored (the commit passed NULL, or the block has no
 * transactions); CX_ECORRUPT when the stored count is not n. Thread-safe. */
int cx_store_block_statuses(cx_store *s, uint64_t height, uint8_t *out,
                            size_t n, cx_error *err);

/* Current value of key (in its own short read transaction): an account
 * gives balance, nonce; a kv key gives value, 0. Absent: 0, 0.
 * Thread-safe. */
int cx_store_get(cx_store *s, const cx_key *key, uint64_t *v0, uint64_t *v1,
                 cx_error *err);

/* Full scan of the state in key order (accounts, then kv; bytewise
 * within each), one consistent read transaction. Calls fn once per entry;
 * stops early, returning 0, when fn returns nonzero. Thread-safe, but the
 * scan pins the map: fn must not commit to this store. */
int cx_store_scan(cx_store *s, int (*fn)(void *ctx, const cx_entry *e),
                  void *ctx, cx_error *err);

/* Number of state entries (accounts + kv). Thread-safe. */
int cx_store_count(cx_store *s, uint64_t *out, cx_error *err);

/* Flushes everything committed so far to disk (useful in NOSYNC mode;
 * a cheap no-op-like fsync in SYNC mode). CX_ESTATE on a read-only
 * store. */
int cx_store_sync(cx_store *s, cx_error *err);

/* A read snapshot: one LMDB read transaction (MDB_NOTLS) fixed at the
 * height committed when it was taken. */
typedef struct cx_snapshot cx_snapshot;

/* Takes a snapshot of the last committed state. Returns NULL with err set
 * (CX_EREADERS when every reader slot is taken; CX_ESTATE when it would
 * wait past growth_wait_ms for a map growth). Caller owns it and releases
 * it with cx_snapshot_release(). Thread-safe. Keep snapshots short: an
 * open one keeps old pages alive and blocks map growth. */
cx_snapshot *cx_store_snapshot(cx_store *s, cx_error *err);

/* Point read in the snapshot; absent key -> zeros (as cx_store_get).
 * Returns 0, CX_EINVAL (bad key kind or NULL), CX_ECORRUPT (a stored value
 * of the wrong width or damaged pages) or CX_EDB. Allocates nothing.
 * Thread-safe: any number of threads may read one snapshot at once. This
 * holds because the snapshot is taken with MDB_NOTLS, and because opening
 * it touches every table once (mdb_stat), which clears LMDB's per-txn
 * DB_STALE flags; after that mdb_get on a read-only txn only reads the
 * txn and the map. */
int cx_snapshot_read(const cx_snapshot *snap, const cx_key *key, uint64_t *v0,
                     uint64_t *v1);

/* Height of the state the snapshot sees. */
uint64_t cx_snapshot_height(const cx_snapshot *snap);

/* state_root at that height (zeros before genesis). */
void cx_snapshot_state_root(const cx_snapshot *snap, uint8_t out[32]);

/* Ends the snapshot. No read on it may be in flight. NULL is a no-op. */
void cx_snapshot_release(cx_snapshot *snap);

#endif /* CX_STORE_H */
