/* Byte layout of the store's keys and values (storage/ only), schema 3.
 *
 * Every stored value except meta "format" is sealed: payload || crc u32 LE,
 * where crc = CRC32C(key || payload) (store_crc.h), so a flipped byte of
 * the key or the value is seen on every read.
 * accounts: key = address (20 bytes), payload = balance u64 LE || nonce
 *           u64 LE
 * kv:       key = 32 bytes, payload = u64 LE
 * blocks:   key = height u64 big-endian (so LMDB's bytewise order is
 *           numeric order), payload = the CX_BLOCK_ROW_LEN bytes below
 * statuses: key = height u64 BE, payload = tx_count status bytes
 * undo:     key = height u64 BE, payload = the block's undo data
 *           (store_undo.h)
 * meta:     string keys; fixed-width payloads (see CX_META_*); "schema"
 *           is u32 LE version || crc (schema 2 stored 4 bare bytes)
 * Decoders check the width and the checksum and report a mismatch as
 * corruption. Schema 2 (store_migrate.c) had the same payloads unsealed.
 */
#ifndef CX_STORE_CODEC_H
#define CX_STORE_CODEC_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "store.h"
#include "store_crc.h"

#define CX_ACCOUNT_KEY_LEN 20u
#define CX_KV_KEY_LEN 32u
#define CX_ACCOUNT_VAL_LEN 16u
#define CX_KV_VAL_LEN 8u
/* 4 roots, tx_count, 7 status counts */
#define CX_BLOCK_ROW_LEN (4u * 32u + 4u + 7u * 4u)
#define CX_BLOCK_ROW_STATE_ROOT 96u /* offset of state_root in a row */
#define CX_CRC_LEN 4u
#define CX_ACCOUNT_REC_LEN (CX_ACCOUNT_VAL_LEN + CX_CRC_LEN)
#define CX_KV_REC_LEN (CX_KV_VAL_LEN + CX_CRC_LEN)
#define CX_BLOCK_REC_LEN (CX_BLOCK_ROW_LEN + CX_CRC_LEN)

#define CX_META_FORMAT "format"
#define CX_META_SCHEMA "schema"
#define CX_META_HEIGHT "height"
#define CX_META_GENESIS_ROOT "genesis_root"
#define CX_META_STATE_ROOT "state_root"
#define CX_META_MAP_SIZE "map_size"
#define CX_META_UNDO_TABLE "undo" /* table name, for messages */
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

/* Checksum of a record: CRC32C(key || payload). */
static inline uint32_t cx_codec_crc(const MDB_val *k, const void *payload,
                                    size_t len) {
  return cx_crc32c(cx_crc32c(0, k->mv_data, k->mv_size), payload, len);
}

/* Appends the checksum to buf[0..len) (buf holds len + 4 bytes) and
 * returns the sealed value. */
static inline MDB_val cx_codec_seal(const MDB_val *k, uint8_t *buf,
                                    size_t len) {
  cx_codec_put_u32le(buf + len, cx_codec_crc(k, buf, len));
  return cx_codec_val(buf, len + CX_CRC_LEN);
}

/* True when v is a sealed value of k whose checksum matches; *len gets
 * the payload length. */
static inline bool cx_codec_unseal(const MDB_val *k, const MDB_val *v,
                                   size_t *len) {
  if (v->mv_size < CX_CRC_LEN)
    return false;
  size_t n = v->mv_size - CX_CRC_LEN;
  const uint8_t *p = (const uint8_t *)v->mv_data;
  if (cx_codec_get_u32le(p + n) != cx_codec_crc(k, p, n))
    return false;
  *len = n;
  return true;
}

/* Encodes the sealed value of e (key k) into buf (20 bytes). */
static inline MDB_val cx_codec_entry_value(const cx_entry *e, const MDB_val *k,
                                           uint8_t buf[20]) {
  cx_codec_put_u64le(buf, e->v0);
  if (e->key.kind == CX_ENTRY_ACCOUNT) {
    cx_codec_put_u64le(buf + 8, e->v1);
    return cx_codec_seal(k, buf, CX_ACCOUNT_VAL_LEN);
  }
  return cx_codec_seal(k, buf, CX_KV_VAL_LEN);
}

/* Decodes an unsealed payload of a key of `kind`; false on a wrong
 * width. */
static inline bool cx_codec_decode_payload(uint8_t kind, const uint8_t *p,
                                           size_t len, uint64_t *v0,
                                           uint64_t *v1) {
  if (len != (kind == CX_ENTRY_ACCOUNT ? CX_ACCOUNT_VAL_LEN : CX_KV_VAL_LEN))
    return false;
  *v0 = cx_codec_get_u64le(p);
  *v1 = kind == CX_ENTRY_ACCOUNT ? cx_codec_get_u64le(p + 8) : 0;
  return true;
}

/* Decodes the sealed value v of key k of `kind`; false on a wrong width
 * or checksum. */
static inline bool cx_codec_decode_value(uint8_t kind, const MDB_val *k,
                                         const MDB_val *v, uint64_t *v0,
                                         uint64_t *v1) {
  size_t len;
  return cx_codec_unseal(k, v, &len) &&
         cx_codec_decode_payload(kind, (const uint8_t *)v->mv_data, len, v0,
                                 v1);
}

/* Lowercase hex of p[0..n) into out (2n + 1 bytes). */
static inline void cx_codec_hex(const void *p, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  const uint8_t *b = (const uint8_t *)p;
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
  out[2 * n] = '\0';
}

static inline uint64_t cx_codec_get_u64be(const uint8_t p[8]) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}

/* Block row <-> record (payload only; the caller seals). */
void cx_codec_block_encode(const cx_block_record *r,
                           uint8_t out[CX_BLOCK_ROW_LEN]);
void cx_codec_block_decode(uint64_t height, const uint8_t in[CX_BLOCK_ROW_LEN],
                           cx_block_record *r);

#endif /* CX_STORE_CODEC_H */
