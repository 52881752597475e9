/* `chainexec info --db DIR`: what a database holds, without changing it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: chainexec info --db DIR [--json]\n"
    "\n"
    "Prints the height, the genesis and current state roots, the lowest\n"
    "height the chain can be reverted to (retention floor), and the last\n"
    "block's roots and status counts of the database in DIR.\n";

static const char *const status_names[7] = {
    "committed",          "malformed", "bad_signature", "bad_nonce",
    "insufficient_funds", "overflow",  "assert_failed"};

static void hex32(const uint8_t b[32], char out[65]) {
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* What info reports: the engine's view, or an empty store's. */
typedef struct info_view {
  uint64_t height, floor;
  bool has_genesis;
  uint8_t genesis_root[32], state_root[32];
} info_view;

static void print_info(const info_view *v, const cx_block_result *last,
                       bool json) {
  char g[65], s[65];
  uint64_t h = v->height;
  hex32(v->genesis_root, g);
  hex32(v->state_root, s);
  const char *roots[4] = {"tx_root", "receipts_root", "write_root",
                          "state_root"};
  const uint8_t *vals[4] = {last->tx_root, last->receipts_root,
                            last->write_root, last->state_root};
  char hx[65];
  if (json) {
    printf("{\"height\": %llu, \"has_genesis\": %s, \"genesis_state_root\": "
           "\"%s\", \"state_root\": \"%s\"",
           (unsigned long long)h, v->has_genesis ? "true" : "false", g, s);
    printf(", \"retention_floor\": %llu", (unsigned long long)v->floor);
    if (h) {
      printf(", \"last_block\": {\"height\": %llu", (unsigned long long)h);
      for (int k = 0; k < 4; k++) {
        hex32(vals[k], hx);
        printf(", \"%s\": \"%s\"", roots[k], hx);
      }
      printf(", \"status_counts\": {");
      for (int k = 0; k < 7; k++)
        printf("%s\"%s\": %u", k ? ", " : "", status_names[k],
               last->status_counts[k]);
      printf("}}");
    }
    printf("}\n");
    return;
  }
  printf("height              %llu\n", (unsigned long long)h);
  printf("genesis state_root  %s\n",
         v->has_genesis ? g : "(no genesis loaded)");
  printf("current state_root  %s\n", s);
  printf("revertible down to  %llu (undo data of the blocks above it)\n",
         (unsigned long long)v->floor);
  if (!h)
    return;
  printf("last block %llu:\n", (unsigned long long)h);
  for (int k = 0; k < 4; k++) {
    hex32(vals[k], hx);
    printf("  %-14s %s\n", roots[k], hx);
  }
  for (int k = 0; k < 7; k++)
    printf("  %-19s %u\n", status_names[k], last->status_counts[k]);
}

int cx_cli_info(int argc, char **argv) {
  cx_cli_args a;
  cx_cli_args_init(&a, "info", argc, argv);
  const char *db = NULL, *extra = NULL;
  bool json = false;
  while (cx_cli_args_more(&a)) {
    if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h")) {
      fputs(help, stdout);
      return CX_EXIT_OK;
    }
    if (cx_cli_flag(&a, "--json"))
      json = true;
    else if (!cx_cli_opt(&a, "--db", &db))
      cx_cli_positional(&a, &extra);
  }
  if (a.bad)
    return CX_EXIT_USAGE;
  if (extra)
    return cx_cli_usage("info", "unexpected argument '%s'", extra);
  if (!db || !*db)
    return cx_cli_usage("info", "--db DIR is required");
  int rc = cx_cli_check_db_dir("info", db);
  if (rc)
    return rc;
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.db_path = db;
  cfg.read_only = true; /* no writer lock: a live node's database is fine */
  cfg.threads = 1;
  cfg.strategy = CX_STRATEGY_KIND_CPU;
  cx_error err;
  cx_error_clear(&err);
  cx_engine *e = cx_engine_open(&cfg, &err);
  cx_block_result last;
  memset(&last, 0, sizeof last);
  info_view v;
  memset(&v, 0, sizeof v);
  if (!e && err.code == CX_ENOTFOUND) {
    /* An LMDB environment in which no table was ever committed (say, a
     * first replay killed before its first commit): an empty store,
     * which the next replay fills from genesis. */
    print_info(&v, &last, json);
    return CX_EXIT_OK;
  }
  if (!e)
    return cx_cli_fail("info", "%s", err.message);
  v.height = cx_engine_height(e);
  v.has_genesis = cx_engine_has_genesis(e);
  v.floor = cx_engine_retention_floor(e);
  cx_engine_genesis_root(e, v.genesis_root);
  cx_engine_state_root(e, v.state_root);
  if (v.height && cx_engine_block_roots(e, v.height, &last, &err)) {
    cx_engine_close(e);
    return cx_cli_fail("info", "%s", err.message);
  }
  print_info(&v, &last, json);
  cx_block_result_free(&last);
  cx_engine_close(e);
  return CX_EXIT_OK;
}
