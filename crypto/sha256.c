/* SHA-256 front end: run-time dispatch between SHA-NI and portable C,
 * incremental hashing, one-shot and batch entry points. */
#include "sha256.h"

#include <stdatomic.h>
#include <string.h>

#include "sha256_impl.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

const uint32_t cx_sha256_iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                  0xa54ff53a, 0x510e527f, 0x9b05688c,
                                  0x1f83d9ab, 0x5be0cd19};

const uint32_t cx_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

size_t cx_sha256_tail(const uint8_t *rest, uint64_t len, uint8_t tail[128]) {
  size_t r = (size_t)(len % 64);
  size_t nblocks = r < 56 ? 1 : 2;
  size_t end = nblocks * 64;
  if (r)
    memcpy(tail, rest, r);
  tail[r] = 0x80;
  memset(tail + r + 1, 0, end - 8 - r - 1);
  uint64_t bits = len << 3;
  for (int i = 0; i < 8; i++)
    tail[end - 1 - i] = (uint8_t)(bits >> (8 * i));
  return nblocks;
}

void cx_sha256_store_digest(const uint32_t h[8], uint8_t out[32]) {
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(h[i] >> 8);
    out[4 * i + 3] = (uint8_t)h[i];
  }
}

/* --- Dispatch ---------------------------------------------------------- */

static bool cpu_has_shani(void) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d))
    return false;
  bool sse41 = (c >> 19) & 1, ssse3 = (c >> 9) & 1;
  if (__get_cpuid_max(0, NULL) < 7)
    return false;
  __cpuid_count(7, 0, a, b, c, d);
  bool sha = (b >> 29) & 1;
  return sha && sse41 && ssse3;
#else
  return false;
#endif
}

bool cx_sha256_has_shani(void) {
  /* A cache of a hardware fact, not program state: every thread that races
   * here computes and stores the same value. CPUID is cached because it
   * traps to the hypervisor on virtual machines (microseconds). */
  static atomic_int probed; /* 0 unknown, 1 absent, 2 present */
  int v = atomic_load_explicit(&probed, memory_order_relaxed);
  if (v == 0) {
    v = cpu_has_shani() ? 2 : 1;
    atomic_store_explicit(&probed, v, memory_order_relaxed);
  }
  return v == 2;
}

const char *cx_sha256_impl_name(void) {
  return cx_sha256_has_shani() ? "sha-ni" : "portable";
}

typedef void (*compress_fn)(uint32_t h[8], const uint8_t *blocks, size_t n);

static compress_fn best_compress(void) {
  return cx_sha256_has_shani() ? cx_sha256_compress_shani
                               : cx_sha256_compress_portable;
}

/* --- Incremental ------------------------------------------------------- */

void cx_sha256_init(cx_sha256_ctx *ctx) {
  memcpy(ctx->h, cx_sha256_iv, sizeof ctx->h);
  ctx->total = 0;
  ctx->buflen = 0;
}

static void update_with(compress_fn fn, cx_sha256_ctx *ctx, const void *data,
                        size_t len) {
  const uint8_t *p = data;
  if (len == 0)
    return;
  ctx->total += len;
  if (ctx->buflen) {
    size_t take = 64 - ctx->buflen;
    if (take > len)
      take = len;
    memcpy(ctx->buf + ctx->buflen, p, take);
    ctx->buflen += take;
    p += take;
    len -= take;
    if (ctx->buflen < 64)
      return;
    fn(ctx->h, ctx->buf, 1);
    ctx->buflen = 0;
  }
  if (len >= 64) {
    fn(ctx->h, p, len / 64);
    p += len / 64 * 64;
    len %= 64;
  }
  if (len) {
    memcpy(ctx->buf, p, len);
    ctx->buflen = len;
  }
}

static void final_with(compress_fn fn, cx_sha256_ctx *ctx, uint8_t out[32]) {
  uint8_t tail[128];
  size_t nt = cx_sha256_tail(ctx->buf, ctx->total, tail);
  fn(ctx->h, tail, nt);
  cx_sha256_store_digest(ctx->h, out);
  memset(ctx, 0, sizeof *ctx);
}

void cx_sha256_update(cx_sha256_ctx *ctx, const void *data, size_t len) {
  update_with(best_compress(), ctx, data, len);
}
void cx_sha256_final(cx_sha256_ctx *ctx, uint8_t out[32]) {
  final_with(best_compress(), ctx, out);
}
void cx_sha256_update_portable(cx_sha256_ctx *ctx, const void *data,
                               size_t len) {
  update_with(cx_sha256_compress_portable, ctx, data, len);
}
void cx_sha256_final_portable(cx_sha256_ctx *ctx, uint8_t out[32]) {
  final_with(cx_sha256_compress_portable, ctx, out);
}
void cx_sha256_update_shani(cx_sha256_ctx *ctx, const void *data, size_t len) {
  update_with(cx_sha256_compress_shani, ctx, data, len);
}
void cx_sha256_final_shani(cx_sha256_ctx *ctx, uint8_t out[32]) {
  final_with(cx_sha256_compress_shani, ctx, out);
}

/* --- One-shot ---------------------------------------------------------- */

static void oneshot(compress_fn fn, const void *data, size_t len,
                    uint8_t out[32]) {
  const uint8_t *p = data;
  uint32_t h[8];
  uint8_t tail[128];
  memcpy(h, cx_sha256_iv, sizeof h);
  if (len >= 64)
    fn(h, p, len / 64);
  /* No arithmetic on a NULL data pointer (allowed when len is 0). */
  size_t nt = cx_sha256_tail(len ? p + len / 64 * 64 : p, len, tail);
  fn(h, tail, nt);
  cx_sha256_store_digest(h, out);
}

void cx_sha256_portable(const void *data, size_t len, uint8_t out[32]) {
  oneshot(cx_sha256_compress_portable, data, len, out);
}

void cx_sha256_shani(const void *data, size_t len, uint8_t out[32]) {
  oneshot(cx_sha256_compress_shani, data, len, out);
}

void cx_sha256(const void *data, size_t len, uint8_t out[32]) {
  oneshot(best_compress(), data, len, out);
}

/* --- Batch ------------------------------------------------------------- */

void cx_sha256_batch_portable(size_t n, const uint8_t *const *msgs,
                              const size_t *lens, uint8_t (*out)[32]) {
  for (size_t i = 0; i < n; i++)
    cx_sha256_portable(msgs[i], lens[i], out[i]);
}

/* n copies of one digest: fixed batches of empty messages, where data
 * may be NULL and must not be indexed. */
static void fill_digest(size_t n, const void *msg, size_t len,
                        uint8_t (*out)[32]) {
  if (n == 0)
    return;
  cx_sha256_portable(msg, len, out[0]);
  for (size_t i = 1; i < n; i++)
    memcpy(out[i], out[0], 32);
}

void cx_sha256_batch_fixed_portable(size_t n, const uint8_t *data, size_t len,
                                    uint8_t (*out)[32]) {
  if (len == 0) {
    fill_digest(n, NULL, 0, out);
    return;
  }
  for (size_t i = 0; i < n; i++)
    cx_sha256_portable(data + i * len, len, out[i]);
}

void cx_sha256_batch(size_t n, const uint8_t *const *msgs, const size_t *lens,
                     uint8_t (*out)[32]) {
  if (cx_sha256_has_shani())
    cx_sha256_batch_shani(n, msgs, lens, out);
  else
    cx_sha256_batch_portable(n, msgs, lens, out);
}

void cx_sha256_batch_fixed(size_t n, const uint8_t *data, size_t len,
                           uint8_t (*out)[32]) {
  if (cx_sha256_has_shani())
    cx_sha256_batch_fixed_shani(n, data, len, out);
  else
    cx_sha256_batch_fixed_portable(n, data, len, out);
}

/* --- Prefixed fixed batch (Merkle) ------------------------------------- */

void cx_sha256_batch_prefixed_portable(size_t n, uint8_t prefix,
                                       const uint8_t *data, size_t len,
                                       uint8_t (*out)[32]) {
  uint8_t msg[1 + CX_SHA256_PREFIXED_MAX];
  msg[0] = prefix;
  if (len == 0) {
    fill_digest(n, msg, 1, out);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    memcpy(msg + 1, data + i * len, len); /* read before out[i] is written */
    cx_sha256_portable(msg, len + 1, out[i]);
  }
}

void cx_sha256_batch_prefixed(size_t n, uint8_t prefix, const uint8_t *data,
                              size_t len, uint8_t (*out)[32]) {
  if (cx_sha256_has_shani())
    cx_sha256_batch_prefixed_shani(n, prefix, data, len, out);
  else
    cx_sha256_batch_prefixed_portable(n, prefix, data, len, out);
}
