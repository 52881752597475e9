/* RFC 6962 Merkle Tree Hash, bottom-up on the batch SHA-256 API.
 *
 * Level 0 is H(0x00 || leaf) for every leaf; each next level hashes
 * 0x01 || left || right for adjacent pairs and promotes an odd last node
 * unchanged, which yields exactly the recursive MTH of SPEC section 5
 * (the left subtree of every split is the largest power of two below n).
 * Nodes live in one array of n digests; each level is hashed in place
 * over its own prefix (node j of the next level from the 64 bytes at 2j),
 * which the prefixed batch allows (see sha256_impl.h), so the common path
 * copies nothing. Leaves longer than CX_SHA256_PREFIXED_MAX are staged
 * CHUNK at a time as 0x00 || leaf in a scratch buffer instead.
 */
#include "merkle.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cx_error.h"
#include "sha256.h"
#include "sha256_impl.h"

/* Messages staged per batch call for long leaves. */
#define CHUNK 256
/* Variable-length leaves larger than this are hashed on their own. */
#define STAGE_BYTES (CHUNK * 128)

/* Reduces nodes[0..m) to the root in nodes[0]; m >= 1. */
static void reduce_levels(uint8_t (*nodes)[32], size_t m) {
  while (m > 1) {
    size_t pairs = m / 2;
    cx_sha256_batch_prefixed(pairs, 0x01, nodes[0], 64, nodes);
    if (m & 1)
      memcpy(nodes[pairs], nodes[m - 1], 32); /* pairs < m - 1 */
    m = pairs + (m & 1);
  }
}

/* Level 0 for fixed-length leaves too long for the prefixed batch. */
static int hash_long_fixed_leaves(size_t n, const uint8_t *data,
                                  size_t leaf_len, uint8_t (*nodes)[32]) {
  if (leaf_len > SIZE_MAX / CHUNK - 1)
    return CX_ENOMEM;
  size_t stride = leaf_len + 1;
  uint8_t *scratch = malloc(CHUNK * stride);
  if (!scratch)
    return CX_ENOMEM;
  for (size_t j = 0; j < n; j += CHUNK) {
    size_t c = n - j < CHUNK ? n - j : CHUNK;
    for (size_t i = 0; i < c; i++) {
      scratch[stride * i] = 0x00;
      memcpy(scratch + stride * i + 1, data + (j + i) * leaf_len, leaf_len);
    }
    cx_sha256_batch_fixed(c, scratch, stride, nodes + j);
  }
  free(scratch);
  return CX_OK;
}

/* The frame both entry points share: the empty tree, the node array and
 * the reduction; hash_leaves fills level 0 (nodes[0..n), n >= 1). */
typedef int (*leaf_level_fn)(size_t n, const void *src, uint8_t (*nodes)[32]);

static int merkle_root(size_t n, leaf_level_fn hash_leaves, const void *src,
                       uint8_t out[32]) {
  if (n == 0) {
    cx_sha256(NULL, 0, out);
    return CX_OK;
  }
  if (n > SIZE_MAX / 32)
    return CX_ENOMEM;
  uint8_t(*nodes)[32] = malloc(n * 32);
  if (!nodes)
    return CX_ENOMEM;
  int rc = hash_leaves(n, src, nodes);
  if (rc == CX_OK) {
    reduce_levels(nodes, n);
    memcpy(out, nodes[0], 32);
  }
  free(nodes);
  return rc;
}

typedef struct fixed_leaves {
  const uint8_t *data;
  size_t leaf_len;
} fixed_leaves;

static int fixed_leaf_level(size_t n, const void *src, uint8_t (*nodes)[32]) {
  const fixed_leaves *f = src;
  if (f->leaf_len <= CX_SHA256_PREFIXED_MAX) {
    cx_sha256_batch_prefixed(n, 0x00, f->data, f->leaf_len, nodes);
    return CX_OK;
  }
  return hash_long_fixed_leaves(n, f->data, f->leaf_len, nodes);
}

int cx_merkle_root_fixed(size_t n, const uint8_t *data, size_t leaf_len,
                         uint8_t out[32]) {
  const fixed_leaves f = {data, leaf_len};
  return merkle_root(n, fixed_leaf_level, &f, out);
}

static void hash_leaf_alone(const uint8_t *leaf, size_t len, uint8_t out[32]) {
  static const uint8_t prefix = 0x00;
  cx_sha256_ctx ctx;
  cx_sha256_init(&ctx);
  cx_sha256_update(&ctx, &prefix, 1);
  cx_sha256_update(&ctx, leaf, len);
  cx_sha256_final(&ctx, out);
}

/* Hashes leaves from j on that fit the stage into nodes[j..), staging
 * 0x00 || leaf back to back; returns how many it took (at least 1). */
static size_t hash_leaf_chunk(size_t n, const uint8_t *const *leaves,
                              const size_t *lens, size_t j, uint8_t *stage,
                              const uint8_t **ptrs, size_t *plens,
                              uint8_t (*nodes)[32]) {
  if (lens[j] + 1 > STAGE_BYTES) {
    hash_leaf_alone(leaves[j], lens[j], nodes[j]);
    return 1;
  }
  size_t used = 0, c = 0;
  while (j + c < n && c < CHUNK && used + lens[j + c] + 1 <= STAGE_BYTES) {
    uint8_t *s = stage + used;
    s[0] = 0x00;
    if (lens[j + c])
      memcpy(s + 1, leaves[j + c], lens[j + c]);
    ptrs[c] = s;
    plens[c] = lens[j + c] + 1;
    used += lens[j + c] + 1;
    c++;
  }
  cx_sha256_batch(c, ptrs, plens, nodes + j);
  return c;
}

typedef struct listed_leaves {
  const uint8_t *const *leaves;
  const size_t *lens;
} listed_leaves;

static int listed_leaf_level(size_t n, const void *src, uint8_t (*nodes)[32]) {
  const listed_leaves *v = src;
  uint8_t *stage = malloc(STAGE_BYTES);
  const uint8_t **ptrs = malloc(CHUNK * sizeof *ptrs);
  size_t *plens = malloc(CHUNK * sizeof *plens);
  int rc = CX_ENOMEM;
  if (stage && ptrs && plens) {
    for (size_t j = 0; j < n;)
      j += hash_leaf_chunk(n, v->leaves, v->lens, j, stage, ptrs, plens,
                           nodes);
    rc = CX_OK;
  }
  free(stage);
  free(ptrs);
  free(plens);
  return rc;
}

int cx_merkle_root(size_t n, const uint8_t *const *leaves, const size_t *lens,
                   uint8_t out[32]) {
  const listed_leaves v = {leaves, lens};
  return merkle_root(n, listed_leaf_level, &v, out);
}
