/* Every shared fixture (each .json in ../shared/fixtures) through the
 * sequential executor, Block-STM at 1, 2 and 4 threads, the planned
 * executor at 1, 2 and 3 threads and the automatic choice: each block's
 * statuses and write_root must match the fixture's `expect`.
 * The block's write set is applied to an in-memory state before the next
 * block. Signature verdicts and senders come from crypto (cx_verify,
 * cx_address_of), as the engine computes them.
 * CX_TEST_LABEL_CONCURRENCY */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_test.h"
#include "hex.h"
#include "memstate.h"
#include "mvcc.h"
#include "pool.h"
#include "verify.h"

static uint64_t parse_u64(const cJSON *s, const char *what) {
  cr_assert(cJSON_IsString(s), "%s is not a string", what);
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s->valuestring, &end, 10);
  cr_assert(errno == 0 && *end == '\0' && end != s->valuestring,
            "%s: bad u64 \"%s\"", what, s->valuestring);
  return (uint64_t)v;
}

static cx_memstate *load_genesis(const cJSON *g) {
  cx_memstate *st = cx_memstate_create();
  cr_assert_not_null(st);
  const cJSON *a;
  cJSON_ArrayForEach(a, cJSON_GetObjectItem(g, "accounts")) {
    uint8_t addr[20];
    const cJSON *hex = cJSON_GetObjectItem(a, "address");
    cr_assert(cJSON_IsString(hex) && strlen(hex->valuestring) == 40 &&
              cx_hex_decode(hex->valuestring, 40, addr));
    const cJSON *nonce = cJSON_GetObjectItem(a, "nonce");
    cx_entry e = {cx_key_account(addr),
                  parse_u64(cJSON_GetObjectItem(a, "balance"), "balance"),
                  nonce ? parse_u64(nonce, "nonce") : 0};
    cr_assert_eq(cx_memstate_put(st, &e, 1), 0);
  }
  cJSON_ArrayForEach(a, cJSON_GetObjectItem(g, "kv")) {
    uint8_t key[32];
    const cJSON *hex = cJSON_GetObjectItem(a, "key");
    cr_assert(cJSON_IsString(hex) && strlen(hex->valuestring) == 64 &&
              cx_hex_decode(hex->valuestring, 64, key));
    cx_entry e = {cx_key_kv(key),
                  parse_u64(cJSON_GetObjectItem(a, "value"), "value"), 0};
    cr_assert_eq(cx_memstate_put(st, &e, 1), 0);
  }
  return st;
}

typedef struct decoded {
  size_t n;
  uint8_t **wire;
  cx_tx *txs;
  uint8_t *sig_ok;
  uint8_t (*senders)[20];
} decoded;

static void decode_block(const cJSON *txs, const cx_verifier *v, decoded *d) {
  d->n = (size_t)cJSON_GetArraySize(txs);
  d->wire = calloc(d->n + 1, sizeof *d->wire);
  d->txs = calloc(d->n + 1, sizeof *d->txs);
  d->sig_ok = calloc(d->n + 1, 1);
  d->senders = calloc(d->n + 1, sizeof *d->senders);
  cr_assert(d->wire && d->txs && d->sig_ok && d->senders);
  size_t i = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, txs) {
    cr_assert(cJSON_IsString(t));
    size_t hl = strlen(t->valuestring);
    d->wire[i] = malloc(hl / 2 + 1);
    cr_assert(d->wire[i] && cx_hex_decode(t->valuestring, hl, d->wire[i]));
    if (cx_tx_decode(d->wire[i], hl / 2, &d->txs[i])) {
      uint8_t digest[32];
      cx_tx_hash(&d->txs[i], digest);
      d->sig_ok[i] = cx_verify(v, d->txs[i].pubkey, digest, d->txs[i].sig);
      cx_address_of(d->txs[i].pubkey, d->senders[i]);
    }
    i++;
  }
}

static void decoded_free(decoded *d) {
  for (size_t i = 0; i < d->n; i++)
    free(d->wire[i]);
  free(d->wire);
  free(d->txs);
  free(d->sig_ok);
  free(d->senders);
}

typedef struct runner {
  const char *name;
  cx_executor *x;
} runner;

/* Runs one fixture through every executor; returns its block count. */
static size_t run_fixture(const char *path, runner *rs, size_t nr,
                          const cx_verifier *v) {
  size_t len;
  char *text = cx_test_read_file(path, &len);
  cJSON *doc = cJSON_Parse(text);
  cr_assert_not_null(doc, "%s: not JSON", path);
  const cJSON *blocks = cJSON_GetObjectItem(doc, "blocks");
  const cJSON *expect = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "expect"),
                                            "blocks");
  cr_assert(cJSON_IsArray(blocks) && cJSON_IsArray(expect) &&
                cJSON_GetArraySize(blocks) == cJSON_GetArraySize(expect),
            "%s: blocks and expect.blocks must be arrays of one size", path);
  /* One state per executor: each chain must hold up on its own results. */
  cx_memstate *state[16];
  cr_assert(nr <= 16);
  for (size_t r = 0; r < nr; r++)
    state[r] = load_genesis(cJSON_GetObjectItem(doc, "genesis"));
  size_t h = 0;
  const cJSON *b;
  cJSON_ArrayForEach(b, blocks) {
    const cJSON *exp = cJSON_GetArrayItem(expect, (int)h++);
    decoded d;
    decode_block(cJSON_GetObjectItem(b, "txs"), v, &d);
    const cJSON *statuses = cJSON_GetObjectItem(exp, "statuses");
    cr_assert_eq((size_t)cJSON_GetArraySize(statuses), d.n);
    uint8_t want_root[32];
    const cJSON *wr = cJSON_GetObjectItem(exp, "write_root");
    cr_assert(cJSON_IsString(wr) && cx_hex_decode(wr->valuestring, 64,
                                                  want_root));
    uint8_t *got = malloc(d.n + 1);
    cr_assert_not_null(got);
    for (size_t r = 0; r < nr; r++) {
      cx_exec_input in = {d.n, d.txs, d.sig_ok,
                          (const uint8_t(*)[20])d.senders};
      cx_exec_output out = {.statuses = got};
      cx_error err = {0};
      cr_assert_eq(cx_executor_run(rs[r].x, &in, cx_memstate_read, state[r],
                                   &out, &err),
                   0, "%s block %zu (%s): %s", path, h, rs[r].name,
                   err.message);
      for (size_t i = 0; i < d.n; i++)
        cr_assert_eq(got[i],
                     cJSON_GetArrayItem(statuses, (int)i)->valueint,
                     "%s block %zu tx %zu (%s): status %u, expected %d", path,
                     h, i, rs[r].name, got[i],
                     cJSON_GetArrayItem(statuses, (int)i)->valueint);
      uint8_t root[32];
      cr_assert_eq(cx_entries_root(out.writes, out.n_writes, root), 0);
      cr_assert(memcmp(root, want_root, 32) == 0,
                "%s block %zu (%s): write_root differs (%zu writes)", path, h,
                rs[r].name, out.n_writes);
      cr_assert_eq(cx_memstate_put(state[r], out.writes, out.n_writes), 0);
    }
    free(got);
    decoded_free(&d);
  }
  for (size_t r = 0; r < nr; r++)
    cx_memstate_destroy(state[r]);
  cJSON_Delete(doc);
  free(text);
  return h;
}

Test(mvcc_fixtures, every_fixture_both_executors) {
  const char *dir = cx_test_shared_path("fixtures");
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(4, &err);
  cr_assert_not_null(pool, "%s", err.message);
  cx_verifier *v = cx_verifier_create();
  cr_assert_not_null(v);
  static const struct {
    const char *name;
    unsigned threads;
    int path;
  } kinds[] = {{"sequential", 1, CX_EXEC_SEQUENTIAL},
               {"parallel/1", 1, CX_EXEC_PARALLEL},
               {"parallel/2", 2, CX_EXEC_PARALLEL},
               {"parallel/4", 4, CX_EXEC_PARALLEL},
               {"planned/1", 1, CX_EXEC_PLANNED},
               {"planned/2", 2, CX_EXEC_PLANNED},
               {"planned/3", 3, CX_EXEC_PLANNED},
               {"auto/2", 2, -1}};
  enum { NK = sizeof kinds / sizeof kinds[0] };
  runner rs[NK];
  for (size_t k = 0; k < NK; k++) {
    cx_executor_config cfg = {.threads = kinds[k].threads,
                              .run = cx_pool_run_workers, .runner = pool,
                              .force_path = kinds[k].path};
    rs[k].name = kinds[k].name;
    rs[k].x = cx_executor_create(&cfg, &err);
    cr_assert_not_null(rs[k].x, "%s", err.message);
  }
  DIR *d = opendir(dir);
  cr_assert_not_null(d, "cannot open %s", dir);
  size_t files = 0, blocks = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    blocks += run_fixture(path, rs, NK, v);
    files++;
  }
  closedir(d);
  fprintf(stderr, "mvcc_fixtures: %zu fixtures, %zu blocks, %d executors\n",
          files, blocks, (int)NK);
  cr_assert_gt(files, 0, "no fixture found in %s", dir);
  for (size_t k = 0; k < NK; k++)
    cx_executor_destroy(rs[k].x);
  cx_verifier_destroy(v);
  cx_pool_destroy(pool);
}
