/* RFC 6962 Merkle levels (SPEC section 5), host and device.
 *
 * A level of w nodes (32 bytes each) becomes ceil(w/2) nodes: node i is
 * H(0x01 || n[2i] || n[2i+1]), or n[2i] itself when 2i+1 == w. Promoting
 * the odd last node bottom-up gives exactly MTH's "largest power of two
 * below n" split. Leaves are hashed first with cx_hd_merkle_leaf
 * (hd_sha256.h).
 */
#ifndef CX_HD_MERKLE_H
#define CX_HD_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "cx_hd.h"
#include "hd_sha256.h"

/* dst = node i of the level above src (src has w nodes). dst may be
 * src[i] (in-place sweep with i ascending on one thread), never another
 * node of src that a later i still reads. */
CX_HD_INLINE void cx_hd_merkle_pair(const uint8_t (*src)[32], size_t w,
                                    size_t i, uint8_t dst[32]) {
  if (2 * i + 1 < w) {
    cx_hd_merkle_node(src[2 * i], dst);
  } else {
    for (int k = 0; k < 32; k++) dst[k] = src[2 * i][k];
  }
}

/* In-place form: nodes[i] = node i of the level above nodes[0..w). */
CX_HD_INLINE void cx_hd_merkle_level_step(uint8_t (*nodes)[32], size_t w,
                                          size_t i) {
  cx_hd_merkle_pair((const uint8_t(*)[32])nodes, w, i, nodes[i]);
}

#endif /* CX_HD_MERKLE_H */
