/* `chainexec info --db DIR`: what a database holds, without changing it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char help[] =
    "usage: chainexec info --db DIR [--json]\n"
    "\n"
    "Prints the height, the genesis and current state roots, and the last\n"
    "block's roots and status counts of the database in DIR.\n";

static const char *const status_names[7] = {
    "committed",          "malformed", "bad_signature", "bad_nonce",
    "insufficient_funds", "overflow",  "assert_failed"};

static void hex32(const uint8_t b[32], char out[65]) {
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Exit status 0 when dir holds an LMDB environment (data.mdb): opening
 * the engine on anything else would create a database, which info must
 * never do. */
static int check_db_dir(const char *dir) {
  struct stat st;
  char data[4096];
  if (stat(dir, &st) != 0)
    return cx_cli_fail("info", "no database at %s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return cx_cli_fail("info", "%s is not a directory", dir);
  snprintf(data, sizeof data, "%s/data.mdb", dir);
  if (stat(data, &st) != 0)
    return cx_cli_fail("info", "no database at %s (no data.mdb in it)", dir);
  return CX_EXIT_OK;
}

static void print_info(cx_engine *e, const cx_block_result *last, bool json) {
  char g[65], s[65];
  uint8_t gr[32], sr[32];
  uint64_t h = cx_engine_height(e);
  cx_engine_genesis_root(e, gr);
  cx_engine_state_root(e, sr);
  hex32(gr, g);
  hex32(sr, s);
  const char *roots[4] = {"tx_root", "receipts_root", "write_root",
                          "state_root"};
  const uint8_t *vals[4] = {last->tx_root, last->receipts_root,
                            last->write_root, last->state_root};
  char hx[65];
  if (json) {
    printf("{\"height\": %llu, \"has_genesis\": %s, \"genesis_state_root\": "
           "\"%s\", \"state_root\": \"%s\"",
           (unsigned long long)h, cx_engine_has_genesis(e) ? "true" : "false",
           g, s);
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
         cx_engine_has_genesis(e) ? g : "(no genesis loaded)");
  printf("current state_root  %s\n", s);
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
  int rc = check_db_dir(db);
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
  if (!e)
    return cx_cli_fail("info", "%s", err.message);
  cx_block_result last;
  memset(&last, 0, sizeof last);
  uint64_t h = cx_engine_height(e);
  if (h && cx_engine_block_roots(e, h, &last, &err)) {
    cx_engine_close(e);
    return cx_cli_fail("info", "%s", err.message);
  }
  print_info(e, &last, json);
  cx_block_result_free(&last);
  cx_engine_close(e);
  return CX_EXIT_OK;
}
