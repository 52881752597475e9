/* Byte layout of the store's keys and values (storage/ only).
 *
 * accounts: key = address (20 bytes), value = balance u64 LE || nonce u64 LE
 * kv:       key = 32 bytes, value = u64 LE
 * blocks:   key = height u64 big-endian (so LMDB's bytewise order is
 *           numeric order), value = the CX_BLOCK_ROW_LEN bytes below
 * meta:     string keys; fixed-width values (see CX_META_*)
 * Decoders check the width and report a mismatch as corruption.
 */
#ifndef CX_STORE_CODEC_H
#define CX_STORE_CODEC_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "store.h"

#define CX_ACCOUNT_KEY_LEN 20u
#define CX_KV_KEY_LEN 32u
#define CX_ACCOUNT_VAL_LEN 16u
#define CX_KV_VAL_LEN 8u
/* 4 roots, tx_count, 7 status counts */
#define CX_BLOCK_ROW_LEN (4u * 32u + 4u + 7u * 4u)
#define CX_BLOCK_ROW_STATE_ROOT 96u /* offset of state_root in a row */

#define CX_META_FORMAT "format"
#define CX_META_SCHEMA "schema"
#define CX_META_HEIGHT "height"
#define CX_META_GENESIS_ROOT "genesis_root"
#define CX_META_STATE_ROOT "state_root"
#define CX_META_MAP_SIZE "map_size"
/* Value of meta "format": marks a directory as a chainexec store. */
#define CX_META_FORMAT_VALUE "chainexec-state"

static inline void cx_codec_put_u64le(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t cx_codec_get_u64le(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static inline void cx_codec_put_u32le(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t cx_codec_get_u32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static inline void cx_codec_put_u64be(uint8_t p[8], uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline MDB_val cx_codec_val(const void *p, size_t n) {
  MDB_val v;
  v.mv_size = n;
  v.mv_data = (void *)p;
  return v;
}

static inline MDB_val cx_codec_meta_key(const char *name) {
  return cx_codec_val(name, strlen(name));
}

/* Key of an entry in its table; false for an unknown kind. */
static inline bool cx_codec_entry_key(const cx_key *k, MDB_val *out) {
  if (k->kind == CX_ENTRY_ACCOUNT)
    *out = cx_codec_val(k->bytes, CX_ACCOUNT_KEY_LEN);
  else if (k->kind == CX_ENTRY_KV)
    *out = cx_codec_val(k->bytes, CX_KV_KEY_LEN);
  else
    return false;
  return true;
}

/* Encodes the value of e into buf (16 bytes) and returns its MDB_val. */
static inline MDB_val cx_codec_entry_value(const cx_entry *e, uint8_t buf[16]) {
  cx_codec_put_u64le(buf, e->v0);
  if (e->key.kind == CX_ENTRY_ACCOUNT) {
    cx_codec_put_u64le(buf + 8, e->v1);
    return cx_codec_val(buf, CX_ACCOUNT_VAL_LEN);
  }
  return cx_codec_val(buf, CX_KV_VAL_LEN);
}

/* Decodes a stored value of a key of `kind`; false on a wrong width. */
static inline bool cx_codec_decode_value(uint8_t kind, const MDB_val *v,
                                         uint64_t *v0, uint64_t *v1) {
  const uint8_t *p = (const uint8_t *)v->mv_data;
  if (kind == CX_ENTRY_ACCOUNT) {
    if (v->mv_size != CX_ACCOUNT_VAL_LEN)
      return false;
    *v0 = cx_codec_get_u64le(p);
    *v1 = cx_codec_get_u64le(p + 8);
    return true;
  }
  if (v->mv_size != CX_KV_VAL_LEN)
    return false;
  *v0 = cx_codec_get_u64le(p);
  *v1 = 0;
  return true;
}

/* Block row <-> record. */
void cx_codec_block_encode(const cx_block_record *r,
                           uint8_t out[CX_BLOCK_ROW_LEN]);
void cx_codec_block_decode(uint64_t height, const uint8_t in[CX_BLOCK_ROW_LEN],
                           cx_block_record *r);

#endif /* CX_STORE_CODEC_H */
