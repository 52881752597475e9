/* The chainexec state store: SPEC section 2 state, block rows and chain
 * metadata in one LMDB environment (a directory on disk).
 *
 * Tables (LMDB named databases), schema 3:
 *   accounts  address(20)            -> balance u64 LE || nonce u64 LE
 *   kv        key(32)                -> value u64 LE
 *   blocks    height u64 big-endian  -> cx_block_record (160 bytes, LE)
 *   statuses  height u64 big-endian  -> tx_count status bytes
 *   undo      height u64 big-endian  -> the block's undo data: for every
 *             key it wrote, the previous value or "absent" (one value per
 *             block, kept for the last undo_retention blocks)
 *   meta      "format", "schema", "height", "genesis_root", "state_root",
 *             "map_size"
 * Every value (but meta "format") ends with a CRC32C of key || value,
 * checked on every read and by cx_store_verify(): a damaged record reads
 * as CX_ECORRUPT naming the table and the key, never as another value.
 * A key never written reads as zero; a written zero value is stored (a
 * write of 0 is a write). Keys are deleted only by a revert, when the
 * reverted block created them.
 *
 * Schema 2 (no checksums, no undo) is migrated in place by a writable
 * open, in one transaction (a crash leaves it schema 2 or wholly schema
 * 3); its blocks have no undo data, so the retention floor starts at the
 * migrated height. A read-only open refuses it with CX_EVERSION naming
 * `chainexec migrate --db DIR`.
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
 *     cx_store_reorg, cx_store_revert, cx_store_sync, cx_store_close) and
 *     the cached accessors (cx_store_height, cx_store_has_genesis,
 *     cx_store_*_root, cx_store_retention_floor) belong to one thread at a
 *     time (the caller serialises them).
 *   - cx_store_get, cx_store_block, cx_store_scan, cx_store_scan_at,
 *     cx_store_snapshot and everything on a snapshot or a view may run on
 *     any thread, concurrently with each other and with a commit on
 *     another thread.
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
/* 2: per-block statuses table; 3: record checksums, undo data. */
#define CX_STORE_SCHEMA_VERSION 3u

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
  unsigned undo_retention;  /* blocks whose undo data is kept (how deep a
                               revert or a read at an ancestor may go);
                               default 256 (cx_store_config_default);
                               0 keeps none (commits write no undo data) */
} cx_store_config;

/* Fills cfg with the defaults above (undo_retention 256) and path =
 * NULL. */
void cx_store_config_default(cx_store_config *cfg);

/* Opens (creating if needed, unless cfg->read_only) the store at
 * cfg->path: creates the directory if missing, opens LMDB with MDB_NOTLS, clears stale reader
 * slots (mdb_reader_check), checks the schema (refusing a newer or foreign
 * database with CX_EVERSION), and recovers height and roots from `meta`.
 * A schema-2 store is migrated (see the top of this file) unless
 * read_only, which refuses it with CX_EVERSION.
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
 * the checksum of every record, the undo rows (contiguous up to the
 * height, well-formed, keys in order), and at height 0 the genesis root
 * recomputed from the stored state. A schema-2 store gets the page check
 * only (cx_store_open() then migrates it, checking every record's width).
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
 * Not detected: a branch page's separator key changed so that lookups
 * miss (separators are not compared with the keys below them); the
 * checksums catch every changed byte of a record (docs/security.md
 * section 4). */
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
 * otherwise), the `blocks` row, and meta (height, state_root); with
 * undo_retention > 0 also the block's undo data (the previous value of
 * every key in `writes`, or "absent", read by the cursor that does the
 * put), and it prunes undo data older than the retention in the same
 * transaction (normally one row), so the cost stays flat. A previous
 * value that fails its checksum fails the commit with CX_ECORRUPT.
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

/* Lowest height the store can revert to or read at: the maximum of
 * height - undo_retention (0 when that is negative) and the lowest h such
 * that every block h+1..height has undo data (blocks committed with
 * retention 0 or before a migration have none). == height when
 * undo_retention is 0. */
uint64_t cx_store_retention_floor(const cx_store *s);

/* One block to commit inside cx_store_reorg(). A struct tag only: the
 * name cx_store_block is taken by the function that reads a block row,
 * so write `struct cx_store_block`. */
struct cx_store_block {
  const cx_block_record *rec;
  const cx_entry *writes; /* sorted by cx_key_cmp, unique (as
                             cx_store_commit_block) */
  size_t n_writes;
};

/* In ONE write transaction: reverts every block above to_height, newest
 * first (applies its undo data: restores previous values, deletes keys
 * that did not exist; deletes its block row, statuses and undo row), sets
 * height and state_root in meta to to_height's, then commits blocks[0..n)
 * in order exactly as cx_store_commit_block() would (each writes its own
 * undo data; pruning as usual). n may be 0 (a pure revert).
 * Preconditions: the store is writable with a genesis and to_height <=
 * height (CX_ESTATE); to_height >= cx_store_retention_floor(s)
 * (CX_ELIMIT, the message names undo_retention and the floor);
 * blocks[i].rec->height == to_height + 1 + i, the state roots chain from
 * to_height's state root, write sets sorted (CX_EINVAL). Damaged undo
 * data gives CX_ECORRUPT naming the table and key.
 * Atomic: on any failure nothing changes (cached height and roots
 * included); MDB_MAP_FULL is handled as in a commit. After a crash the
 * store is at the old head or the new one, never between. */
int cx_store_reorg(cx_store *s, uint64_t to_height,
                   const struct cx_store_block *blocks, size_t n,
                   cx_error *err);

/* cx_store_reorg(s, to_height, NULL, 0, err). */
int cx_store_revert(cx_store *s, uint64_t to_height, cx_error *err);

/* Reads the block row at `height` into out. CX_ENOTFOUND when absent
 * (height 0 has no row: genesis is in meta); CX_ECORRUPT (table and key
 * named) when it fails its checksum. Thread-safe. */
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

/* Full scan of the state AT `height` in key order (accounts then kv, as
 * cx_store_scan), in one consistent read transaction, through the undo
 * data of the blocks above it: an entry absent at that height is skipped.
 * CX_ENOTFOUND above the head, CX_ELIMIT (naming undo_retention and the
 * floor) below the retention floor. Thread-safe; fn must not commit. */
int cx_store_scan_at(cx_store *s, uint64_t height,
                     int (*fn)(void *ctx, const cx_entry *e), void *ctx,
                     cx_error *err);

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
 * of the wrong width or checksum, or damaged pages) or CX_EDB. Allocates
 * nothing. Use cx_snapshot_read_err() for the message.
 * Thread-safe: any number of threads may read one snapshot at once. This
 * holds because the snapshot is taken with MDB_NOTLS, and because opening
 * it touches every table once (mdb_stat), which clears LMDB's per-txn
 * DB_STALE flags; after that mdb_get on a read-only txn only reads the
 * txn and the map. */
int cx_snapshot_read(const cx_snapshot *snap, const cx_key *key, uint64_t *v0,
                     uint64_t *v1);

/* cx_snapshot_read() with a message: on CX_ECORRUPT it names the table
 * and the key in hex and what to do. Thread-safe as cx_snapshot_read. */
int cx_snapshot_read_err(const cx_snapshot *snap, const cx_key *key,
                         uint64_t *v0, uint64_t *v1, cx_error *err);

/* Retention floor as of the snapshot (cx_store_retention_floor() at the
 * snapshot's height): the lowest height cx_snapshot_view() accepts. */
uint64_t cx_snapshot_retention_floor(const cx_snapshot *snap);

/* A read view of the committed state at an earlier height, on top of a
 * snapshot. */
typedef struct cx_view cx_view;

/* Builds a view at `height`: the undo data of blocks height+1..snapshot
 * height, read in the snapshot's transaction (so consistent with it), is
 * merged into one sorted in-memory overlay (for each key, the value
 * before the lowest block above `height` that wrote it, or absent). Cost
 * O(undo entries of those blocks); no copy of the state. height ==
 * snapshot height gives a view that just reads the snapshot. NULL with
 * err: CX_ELIMIT (naming undo_retention and the floor) below
 * cx_snapshot_retention_floor(), CX_ENOTFOUND above the snapshot height,
 * CX_ECORRUPT, CX_ENOMEM. The view borrows the snapshot: release the view
 * first. Reads are thread-safe like a snapshot's. */
cx_view *cx_snapshot_view(const cx_snapshot *snap, uint64_t height,
                          cx_error *err);

/* Point read at the view's height, as cx_snapshot_read(). */
int cx_view_read(const cx_view *v, const cx_key *key, uint64_t *v0,
                 uint64_t *v1);

/* cx_view_read() with a message (table and key on CX_ECORRUPT). */
int cx_view_read_err(const cx_view *v, const cx_key *key, uint64_t *v0,
                     uint64_t *v1, cx_error *err);

/* Height the view reads at. */
uint64_t cx_view_height(const cx_view *v);

/* state_root at the view's height (the genesis root at 0). */
void cx_view_state_root(const cx_view *v, uint8_t out[32]);

/* Frees the view. NULL is a no-op. */
void cx_view_release(cx_view *v);

/* Height of the state the snapshot sees. */
uint64_t cx_snapshot_height(const cx_snapshot *snap);

/* state_root at that height (zeros before genesis). */
void cx_snapshot_state_root(const cx_snapshot *snap, uint8_t out[32]);

/* Ends the snapshot. No read on it may be in flight. NULL is a no-op. */
void cx_snapshot_release(cx_snapshot *snap);

#endif /* CX_STORE_H */
