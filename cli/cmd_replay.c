/* `chainexec replay FILE`: SPEC sections 6, 7 and 9.
 *
 * Order of work, so that a refused run writes nothing: parse and check the
 * whole fixture (parent links included); open the engine; on a database
 * that already holds a chain, check that its genesis and every stored
 * block are this fixture's canonical chain (else refuse, or with --reorg
 * revert to where they part) and resume after its height; run the
 * remaining blocks (replay_run.c); print the result; compare with
 * `expect` and name the first difference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fixture.h"
#include "replay.h"

static const char help[] =
    "usage: chainexec replay FILE [--json] [--db DIR] [--threads N]\n"
    "         [--strategy auto|cpu|gpu|balance] [--gpu SPEC] [--no-pipeline]\n"
    "         [--no-verify] [--retention N] [--reorg] [--head-each]\n"
    "         [--preverify]\n"
    "         [--metrics-file F] [--metrics-listen [HOST:]PORT] [--quiet]\n"
    "\n"
    "Executes the blocks of a fixture (SPEC.md section 6) and prints their\n"
    "statuses and roots; when the fixture has `expect`, checks them. Blocks\n"
    "with a `parent` form a tree (SPEC section 9): each executes on its\n"
    "parent's state, and the database ends holding the canonical chain\n"
    "(genesis to the last block).\n"
    "\n"
    "  --json               one JSON document on stdout (SPEC section 7)\n"
    "  --db DIR             keep the state in DIR; a second replay resumes\n"
    "                       after DIR's height once its genesis and blocks\n"
    "                       are checked against the fixture's canonical\n"
    "                       chain (default: a temporary database removed\n"
    "                       at exit)\n"
    "  --reorg              a stored chain that leaves the fixture's\n"
    "                       canonical chain is reverted to the last block\n"
    "                       they share (within the retention) instead of\n"
    "                       refused\n"
    "  --head-each          make every block the head as it arrives (a\n"
    "                       forkchoice per block, reorganising at each\n"
    "                       switch of branch); the default commits only the\n"
    "                       canonical chain and executes the other blocks\n"
    "                       speculatively\n"
    "  --retention N        blocks of undo data kept (default 256): how deep\n"
    "                       a block off the canonical chain may fork\n"
    "  --threads N          worker threads, 1..1024 (default: all cores)\n"
    "  --strategy S         signature routing: auto, cpu, gpu or balance\n"
    "  --gpu SPEC           none, all (default: every CUDA device present), a\n"
    "                       list 0,1, or sim[:fail=R,wrong=R,hang=R,\n"
    "                       delay_us=N] (software device)\n"
    "  --no-pipeline        run blocks one after another (no stage overlap)\n"
    "  --no-verify          skip the integrity check of an existing --db at\n"
    "                       open (it reads every page: O(database size))\n"
    "  --preverify          as a node's mempool would, submit each block's\n"
    "                       transactions for signature pre-verification while\n"
    "                       the block before it executes (blocks then run one\n"
    "                       by one and find their signatures in the cache;\n"
    "                       results are the same)\n"
    "  --metrics-file F     write Prometheus metrics to F at exit (its\n"
    "                       directory is checked before anything runs)\n"
    "  --metrics-listen A   serve /metrics over HTTP on A while running\n"
    "                       (PORT or HOST:PORT; a bare port is loopback;\n"
    "                       port 0: the system picks one, printed on stderr)\n"
    "  --quiet              no progress bar\n"
    "\n"
    "Exit status: 0 all blocks ran (and matched expect), 1 mismatch, invalid\n"
    "fixture or failure, 2 usage error.\n"
    "\n"
    "Test hook (crash tests): with CHAINEXEC_TEST_KILL_AFTER_BLOCK=K in the\n"
    "environment, replay sends itself SIGKILL right after height K commits;\n"
    "with CHAINEXEC_TEST_KILL_AFTER_HEADS=N and --head-each, right after\n"
    "the N-th block was made the head.\n";

static int parse_args(int argc, char **argv, replay_opts *o) {
  cx_cli_args a;
  cx_cli_args_init(&a, "replay", argc, argv);
  memset(o, 0, sizeof *o);
  cx_config_default(&o->cfg);
  o->cfg.gpu = cx_cli_gpu_default;
  while (cx_cli_args_more(&a)) {
    const char *v;
    if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h")) {
      fputs(help, stdout);
      return -1;
    }
    if (cx_cli_flag(&a, "--json"))
      o->json = true;
    else if (cx_cli_flag(&a, "--quiet") || cx_cli_flag(&a, "-q"))
      o->quiet = true;
    else if (cx_cli_flag(&a, "--reorg"))
      o->reorg = true;
    else if (cx_cli_flag(&a, "--head-each"))
      o->head_each = true;
    else if (cx_cli_flag(&a, "--preverify"))
      o->preverify = true;
    else if (cx_cli_opt(&a, "--db", &v))
      o->cfg.db_path = v;
    else if (cx_cli_opt(&a, "--metrics-file", &v))
      o->metrics_file = v;
    else if (cx_cli_opt(&a, "--metrics-listen", &v))
      o->metrics_listen = v;
    else if (!cx_cli_engine_opt(&a, &o->cfg))
      cx_cli_positional(&a, &o->file);
  }
  if (a.bad)
    return CX_EXIT_USAGE;
  if (!o->file)
    return cx_cli_usage("replay", "missing fixture FILE");
  if (o->cfg.db_path && !*o->cfg.db_path)
    return cx_cli_usage("replay", "--db needs a directory");
  return CX_EXIT_OK;
}

static void hex32(const uint8_t b[32], char out[65]) {
  static const char d[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = d[b[i] >> 4];
    out[2 * i + 1] = d[b[i] & 15];
  }
  out[64] = '\0';
}

static const uint8_t *root_field(const cx_fixture_expect *x,
                                 const char *field) {
  if (!strcmp(field, "tx_root"))
    return x->tx_root;
  if (!strcmp(field, "receipts_root"))
    return x->receipts_root;
  if (!strcmp(field, "write_root"))
    return x->write_root;
  return x->state_root;
}

/* Names the first difference with `expect` on stderr; 1 on a mismatch. */
static int compare_expect(const cx_fixture *f, const replay_out *r) {
  char got[65], want[65];
  if (memcmp(f->expect_genesis_root, r->genesis_root, 32)) {
    hex32(r->genesis_root, got);
    hex32(f->expect_genesis_root, want);
    return cx_cli_fail("replay",
                       "mismatch: genesis_state_root is %s, "
                       "expected %s",
                       got, want);
  }
  for (size_t i = 0; i < f->n_blocks; i++) {
    const cx_fixture_expect *w = &f->expect[i], *g = &r->blocks[i];
    const char *field = cx_fixture_expect_diff(w, g);
    if (!field)
      continue;
    /* "block N" is 1-based in file order; in a tree it is not the height. */
    char at[64];
    if (cx_fixture_is_tree(f))
      snprintf(at, sizeof at, "%zu (height %llu)", i + 1,
               (unsigned long long)f->blocks[i].height);
    else
      snprintf(at, sizeof at, "%zu", i + 1);
    if (!strcmp(field, "statuses")) {
      if (!g->statuses)
        return cx_cli_fail("replay",
                           "mismatch at block %s: statuses "
                           "unknown (resumed block)",
                           at);
      size_t j = 0;
      while (j < w->tx_count && w->statuses[j] == g->statuses[j])
        j++;
      return cx_cli_fail("replay",
                         "mismatch at block %s: statuses[%zu] is "
                         "%u, expected %u",
                         at, j, g->statuses[j], w->statuses[j]);
    }
    hex32(root_field(g, field), got);
    hex32(root_field(w, field), want);
    return cx_cli_fail("replay", "mismatch at block %s: %s is %s, expected %s",
                       at, field, got, want);
  }
  return CX_EXIT_OK;
}

static void print_human(const cx_fixture *f, const replay_out *r) {
  char h[65];
  hex32(r->genesis_root, h);
  printf("genesis  state_root %s\n", h);
  bool tree = cx_fixture_is_tree(f); /* parents are shown 1-based, 0 genesis */
  for (size_t i = 0; i < f->n_blocks; i++) {
    const uint32_t *c = r->counts[i];
    hex32(r->blocks[i].state_root, h);
    if (tree)
      printf("block %zu  height %llu  parent %lld", i + 1,
             (unsigned long long)f->blocks[i].height,
             (long long)f->blocks[i].parent + 1);
    else
      printf("block %zu", i + 1);
    printf("  txs %zu  committed %u  rejected %u  state_root %s%s\n",
           f->blocks[i].tx_count, c[0],
           (unsigned)(f->blocks[i].tx_count - c[0]), h,
           r->resumed[i] ? "  (resumed)" : "");
  }
  double tps = r->exec_s > 0 ? (double)r->exec_txs / r->exec_s : 0;
  printf("replayed %zu blocks (%zu resumed from the database), %llu "
         "transactions in %.3f s (%.0f tx/s)\n",
         f->n_blocks - r->n_resumed, r->n_resumed,
         (unsigned long long)r->exec_txs, r->exec_s, tps);
}

/* Runs the fixture on an opened engine and prints the outcome. */
static int replay_on(cx_engine *e, const cx_fixture *f, const replay_opts *o,
                     replay_out *r) {
  cx_error err;
  cx_error_clear(&err);
  int rc;
  cx_replay_canon(f, r);
  if (cx_engine_has_genesis(e))
    rc = cx_replay_check_stored(e, f, o, r, &err);
  else
    rc = cx_engine_load_genesis(e, f->accounts, f->n_accounts, f->kv, f->n_kv,
                                r->genesis_root, &err);
  if (!rc)
    rc = cx_replay_run(e, f, o, r, &err);
  if (rc)
    return cx_cli_fail("replay", "%s", err.message);
  if (o->json) {
    if (cx_fixture_write_result(stdout, r->genesis_root, r->blocks, f->n_blocks,
                                &err))
      return cx_cli_fail("replay", "%s", err.message);
  } else {
    print_human(f, r);
  }
  if (f->has_expect) {
    int m = compare_expect(f, r);
    if (m)
      return m;
    if (!o->json)
      printf("all %zu blocks match the fixture's expect\n", f->n_blocks);
  }
  return CX_EXIT_OK;
}

/* True for "0", "HOST:0" and "[V6]:0": the system picks the port. */
static bool listen_port_is_zero(const char *spec) {
  const char *colon = strrchr(spec, ':');
  const char *port = colon ? colon + 1 : spec;
  return port[0] == '0' && port[1] == '\0';
}

int cx_cli_replay(int argc, char **argv) {
  replay_opts o;
  int rc = parse_args(argc, argv, &o);
  if (rc)
    return rc < 0 ? CX_EXIT_OK : rc;
  cx_error err;
  cx_error_clear(&err);
  cx_fixture *f = NULL;
  if (!cx_cli_check_input_file("replay", o.file,
                               "a fixture FILE (JSON, e.g. from 'chainexec "
                               "gen -o FILE')") ||
      (o.metrics_file &&
       !cx_cli_check_output_file("replay", "--metrics-file", o.metrics_file)))
    return CX_EXIT_FAIL;
  if (cx_fixture_load(o.file, &f, &err))
    return cx_cli_fail("replay", "%s", err.message);
  replay_out r;
  memset(&r, 0, sizeof r);
  r.blocks = calloc(f->n_blocks ? f->n_blocks : 1, sizeof *r.blocks);
  r.counts = calloc(f->n_blocks ? f->n_blocks : 1, sizeof *r.counts);
  r.resumed = calloc(f->n_blocks ? f->n_blocks : 1, sizeof *r.resumed);
  r.canon = calloc(f->n_blocks ? f->n_blocks : 1, sizeof *r.canon);
  cx_engine *e = NULL;
  if (!r.blocks || !r.counts || !r.resumed || !r.canon) {
    rc = cx_cli_fail("replay", "out of memory");
  } else if (!(e = cx_engine_open(&o.cfg, &err))) {
    rc = err.code == CX_EINVAL && cx_cli_gpu_given(&o.cfg)
             ? cx_cli_usage("replay", "%s", err.message)
             : cx_cli_fail("replay", "%s", err.message);
  } else if (o.metrics_listen &&
             cx_engine_metrics_listen(e, o.metrics_listen, &err)) {
    rc = err.code == CX_EINVAL ? cx_cli_usage("replay", "%s", err.message)
                               : cx_cli_fail("replay", "%s", err.message);
  } else {
    /* A port the system chose is printed even with --quiet: nothing else
     * tells it. */
    if (o.metrics_listen && (!o.quiet || listen_port_is_zero(o.metrics_listen)))
      fprintf(stderr, "serving metrics at /metrics on port %u\n",
              (unsigned)cx_engine_metrics_port(e));
    rc = replay_on(e, f, &o, &r);
  }
  if (e && o.metrics_file &&
      cx_engine_metrics_write_file(e, o.metrics_file, &err))
    rc = rc ? rc : cx_cli_fail("replay", "%s", err.message);
  cx_engine_close(e);
  for (size_t i = 0; r.blocks && i < f->n_blocks; i++)
    cx_fixture_expect_clear(&r.blocks[i]);
  free(r.blocks);
  free(r.counts);
  free(r.resumed);
  free(r.canon);
  cx_fixture_free(f);
  return rc;
}
