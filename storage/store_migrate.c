/* Schema 2 -> 3 in place, and its inverse for tests and benchmarks.
 *
 * Schema 2 stored the same payloads as schema 3 without checksums, had no
 * undo table, and recorded its version as 4 bare bytes. The migration
 * runs inside the open transaction (store_open.c): every record gets its
 * checksum, the undo table is created empty (blocks committed before the
 * migration have no undo data: the retention floor starts at the migrated
 * height), and meta records schema 3 -- all in one LMDB transaction, so a
 * crash leaves either the old store untouched or the new one complete. */
#include <stdlib.h>
#include <string.h>

#include "store_codec.h"
#include "store_internal.h"

/* Widths of a schema-2 record of table t; 0: any non-zero width. */
static void legacy_widths(enum cx_table t, size_t *klen, size_t *vlen) {
  static const size_t k[] = {CX_ACCOUNT_KEY_LEN, CX_KV_KEY_LEN, 8, 0, 8};
  static const size_t v[] = {CX_ACCOUNT_VAL_LEN, CX_KV_VAL_LEN,
                             CX_BLOCK_ROW_LEN, 0, 0};
  *klen = k[t];
  *vlen = v[t];
}

/* Rewrites every record of table t in place: seal (true) adds the
 * checksum to a schema-2 record, !seal removes it. Meta's "format" stays
 * bare; its "schema" is rewritten by the caller. */
static int convert_table(cx_store *s, MDB_txn *txn, MDB_dbi dbi,
                         enum cx_table t, bool seal, cx_error *err) {
  size_t klen, vlen;
  legacy_widths(t, &klen, &vlen);
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = mdb_cursor_open(txn, dbi, &cur);
  if (rc != 0)
    return rc;
  uint8_t *buf = NULL;
  size_t cap = 0;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    uint8_t key[64];
    if (k.mv_size > sizeof key || (klen && k.mv_size != klen)) {
      rc = -cx_store_corrupt(s, t, k.mv_data, k.mv_size > 64 ? 64 : k.mv_size,
                             "the key has the wrong width", err);
      break;
    }
    memcpy(key, k.mv_data, k.mv_size);
    MDB_val kk = cx_codec_val(key, k.mv_size);
    if (t == CX_TABLE_META &&
        ((k.mv_size == strlen(CX_META_FORMAT) &&
          memcmp(key, CX_META_FORMAT, k.mv_size) == 0) ||
         (k.mv_size == strlen(CX_META_SCHEMA) &&
          memcmp(key, CX_META_SCHEMA, k.mv_size) == 0)))
      continue;
    size_t len = v.mv_size;
    if (!seal && !cx_codec_unseal(&kk, &v, &len)) {
      rc = -cx_store_corrupt(s, t, key, kk.mv_size,
                             "the value fails its checksum", err);
      break;
    }
    if ((vlen && len != vlen) || len == 0) {
      rc = -cx_store_corrupt(s, t, key, kk.mv_size,
                             "the value has the wrong width", err);
      break;
    }
    if (len + CX_CRC_LEN > cap) {
      cap = len + CX_CRC_LEN;
      uint8_t *p = realloc(buf, cap);
      if (!p) {
        rc = -cx_error_set(err, CX_ENOMEM,
                           "%s: out of memory converting a record", s->path);
        break;
      }
      buf = p;
    }
    memcpy(buf, v.mv_data, len);
    MDB_val nv = seal ? cx_codec_seal(&kk, buf, len) : cx_codec_val(buf, len);
    rc = mdb_cursor_put(cur, &kk, &nv, MDB_CURRENT);
    if (rc != 0)
      break;
  }
  free(buf);
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? 0 : rc;
}

int cx_store_migrate_txn(cx_store *s, MDB_txn *txn, cx_error *err) {
  for (int t = 0; t < CX_TABLE_COUNT_SCHEMA2; t++) {
    int rc = convert_table(s, txn, s->dbi[t], (enum cx_table)t, true, err);
    if (rc != 0)
      return rc;
  }
  int rc = mdb_dbi_open(txn, cx_table_names[CX_TABLE_UNDO], MDB_CREATE,
                        &s->dbi[CX_TABLE_UNDO]);
  if (rc != 0)
    return rc;
  uint8_t buf[4 + CX_CRC_LEN];
  cx_codec_put_u32le(buf, CX_STORE_SCHEMA_VERSION);
  MDB_val k = cx_codec_meta_key(CX_META_SCHEMA);
  MDB_val v = cx_codec_seal(&k, buf, 4);
  return mdb_put(txn, s->dbi[CX_TABLE_META], &k, &v, 0);
}

int cx_store_test_write_schema2(const char *path, cx_error *err) {
  cx_store s; /* only path and dbi[] are used (messages, handles) */
  memset(&s, 0, sizeof s);
  s.path = (char *)path;
  MDB_env *env;
  MDB_txn *txn = NULL;
  int rc = mdb_env_create(&env);
  if (rc != 0)
    return cx_store_fail_path(path, 0, rc, "opening for schema 2", err);
  rc = mdb_env_set_maxdbs(env, CX_TABLE_COUNT);
  if (rc == 0)
    rc = mdb_env_set_mapsize(env, (size_t)1 << 32);
  if (rc == 0)
    rc = mdb_env_open(env, path, MDB_NOTLS, 0644);
  if (rc == 0)
    rc = mdb_txn_begin(env, NULL, 0, &txn);
  for (int t = 0; rc == 0 && t < CX_TABLE_COUNT; t++)
    rc = mdb_dbi_open(txn, cx_table_names[t], 0, &s.dbi[t]);
  for (int t = 0; rc == 0 && t < CX_TABLE_COUNT_SCHEMA2; t++)
    rc = convert_table(&s, txn, s.dbi[t], (enum cx_table)t, false, err);
  if (rc == 0)
    rc = mdb_drop(txn, s.dbi[CX_TABLE_UNDO], 1);
  if (rc == 0) {
    uint8_t b[4];
    cx_codec_put_u32le(b, 2);
    MDB_val k = cx_codec_meta_key(CX_META_SCHEMA), v = cx_codec_val(b, 4);
    rc = mdb_put(txn, s.dbi[CX_TABLE_META], &k, &v, 0);
  }
  int code = CX_OK;
  if (rc < 0 && rc > -100)
    code = -rc;
  else if (rc != 0)
    code = cx_store_fail_path(path, 0, rc, "rewriting as schema 2", err);
  if (txn && code == CX_OK) {
    rc = mdb_txn_commit(txn);
    if (rc != 0)
      code = cx_store_fail_path(path, 0, rc, "rewriting as schema 2", err);
  } else if (txn)
    mdb_txn_abort(txn);
  mdb_env_close(env);
  return code;
}
