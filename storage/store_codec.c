/* Block rows: 4 roots, tx_count u32 LE, 7 status counts u32 LE. */
#include "store_codec.h"

void cx_codec_block_encode(const cx_block_record *r,
                           uint8_t out[CX_BLOCK_ROW_LEN]) {
  memcpy(out, r->tx_root, 32);
  memcpy(out + 32, r->receipts_root, 32);
  memcpy(out + 64, r->write_root, 32);
  memcpy(out + CX_BLOCK_ROW_STATE_ROOT, r->state_root, 32);
  cx_codec_put_u32le(out + 128, r->tx_count);
  for (int i = 0; i < 7; i++)
    cx_codec_put_u32le(out + 132 + 4 * i, r->status_counts[i]);
}

void cx_codec_block_decode(uint64_t height, const uint8_t in[CX_BLOCK_ROW_LEN],
                           cx_block_record *r) {
  r->height = height;
  memcpy(r->tx_root, in, 32);
  memcpy(r->receipts_root, in + 32, 32);
  memcpy(r->write_root, in + 64, 32);
  memcpy(r->state_root, in + CX_BLOCK_ROW_STATE_ROOT, 32);
  r->tx_count = cx_codec_get_u32le(in + 128);
  for (int i = 0; i < 7; i++)
    r->status_counts[i] = cx_codec_get_u32le(in + 132 + 4 * i);
}
