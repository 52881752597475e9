/* Queries on a loaded fixture: its genesis root, the hashes of a block's
 * bytes, the canonical chain of a block tree, and expected results. */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_json.h"
#include "merkle.h"
#include "state.h"
#include "tx.h"

/* Genesis entries sorted by key, for duplicate detection and the root. */
int cx_fixture_genesis_entries(const cx_fixture *f, cx_entry **out, cx_error *err) {
  size_t n = f->n_accounts + f->n_kv;
  cx_entry *e = calloc(n ? n : 1, sizeof *e);
  if (!e)
    return cx_error_set(err, CX_ENOMEM, "out of memory sorting genesis");
  for (size_t i = 0; i < f->n_accounts; i++) {
    e[i].key = cx_key_account(f->accounts[i].address);
    e[i].v0 = f->accounts[i].balance;
    e[i].v1 = f->accounts[i].nonce;
  }
  for (size_t i = 0; i < f->n_kv; i++) {
    e[f->n_accounts + i].key = cx_key_kv(f->kv[i].key);
    e[f->n_accounts + i].v0 = f->kv[i].value;
  }
  cx_entries_sort(e, n);
  for (size_t i = 1; i < n; i++) {
    if (cx_key_cmp(&e[i - 1].key, &e[i].key) == 0) {
      char hex[65];
      size_t klen = e[i].key.kind == CX_ENTRY_ACCOUNT ? 20 : 32;
      for (size_t j = 0; j < klen; j++)
        snprintf(hex + 2 * j, 3, "%02x", e[i].key.bytes[j]);
      free(e);
      return cx_error_set(err, CX_EFIXTURE, "genesis.%s: %s %s is listed twice",
                          klen == 20 ? "accounts" : "kv",
                          klen == 20 ? "address" : "key", hex);
    }
  }
  *out = e;
  return CX_OK;
}

int cx_fixture_genesis_root(const cx_fixture *f, uint8_t out[32],
                            cx_error *err) {
  cx_entry *e = NULL;
  int rc = cx_fixture_genesis_entries(f, &e, err);
  if (rc)
    return rc;
  rc = cx_genesis_root(e, f->n_accounts + f->n_kv, out);
  free(e);
  if (rc)
    return cx_error_set(err, CX_ENOMEM,
                        "out of memory computing the genesis root");
  return CX_OK;
}

bool cx_fixture_canonical(const cx_fixture *f, size_t i) {
  if (f->n_blocks == 0)
    return false;
  /* Parents precede their children: walk up from the last block. */
  int64_t b = (int64_t)f->n_blocks - 1;
  while (b > (int64_t)i)
    b = f->blocks[b].parent;
  return b == (int64_t)i;
}

bool cx_fixture_is_tree(const cx_fixture *f) {
  for (size_t i = 0; i < f->n_blocks; i++)
    if (f->blocks[i].parent != (int64_t)i - 1)
      return true;
  return false;
}

void cx_fixture_block_view(const cx_fixture *f, size_t i, cx_block *out) {
  const cx_fixture_block *b = &f->blocks[i];
  out->tx_count = b->tx_count;
  out->txs = (const uint8_t *const *)b->txs;
  out->tx_lens = b->tx_lens;
}

int cx_fixture_block_hashes(const cx_fixture *f, size_t i,
                            const uint8_t *statuses, uint8_t tx_root[32],
                            uint8_t receipts_root[32], cx_error *err) {
  const cx_fixture_block *b = &f->blocks[i];
  size_t n = b->tx_count;
  /* Receipt leaves are tx_hash || status: 33 bytes each, so one buffer of
   * 33-byte slots serves both roots. */
  uint8_t *leaves = malloc(n ? 33 * n : 1);
  uint8_t *hashes = malloc(n ? 32 * n : 1);
  int rc = leaves && hashes ? CX_OK : CX_ENOMEM;
  for (size_t j = 0; j < n && !rc; j++) {
    cx_tx tx;
    cx_tx_decode(b->txs[j], b->tx_lens[j], &tx);
    cx_tx_hash(&tx, hashes + 32 * j);
    memcpy(leaves + 33 * j, hashes + 32 * j, 32);
    leaves[33 * j + 32] = statuses ? statuses[j] : 0;
  }
  if (!rc)
    rc = cx_merkle_root_fixed(n, hashes, 32, tx_root);
  if (!rc && (statuses || n == 0))
    rc = cx_merkle_root_fixed(n, leaves, 33, receipts_root);
  free(leaves);
  free(hashes);
  if (rc)
    return cx_error_set(err, CX_ENOMEM, "out of memory hashing block %zu",
                        i + 1);
  return CX_OK;
}

int cx_fixture_expect_from_result(const cx_block_result *r,
                                  cx_fixture_expect *out, cx_error *err) {
  memset(out, 0, sizeof *out);
  out->height = r->height;
  out->tx_count = r->tx_count;
  if (r->tx_count && r->statuses) {
    out->statuses = malloc(r->tx_count);
    if (!out->statuses)
      return cx_error_set(err, CX_ENOMEM, "out of memory copying statuses");
    memcpy(out->statuses, r->statuses, r->tx_count);
  }
  memcpy(out->tx_root, r->tx_root, 32);
  memcpy(out->receipts_root, r->receipts_root, 32);
  memcpy(out->write_root, r->write_root, 32);
  memcpy(out->state_root, r->state_root, 32);
  return CX_OK;
}

const char *cx_fixture_expect_diff(const cx_fixture_expect *want,
                                   const cx_fixture_expect *got) {
  if (want->height != got->height)
    return "height";
  if (want->tx_count != got->tx_count ||
      (want->tx_count &&
       (!want->statuses || !got->statuses ||
        memcmp(want->statuses, got->statuses, want->tx_count))))
    return "statuses";
  if (memcmp(want->tx_root, got->tx_root, 32))
    return "tx_root";
  if (memcmp(want->receipts_root, got->receipts_root, 32))
    return "receipts_root";
  if (memcmp(want->write_root, got->write_root, 32))
    return "write_root";
  if (memcmp(want->state_root, got->state_root, 32))
    return "state_root";
  return NULL;
}
