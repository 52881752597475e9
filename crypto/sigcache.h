/* A bounded, salted cache of successful signature verifications, shared by
 * threads (as Bitcoin Core's sigcache: a verdict is a property of the
 * bytes alone, never of the state, so a cached "valid" is exactly as good
 * as verifying again).
 *
 * Key. cx_sigcache_key() is SHA-256(salt32 || pubkey33 || digest32 ||
 * sig64): a keyed hash of everything the verdict depends on. The salt is
 * the creator's (random per engine): nobody who does not know it can aim
 * transactions at one set of slots. The whole 32-byte key is stored and
 * compared, so a hit for a (pubkey, digest, signature) that was not
 * inserted needs a SHA-256 collision: changing only the signature, only
 * the key or only the message (a high-S twin, a flipped byte) misses.
 * Only successful verifications are inserted; there are no negative
 * entries, so a miss always means "verify it".
 *
 * Layout and invariants: `buckets` (max_bytes / 128, any count, picked by
 * a multiply-shift of the key's first word) of 128 bytes, each on two
 * cache lines: a sequence word (odd while one thread writes the bucket),
 * a word holding the next victim slot, and CX_SIGCACHE_WAYS keys of four
 * words. An all-zero key is an empty slot (a key of 256 zero bits is
 * never inserted: it is remapped to the key with its last bit set, which
 * can only add a miss). Readers take no lock: sequence, key words,
 * sequence again (a seqlock, every word an atomic as in keycache.h); a
 * bucket being written reads as a miss. A writer takes the bucket with a
 * compare-and-swap of the sequence to odd; when another writer holds it
 * the insert is dropped and counted (a cache may forget). Inside a full
 * bucket the victim is the oldest insert (FIFO per bucket).
 *
 * Memory: the table is mapped anonymous (zeroed, pages backed when first
 * touched), so resident memory grows with use and never exceeds
 * cx_sigcache_stats.bytes (table + header) <= max_bytes.
 *
 * Committed and forked transactions: nothing is erased when a block
 * commits; entries age out by eviction. Keeping them is harmless since
 * verdicts do not depend on state: a cached transaction carried by two
 * competing branches hits on both, and again when a branch is executed
 * anew after a reorg.
 */
#ifndef CX_SIGCACHE_H
#define CX_SIGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cx_sigcache cx_sigcache;

#define CX_SIGCACHE_KEY_LEN 32u
#define CX_SIGCACHE_SALT_LEN 32u
#define CX_SIGCACHE_WAYS 3u            /* keys per 128-byte bucket */
#define CX_SIGCACHE_BUCKET_BYTES 128u
/* Default memory limit of an engine's cache (as Bitcoin Core's
 * -maxsigcachesize): about 786,000 verdicts. */
/* Smallest max_bytes cx_sigcache_create() accepts. */
size_t cx_sigcache_min_bytes(void);
#define CX_SIGCACHE_DEFAULT_BYTES ((size_t)32 << 20)

/* Creates an empty cache using at most max_bytes in all: header and
 * table (whole buckets, whole pages above one page). NULL when max_bytes
 * holds less than the header and one bucket or when out of memory. salt: CX_SIGCACHE_SALT_LEN bytes,
 * copied. */
cx_sigcache *cx_sigcache_create(size_t max_bytes, const uint8_t salt[32]);

/* Frees it; NULL is a no-op. No call on it may be in flight. */
void cx_sigcache_destroy(cx_sigcache *c);

/* The cache key of a (pubkey, digest, signature) under c's salt. Pure:
 * thread-safe. */
void cx_sigcache_key(const cx_sigcache *c, const uint8_t pubkey33[33],
                     const uint8_t digest32[32], const uint8_t sig64[64],
                     uint8_t key[32]);

/* keys[i] = cx_sigcache_key(c, pubkeys[i], digests[i], sigs[i]) for
 * i < n, hashed in interleaved batches (faster than one by one). */
void cx_sigcache_keys(const cx_sigcache *c, size_t n,
                      const uint8_t *const *pubkeys,
                      const uint8_t *const *digests,
                      const uint8_t *const *sigs, uint8_t (*keys)[32]);

/* Bucket that `key` maps to, in [0, capacity / CX_SIGCACHE_WAYS): for
 * tests that show the salt moves entries. */
size_t cx_sigcache_bucket(const cx_sigcache *c, const uint8_t key[32]);

/* True when `key` was inserted and is still cached. Lock-free;
 * thread-safe. A bucket being written concurrently reads as a miss. */
bool cx_sigcache_contains(const cx_sigcache *c, const uint8_t key[32]);

/* Records `key` (a successful verification). Returns true when it is
 * cached afterwards (inserted, or already there); false when another
 * writer held the bucket (dropped). Evicts the bucket's oldest key when
 * it is full. Thread-safe. */
bool cx_sigcache_insert(cx_sigcache *c, const uint8_t key[32]);

typedef struct cx_sigcache_stats {
  size_t capacity;        /* keys the table holds */
  size_t bytes;           /* table + header: the bound on resident memory */
  size_t resident_bytes;  /* of those, pages backed now (mincore) */
  uint64_t entries;       /* occupied slots now */
  uint64_t inserts;       /* keys written (not already present) */
  uint64_t evictions;     /* keys overwritten in a full bucket */
  uint64_t dropped;       /* inserts given up to a concurrent writer */
} cx_sigcache_stats;

/* Snapshot of the counters (each read atomically, not one instant).
 * Thread-safe. */
void cx_sigcache_stats_get(const cx_sigcache *c, cx_sigcache_stats *out);

#endif /* CX_SIGCACHE_H */
