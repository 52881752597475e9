/* Undo payload encoding (see store_undo.h). */
#include "store_undo.h"

#include <string.h>

#include "store_codec.h"

static size_t key_len(uint8_t kind) {
  return kind == CX_ENTRY_ACCOUNT ? CX_ACCOUNT_KEY_LEN : CX_KV_KEY_LEN;
}

static size_t val_len(uint8_t kind) {
  return kind == CX_ENTRY_ACCOUNT ? CX_ACCOUNT_VAL_LEN : CX_KV_VAL_LEN;
}

uint8_t *cx_undo_put(uint8_t *p, const cx_key *k, const uint8_t *prev) {
  *p++ = (uint8_t)(k->kind | (prev ? CX_UNDO_EXISTED : 0));
  size_t kl = key_len(k->kind);
  memcpy(p, k->bytes, kl);
  p += kl;
  if (prev) {
    memcpy(p, prev, val_len(k->kind));
    p += val_len(k->kind);
  }
  return p;
}

bool cx_undo_iter_init(cx_undo_iter *it, const uint8_t *p, size_t len) {
  if (len < 4)
    return false;
  it->left = cx_codec_get_u32le(p);
  it->p = p + 4;
  it->end = p + len;
  return true;
}

int cx_undo_next(cx_undo_iter *it, const cx_undo_item *prev,
                 cx_undo_item *out) {
  if (it->left == 0)
    return it->p == it->end ? 0 : -1;
  if (it->p >= it->end)
    return -1;
  uint8_t tag = *it->p++, kind = tag & (uint8_t)~CX_UNDO_EXISTED;
  if (kind != CX_ENTRY_ACCOUNT && kind != CX_ENTRY_KV)
    return -1;
  bool existed = (tag & CX_UNDO_EXISTED) != 0;
  size_t kl = key_len(kind), vl = existed ? val_len(kind) : 0;
  if ((size_t)(it->end - it->p) < kl + vl)
    return -1;
  memset(out, 0, sizeof *out);
  out->e.key.kind = kind;
  memcpy(out->e.key.bytes, it->p, kl);
  it->p += kl;
  out->existed = existed;
  if (existed)
    cx_codec_decode_payload(kind, it->p, vl, &out->e.v0, &out->e.v1);
  it->p += vl;
  it->left--;
  if (prev && cx_key_cmp(&prev->e.key, &out->e.key) >= 0)
    return -1;
  return 1;
}
