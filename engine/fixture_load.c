/* Fixture loader: JSON text -> cx_fixture, enforcing SPEC sections 6 and
 * 9 (parent links).
 *
 * Every rule is checked here, before anything runs, and each error names
 * the JSON path of the offending value so a person can find it. Unknown
 * fields are ignored, as the SPEC says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "fixture_json.h"

static int load_accounts(const cJSON *arr, cx_fixture *f, cx_error *err) {
  size_t n = (size_t)cJSON_GetArraySize(arr);
  if (n == 0)
    return CX_OK;
  f->accounts = calloc(n, sizeof *f->accounts);
  if (!f->accounts)
    return cx_error_set(err, CX_ENOMEM, "out of memory loading accounts");
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "genesis.accounts[%zu]", f->n_accounts);
    if (!cJSON_IsObject(it))
      return cx_fj_bad(err, path, "must be an object");
    cx_genesis_account *a = &f->accounts[f->n_accounts];
    int rc = cx_fj_get_hex_fixed(it, "address", path, a->address, 20, err);
    if (!rc)
      rc = cx_fj_get_u64(it, "balance", path, false, &a->balance, err);
    if (!rc)
      rc = cx_fj_get_u64(it, "nonce", path, true, &a->nonce, err);
    if (rc)
      return rc;
    f->n_accounts++;
  }
  return CX_OK;
}

static int load_kv(const cJSON *arr, cx_fixture *f, cx_error *err) {
  size_t n = (size_t)cJSON_GetArraySize(arr);
  if (n == 0)
    return CX_OK;
  f->kv = calloc(n, sizeof *f->kv);
  if (!f->kv)
    return cx_error_set(err, CX_ENOMEM, "out of memory loading kv");
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "genesis.kv[%zu]", f->n_kv);
    if (!cJSON_IsObject(it))
      return cx_fj_bad(err, path, "must be an object");
    cx_genesis_kv *k = &f->kv[f->n_kv];
    int rc = cx_fj_get_hex_fixed(it, "key", path, k->key, 32, err);
    if (!rc)
      rc = cx_fj_get_u64(it, "value", path, false, &k->value, err);
    if (rc)
      return rc;
    f->n_kv++;
  }
  return CX_OK;
}

/* The block's "parent" (SPEC section 9): absent means the entry just
 * before (-1 for the first); else a JSON integer, -1 (the genesis) or the
 * index of an earlier entry. Sets parent and height. */
static int load_parent(const cJSON *blk, const char *path, size_t bi,
                       const cx_fixture_block *blocks, cx_fixture_block *b,
                       cx_error *err) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(blk, "parent");
  int64_t parent = (int64_t)bi - 1;
  if (p != NULL) {
    double d = cJSON_IsNumber(p) ? p->valuedouble : 0;
    if (!cJSON_IsNumber(p) || d != (double)(int64_t)d || d < -1 ||
        d >= (double)bi)
      return cx_error_set(err, CX_EFIXTURE,
                          "%s.parent: must be -1 (the genesis) or the index "
                          "of an earlier block (0..%lld)%s",
                          path, (long long)bi - 1,
                          bi == 0 ? ": the first block can only be on the "
                                    "genesis"
                                  : "");
    parent = (int64_t)d;
  }
  b->parent = parent;
  b->height = parent < 0 ? 1 : blocks[parent].height + 1;
  return CX_OK;
}

static int load_block(const cJSON *blk, size_t bi, cx_fixture_block *blocks,
                      cx_error *err) {
  char path[PATH_MAX_LEN];
  cx_fixture_block *b = &blocks[bi];
  snprintf(path, sizeof path, "blocks[%zu]", bi);
  if (!cJSON_IsObject(blk))
    return cx_fj_bad(err, path, "must be an object");
  const cJSON *txs;
  int rc = load_parent(blk, path, bi, blocks, b, err);
  if (rc)
    return rc;
  rc = cx_fj_get_array(blk, "txs", path, false, &txs, err);
  if (rc)
    return rc;
  size_t n = (size_t)cJSON_GetArraySize(txs), total = 0, j = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, txs) {
    if (!cJSON_IsString(it))
      return cx_error_set(err, CX_EFIXTURE,
                          "%s.txs[%zu]: must be a string of hex digits", path,
                          j);
    size_t len = strlen(it->valuestring);
    if (len % 2)
      return cx_error_set(err, CX_EFIXTURE,
                          "%s.txs[%zu]: odd number of hex digits (%zu)", path,
                          j, len);
    total += len / 2;
    j++;
  }
  b->txs = calloc(n ? n : 1, sizeof *b->txs);
  b->tx_lens = calloc(n ? n : 1, sizeof *b->tx_lens);
  b->arena = malloc(total ? total : 1);
  if (!b->txs || !b->tx_lens || !b->arena)
    return cx_error_set(err, CX_ENOMEM, "out of memory loading %s", path);
  size_t off = 0;
  j = 0;
  cJSON_ArrayForEach(it, txs) {
    size_t len = strlen(it->valuestring);
    long at = cx_fj_hex_decode_at(it->valuestring, len, b->arena + off);
    if (at >= 0)
      return cx_error_set(err, CX_EFIXTURE,
                          "%s.txs[%zu]: not a hex digit at offset %ld", path, j,
                          at);
    b->txs[j] = b->arena + off;
    b->tx_lens[j] = len / 2;
    off += len / 2;
    j++;
  }
  b->tx_count = n;
  return CX_OK;
}

static int load_expect_block(const cJSON *o, size_t bi, uint64_t height,
                             cx_fixture_expect *x, cx_error *err) {
  char path[PATH_MAX_LEN];
  snprintf(path, sizeof path, "expect.blocks[%zu]", bi);
  if (!cJSON_IsObject(o))
    return cx_fj_bad(err, path, "must be an object");
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "height");
  if (!h || !cx_fj_uint(h, 9007199254740992.0, &x->height))
    return cx_error_set(err, CX_EFIXTURE,
                        "%s.height: must be a non-negative integer", path);
  if (x->height != height)
    return cx_error_set(err, CX_EFIXTURE,
                        "%s.height: is %llu, expected %llu (one entry per "
                        "block, in order; a block's height is its parent's "
                        "+ 1)",
                        path, (unsigned long long)x->height,
                        (unsigned long long)height);
  const cJSON *st;
  int rc = cx_fj_get_array(o, "statuses", path, false, &st, err);
  if (rc)
    return rc;
  x->tx_count = (size_t)cJSON_GetArraySize(st);
  if (x->tx_count) {
    x->statuses = malloc(x->tx_count);
    if (!x->statuses)
      return cx_error_set(err, CX_ENOMEM, "out of memory loading %s", path);
  }
  size_t j = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, st) {
    uint64_t s;
    if (!cx_fj_uint(it, 6, &s))
      return cx_error_set(err, CX_EFIXTURE,
                          "%s.statuses[%zu]: must be a status code 0..6", path,
                          j);
    x->statuses[j++] = (uint8_t)s;
  }
  static const char *const names[4] = {"tx_root", "receipts_root", "write_root",
                                       "state_root"};
  uint8_t *dst[4] = {x->tx_root, x->receipts_root, x->write_root,
                     x->state_root};
  for (int k = 0; k < 4 && !rc; k++)
    rc = cx_fj_get_hex_fixed(o, names[k], path, dst[k], 32, err);
  return rc;
}

static int load_expect(const cJSON *ex, cx_fixture *f, cx_error *err) {
  if (!cJSON_IsObject(ex))
    return cx_fj_bad(err, "expect", "must be an object");
  int rc = cx_fj_get_hex_fixed(ex, "genesis_state_root", "expect",
                         f->expect_genesis_root, 32, err);
  const cJSON *blocks;
  if (!rc)
    rc = cx_fj_get_array(ex, "blocks", "expect", false, &blocks, err);
  if (rc)
    return rc;
  size_t n = (size_t)cJSON_GetArraySize(blocks);
  if (n != f->n_blocks)
    return cx_error_set(err, CX_EFIXTURE,
                        "expect.blocks: has %zu entries for %zu blocks (one "
                        "per block required)",
                        n, f->n_blocks);
  f->expect = calloc(n ? n : 1, sizeof *f->expect);
  if (!f->expect)
    return cx_error_set(err, CX_ENOMEM, "out of memory loading expect");
  f->has_expect = true;
  size_t i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, blocks) {
    rc = load_expect_block(it, i, f->blocks[i].height, &f->expect[i], err);
    if (rc)
      return rc;
    if (f->expect[i].tx_count != f->blocks[i].tx_count)
      return cx_error_set(err, CX_EFIXTURE,
                          "expect.blocks[%zu].statuses: has %zu entries for "
                          "%zu transactions",
                          i, f->expect[i].tx_count, f->blocks[i].tx_count);
    i++;
  }
  return CX_OK;
}

static int parse_root(const cJSON *root, cx_fixture *f, cx_error *err) {
  if (!cJSON_IsObject(root))
    return cx_fj_bad(err, "(top level)", "must be a JSON object");
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  if (!fmt)
    return cx_fj_bad(err, "format", "missing (expected \"" CX_FIXTURE_FORMAT "\")");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, CX_FIXTURE_FORMAT))
    return cx_error_set(
        err, CX_EFIXTURE, "format: \"%.40s\" is not \"" CX_FIXTURE_FORMAT "\"",
        cJSON_IsString(fmt) ? fmt->valuestring : "(not a string)");
  const cJSON *gen = cJSON_GetObjectItemCaseSensitive(root, "genesis");
  if (!gen)
    return cx_fj_bad(err, "genesis", "missing");
  if (!cJSON_IsObject(gen))
    return cx_fj_bad(err, "genesis", "must be an object");
  const cJSON *accts, *kv, *blocks;
  int rc = cx_fj_get_array(gen, "accounts", "genesis", true, &accts, err);
  if (!rc)
    rc = cx_fj_get_array(gen, "kv", "genesis", true, &kv, err);
  if (!rc && accts)
    rc = load_accounts(accts, f, err);
  if (!rc && kv)
    rc = load_kv(kv, f, err);
  if (!rc) {
    cx_entry *e = NULL;
    rc = cx_fixture_genesis_entries(f, &e, err); /* refuses duplicates */
    free(e);
  }
  if (!rc)
    rc = cx_fj_get_array(root, "blocks", "", false, &blocks, err);
  if (rc)
    return rc;
  size_t n = (size_t)cJSON_GetArraySize(blocks);
  f->blocks = calloc(n ? n : 1, sizeof *f->blocks);
  if (!f->blocks)
    return cx_error_set(err, CX_ENOMEM, "out of memory loading blocks");
  const cJSON *it;
  cJSON_ArrayForEach(it, blocks) {
    rc = load_block(it, f->n_blocks, f->blocks, err);
    f->n_blocks++; /* counted even on failure so free releases it */
    if (rc)
      return rc;
  }
  const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "expect");
  if (ex)
    return load_expect(ex, f, err);
  return CX_OK;
}

int cx_fixture_parse(const char *json, size_t len, cx_fixture **out,
                     cx_error *err) {
  if (!json || !out)
    return cx_error_set(err, CX_EINVAL, "cx_fixture_parse: NULL argument");
  *out = NULL;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
  if (!root) {
    size_t at = end && end >= json ? (size_t)(end - json) : 0, line, col;
    if (at > len)
      at = len;
    cx_fj_line_col(json, at, &line, &col);
    return cx_error_set(err, CX_EFIXTURE,
                        "not valid JSON (syntax error near line %zu, column "
                        "%zu)",
                        line, col);
  }
  /* Trailing garbage after the document is also bad JSON. */
  while (end && (size_t)(end - json) < len &&
         (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
    end++;
  if (end && (size_t)(end - json) < len && *end != '\0') {
    size_t line, col;
    cx_fj_line_col(json, (size_t)(end - json), &line, &col);
    cJSON_Delete(root);
    return cx_error_set(err, CX_EFIXTURE,
                        "not valid JSON (unexpected text after the document "
                        "at line %zu, column %zu)",
                        line, col);
  }
  size_t doc_len = end && end >= json ? (size_t)(end - json) : len;
  size_t nul = cx_fj_first_nul(json, doc_len);
  if (nul < doc_len) {
    size_t line, col;
    cx_fj_line_col(json, nul, &line, &col);
    cJSON_Delete(root);
    return cx_error_set(err, CX_EFIXTURE,
                        "a string holds a NUL character (\\u0000) at line "
                        "%zu, column %zu; no fixture field admits one",
                        line, col);
  }
  cx_fixture *f = calloc(1, sizeof *f);
  if (!f) {
    cJSON_Delete(root);
    return cx_error_set(err, CX_ENOMEM, "out of memory loading a fixture");
  }
  int rc = parse_root(root, f, err);
  cJSON_Delete(root);
  if (rc) {
    cx_fixture_free(f);
    return rc;
  }
  *out = f;
  return CX_OK;
}

int cx_fixture_load(const char *path, cx_fixture **out, cx_error *err) {
  if (!path || !out)
    return cx_error_set(err, CX_EINVAL, "cx_fixture_load: NULL argument");
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return cx_error_set(err, CX_EIO, "cannot open fixture %s: %s", path,
                        strerror(errno));
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + len, 1, cap - len, fp);
    len += got;
    if (len < cap)
      break;
    if (cap >= CX_FIXTURE_MAX_BYTES) {
      free(buf);
      fclose(fp);
      return cx_error_set(err, CX_ELIMIT,
                          "fixture %s is larger than the %llu MiB limit; "
                          "split its blocks into several files",
                          path,
                          (unsigned long long)(CX_FIXTURE_MAX_BYTES >> 20));
    }
    char *nb = realloc(buf, cap *= 2);
    if (!nb) {
      free(buf);
      buf = NULL;
    }
    buf = nb;
  }
  int ioerr = ferror(fp);
  fclose(fp);
  if (!buf)
    return cx_error_set(err, CX_ENOMEM, "out of memory reading %s", path);
  if (ioerr) {
    free(buf);
    return cx_error_set(err, CX_EIO, "cannot read fixture %s", path);
  }
  int rc = cx_fixture_parse(buf, len, out, err);
  free(buf);
  if (rc)
    cx_error_wrap(err, "%s", path);
  return rc;
}

void cx_fixture_expect_clear(cx_fixture_expect *e) {
  if (!e)
    return;
  free(e->statuses);
  memset(e, 0, sizeof *e);
}

void cx_fixture_free(cx_fixture *f) {
  if (!f)
    return;
  for (size_t i = 0; i < f->n_blocks; i++) {
    free(f->blocks[i].txs);
    free(f->blocks[i].tx_lens);
    free(f->blocks[i].arena);
    if (f->expect)
      cx_fixture_expect_clear(&f->expect[i]);
  }
  free(f->blocks);
  free(f->expect);
  free(f->accounts);
  free(f->kv);
  free(f);
}
