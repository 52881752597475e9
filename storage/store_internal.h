/* Internal state of a cx_store and a cx_snapshot (storage/ only).
 *
 * Invariants of cx_store:
 *   - env is open with MDB_NOTLS; dbi[] are valid handles of the four
 *     tables for the life of the store.
 *   - height, has_genesis, genesis_root, state_root equal what `meta` holds
 *     in the last committed transaction; they change only after a commit
 *     returned success (a failed commit leaves them untouched).
 *   - map_size is the current LMDB map size; only the writer thread
 *     changes it, inside cx_store_grow_map().
 *   - pins counts this process's open read transactions of the store
 *     (snapshots, and the short ones of get/scan/block). While `growing`
 *     is true no new pin is taken, and the map is remapped only once pins
 *     reached 0: mdb_env_set_mapsize() munmaps the map under any reader.
 *   Lock order: `lock` is a leaf; it is never held across an LMDB call
 *   other than mdb_env_set_mapsize().
 */
#ifndef CX_STORE_INTERNAL_H
#define CX_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* What a person can do about a damaged store (integrity check messages). */
#define CX_STORE_DAMAGED_ACTION                                                \
  "restore it from a backup (a copy taken with mdb_copy or mdb_env_copy) "   \
  "or replay the chain into an empty directory"

enum cx_table {
  CX_TABLE_ACCOUNTS = 0,
  CX_TABLE_KV = 1,
  CX_TABLE_BLOCKS = 2,
  CX_TABLE_META = 3,
  CX_TABLE_STATUSES = 4,
  CX_TABLE_COUNT = 5
};

extern const char *const cx_table_names[CX_TABLE_COUNT];

struct cx_store {
  MDB_env *env;
  MDB_dbi dbi[CX_TABLE_COUNT];
  char *path;          /* owned copy of cfg->path */
  cx_store_config cfg; /* defaults filled in; cfg.path == path */
  size_t map_size;
  uint64_t height;
  bool has_genesis;
  uint8_t genesis_root[32];
  uint8_t state_root[32];
  pthread_mutex_t lock;
  pthread_cond_t cond;
  unsigned pins;
  bool growing;
};

struct cx_snapshot {
  cx_store *store;
  MDB_txn *txn; /* read-only; every table touched once at open */
  MDB_dbi acc, kv;
  uint64_t height;
  uint8_t state_root[32];
};

/* Translates an LMDB or errno code `rc` into a cx code, with a message
 * naming the path, `what` was being done, and what a person can do.
 * Returns the cx code (never CX_OK for rc != 0). */
int cx_store_fail(const cx_store *s, int rc, const char *what, cx_error *err);

/* Same, for before the cx_store exists (open). */
int cx_store_fail_path(const char *path, unsigned max_readers, int rc,
                       const char *what, cx_error *err);

/* Pins the map (waits while a growth is pending, up to growth_wait_ms;
 * CX_ESTATE past that), then begins a read-only transaction. On failure
 * nothing stays pinned. */
int cx_store_read_begin(cx_store *s, MDB_txn **txn, cx_error *err);

/* Aborts the read transaction and unpins. */
void cx_store_read_end(cx_store *s, MDB_txn *txn);

/* Grows the map by one step (cfg.growth_step, or double and at least
 * 64 MiB, capped at max_map_size). Waits for pins to drain. No write txn
 * of this store may be open. Returns 0, CX_ELIMIT or CX_ESTATE. */
int cx_store_grow_map(cx_store *s, cx_error *err);

/* Adopts a map size grown by another process (after MDB_MAP_RESIZED). */
int cx_store_adopt_map(cx_store *s, cx_error *err);

/* Opens an existing store as cx_store_open() does, but creates nothing:
 * no directory, and an environment without tables is refused with
 * CX_ENOTFOUND. For the child of cx_store_verify(). */
cx_store *cx_store_open_existing(const cx_store_config *cfg, cx_error *err);

/* The integrity walk (store_walk.c): reads every table and checks it
 * against the schema and the roots. CX_OK, CX_ECORRUPT naming the table
 * and the fault, or another code. Reading damaged pages may fault: call
 * it only in the child process of cx_store_verify(). */
int cx_store_walk(cx_store *s, cx_error *err);

/* Page-level check of data.mdb (store_pages.c) for the walk: reads the
 * file with pread() and checks the tree structure, page headers, nodes and
 * free list as of read transaction txn. CX_OK, CX_ECORRUPT naming the
 * table and page, or another code. */
int cx_store_check_pages(cx_store *s, MDB_txn *txn, cx_error *err);

#endif /* CX_STORE_INTERNAL_H */
