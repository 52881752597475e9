/* A cache of parsed public keys, shared by threads, for the CPU verifier.
 *
 * Parsing a 33-byte compressed key decompresses the point (a square root:
 * about an eighth of a verification), and a node sees the same senders
 * block after block. The cache maps a key to whether it parses and, when
 * it does, its 64-byte parsed form (libsecp256k1's secp256k1_pubkey,
 * which may be copied within one build of the library; the cache treats
 * it as bytes). A lookup never gives a wrong answer: it finds the exact
 * key or reports a miss, and the caller then parses.
 *
 * Layout and invariants: `slots` entries (a power of two), direct-mapped
 * by a hash of the key, each on its own two cache lines: a sequence word
 * (0 while the entry was never written; odd while one thread writes it;
 * even and non-zero when it holds a key) and the data words (the 33 key
 * bytes and a "parses" byte, then the 64 value bytes). Readers take no
 * lock: they load the sequence, the data, and the sequence again (a
 * seqlock), and report a miss when it was odd or changed. A writer takes
 * the entry by a compare-and-swap of the sequence to odd and gives up when
 * another writer holds it (a put may be dropped). Every data word is an
 * atomic (stored with release, loaded with acquire), so there is no data
 * race, and a reader that sees any word of a write also sees the odd
 * sequence that came before it.
 */
#ifndef CX_KEYCACHE_H
#define CX_KEYCACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cx_keycache cx_keycache;

/* Entries of a verifier's cache (8 MiB of address space, pages touched as
 * keys arrive): a direct-mapped table this size holds 10,000 active keys
 * with few collisions. */
#define CX_KEYCACHE_DEFAULT_SLOTS 65536u

/* Creates an empty cache of `slots` entries (rounded up to a power of two,
 * at least 1). NULL when out of memory. */
cx_keycache *cx_keycache_create(size_t slots);

/* Frees it; NULL is a no-op. No call on it may be in flight. */
void cx_keycache_destroy(cx_keycache *c);

/* What a lookup found. */
enum cx_keycache_result {
  CX_KEYCACHE_MISS = -1,    /* not cached (or being rewritten): parse it */
  CX_KEYCACHE_INVALID = 0,  /* the key is cached as not parsing */
  CX_KEYCACHE_VALID = 1     /* cached as parsing; value64 filled */
};

/* Looks key33 up; fills value64 (64 bytes) on CX_KEYCACHE_VALID.
 * Thread-safe. */
int cx_keycache_get(const cx_keycache *c, const uint8_t key33[33],
                    uint8_t value64[64]);

/* Records that key33 parses (`valid`, with value64) or not (value64 may
 * be NULL then), replacing whatever the entry held; dropped when another
 * thread is writing the entry. Thread-safe. */
void cx_keycache_put(cx_keycache *c, const uint8_t key33[33], int valid,
                     const uint8_t *value64);

#endif /* CX_KEYCACHE_H */
