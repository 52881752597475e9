/* Fixture loader: JSON text -> cx_fixture, enforcing SPEC section 6.
 *
 * Every rule is checked here, before anything runs, and each error names
 * the JSON path of the offending value so a person can find it. Unknown
 * fields are ignored, as the SPEC says.
 */
#include "fixture.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "merkle.h"
#include "state.h"
#include "tx.h"

#define PATH_MAX_LEN 96

/* Decodes n hex digits (n even) into out; on a bad digit returns its
 * offset (for the message), else -1. */
static long hex_decode_at(const char *s, size_t n, uint8_t *out) {
  if (cx_hex_decode(s, n, out))
    return -1;
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)s[i]))
      return (long)i;
  return 0; /* not reached: n is even and every digit is hex */
}

static int bad(cx_error *err, const char *path, const char *what) {
  return cx_error_set(err, CX_EFIXTURE, "%s: %s", path, what);
}

/* A fixed-size hex field (addresses, keys, roots). */
static int get_hex_fixed(const cJSON *obj, const char *name, const char *path,
                         uint8_t *out, size_t nbytes, cx_error *err) {
  char where[PATH_MAX_LEN + 32];
  snprintf(where, sizeof where, "%s.%s", path, name);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!v)
    return bad(err, where, "missing");
  if (!cJSON_IsString(v))
    return bad(err, where, "must be a string of hex digits");
  size_t n = strlen(v->valuestring);
  if (n != 2 * nbytes)
    return cx_error_set(err, CX_EFIXTURE,
                        "%s: expected %zu hex digits, got %zu", where,
                        2 * nbytes, n);
  long at = hex_decode_at(v->valuestring, n, out);
  if (at >= 0)
    return cx_error_set(err, CX_EFIXTURE, "%s: not a hex digit at offset %ld",
                        where, at);
  return CX_OK;
}

/* SPEC: digits only, no sign or spaces, no leading zero except "0" itself,
 * at most 2^64-1. */
static bool parse_u64(const char *s, uint64_t *out) {
  size_t n = strlen(s);
  if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

/* A u64 decimal-string field; when optional and absent, *out = 0. */
static int get_u64(const cJSON *obj, const char *name, const char *path,
                   bool optional, uint64_t *out, cx_error *err) {
  char where[PATH_MAX_LEN + 32];
  snprintf(where, sizeof where, "%s.%s", path, name);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  *out = 0;
  if (!v)
    return optional ? CX_OK : bad(err, where, "missing");
  if (!cJSON_IsString(v))
    return bad(err, where,
               "must be a decimal string (JSON numbers lose precision)");
  if (!parse_u64(v->valuestring, out))
    return cx_error_set(err, CX_EFIXTURE,
                        "%s: \"%.40s\" is not a u64 decimal string (digits "
                        "only, no leading zeros, at most "
                        "18446744073709551615)",
                        where, v->valuestring);
  return CX_OK;
}

/* An optional array member: absent -> NULL (empty), else must be an array. */
static int get_array(const cJSON *obj, const char *name, const char *path,
                     bool optional, const cJSON **out, cx_error *err) {
  char where[PATH_MAX_LEN + 32];
  snprintf(where, sizeof where, "%s%s%s", path, *path ? "." : "", name);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  *out = NULL;
  if (!v)
    return optional ? CX_OK : bad(err, where, "missing");
  if (!cJSON_IsArray(v))
    return bad(err, where, "must be an array");
  *out = v;
  return CX_OK;
}

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
      return bad(err, path, "must be an object");
    cx_genesis_account *a = &f->accounts[f->n_accounts];
    int rc = get_hex_fixed(it, "address", path, a->address, 20, err);
    if (!rc)
      rc = get_u64(it, "balance", path, false, &a->balance, err);
    if (!rc)
      rc = get_u64(it, "nonce", path, true, &a->nonce, err);
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
      return bad(err, path, "must be an object");
    cx_genesis_kv *k = &f->kv[f->n_kv];
    int rc = get_hex_fixed(it, "key", path, k->key, 32, err);
    if (!rc)
      rc = get_u64(it, "value", path, false, &k->value, err);
    if (rc)
      return rc;
    f->n_kv++;
  }
  return CX_OK;
}

/* Genesis entries sorted by key, for duplicate detection and the root. */
static int genesis_entries(const cx_fixture *f, cx_entry **out, cx_error *err) {
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
  int rc = genesis_entries(f, &e, err);
  if (rc)
    return rc;
  rc = cx_genesis_root(e, f->n_accounts + f->n_kv, out);
  free(e);
  if (rc)
    return cx_error_set(err, CX_ENOMEM,
                        "out of memory computing the genesis root");
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
    return bad(err, path, "must be an object");
  const cJSON *txs;
  int rc = load_parent(blk, path, bi, blocks, b, err);
  if (rc)
    return rc;
  rc = get_array(blk, "txs", path, false, &txs, err);
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
    long at = hex_decode_at(it->valuestring, len, b->arena + off);
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

/* A JSON number that must be a small non-negative integer. */
static bool json_uint(const cJSON *v, double max, uint64_t *out) {
  if (!cJSON_IsNumber(v))
    return false;
  double d = v->valuedouble;
  if (d < 0 || d > max || d != (double)(uint64_t)d)
    return false;
  *out = (uint64_t)d;
  return true;
}

static int load_expect_block(const cJSON *o, size_t bi, uint64_t height,
                             cx_fixture_expect *x, cx_error *err) {
  char path[PATH_MAX_LEN];
  snprintf(path, sizeof path, "expect.blocks[%zu]", bi);
  if (!cJSON_IsObject(o))
    return bad(err, path, "must be an object");
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "height");
  if (!h || !json_uint(h, 9007199254740992.0, &x->height))
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
  int rc = get_array(o, "statuses", path, false, &st, err);
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
    if (!json_uint(it, 6, &s))
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
    rc = get_hex_fixed(o, names[k], path, dst[k], 32, err);
  return rc;
}

static int load_expect(const cJSON *ex, cx_fixture *f, cx_error *err) {
  if (!cJSON_IsObject(ex))
    return bad(err, "expect", "must be an object");
  int rc = get_hex_fixed(ex, "genesis_state_root", "expect",
                         f->expect_genesis_root, 32, err);
  const cJSON *blocks;
  if (!rc)
    rc = get_array(ex, "blocks", "expect", false, &blocks, err);
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

/* Offset of the first NUL character inside the JSON document text[0..n)
 * (the escape \u0000, or a raw 0 byte), or n when there is none. cJSON
 * hands strings over NUL-terminated, so "5\u0000junk" would read as "5"
 * and an invalid value would pass every rule; no rule of SPEC section 6
 * admits a NUL, so the document is refused instead. Backslashes occur
 * only inside strings of a parsed document, so escapes pair up from the
 * start. */
static size_t first_nul(const char *text, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (text[i] == '\0')
      return i;
    if (text[i] != '\\' || i + 1 >= n)
      continue;
    if (text[i + 1] == 'u' && i + 5 < n && !memcmp(text + i + 2, "0000", 4))
      return i;
    i += text[i + 1] == 'u' ? 5 : 1;
  }
  return n;
}

/* Line and column of byte offset `at` in text, for JSON syntax errors. */
static void line_col(const char *text, size_t at, size_t *line, size_t *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < at; i++) {
    if (text[i] == '\n') {
      ++*line;
      *col = 1;
    } else {
      ++*col;
    }
  }
}

static int parse_root(const cJSON *root, cx_fixture *f, cx_error *err) {
  if (!cJSON_IsObject(root))
    return bad(err, "(top level)", "must be a JSON object");
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  if (!fmt)
    return bad(err, "format", "missing (expected \"" CX_FIXTURE_FORMAT "\")");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, CX_FIXTURE_FORMAT))
    return cx_error_set(
        err, CX_EFIXTURE, "format: \"%.40s\" is not \"" CX_FIXTURE_FORMAT "\"",
        cJSON_IsString(fmt) ? fmt->valuestring : "(not a string)");
  const cJSON *gen = cJSON_GetObjectItemCaseSensitive(root, "genesis");
  if (!gen)
    return bad(err, "genesis", "missing");
  if (!cJSON_IsObject(gen))
    return bad(err, "genesis", "must be an object");
  const cJSON *accts, *kv, *blocks;
  int rc = get_array(gen, "accounts", "genesis", true, &accts, err);
  if (!rc)
    rc = get_array(gen, "kv", "genesis", true, &kv, err);
  if (!rc && accts)
    rc = load_accounts(accts, f, err);
  if (!rc && kv)
    rc = load_kv(kv, f, err);
  if (!rc) {
    cx_entry *e = NULL;
    rc = genesis_entries(f, &e, err); /* refuses duplicates */
    free(e);
  }
  if (!rc)
    rc = get_array(root, "blocks", "", false, &blocks, err);
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
    line_col(json, at, &line, &col);
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
    line_col(json, (size_t)(end - json), &line, &col);
    cJSON_Delete(root);
    return cx_error_set(err, CX_EFIXTURE,
                        "not valid JSON (unexpected text after the document "
                        "at line %zu, column %zu)",
                        line, col);
  }
  size_t doc_len = end && end >= json ? (size_t)(end - json) : len;
  size_t nul = first_nul(json, doc_len);
  if (nul < doc_len) {
    size_t line, col;
    line_col(json, nul, &line, &col);
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
