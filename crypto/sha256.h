/* SHA-256 (FIPS 180-4): one-shot, incremental and batch.
 *
 * Two implementations give identical results: SHA-NI (x86 SHA extensions,
 * chosen at run time by CPUID) and portable C. The default entry points use
 * the best one available; the _portable/_shani variants exist for tests and
 * benchmarks. All functions are thread-safe (no shared mutable state; the
 * CPUID probe is idempotent).
 */
#ifndef CX_SHA256_H
#define CX_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Incremental state. Invariant: buflen < 64; total counts all bytes fed. */
typedef struct cx_sha256_ctx {
  uint32_t h[8];
  uint64_t total;
  uint8_t buf[64];
  size_t buflen;
} cx_sha256_ctx;

void cx_sha256_init(cx_sha256_ctx *ctx);
void cx_sha256_update(cx_sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest to out and leaves ctx unusable until the next init. */
void cx_sha256_final(cx_sha256_ctx *ctx, uint8_t out[32]);

/* One-shot digest of len bytes at data (data may be NULL when len is 0). */
void cx_sha256(const void *data, size_t len, uint8_t out[32]);

/* Batch: out[i] = SHA-256(msgs[i][0..lens[i])) for i < n. The messages are
 * independent; the SHA-NI path interleaves several of them to hide the
 * latency of the rounds. out must not alias the inputs. */
void cx_sha256_batch(size_t n, const uint8_t *const *msgs, const size_t *lens,
                     uint8_t (*out)[32]);

/* Batch of n messages of the same length, stored back to back at data
 * (message i is data + i*len). The common case for Merkle levels. */
void cx_sha256_batch_fixed(size_t n, const uint8_t *data, size_t len,
                           uint8_t (*out)[32]);

/* True when this CPU has the SHA extensions (and SSE4.1) the SHA-NI path
 * needs. */
bool cx_sha256_has_shani(void);

/* Name of the implementation the default entry points use: "sha-ni" or
 * "portable". */
const char *cx_sha256_impl_name(void);

/* Implementation-specific variants, for tests and benchmarks. The _shani
 * ones must only be called when cx_sha256_has_shani() is true. */
void cx_sha256_portable(const void *data, size_t len, uint8_t out[32]);
void cx_sha256_batch_portable(size_t n, const uint8_t *const *msgs,
                              const size_t *lens, uint8_t (*out)[32]);
void cx_sha256_shani(const void *data, size_t len, uint8_t out[32]);
void cx_sha256_batch_shani(size_t n, const uint8_t *const *msgs,
                           const size_t *lens, uint8_t (*out)[32]);
/* Fixed-length batch variants of the above (same rules as
 * cx_sha256_batch_fixed). */
void cx_sha256_batch_fixed_portable(size_t n, const uint8_t *data, size_t len,
                                    uint8_t (*out)[32]);
void cx_sha256_batch_fixed_shani(size_t n, const uint8_t *data, size_t len,
                                 uint8_t (*out)[32]);
/* Incremental hashing pinned to one implementation (cx_sha256_init
 * starts the context for either). A context must be fed and finished
 * through one family: these, or cx_sha256_update/final. */
void cx_sha256_update_portable(cx_sha256_ctx *ctx, const void *data,
                               size_t len);
void cx_sha256_final_portable(cx_sha256_ctx *ctx, uint8_t out[32]);
void cx_sha256_update_shani(cx_sha256_ctx *ctx, const void *data, size_t len);
void cx_sha256_final_shani(cx_sha256_ctx *ctx, uint8_t out[32]);

#endif /* CX_SHA256_H */
