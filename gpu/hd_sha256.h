/* SHA-256 (FIPS 180-4) for one message, host and device (CX_HD).
 *
 * The 64 rounds are unrolled with the round constants as literals, so the
 * device code needs no constant table. A message may carry one prefix byte
 * (RFC 6962 leaf 0x00 / node 0x01) that is hashed as if it preceded the
 * data, which lets Merkle code hash in place without copying.
 * Invariants: a state is the eight working words h[0..8) of FIPS 180-4;
 * inputs are read only, never past msg + len.
 */
#ifndef CX_HD_SHA256_H
#define CX_HD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "cx_hd.h"

#define CX_HD_ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define CX_HD_S0(x) (CX_HD_ROTR(x, 2) ^ CX_HD_ROTR(x, 13) ^ CX_HD_ROTR(x, 22))
#define CX_HD_S1(x) (CX_HD_ROTR(x, 6) ^ CX_HD_ROTR(x, 11) ^ CX_HD_ROTR(x, 25))
#define CX_HD_s0(x) (CX_HD_ROTR(x, 7) ^ CX_HD_ROTR(x, 18) ^ ((x) >> 3))
#define CX_HD_s1(x) (CX_HD_ROTR(x, 17) ^ CX_HD_ROTR(x, 19) ^ ((x) >> 10))
#define CX_HD_CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define CX_HD_MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

/* Round i < 16 uses the message word; later rounds extend the schedule in
 * the 16-word ring w. */
#define CX_HD_RND(a, b, c, d, e, f, g, h, wi, k)                              \
  do {                                                                        \
    uint32_t t1_ = (h) + CX_HD_S1(e) + CX_HD_CH(e, f, g) + (k) + (wi);        \
    uint32_t t2_ = CX_HD_S0(a) + CX_HD_MAJ(a, b, c);                          \
    (d) += t1_;                                                               \
    (h) = t1_ + t2_;                                                          \
  } while (0)
#define CX_HD_W(i)                                                            \
  (w[(i)&15] += CX_HD_s1(w[((i)-2) & 15]) + w[((i)-7) & 15] +                  \
                CX_HD_s0(w[((i)-15) & 15]))
#define CX_HD_R8(i, wexpr, k0, k1, k2, k3, k4, k5, k6, k7)                    \
  CX_HD_RND(a, b, c, d, e, f, g, h, wexpr((i) + 0), k0);                      \
  CX_HD_RND(h, a, b, c, d, e, f, g, wexpr((i) + 1), k1);                      \
  CX_HD_RND(g, h, a, b, c, d, e, f, wexpr((i) + 2), k2);                      \
  CX_HD_RND(f, g, h, a, b, c, d, e, wexpr((i) + 3), k3);                      \
  CX_HD_RND(e, f, g, h, a, b, c, d, wexpr((i) + 4), k4);                      \
  CX_HD_RND(d, e, f, g, h, a, b, c, wexpr((i) + 5), k5);                      \
  CX_HD_RND(c, d, e, f, g, h, a, b, wexpr((i) + 6), k6);                      \
  CX_HD_RND(b, c, d, e, f, g, h, a, wexpr((i) + 7), k7)
#define CX_HD_WRAW(i) w[(i)]

/* Initial hash value H(0). */
CX_HD_INLINE void cx_hd_sha256_init(uint32_t s[8]) {
  s[0] = 0x6a09e667u; s[1] = 0xbb67ae85u; s[2] = 0x3c6ef372u;
  s[3] = 0xa54ff53au; s[4] = 0x510e527fu; s[5] = 0x9b05688cu;
  s[6] = 0x1f83d9abu; s[7] = 0x5be0cd19u;
}

/* One compression of the 16 big-endian message words w (clobbered). */
CX_HD_FUNC void cx_hd_sha256_compress(uint32_t s[8], uint32_t w[16]) {
  uint32_t a = s[0], b = s[1], c = s[2], d = s[3];
  uint32_t e = s[4], f = s[5], g = s[6], h = s[7];
  CX_HD_R8(0, CX_HD_WRAW, 0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u,
           0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u);
  CX_HD_R8(8, CX_HD_WRAW, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
           0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u);
  CX_HD_R8(16, CX_HD_W, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
           0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau);
  CX_HD_R8(24, CX_HD_W, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
           0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u);
  CX_HD_R8(32, CX_HD_W, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
           0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u);
  CX_HD_R8(40, CX_HD_W, 0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u,
           0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u);
  CX_HD_R8(48, CX_HD_W, 0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u,
           0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u);
  CX_HD_R8(56, CX_HD_W, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
           0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u);
  s[0] += a; s[1] += b; s[2] += c; s[3] += d;
  s[4] += e; s[5] += f; s[6] += g; s[7] += h;
}

/* Byte `pos` of the padded stream (prefix?, msg[0..len), 0x80, zeros,
 * 64-bit big-endian bit length); total = len + hp, padlen its padded size. */
CX_HD_INLINE uint32_t cx_hd_sha256_byte(size_t pos, int hp, uint8_t prefix,
                                        const uint8_t *msg, size_t total,
                                        size_t padlen) {
  if (pos < (size_t)hp) return prefix;
  if (pos < total) return msg[pos - (size_t)hp];
  if (pos == total) return 0x80u;
  if (pos >= padlen - 8) {
    uint64_t bits = (uint64_t)total * 8u;
    return (uint32_t)(bits >> (8u * (unsigned)(padlen - 1 - pos))) & 0xffu;
  }
  return 0;
}

CX_HD_INLINE void cx_hd_sha256_out(const uint32_t s[8], uint8_t out[32]) {
  CX_HD_UNROLL
  for (int i = 0; i < 8; i++) {
    out[4 * i + 0] = (uint8_t)(s[i] >> 24);
    out[4 * i + 1] = (uint8_t)(s[i] >> 16);
    out[4 * i + 2] = (uint8_t)(s[i] >> 8);
    out[4 * i + 3] = (uint8_t)s[i];
  }
}

/* out = SHA-256(prefix || msg[0..len)) when has_prefix, else
 * SHA-256(msg[0..len)). msg may be NULL when len is 0. out may alias msg
 * (it is written after the last read). */
CX_HD_FUNC void cx_hd_sha256_prefixed(int has_prefix, uint8_t prefix,
                                      const uint8_t *msg, size_t len,
                                      uint8_t out[32]) {
  int hp = has_prefix ? 1 : 0;
  size_t total = len + (size_t)hp;
  size_t padlen = ((total + 8) / 64 + 1) * 64;
  uint32_t s[8], w[16];
  cx_hd_sha256_init(s);
  for (size_t blk = 0; blk < padlen; blk += 64) {
    if (blk >= (size_t)hp && blk + 64 <= total) {
      /* Whole block inside the message: read words directly. */
      const uint8_t *p = msg + (blk - (size_t)hp);
      CX_HD_UNROLL
      for (int i = 0; i < 16; i++)
        w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) |
               ((uint32_t)p[4 * i + 2] << 8) | (uint32_t)p[4 * i + 3];
    } else if (blk == 0 && hp && 64 <= total) {
      /* First block of a prefixed message (Merkle nodes, long leaves). */
      w[0] = ((uint32_t)prefix << 24) | ((uint32_t)msg[0] << 16) |
             ((uint32_t)msg[1] << 8) | (uint32_t)msg[2];
      CX_HD_UNROLL
      for (int i = 1; i < 16; i++)
        w[i] = ((uint32_t)msg[4 * i - 1] << 24) | ((uint32_t)msg[4 * i] << 16) |
               ((uint32_t)msg[4 * i + 1] << 8) | (uint32_t)msg[4 * i + 2];
    } else {
      CX_HD_UNROLL
      for (int i = 0; i < 16; i++) {
        uint32_t v = 0;
        CX_HD_UNROLL
        for (int j = 0; j < 4; j++)
          v = (v << 8) | cx_hd_sha256_byte(blk + (size_t)(4 * i + j), hp,
                                           prefix, msg, total, padlen);
        w[i] = v;
      }
    }
    cx_hd_sha256_compress(s, w);
  }
  cx_hd_sha256_out(s, out);
}

/* out = SHA-256(msg[0..len)). */
CX_HD_INLINE void cx_hd_sha256_msg(const uint8_t *msg, size_t len,
                                   uint8_t out[32]) {
  cx_hd_sha256_prefixed(0, 0, msg, len, out);
}

/* RFC 6962 leaf hash: out = SHA-256(0x00 || d[0..len)). */
CX_HD_INLINE void cx_hd_merkle_leaf(const uint8_t *d, size_t len,
                                    uint8_t out[32]) {
  cx_hd_sha256_prefixed(1, 0x00, d, len, out);
}

/* RFC 6962 node hash: out = SHA-256(0x01 || lr[0..64)), lr = left || right
 * (adjacent children). out may alias lr. */
CX_HD_INLINE void cx_hd_merkle_node(const uint8_t lr[64], uint8_t out[32]) {
  cx_hd_sha256_prefixed(1, 0x01, lr, 64, out);
}

#endif /* CX_HD_SHA256_H */
