/* Opening a store: directory, LMDB environment, schema check, recovery of
 * height and roots from `meta`; closing; cached accessors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store_codec.h"
#include "store_internal.h"

#define CX_MIB ((size_t)1 << 20)

const char *const cx_table_names[CX_TABLE_COUNT] = {
    "accounts", "kv", "blocks", "meta", "statuses", "undo"};

/* open_db(): the migration needs a bigger map (grow, then retry). */
#define OPEN_GROW (-2)

void cx_store_config_default(cx_store_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->initial_map_size = 64 * CX_MIB;
  cfg->max_readers = 126;
  cfg->growth_wait_ms = 30000;
  cfg->durability = CX_DURABILITY_SYNC;
  cfg->undo_retention = 256;
}

static void fill_defaults(cx_store_config *c) {
  cx_store_config d;
  cx_store_config_default(&d);
  if (c->initial_map_size == 0)
    c->initial_map_size = d.initial_map_size;
  if (c->max_readers == 0)
    c->max_readers = d.max_readers;
  if (c->growth_wait_ms == 0)
    c->growth_wait_ms = d.growth_wait_ms;
}

static int make_dir(const char *path, cx_error *err) {
  struct stat st;
  if (mkdir(path, 0755) != 0 && errno != EEXIST)
    return cx_store_fail_path(path, 0, errno, "creating the store directory",
                              err);
  if (stat(path, &st) != 0)
    return cx_store_fail_path(path, 0, errno, "inspecting the store directory",
                              err);
  if (!S_ISDIR(st.st_mode))
    return cx_error_set(err, CX_EINVAL,
                        "%s exists and is not a directory; the store needs a "
                        "directory (give another path or move the file)",
                        path);
  return CX_OK;
}

static unsigned env_flags(const cx_store_config *cfg) {
  unsigned f = MDB_NOTLS;
  if (cfg->read_only)
    f |= MDB_RDONLY;
  else if (cfg->durability == CX_DURABILITY_NOSYNC)
    f |= MDB_NOSYNC;
  else if (cfg->durability == CX_DURABILITY_NOMETASYNC)
    f |= MDB_NOMETASYNC;
  return f;
}

static int meta_read(cx_store *s, MDB_txn *txn, const char *name, void *out,
                     size_t len, cx_error *err) {
  return cx_store_meta_get(s, txn, name, out, len, err);
}

/* Puts a sealed meta value (payload of at most 32 bytes). */
static int meta_put(cx_store *s, MDB_txn *txn, const char *name, const void *p,
                    size_t len) {
  uint8_t buf[32 + CX_CRC_LEN];
  MDB_val k = cx_codec_meta_key(name);
  memcpy(buf, p, len);
  MDB_val v = cx_codec_seal(&k, buf, len);
  return mdb_put(txn, s->dbi[CX_TABLE_META], &k, &v, 0);
}

/* Fresh environment: create the tables and the schema marker. */
static int create_tables(cx_store *s, MDB_txn *txn, cx_error *err) {
  for (int t = 0; t < CX_TABLE_COUNT; t++) {
    int rc = mdb_dbi_open(txn, cx_table_names[t], MDB_CREATE, &s->dbi[t]);
    if (rc != 0)
      return cx_store_fail(s, rc, "creating the tables", err);
  }
  uint8_t schema[4], height[8];
  cx_codec_put_u32le(schema, CX_STORE_SCHEMA_VERSION);
  cx_codec_put_u64le(height, 0);
  /* "format" stays bare: it is how any build recognises the directory. */
  MDB_val fk = cx_codec_meta_key(CX_META_FORMAT),
          fv = cx_codec_val(CX_META_FORMAT_VALUE, strlen(CX_META_FORMAT_VALUE));
  int rc = mdb_put(txn, s->dbi[CX_TABLE_META], &fk, &fv, 0);
  if (rc == 0)
    rc = meta_put(s, txn, CX_META_SCHEMA, schema, sizeof schema);
  if (rc == 0)
    rc = meta_put(s, txn, CX_META_HEIGHT, height, sizeof height);
  return rc ? cx_store_fail(s, rc, "writing the schema marker", err) : CX_OK;
}

/* The schema recorded in meta: 4 bare bytes up to schema 2, a sealed u32
 * from schema 3 on. */
static int read_schema(cx_store *s, MDB_txn *txn, uint32_t *schema,
                       cx_error *err) {
  MDB_val k = cx_codec_meta_key(CX_META_SCHEMA), v;
  int rc = mdb_get(txn, s->dbi[CX_TABLE_META], &k, &v);
  if (rc == MDB_NOTFOUND)
    return cx_error_set(err, CX_ECORRUPT,
                        "%s: meta has no schema version; "
                        "the store is damaged: replay the chain into a new "
                        "directory",
                        s->path);
  if (rc != 0)
    return cx_store_fail(s, rc, "reading the schema marker", err);
  size_t len;
  if (v.mv_size == 4 && cx_codec_get_u32le(v.mv_data) < 3) {
    *schema = cx_codec_get_u32le(v.mv_data);
    return CX_OK;
  }
  if (!cx_codec_unseal(&k, &v, &len) || len != 4)
    return cx_store_corrupt(s, CX_TABLE_META, k.mv_data, k.mv_size,
                            "the schema version is damaged", err);
  *schema = cx_codec_get_u32le(v.mv_data);
  return CX_OK;
}

static int check_schema(cx_store *s, MDB_txn *txn, cx_error *err) {
  MDB_val k = cx_codec_meta_key(CX_META_FORMAT), v;
  int rc = mdb_get(txn, s->dbi[CX_TABLE_META], &k, &v);
  if (rc != 0 && rc != MDB_NOTFOUND)
    return cx_store_fail(s, rc, "reading the schema marker", err);
  size_t flen = strlen(CX_META_FORMAT_VALUE);
  if (rc == MDB_NOTFOUND || v.mv_size != flen ||
      memcmp(v.mv_data, CX_META_FORMAT_VALUE, flen) != 0)
    return cx_error_set(err, CX_EVERSION,
                        "%s holds an LMDB database that is not a chainexec "
                        "store (no \"%s\" marker); use an empty or chainexec "
                        "directory",
                        s->path, CX_META_FORMAT_VALUE);
  uint32_t schema = 0;
  rc = read_schema(s, txn, &schema, err);
  if (rc != CX_OK)
    return rc;
  s->schema = schema;
  if (schema == 2 && s->cfg.read_only && !s->legacy_ok)
    return cx_error_set(err, CX_EVERSION,
                        "%s was written with store schema 2; this build reads "
                        "schema %u, and a read-only open cannot convert it: "
                        CX_STORE_MIGRATE_HINT,
                        s->path, CX_STORE_SCHEMA_VERSION);
  if (schema != CX_STORE_SCHEMA_VERSION && schema != 2)
    return cx_error_set(err, CX_EVERSION,
                        "%s was written with store schema %u; this build reads "
                        "schema %u (and migrates schema 2); %s",
                        s->path, schema, CX_STORE_SCHEMA_VERSION,
                        schema > CX_STORE_SCHEMA_VERSION
                            ? "use a newer chainexec"
                            : "replay the chain into a new directory");
  return CX_OK;
}

/* Existing chainexec store: open the tables, check the schema. */
static int open_tables(cx_store *s, MDB_txn *txn, cx_error *err) {
  int rc = mdb_dbi_open(txn, cx_table_names[CX_TABLE_META], 0,
                        &s->dbi[CX_TABLE_META]);
  /* MDB_INCOMPATIBLE: "meta" is a plain key of someone else's data. */
  if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
    return cx_error_set(err, CX_EVERSION,
                        "%s holds an LMDB database that is not a chainexec "
                        "store (no meta table); use an empty or chainexec "
                        "directory",
                        s->path);
  if (rc != 0)
    return cx_store_fail(s, rc, "opening the meta table", err);
  rc = check_schema(s, txn, err);
  if (rc != CX_OK)
    return rc;
  /* A schema-2 store has no undo table yet (the migration creates it). */
  int tables = s->schema == 2 ? CX_TABLE_COUNT_SCHEMA2 : CX_TABLE_COUNT;
  for (int t = 0; t < tables; t++) {
    if (t == CX_TABLE_META)
      continue;
    rc = mdb_dbi_open(txn, cx_table_names[t], 0, &s->dbi[t]);
    if (rc == MDB_NOTFOUND)
      return cx_error_set(err, CX_ECORRUPT,
                          "%s: table \"%s\" is missing; the store is damaged: "
                          "replay the chain into a new directory",
                          s->path, cx_table_names[t]);
    if (rc != 0)
      return cx_store_fail(s, rc, "opening the tables", err);
  }
  return CX_OK;
}

/* The row at the recovered height carries the recovered state root, and
 * no row lies beyond it: meta and blocks were committed together. */
static int check_last_block(cx_store *s, MDB_txn *txn, cx_error *err) {
  uint8_t key[8];
  MDB_val k, v;
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn, s->dbi[CX_TABLE_BLOCKS], &cur);
  if (rc != 0)
    return cx_store_fail(s, rc, "reading the block rows", err);
  rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND)
    return cx_store_fail(s, rc, "reading the block rows", err);
  cx_codec_put_u64be(key, s->height);
  size_t len = 0;
  bool ok =
      rc == MDB_NOTFOUND
          ? s->height == 0
          : k.mv_size == 8 && memcmp(k.mv_data, key, 8) == 0 &&
                cx_codec_unseal(&k, &v, &len) && len == CX_BLOCK_ROW_LEN &&
                memcmp((const uint8_t *)v.mv_data + CX_BLOCK_ROW_STATE_ROOT,
                       s->state_root, 32) == 0;
  if (!ok)
    return cx_error_set(err, CX_ECORRUPT,
                        "%s: the last block row does not match meta (height "
                        "%llu); the store is damaged: restore it or replay the "
                        "chain into a new directory",
                        s->path, (unsigned long long)s->height);
  return CX_OK;
}

/* Height, roots and the recorded map size from meta. */
static int recover(cx_store *s, MDB_txn *txn, size_t *recorded_map,
                   cx_error *err) {
  uint8_t b[8];
  int rc = meta_read(s, txn, CX_META_HEIGHT, b, 8, err);
  if (rc > 1)
    return rc;
  s->height = rc == 0 ? cx_codec_get_u64le(b) : 0;
  rc = meta_read(s, txn, CX_META_GENESIS_ROOT, s->genesis_root, 32, err);
  if (rc > 1)
    return rc;
  s->has_genesis = rc == 0;
  rc = meta_read(s, txn, CX_META_STATE_ROOT, s->state_root, 32, err);
  if (rc > 1)
    return rc;
  if (s->has_genesis != (rc == 0) || (!s->has_genesis && s->height != 0))
    return cx_error_set(err, CX_ECORRUPT,
                        "%s: meta is inconsistent (height %llu, genesis %s, "
                        "state root %s); replay the chain into a new directory",
                        s->path, (unsigned long long)s->height,
                        s->has_genesis ? "present" : "absent",
                        rc == 0 ? "present" : "absent");
  rc = meta_read(s, txn, CX_META_MAP_SIZE, b, 8, err);
  if (rc > 1)
    return rc;
  *recorded_map = rc == 0 ? (size_t)cx_codec_get_u64le(b) : 0;
  rc = cx_store_undo_first(s, txn, &s->undo_first);
  if (rc != 0)
    return cx_store_fail(s, rc, "reading the undo rows", err);
  return check_last_block(s, txn, err);
}

/* One transaction at open: create or open the tables, check the schema,
 * recover meta. Committing keeps the table handles. With !create an
 * environment without tables is refused (CX_ENOTFOUND) instead of
 * initialised, so the transaction commits nothing; a read-only store
 * never creates, and opens with a read transaction (no writer lock). */
static int open_db(cx_store *s, bool create, size_t *recorded_map,
                   cx_error *err) {
  MDB_txn *txn;
  int rc = mdb_txn_begin(s->env, NULL, s->cfg.read_only ? MDB_RDONLY : 0,
                         &txn);
  if (rc != 0)
    return cx_store_fail(s, rc, "starting the open transaction", err);
  MDB_dbi main_dbi;
  MDB_stat st;
  rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
  if (rc == 0)
    rc = mdb_stat(txn, main_dbi, &st);
  if (rc != 0) {
    mdb_txn_abort(txn);
    return cx_store_fail(s, rc, "reading the main table", err);
  }
  if (st.ms_entries == 0)
    s->schema = CX_STORE_SCHEMA_VERSION;
  if (st.ms_entries == 0 && !create)
    rc = cx_error_set(err, CX_ENOTFOUND, "%s: no chainexec store here yet",
                      s->path);
  else if (st.ms_entries == 0)
    rc = create_tables(s, txn, err);
  else
    rc = open_tables(s, txn, err);
  /* A schema-2 store is converted in this same transaction: after a crash
   * it is either still schema 2, untouched, or wholly schema 3. */
  if (rc == CX_OK && s->schema == 2 && !s->cfg.read_only) {
    rc = cx_store_migrate_txn(s, txn, err);
    if (rc == MDB_MAP_FULL) {
      mdb_txn_abort(txn);
      return OPEN_GROW;
    }
    if (rc < 0 && rc > -100) /* a negated cx code, err set */
      rc = -rc;
    else if (rc != 0) /* an LMDB code */
      rc = cx_store_fail(s, rc, "migrating the store to schema 3", err);
    else
      s->schema = CX_STORE_SCHEMA_VERSION;
  }
  /* The integrity check of a schema-2 store looks at its pages only. */
  if (rc == CX_OK && st.ms_entries != 0 && s->schema != 2)
    rc = recover(s, txn, recorded_map, err);
  if (rc != CX_OK) {
    mdb_txn_abort(txn);
    return rc;
  }
  rc = mdb_txn_commit(txn);
  if (rc == MDB_MAP_FULL)
    return OPEN_GROW;
  return rc ? cx_store_fail(s, rc, "committing the open transaction", err)
            : CX_OK;
}

/* LMDB maps the data file and trusts the last page number in its meta
 * page: a file cut shorter than that (a partial copy, a truncation) would
 * fault with SIGBUS on the first read past its end. Refuse it here, before
 * any page is touched. */
static int check_file_length(cx_store *s, const MDB_envinfo *info,
                             cx_error *err) {
  MDB_stat st;
  int rc = mdb_env_stat(s->env, &st);
  if (rc != 0)
    return cx_store_fail(s, rc, "reading the page size", err);
  char file[4096];
  snprintf(file, sizeof file, "%s/data.mdb", s->path);
  struct stat fst;
  if (stat(file, &fst) != 0)
    return cx_error_set(err, CX_EIO, "%s: cannot stat the data file: %s",
                        file, strerror(errno));
  uint64_t need = ((uint64_t)info->me_last_pgno + 1) * st.ms_psize;
  if ((uint64_t)fst.st_size < need)
    return cx_error_set(err, CX_ECORRUPT,
                        "%s is truncated: %llu bytes, but its pages reach "
                        "%llu; restore the database from a copy or replay "
                        "the chain into an empty directory",
                        file, (unsigned long long)fst.st_size,
                        (unsigned long long)need);
  return CX_OK;
}

/* LMDB refuses a zero-length data.mdb with a bare errno (EBADF, "Bad file
 * descriptor"): say what the file is and what to do. True with *err set
 * when data.mdb exists and is empty. */
static bool empty_data_file(const cx_store *s, cx_error *err) {
  char file[4096];
  snprintf(file, sizeof file, "%s/data.mdb", s->path);
  struct stat fst;
  if (stat(file, &fst) != 0 || !S_ISREG(fst.st_mode) || fst.st_size != 0)
    return false;
  cx_error_set(err, CX_ECORRUPT,
               "%s is empty (0 bytes), so it holds no database (a copy or "
               "an open that stopped before LMDB wrote it); delete data.mdb "
               "and lock.mdb in %s to start a new database there, or restore "
               "it from a copy",
               file, s->path);
  return true;
}

static int open_env(cx_store *s, cx_error *err) {
  int rc = mdb_env_create(&s->env);
  if (rc != 0) {
    s->env = NULL;
    return cx_store_fail(s, rc, "creating the LMDB environment", err);
  }
  rc = mdb_env_set_maxdbs(s->env, CX_TABLE_COUNT);
  if (rc == 0)
    rc = mdb_env_set_maxreaders(s->env, s->cfg.max_readers);
  if (rc == 0)
    rc = mdb_env_set_mapsize(s->env, s->cfg.initial_map_size);
  if (rc != 0)
    return cx_store_fail(s, rc, "configuring the LMDB environment", err);
  rc = mdb_env_open(s->env, s->path, env_flags(&s->cfg), 0644);
  if (rc != 0)
    return empty_data_file(s, err) ? CX_ECORRUPT
                                   : cx_store_fail(s, rc, "opening the database",
                                                   err);
  int dead = 0;
  rc = mdb_reader_check(s->env, &dead);
  if (rc != 0)
    return cx_store_fail(s, rc, "clearing stale reader slots", err);
  MDB_envinfo info;
  rc = mdb_env_info(s->env, &info);
  if (rc != 0)
    return cx_store_fail(s, rc, "reading the map size", err);
  s->map_size = info.me_mapsize;
  return check_file_length(s, &info, err);
}

static int init_sync(cx_store *s, cx_error *err) {
  pthread_condattr_t attr;
  if (pthread_condattr_init(&attr) != 0)
    return cx_error_set(err, CX_ENOMEM, "%s: cannot create a condition",
                        s->path);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  int rc = pthread_cond_init(&s->cond, &attr);
  pthread_condattr_destroy(&attr);
  if (rc != 0)
    return cx_error_set(err, CX_ENOMEM, "%s: cannot create a condition",
                        s->path);
  if (pthread_mutex_init(&s->lock, NULL) != 0) {
    pthread_cond_destroy(&s->cond);
    return cx_error_set(err, CX_ENOMEM, "%s: cannot create a mutex", s->path);
  }
  return CX_OK;
}

static cx_store *open_store(const cx_store_config *cfg, bool create,
                            bool legacy_ok, cx_error *err) {
  if (!cfg || !cfg->path || !*cfg->path) {
    cx_error_set(err, CX_EINVAL, "store: no path given");
    return NULL;
  }
  if ((unsigned)cfg->durability > CX_DURABILITY_NOMETASYNC) {
    cx_error_set(err, CX_EINVAL, "%s: unknown durability mode %d", cfg->path,
                 (int)cfg->durability);
    return NULL;
  }
  cx_store *s = calloc(1, sizeof *s);
  char *path = strdup(cfg->path);
  if (!s || !path) {
    free(s);
    free(path);
    cx_error_set(err, CX_ENOMEM, "%s: out of memory opening the store",
                 cfg->path);
    return NULL;
  }
  s->path = path;
  s->legacy_ok = legacy_ok;
  s->cfg = *cfg;
  s->cfg.path = path;
  fill_defaults(&s->cfg);
  if (init_sync(s, err) != CX_OK) {
    free(path);
    free(s);
    return NULL;
  }
  size_t recorded_map = 0;
  create = create && !cfg->read_only;
  int rc = create ? make_dir(path, err) : CX_OK;
  if (rc == CX_OK)
    rc = open_env(s, err);
  if (rc == CX_OK)
    rc = open_db(s, create, &recorded_map, err);
  while (rc == OPEN_GROW) {
    rc = cx_store_grow_map(s, err);
    if (rc == CX_OK)
      rc = open_db(s, create, &recorded_map, err);
  }
  /* A grown map is recorded in meta; start from it so the next big block
   * does not have to grow again step by step. */
  if (rc == CX_OK && recorded_map > s->map_size) {
    rc = mdb_env_set_mapsize(s->env, recorded_map);
    rc = rc ? cx_store_fail(s, rc, "restoring the recorded map size", err)
            : CX_OK;
    if (rc == CX_OK)
      s->map_size = recorded_map;
  }
  if (rc != CX_OK) {
    cx_store_close(s);
    return NULL;
  }
  return s;
}

cx_store *cx_store_open(const cx_store_config *cfg, cx_error *err) {
  return open_store(cfg, true, false, err);
}

cx_store *cx_store_open_existing(const cx_store_config *cfg, cx_error *err) {
  return open_store(cfg, false, true, err);
}

void cx_store_close(cx_store *s) {
  if (!s)
    return;
  if (s->env)
    mdb_env_close(s->env);
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->cond);
  free(s->undo_buf);
  free(s->path);
  free(s);
}

uint64_t cx_store_height(const cx_store *s) { return s->height; }

bool cx_store_has_genesis(const cx_store *s) { return s->has_genesis; }

void cx_store_genesis_root(const cx_store *s, uint8_t out[32]) {
  if (s->has_genesis)
    memcpy(out, s->genesis_root, 32);
  else
    memset(out, 0, 32);
}

void cx_store_state_root(const cx_store *s, uint8_t out[32]) {
  if (s->has_genesis)
    memcpy(out, s->state_root, 32);
  else
    memset(out, 0, 32);
}

const char *cx_store_path(const cx_store *s) { return s->path; }

size_t cx_store_map_size(const cx_store *s) { return s->map_size; }
