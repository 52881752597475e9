/* libFuzzer harness: the fixture loader (engine/fixture.h).
 *
 * Any bytes must give either a valid fixture or CX_EFIXTURE (CX_ENOMEM is
 * tolerated) with a message that names the problem, never a crash, a leak
 * or a read past the buffer (the text is not NUL-terminated: libFuzzer's
 * buffer is exactly `size` bytes). A fixture the loader accepts must:
 *  - satisfy the invariants fixture.h promises (distinct genesis entries,
 *    non-NULL transaction pointers, expect heights 1..n);
 *  - give a genesis root and the byte-derived roots of every block;
 *  - survive a round trip: written with cx_fixture_write and parsed again,
 *    it is the same fixture, and writing that gives the same bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "fuzz_check.h"

static void check_invariants(const cx_fixture *f) {
  for (size_t i = 0; i < f->n_accounts; i++)
    for (size_t j = i + 1; j < f->n_accounts; j++)
      FUZZ_CHECK(memcmp(f->accounts[i].address, f->accounts[j].address, 20));
  for (size_t i = 0; i < f->n_kv; i++)
    for (size_t j = i + 1; j < f->n_kv; j++)
      FUZZ_CHECK(memcmp(f->kv[i].key, f->kv[j].key, 32));
  for (size_t b = 0; b < f->n_blocks; b++) {
    const cx_fixture_block *blk = &f->blocks[b];
    for (size_t t = 0; t < blk->tx_count; t++)
      FUZZ_CHECK(blk->txs[t] != NULL);
    cx_block view;
    cx_fixture_block_view(f, b, &view);
    FUZZ_CHECK(view.tx_count == blk->tx_count);
    uint8_t tx_root[32], receipts_root[32];
    cx_error err = {0};
    const uint8_t *st = NULL;
    if (f->has_expect) {
      FUZZ_CHECK(f->expect[b].height == b + 1);
      FUZZ_CHECK(f->expect[b].tx_count == 0 || f->expect[b].statuses);
      if (f->expect[b].tx_count == blk->tx_count)
        st = f->expect[b].statuses;
    }
    FUZZ_CHECK(cx_fixture_block_hashes(f, b, st, tx_root, receipts_root,
                                       &err) == CX_OK);
  }
  uint8_t g[32];
  cx_error err = {0};
  FUZZ_CHECK(cx_fixture_genesis_root(f, g, &err) == CX_OK);
}

static void check_same(const cx_fixture *a, const cx_fixture *b) {
  FUZZ_CHECK(a->n_accounts == b->n_accounts && a->n_kv == b->n_kv);
  FUZZ_CHECK(a->n_blocks == b->n_blocks && a->has_expect == b->has_expect);
  for (size_t i = 0; i < a->n_accounts; i++)
    FUZZ_CHECK(!memcmp(&a->accounts[i], &b->accounts[i], sizeof *a->accounts));
  for (size_t i = 0; i < a->n_kv; i++)
    FUZZ_CHECK(!memcmp(&a->kv[i], &b->kv[i], sizeof *a->kv));
  for (size_t i = 0; i < a->n_blocks; i++) {
    const cx_fixture_block *x = &a->blocks[i], *y = &b->blocks[i];
    FUZZ_CHECK(x->tx_count == y->tx_count);
    FUZZ_CHECK(x->parent == y->parent && x->height == y->height);
    FUZZ_CHECK(x->parent >= -1 && x->parent < (int64_t)i);
    for (size_t t = 0; t < x->tx_count; t++) {
      FUZZ_CHECK(x->tx_lens[t] == y->tx_lens[t]);
      FUZZ_CHECK(!memcmp(x->txs[t], y->txs[t], x->tx_lens[t]));
    }
    if (a->has_expect)
      FUZZ_CHECK(cx_fixture_expect_diff(&a->expect[i], &b->expect[i]) == NULL);
  }
  if (a->has_expect)
    FUZZ_CHECK(!memcmp(a->expect_genesis_root, b->expect_genesis_root, 32));
}

/* Writes f as JSON into a malloc'd buffer. */
static char *write_json(const cx_fixture *f, size_t *len) {
  char *buf = NULL;
  FILE *out = open_memstream(&buf, len);
  FUZZ_CHECK(out != NULL);
  cx_error err = {0};
  FUZZ_CHECK(cx_fixture_write(out, f, &err) == CX_OK);
  FUZZ_CHECK(fclose(out) == 0);
  return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cx_fixture *f = NULL;
  cx_error err = {0};
  int rc = cx_fixture_parse((const char *)data, size, &f, &err);
  if (rc != CX_OK) {
    FUZZ_CHECK(f == NULL);
    FUZZ_CHECK(rc == CX_EFIXTURE || rc == CX_ENOMEM);
    FUZZ_CHECK(err.code == rc);
    FUZZ_CHECK(err.message[0] != '\0');
    FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
    return 0;
  }
  FUZZ_CHECK(f != NULL);
  check_invariants(f);

  size_t len1 = 0, len2 = 0;
  char *json1 = write_json(f, &len1);
  cx_fixture *g = NULL;
  rc = cx_fixture_parse(json1, len1, &g, &err);
  if (rc != CX_OK)
    fprintf(stderr, "written fixture does not parse: %s\n", err.message);
  FUZZ_CHECK(rc == CX_OK);
  check_same(f, g);
  char *json2 = write_json(g, &len2);
  FUZZ_CHECK(len1 == len2 && memcmp(json1, json2, len1) == 0);

  free(json1);
  free(json2);
  cx_fixture_free(g);
  cx_fixture_free(f);
  return 0;
}
