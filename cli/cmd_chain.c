/* `chainexec revert` and `chainexec migrate`: the commands that change an
 * existing database's chain or schema. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char revert_help[] =
    "usage: chainexec revert --db DIR --to H [--json] [--retention N]\n"
    "         [--no-verify]\n"
    "\n"
    "Reverts the chain in DIR to height H through the undo data of the\n"
    "blocks above it, in one crash-safe transaction: after a crash the\n"
    "database is either still at its old height or at H. H must be at or\n"
    "above the retention floor ('chainexec info' shows it).\n"
    "\n"
    "  --json         one JSON document: {\"height\", \"reverted\",\n"
    "                 \"state_root\"}\n"
    "  --retention N  undo retention used to compute the floor (default 256)\n"
    "  --no-verify    skip the integrity check at open\n";

static void hex32(const uint8_t b[32], char out[65]) {
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Opens the engine on an existing database, writable. */
static cx_engine *open_existing(const char *cmd, cx_config *cfg,
                                const char *db, int *rc) {
  *rc = cx_cli_check_db_dir(cmd, db);
  if (*rc)
    return NULL;
  cfg->db_path = db;
  cfg->threads = 1;
  cfg->strategy = CX_STRATEGY_KIND_CPU;
  cfg->gpu = NULL;
  cx_error err;
  cx_error_clear(&err);
  cx_engine *e = cx_engine_open(cfg, &err);
  if (e == NULL)
    *rc = cx_cli_fail(cmd, "%s", err.message);
  return e;
}

int cx_cli_revert(int argc, char **argv) {
  cx_cli_args a;
  cx_cli_args_init(&a, "revert", argc, argv);
  const char *db = NULL, *to = NULL, *extra = NULL;
  bool json = false;
  cx_config cfg;
  cx_config_default(&cfg);
  while (cx_cli_args_more(&a)) {
    if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h")) {
      fputs(revert_help, stdout);
      return CX_EXIT_OK;
    }
    if (cx_cli_flag(&a, "--json"))
      json = true;
    else if (cx_cli_opt(&a, "--db", &db) || cx_cli_opt(&a, "--to", &to))
      ;
    else if (!cx_cli_engine_opt(&a, &cfg))
      cx_cli_positional(&a, &extra);
  }
  if (a.bad)
    return CX_EXIT_USAGE;
  if (extra)
    return cx_cli_usage("revert", "unexpected argument '%s'", extra);
  if (!db || !*db)
    return cx_cli_usage("revert", "--db DIR is required");
  if (!to)
    return cx_cli_usage("revert", "--to H is required (the height to keep)");
  uint64_t h;
  if (!cx_cli_u64(&a, "--to", to, 0, UINT64_MAX, &h))
    return CX_EXIT_USAGE;
  int rc;
  cx_engine *e = open_existing("revert", &cfg, db, &rc);
  if (e == NULL)
    return rc;
  cx_error err;
  cx_error_clear(&err);
  uint64_t old = cx_engine_height(e);
  if (cx_engine_revert(e, h, &err)) {
    cx_engine_close(e);
    return cx_cli_fail("revert", "%s", err.message);
  }
  uint8_t root[32];
  char hx[65];
  cx_engine_state_root(e, root);
  hex32(root, hx);
  if (json)
    printf("{\"height\": %llu, \"reverted\": %llu, \"state_root\": \"%s\"}\n",
           (unsigned long long)h, (unsigned long long)(old - h), hx);
  else
    printf("reverted %s from height %llu to %llu (%llu blocks); state_root "
           "%s\n",
           db, (unsigned long long)old, (unsigned long long)h,
           (unsigned long long)(old - h), hx);
  cx_engine_close(e);
  return CX_EXIT_OK;
}

static const char migrate_help[] =
    "usage: chainexec migrate --db DIR\n"
    "\n"
    "Opens the database in DIR for writing, which migrates a schema-2\n"
    "database to schema 3 in place (record checksums; undo data is kept\n"
    "for blocks committed from then on), in one crash-safe transaction.\n"
    "A schema-3 database is left as it is.\n";

int cx_cli_migrate(int argc, char **argv) {
  cx_cli_args a;
  cx_cli_args_init(&a, "migrate", argc, argv);
  const char *db = NULL, *extra = NULL;
  while (cx_cli_args_more(&a)) {
    if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h")) {
      fputs(migrate_help, stdout);
      return CX_EXIT_OK;
    }
    if (!cx_cli_opt(&a, "--db", &db))
      cx_cli_positional(&a, &extra);
  }
  if (a.bad)
    return CX_EXIT_USAGE;
  if (extra)
    return cx_cli_usage("migrate", "unexpected argument '%s'", extra);
  if (!db || !*db)
    return cx_cli_usage("migrate", "--db DIR is required");
  cx_config cfg;
  cx_config_default(&cfg);
  int rc;
  cx_engine *e = open_existing("migrate", &cfg, db, &rc);
  if (e == NULL)
    return rc;
  printf("%s: schema 3, height %llu\n", db,
         (unsigned long long)cx_engine_height(e));
  cx_engine_close(e);
  return CX_EXIT_OK;
}
