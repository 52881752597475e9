/* Fixture files (SPEC.md section 6): loading and writing them (the
 * generator, which signs, is signing/fixture_gen.h).
 *
 * A cx_fixture is plain data: genesis entries, blocks of wire transactions
 * and, optionally, the expected result of every block. The loader checks
 * every rule of SPEC section 6 before anything runs and names the problem
 * and where it is ("blocks[3].txs[17]: odd number of hex digits"); an
 * empty transaction is valid (it executes as MALFORMED).
 *
 * Invariants of a cx_fixture returned by this module:
 *  - accounts[0..n_accounts) have distinct addresses, kv[0..n_kv) distinct
 *    keys (the file order is kept);
 *  - blocks[i].txs[j] points at blocks[i].tx_lens[j] bytes inside
 *    blocks[i].arena (never NULL, even for an empty transaction);
 *  - blocks[i].parent is -1 (the genesis) or an index below i, and
 *    blocks[i].height is its parent's height + 1 (SPEC section 9); a
 *    fixture without "parent" fields is one linear chain (parent i - 1);
 *  - when has_expect, expect[i] exists for every block i, with
 *    expect[i].height == blocks[i].height.
 * All functions are thread-safe on distinct fixtures; a fixture may be
 * read from several threads at once.
 */
#ifndef CX_FIXTURE_H
#define CX_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chainexec.h"

#define CX_FIXTURE_FORMAT "chainexec-fixture/1"

/* One block of wire transactions. */
typedef struct cx_fixture_block {
  int64_t parent;    /* index of the parent block, -1: the genesis */
  uint64_t height;   /* the parent's height + 1 */
  size_t tx_count;
  uint8_t **txs;     /* txs[j] points into arena, never NULL */
  size_t *tx_lens;
  uint8_t *arena;    /* owns the bytes of every transaction of the block */
} cx_fixture_block;

/* The expected (or computed) result of one block. */
typedef struct cx_fixture_expect {
  uint64_t height;
  size_t tx_count;
  uint8_t *statuses; /* tx_count entries; NULL when tx_count is 0 */
  uint8_t tx_root[32];
  uint8_t receipts_root[32];
  uint8_t write_root[32];
  uint8_t state_root[32];
} cx_fixture_expect;

typedef struct cx_fixture {
  cx_genesis_account *accounts;
  size_t n_accounts;
  cx_genesis_kv *kv;
  size_t n_kv;
  cx_fixture_block *blocks;
  size_t n_blocks;
  bool has_expect;
  uint8_t expect_genesis_root[32];
  cx_fixture_expect *expect; /* n_blocks entries when has_expect */
} cx_fixture;

/* Parses a fixture from JSON text (len bytes, need not be NUL-terminated).
 * Returns CX_OK and a new fixture in *out (release with cx_fixture_free),
 * CX_EFIXTURE with a message naming the rule and the JSON path when the
 * text breaks a rule of SPEC section 6, or CX_ENOMEM. A NUL character
 * (\u0000) in any string, ignored fields included, refuses the document:
 * cJSON's strings end at a NUL, which would hide the rest of a value. */
int cx_fixture_parse(const char *json, size_t len, cx_fixture **out,
                     cx_error *err);

/* Largest fixture file cx_fixture_load reads (a bound on input, so that
 * `replay /dev/zero` fails cleanly instead of exhausting memory). */
#define CX_FIXTURE_MAX_BYTES ((size_t)1 << 30) /* 1 GiB */

/* Reads and parses the file at path: cx_fixture_parse, plus CX_EIO when
 * the file cannot be read and CX_ELIMIT when it is larger than
 * CX_FIXTURE_MAX_BYTES (the message names the path). */
int cx_fixture_load(const char *path, cx_fixture **out, cx_error *err);

/* Releases a fixture and everything it owns. NULL is a no-op. */
void cx_fixture_free(cx_fixture *f);

/* True when block i lies on the canonical chain: the path from the
 * genesis to the last block (SPEC section 9). */
bool cx_fixture_canonical(const cx_fixture *f, size_t i);

/* True when some block has a parent other than the block just before it
 * (the fixture is a tree, not one linear chain). */
bool cx_fixture_is_tree(const cx_fixture *f);

/* Fills *out with a view of block i (borrowed from f, valid until
 * cx_fixture_free). i must be below f->n_blocks. */
void cx_fixture_block_view(const cx_fixture *f, size_t i, cx_block *out);

/* Roots of block i that follow from its bytes alone (SPEC section 5):
 * tx_root, and receipts_root when statuses (tx_count entries) is given or
 * the block is empty (else receipts_root is left alone). tx_root
 * identifies the block's content without executing it. Returns CX_OK or
 * CX_ENOMEM. */
int cx_fixture_block_hashes(const cx_fixture *f, size_t i,
                            const uint8_t *statuses, uint8_t tx_root[32],
                            uint8_t receipts_root[32], cx_error *err);

/* state_root(0) of the fixture's genesis, computed without a database.
 * Returns CX_OK, CX_ENOMEM, or CX_EFIXTURE on a duplicate entry. */
int cx_fixture_genesis_root(const cx_fixture *f, uint8_t out[32],
                            cx_error *err);

/* Copies a block result into an expect entry (allocating statuses; free
 * with cx_fixture_expect_clear). r->statuses may be NULL only when
 * r->tx_count is 0. Returns CX_OK or CX_ENOMEM. */
int cx_fixture_expect_from_result(const cx_block_result *r,
                                  cx_fixture_expect *out, cx_error *err);

/* Frees what an expect entry owns and zeroes it. */
void cx_fixture_expect_clear(cx_fixture_expect *e);

/* Compares a computed result with an expected one. Returns NULL when they
 * match, else the name of the first differing field ("statuses",
 * "tx_root", "receipts_root", "write_root", "state_root", "height"). */
const char *cx_fixture_expect_diff(const cx_fixture_expect *want,
                                   const cx_fixture_expect *got);

/* Writes the replay output of SPEC section 7 (the shape of `expect`):
 * {"genesis_state_root": .., "blocks": [{height, statuses, roots}]}.
 * A block whose statuses pointer is NULL while tx_count > 0 (statuses not
 * known) is written with "statuses": null. Returns CX_OK or CX_EIO. */
int cx_fixture_write_result(FILE *out, const uint8_t genesis_root[32],
                            const cx_fixture_expect *blocks, size_t n,
                            cx_error *err);

/* Writes the whole fixture as JSON (format tag, genesis, blocks and, when
 * has_expect, expect). Returns CX_OK or CX_EIO. */
int cx_fixture_write(FILE *out, const cx_fixture *f, cx_error *err);

/* Generation (chainexec gen, bench tps) is signing code, kept out of
 * the engine library: signing/fixture_gen.h. */

#endif /* CX_FIXTURE_H */
