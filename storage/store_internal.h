/* Internal state of a cx_store and a cx_snapshot (storage/ only).
 *
 * Invariants of cx_store:
 *   - env is open with MDB_NOTLS; dbi[] are valid handles of the six
 *     tables for the life of the store (schema 3; a schema-2 store opened
 *     by the integrity check has no undo table and schema == 2).
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
  CX_TABLE_UNDO = 5,
  CX_TABLE_COUNT = 6
};

/* Tables of a schema-2 store (no undo). */
#define CX_TABLE_COUNT_SCHEMA2 5

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
  uint32_t schema;     /* schema found at open (2 only in the check) */
  bool legacy_ok;      /* a read-only open may see schema 2 (the check) */
  uint64_t undo_first; /* lowest height with an undo row; 0: none */
  uint8_t *undo_buf;   /* writer's scratch for a block's undo payload */
  size_t undo_cap;
};

struct cx_snapshot {
  cx_store *store;
  MDB_txn *txn; /* read-only; every table touched once at open */
  MDB_dbi acc, kv;
  uint64_t height;
  uint8_t state_root[32];
  uint64_t floor; /* retention floor as of this snapshot */
};

/* The retention floor at `height` given the lowest undo row (0: none):
 * see cx_store_retention_floor(). */
uint64_t cx_store_floor_of(const cx_store *s, uint64_t height,
                           uint64_t undo_first);

/* Lowest height with an undo row in txn (0 when none) into *out; LMDB
 * code. */
int cx_store_undo_first(const cx_store *s, MDB_txn *txn, uint64_t *out);

/* CX_ECORRUPT for a damaged record: names the table, the key in hex and
 * what is wrong, and says what to do. Returns CX_ECORRUPT. */
int cx_store_corrupt(const cx_store *s, enum cx_table t, const void *key,
                     size_t klen, const char *what, cx_error *err);

/* Reads and unseals meta[name] into out (exactly len payload bytes). 1
 * when absent, 0 when read, a cx code (CX_ECORRUPT naming the key) on a
 * wrong width or checksum or an LMDB failure. */
int cx_store_meta_get(const cx_store *s, MDB_txn *txn, const char *name,
                      void *out, size_t len, cx_error *err);

/* Point read of a state key in txn (absent: zeros); checks width and
 * checksum (CX_ECORRUPT naming table and key). */
int cx_store_read_entry(const cx_store *s, MDB_txn *txn, const cx_key *key,
                        uint64_t *v0, uint64_t *v1, cx_error *err);

/* One entry of a read overlay: the state of a key at an earlier height. */
typedef struct cx_overlay_item {
  cx_key key;
  uint64_t v0, v1;
  uint64_t h;   /* the block whose undo data gave it (while building) */
  bool present; /* false: the key did not exist at that height */
} cx_overlay_item;

/* Builds the overlay that turns the state of txn (at height `top`) into
 * the state at `height` <= top: from the undo rows height+1..top, for
 * each key the value before the lowest of them that wrote it. Sorted by
 * cx_key_cmp. *out is malloc'ed (free it); *n its length. CX_OK,
 * CX_ECORRUPT (a damaged or missing undo row), CX_ENOMEM. */
int cx_store_overlay(const cx_store *s, MDB_txn *txn, uint64_t height,
                     uint64_t top, cx_overlay_item **out, size_t *n,
                     cx_error *err);

/* Binary search of key in an overlay; NULL when absent. */
const cx_overlay_item *cx_overlay_find(const cx_overlay_item *ov, size_t n,
                                       const cx_key *key);

/* state_root at `height` as txn sees it: the block row's (checked), or
 * the genesis root at 0. */
int cx_store_root_at(const cx_store *s, MDB_txn *txn, uint64_t height,
                     uint8_t out[32], cx_error *err);

/* Reads and unseals the undo row of `height` in txn: *p, *len get its
 * payload (inside the map). CX_ENOTFOUND when absent, CX_ECORRUPT. */
int cx_store_undo_row(const cx_store *s, MDB_txn *txn, uint64_t height,
                      const uint8_t **p, size_t *len, cx_error *err);

/* Schema-2 -> 3 migration inside an open write transaction
 * (store_migrate.c): seals every record, creates the undo table, records
 * schema 3. 0, an LMDB code (MDB_MAP_FULL: grow and retry), or a negated
 * cx code with err set. */
int cx_store_migrate_txn(cx_store *s, MDB_txn *txn, cx_error *err);

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

/* Hint of a read-only open of a schema-2 store: the command that migrates
 * it. */
#define CX_STORE_MIGRATE_HINT                                                  \
  "migrate it in place with `chainexec migrate --db DIR` (it opens the "    \
  "store writable once)"

/* Test and benchmark helper (store_migrate.c): rewrites the closed store
 * at path in the schema-2 layout (unseals every record, drops the undo
 * table, records schema 2), as a schema-2 build would have left it. */
int cx_store_test_write_schema2(const char *path, cx_error *err);

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
