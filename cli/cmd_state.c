/* `chainexec state --db DIR [--height H] [--json]`: the whole state of the
 * canonical chain at a height, for operators and for tests that compare a
 * store with a reference. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: chainexec state --db DIR [--height H] [--json]\n"
    "\n"
    "Prints the state of the chain in DIR at height H (default: the head;\n"
    "any height within the retention, see 'chainexec info'): every account\n"
    "and storage entry that does not read as zero, sorted by address and\n"
    "key. With --json, one document:\n"
    "  {\"height\": H, \"state_root\": \"..\", \"accounts\": [{\"address\": \"..\",\n"
    "   \"balance\": \"..\", \"nonce\": \"..\"}], \"kv\": [{\"key\": \"..\",\n"
    "   \"value\": \"..\"}]}\n"
    "with hex and decimal strings as in fixtures. Opens the database\n"
    "read-only.\n";

typedef struct state_out {
  bool json;
  bool in_kv;  /* the accounts are done */
  size_t n;    /* entries printed in the current list */
} state_out;

static void put_hex(const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    printf("%02x", b[i]);
}

static int visit(void *ctx, const uint8_t *key, size_t len, uint64_t v0,
                 uint64_t v1) {
  state_out *o = ctx;
  if (v0 == 0 && v1 == 0)
    return 0; /* reads as never written */
  bool kv = len == 32;
  if (kv && !o->in_kv) {
    o->in_kv = true;
    o->n = 0;
    if (o->json)
      fputs("], \"kv\": [", stdout);
  }
  if (o->json) {
    fputs(o->n ? ", " : "", stdout);
    fputs(kv ? "{\"key\": \"" : "{\"address\": \"", stdout);
    put_hex(key, len);
    if (kv)
      printf("\", \"value\": \"%" PRIu64 "\"}", v0);
    else
      printf("\", \"balance\": \"%" PRIu64 "\", \"nonce\": \"%" PRIu64 "\"}",
             v0, v1);
  } else {
    fputs(kv ? "kv       " : "account  ", stdout);
    put_hex(key, len);
    if (kv)
      printf("  %" PRIu64 "\n", v0);
    else
      printf("  balance %" PRIu64 "  nonce %" PRIu64 "\n", v0, v1);
  }
  o->n++;
  return 0;
}

int cx_cli_state(int argc, char **argv) {
  cx_cli_args a;
  cx_cli_args_init(&a, "state", argc, argv);
  const char *db = NULL, *hs = NULL, *extra = NULL;
  bool json = false;
  while (cx_cli_args_more(&a)) {
    if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h")) {
      fputs(help, stdout);
      return CX_EXIT_OK;
    }
    if (cx_cli_flag(&a, "--json"))
      json = true;
    else if (!cx_cli_opt(&a, "--db", &db) && !cx_cli_opt(&a, "--height", &hs))
      cx_cli_positional(&a, &extra);
  }
  if (a.bad)
    return CX_EXIT_USAGE;
  if (extra)
    return cx_cli_usage("state", "unexpected argument '%s'", extra);
  if (!db || !*db)
    return cx_cli_usage("state", "--db DIR is required");
  uint64_t h = 0;
  if (hs && !cx_cli_u64(&a, "--height", hs, 0, UINT64_MAX, &h))
    return CX_EXIT_USAGE;
  int rc = cx_cli_check_db_dir("state", db);
  if (rc)
    return rc;
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.db_path = db;
  cfg.read_only = true;
  cfg.threads = 1;
  cfg.strategy = CX_STRATEGY_KIND_CPU;
  cx_error err;
  cx_error_clear(&err);
  cx_engine *e = cx_engine_open(&cfg, &err);
  if (e == NULL)
    return cx_cli_fail("state", "%s", err.message);
  if (!hs)
    h = cx_engine_height(e);
  uint8_t root[32];
  cx_block_result last;
  memset(&last, 0, sizeof last);
  if (h == 0) {
    cx_engine_genesis_root(e, root);
  } else if (cx_engine_block_roots(e, h, &last, &err) == CX_OK) {
    memcpy(root, last.state_root, 32);
    cx_block_result_free(&last);
  } else {
    cx_engine_close(e);
    return cx_cli_fail("state", "%s", err.message);
  }
  /* Check the height before printing anything: a refused height leaves
   * stdout empty. */
  cx_block_id id;
  if (cx_engine_block_at(e, h, &id, &err)) {
    cx_engine_close(e);
    return cx_cli_fail("state", "%s", err.message);
  }
  state_out o = {json, false, 0};
  if (json) {
    printf("{\"height\": %" PRIu64 ", \"state_root\": \"", h);
    put_hex(root, 32);
    fputs("\", \"accounts\": [", stdout);
  } else {
    printf("height      %" PRIu64 "\nstate_root  ", h);
    put_hex(root, 32);
    fputc('\n', stdout);
  }
  rc = cx_engine_state_at(e, h, visit, &o, &err);
  if (json)
    fputs(o.in_kv ? "]}\n" : "], \"kv\": []}\n", stdout);
  cx_engine_close(e);
  if (rc)
    return cx_cli_fail("state", "%s", err.message);
  return CX_EXIT_OK;
}
