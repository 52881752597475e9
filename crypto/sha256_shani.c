/* SHA-256 with the x86 SHA extensions (SHA-NI), single and multi-stream.
 *
 * sha256rnds2 has a latency of several cycles but can start about every
 * other cycle, so one message's dependent rounds leave the unit mostly
 * idle. The batch paths therefore keep CX_SHANI_LANES independent messages
 * in flight and issue their rounds interleaved (blocks_xn):
 *  - pointer/length batches use lanes that each hold one message; when a
 *    lane's message ends, the next message of the batch takes the lane;
 *  - fixed-length batches run groups of messages in lockstep (same block
 *    count) with the padding built once;
 *  - the prefixed batch of Merkle levels builds 0x00||32-byte leaves and
 *    0x01||64-byte nodes in registers.
 * Two lanes already keep the unit busy on the CPUs measured (three or four
 * measured no faster), and two fit the 16 SSE registers.
 *
 * Lane invariants: abef/cdgh hold the lane's working hash in the register
 * layout sha256rnds2 uses (A,B,E,F and C,D,G,H); `full` counts the whole
 * blocks still to read at p; tail[] holds the ntail padded blocks that
 * follow, of which tail_used are consumed. Only compiled with -msha
 * -msse4.1 -mssse3 (see crypto/CMakeLists.txt); elsewhere the entry points
 * fall back to the portable code and cx_sha256_has_shani() is false.
 */
#include "sha256_impl.h"
#include "sha256.h"

#if defined(__SHA__) && defined(__SSE4_1__) && defined(__SSSE3__)
#include <immintrin.h>
#include <string.h>

#define CX_SHANI_LANES 2
#define CX_INLINE static inline __attribute__((always_inline))

CX_INLINE void state_load(const uint32_t h[8], __m128i *abef, __m128i *cdgh) {
  __m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
  __m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
  __m128i badc = _mm_shuffle_epi32(dcba, 0xB1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  *abef = _mm_alignr_epi8(badc, efgh, 8);
  *cdgh = _mm_blend_epi16(efgh, badc, 0xF0);
}

CX_INLINE void state_store(__m128i abef, __m128i cdgh, uint32_t h[8]) {
  __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  __m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0);
  __m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);
  _mm_storeu_si128((__m128i *)&h[0], dcba);
  _mm_storeu_si128((__m128i *)&h[4], hgfe);
}

/* One 64-byte block on each of n lanes (n a compile-time constant after
 * inlining), rounds of the lanes interleaved group by group. raw[l] holds
 * lane l's block as four 16-byte loads (message byte order). */
CX_INLINE void blocks_xn_raw(const int n, __m128i *abef, __m128i *cdgh,
                             __m128i raw[][4]) {
  const __m128i bswap =
      _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i m[CX_SHANI_LANES][4], s0[CX_SHANI_LANES], s1[CX_SHANI_LANES];
  for (int l = 0; l < n; l++) {
    s0[l] = abef[l];
    s1[l] = cdgh[l];
  }
#pragma GCC unroll 16
  for (int g = 0; g < 16; g++) {
    const __m128i k = _mm_loadu_si128((const __m128i *)&cx_sha256_k[4 * g]);
#pragma GCC unroll 4
    for (int l = 0; l < n; l++) {
      __m128i w;
      if (g < 4) {
        w = _mm_shuffle_epi8(raw[l][g], bswap);
      } else {
        /* W[g] from W[g-4], W[g-3], W[g-2], W[g-1] (ring index g & 3). */
        __m128i x = _mm_sha256msg1_epu32(m[l][g & 3], m[l][(g + 1) & 3]);
        x = _mm_add_epi32(
            x, _mm_alignr_epi8(m[l][(g + 3) & 3], m[l][(g + 2) & 3], 4));
        w = _mm_sha256msg2_epu32(x, m[l][(g + 3) & 3]);
      }
      m[l][g & 3] = w;
      __m128i wk = _mm_add_epi32(w, k);
      s1[l] = _mm_sha256rnds2_epu32(s1[l], s0[l], wk);
      s0[l] = _mm_sha256rnds2_epu32(s0[l], s1[l], _mm_shuffle_epi32(wk, 0x0E));
    }
  }
  for (int l = 0; l < n; l++) {
    abef[l] = _mm_add_epi32(abef[l], s0[l]);
    cdgh[l] = _mm_add_epi32(cdgh[l], s1[l]);
  }
}

/* Same, reading lane l's block from memory at blk[l]. */
CX_INLINE void blocks_xn(const int n, __m128i *abef, __m128i *cdgh,
                         const uint8_t *const *blk) {
  __m128i raw[CX_SHANI_LANES][4];
  for (int l = 0; l < n; l++)
    for (int q = 0; q < 4; q++)
      raw[l][q] = _mm_loadu_si128((const __m128i *)(blk[l] + 16 * q));
  blocks_xn_raw(n, abef, cdgh, raw);
}

void cx_sha256_compress_shani(uint32_t h[8], const uint8_t *blocks,
                              size_t nblocks) {
  __m128i abef, cdgh;
  state_load(h, &abef, &cdgh);
  for (; nblocks > 0; nblocks--, blocks += 64)
    blocks_xn(1, &abef, &cdgh, &blocks);
  state_store(abef, cdgh, h);
}

typedef struct lane {
  size_t idx;
  const uint8_t *p;
  size_t full;
  size_t ntail, tail_used;
  uint8_t tail[128];
} lane;

static void lane_start(lane *ln, const uint8_t *const *msgs,
                       const size_t *lens, size_t idx, __m128i *abef,
                       __m128i *cdgh) {
  const uint8_t *p = msgs[idx];
  size_t len = lens[idx];
  ln->idx = idx;
  ln->p = p;
  ln->full = len / 64;
  /* msgs[idx] may be NULL when its length is 0: do not offset it. */
  ln->ntail = cx_sha256_tail(len ? p + ln->full * 64 : p, len, ln->tail);
  ln->tail_used = 0;
  state_load(cx_sha256_iv, abef, cdgh);
}

/* Next block of the lane; afterwards lane_done() tells whether it was the
 * last one. */
CX_INLINE const uint8_t *lane_next(lane *ln) {
  if (ln->full) {
    ln->full--;
    const uint8_t *b = ln->p;
    ln->p += 64;
    return b;
  }
  return ln->tail + 64 * ln->tail_used++;
}

CX_INLINE int lane_done(const lane *ln) {
  return ln->full == 0 && ln->tail_used == ln->ntail;
}

/* Writes the big-endian digest straight from the register layout. */
CX_INLINE void digest_store(__m128i abef, __m128i cdgh, uint8_t out[32]) {
  const __m128i bswap32 =
      _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  __m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0);
  __m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);
  _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(dcba, bswap32));
  _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(hgfe, bswap32));
}

/* Fixed length: pairs of messages have the same block count, so they run
 * in lockstep with no lane bookkeeping, and the padding of the tail blocks
 * is built once; per message only its last len%64 bytes are copied in. */
static void batch_fixed_lockstep(size_t n, const uint8_t *base, size_t len,
                                 uint8_t (*out)[32]) {
  static const uint8_t zeros[64];
  const size_t full = len / 64, r = len % 64;
  uint8_t tail[CX_SHANI_LANES][128];
  size_t nt = cx_sha256_tail(zeros, len, tail[0]);
  for (int l = 1; l < CX_SHANI_LANES; l++)
    memcpy(tail[l], tail[0], sizeof tail[0]);
  __m128i iv_abef, iv_cdgh;
  state_load(cx_sha256_iv, &iv_abef, &iv_cdgh);
  size_t i = 0;
  for (; i + CX_SHANI_LANES <= n; i += CX_SHANI_LANES) {
    const uint8_t *m[CX_SHANI_LANES], *blk[CX_SHANI_LANES];
    __m128i abef[CX_SHANI_LANES], cdgh[CX_SHANI_LANES];
    for (int l = 0; l < CX_SHANI_LANES; l++) {
      m[l] = base + (i + (size_t)l) * len;
      memcpy(tail[l], m[l] + full * 64, r);
      abef[l] = iv_abef;
      cdgh[l] = iv_cdgh;
    }
    for (size_t b = 0; b < full; b++) {
      for (int l = 0; l < CX_SHANI_LANES; l++)
        blk[l] = m[l] + 64 * b;
      blocks_xn(CX_SHANI_LANES, abef, cdgh, blk);
    }
    for (size_t b = 0; b < nt; b++) {
      for (int l = 0; l < CX_SHANI_LANES; l++)
        blk[l] = tail[l] + 64 * b;
      blocks_xn(CX_SHANI_LANES, abef, cdgh, blk);
    }
    for (int l = 0; l < CX_SHANI_LANES; l++)
      digest_store(abef[l], cdgh[l], out[i + (size_t)l]);
  }
  for (; i < n; i++)
    cx_sha256_shani(base + i * len, len, out[i]);
}

/* prefix || src[0..len) for the Merkle sizes len = 32 (one block: a
 * leaf over a digest) and len = 64 (two blocks: an inner node), padded and
 * shifted by one byte in registers. Building the shifted copy in memory
 * instead makes every block load straddle two stores, which defeats store
 * forwarding and costs more than the copy. */
CX_INLINE void merkle_blocks(const size_t len, __m128i pre, const uint8_t *src,
                             __m128i b1[4], __m128i b2[4]) {
  const __m128i x80 = _mm_cvtsi32_si128(0x80);
  __m128i s0 = _mm_loadu_si128((const __m128i *)src);
  __m128i s1 = _mm_loadu_si128((const __m128i *)(src + 16));
  b1[0] = _mm_alignr_epi8(s0, pre, 15);
  b1[1] = _mm_alignr_epi8(s1, s0, 15);
  if (len == 32) {
    b1[2] = _mm_alignr_epi8(x80, s1, 15);
    /* Bit length 33 * 8 = 0x0108, big-endian in the last bytes. */
    b1[3] = _mm_set_epi8(0x08, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                         0);
  } else {
    __m128i s2 = _mm_loadu_si128((const __m128i *)(src + 32));
    __m128i s3 = _mm_loadu_si128((const __m128i *)(src + 48));
    b1[2] = _mm_alignr_epi8(s2, s1, 15);
    b1[3] = _mm_alignr_epi8(s3, s2, 15);
    b2[0] = _mm_alignr_epi8(x80, s3, 15);
    b2[1] = b2[2] = _mm_setzero_si128();
    /* Bit length 65 * 8 = 0x0208. */
    b2[3] = _mm_set_epi8(0x08, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                         0);
  }
}

/* The prefixed batch for len 32 or 64 (a constant after inlining). Each
 * group reads all its messages before writing any digest. */
CX_INLINE void merkle_batch(const size_t len, size_t n, uint8_t prefix,
                            const uint8_t *data, uint8_t (*out)[32]) {
  const __m128i pre = _mm_slli_si128(_mm_cvtsi32_si128(prefix), 15);
  __m128i iv_abef, iv_cdgh;
  state_load(cx_sha256_iv, &iv_abef, &iv_cdgh);
  size_t i = 0;
  for (; i + CX_SHANI_LANES <= n; i += CX_SHANI_LANES) {
    __m128i b1[CX_SHANI_LANES][4], b2[CX_SHANI_LANES][4];
    __m128i abef[CX_SHANI_LANES], cdgh[CX_SHANI_LANES];
    for (int l = 0; l < CX_SHANI_LANES; l++) {
      merkle_blocks(len, pre, data + (i + (size_t)l) * len, b1[l], b2[l]);
      abef[l] = iv_abef;
      cdgh[l] = iv_cdgh;
    }
    blocks_xn_raw(CX_SHANI_LANES, abef, cdgh, b1);
    if (len == 64)
      blocks_xn_raw(CX_SHANI_LANES, abef, cdgh, b2);
    for (int l = 0; l < CX_SHANI_LANES; l++)
      digest_store(abef[l], cdgh[l], out[i + (size_t)l]);
  }
  for (; i < n; i++) {
    __m128i b1[1][4], b2[1][4], abef = iv_abef, cdgh = iv_cdgh;
    merkle_blocks(len, pre, data + i * len, b1[0], b2[0]);
    blocks_xn_raw(1, &abef, &cdgh, b1);
    if (len == 64)
      blocks_xn_raw(1, &abef, &cdgh, b2);
    digest_store(abef, cdgh, out[i]);
  }
}

CX_INLINE void copy_body(uint8_t *dst, const uint8_t *src, size_t len) {
  memcpy(dst, src, len);
}

void cx_sha256_batch_prefixed_shani(size_t n, uint8_t prefix,
                                    const uint8_t *data, size_t len,
                                    uint8_t (*out)[32]) {
  if (len == 0) { /* every message is just the prefix; data may be NULL */
    cx_sha256_batch_prefixed_portable(n, prefix, data, 0, out);
    return;
  }
  if (len == 32) {
    merkle_batch(32, n, prefix, data, out);
    return;
  }
  if (len == 64) {
    merkle_batch(64, n, prefix, data, out);
    return;
  }
  /* Each lane's buffer is the whole padded message; only bytes 1..len
   * change from message to message. */
  uint8_t buf[CX_SHANI_LANES][128];
  const size_t total = len + 1 + 9 <= 64 ? 64 : 128;
  const uint64_t bits = (uint64_t)(len + 1) * 8;
  memset(buf[0], 0, sizeof buf[0]);
  buf[0][0] = prefix;
  buf[0][len + 1] = 0x80;
  for (int i = 0; i < 8; i++)
    buf[0][total - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
  for (int l = 1; l < CX_SHANI_LANES; l++)
    memcpy(buf[l], buf[0], sizeof buf[0]);
  __m128i iv_abef, iv_cdgh;
  state_load(cx_sha256_iv, &iv_abef, &iv_cdgh);
  size_t i = 0;
  for (; i + CX_SHANI_LANES <= n; i += CX_SHANI_LANES) {
    const uint8_t *blk[CX_SHANI_LANES];
    __m128i abef[CX_SHANI_LANES], cdgh[CX_SHANI_LANES];
    for (int l = 0; l < CX_SHANI_LANES; l++) {
      copy_body(buf[l] + 1, data + (i + (size_t)l) * len, len);
      abef[l] = iv_abef;
      cdgh[l] = iv_cdgh;
      blk[l] = buf[l];
    }
    blocks_xn(CX_SHANI_LANES, abef, cdgh, blk);
    if (total == 128) {
      for (int l = 0; l < CX_SHANI_LANES; l++)
        blk[l] = buf[l] + 64;
      blocks_xn(CX_SHANI_LANES, abef, cdgh, blk);
    }
    for (int l = 0; l < CX_SHANI_LANES; l++)
      digest_store(abef[l], cdgh[l], out[i + (size_t)l]);
  }
  for (; i < n; i++) {
    copy_body(buf[0] + 1, data + i * len, len);
    __m128i abef = iv_abef, cdgh = iv_cdgh;
    const uint8_t *b = buf[0];
    blocks_xn(1, &abef, &cdgh, &b);
    if (total == 128) {
      b = buf[0] + 64;
      blocks_xn(1, &abef, &cdgh, &b);
    }
    digest_store(abef, cdgh, out[i]);
  }
}

void cx_sha256_batch_fixed_shani(size_t n, const uint8_t *data, size_t len,
                                 uint8_t (*out)[32]) {
  if (len == 0) /* data may be NULL: nothing to index */
    cx_sha256_batch_fixed_portable(n, data, len, out);
  else
    batch_fixed_lockstep(n, data, len, out);
}

void cx_sha256_batch_shani(size_t n, const uint8_t *const *msgs,
                           const size_t *lens, uint8_t (*out)[32]) {
  lane ln[CX_SHANI_LANES];
  __m128i abef[CX_SHANI_LANES], cdgh[CX_SHANI_LANES];
  size_t next = 0;
  int live = 0; /* lanes 0..live-1 are busy */
  while (live < CX_SHANI_LANES && next < n) {
    lane_start(&ln[live], msgs, lens, next++, &abef[live], &cdgh[live]);
    live++;
  }
  while (live == CX_SHANI_LANES) {
    const uint8_t *blk[CX_SHANI_LANES];
    for (int l = 0; l < CX_SHANI_LANES; l++)
      blk[l] = lane_next(&ln[l]);
    blocks_xn(CX_SHANI_LANES, abef, cdgh, blk);
    for (int l = 0; l < live; l++) {
      if (!lane_done(&ln[l]))
        continue;
      digest_store(abef[l], cdgh[l], out[ln[l].idx]);
      if (next < n) {
        lane_start(&ln[l], msgs, lens, next++, &abef[l], &cdgh[l]);
      } else {
        /* Compact: move the last busy lane into this slot. */
        live--;
        if (l != live) {
          ln[l] = ln[live];
          abef[l] = abef[live];
          cdgh[l] = cdgh[live];
          l--; /* re-examine the lane moved here */
        }
      }
    }
  }
  /* Fewer messages left than lanes: finish them one stream at a time. */
  for (int l = 0; l < live; l++) {
    while (!lane_done(&ln[l])) {
      const uint8_t *b = lane_next(&ln[l]);
      blocks_xn(1, &abef[l], &cdgh[l], &b);
    }
    digest_store(abef[l], cdgh[l], out[ln[l].idx]);
  }
}

#else /* no SHA extensions in this build */

void cx_sha256_batch_prefixed_shani(size_t n, uint8_t prefix,
                                    const uint8_t *data, size_t len,
                                    uint8_t (*out)[32]) {
  cx_sha256_batch_prefixed_portable(n, prefix, data, len, out);
}

void cx_sha256_compress_shani(uint32_t h[8], const uint8_t *blocks,
                              size_t nblocks) {
  cx_sha256_compress_portable(h, blocks, nblocks);
}

void cx_sha256_batch_shani(size_t n, const uint8_t *const *msgs,
                           const size_t *lens, uint8_t (*out)[32]) {
  cx_sha256_batch_portable(n, msgs, lens, out);
}

void cx_sha256_batch_fixed_shani(size_t n, const uint8_t *data, size_t len,
                                 uint8_t (*out)[32]) {
  cx_sha256_batch_fixed_portable(n, data, len, out);
}

#endif
