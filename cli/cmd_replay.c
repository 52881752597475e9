/* `chainexec replay FILE`: SPEC sections 6 and 7.
 *
 * Order of work, so that a refused run writes nothing: parse and check the
 * whole fixture; open the engine; on a database that already holds a
 * chain, check that its genesis and every stored block are this fixture's
 * (else refuse) and resume after its height; run the remaining blocks;
 * print the result; compare with `expect` and name the first difference.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fixture.h"
#include "replay_watch.h"

#define CHUNK_BLOCKS                                                           \
  32 /* blocks per cx_engine_execute_blocks call: the                          \
      * stages overlap within a call; the progress bar                         \
      * moves within a call through replay_watch.h */

static const char help[] =
    "usage: chainexec replay FILE [--json] [--db DIR] [--threads N]\n"
    "         [--strategy auto|cpu|gpu|balance] [--gpu SPEC] [--no-pipeline]\n"
    "         [--no-verify]\n"
    "         [--metrics-file F] [--metrics-listen 127.0.0.1:PORT] [--quiet]\n"
    "\n"
    "Executes the blocks of a fixture (SPEC.md section 6) and prints their\n"
    "statuses and roots; when the fixture has `expect`, checks them.\n"
    "\n"
    "  --json               one JSON document on stdout (SPEC section 7)\n"
    "  --db DIR             keep the state in DIR; a second replay resumes\n"
    "                       after DIR's height once its genesis and blocks\n"
    "                       are checked against the fixture (default: a\n"
    "                       temporary database removed at exit)\n"
    "  --threads N          worker threads (default: all cores)\n"
    "  --strategy S         signature routing: auto, cpu, gpu or balance\n"
    "  --gpu SPEC           none, all (default: every CUDA device present), a\n"
    "                       list 0,1, or sim[:fail=R,wrong=R,hang=R,\n"
    "                       delay_us=N] (software device)\n"
    "  --no-pipeline        run blocks one after another (no stage overlap)\n"
    "  --no-verify          skip the integrity check of an existing --db at\n"
    "                       open (it reads every page: O(database size))\n"
    "  --metrics-file F     write Prometheus metrics to F at exit\n"
    "  --metrics-listen A   serve /metrics over HTTP on A while running\n"
    "                       (PORT or HOST:PORT; a bare port is loopback)\n"
    "  --quiet              no progress bar\n"
    "\n"
    "Exit status: 0 all blocks ran (and matched expect), 1 mismatch, invalid\n"
    "fixture or failure, 2 usage error.\n"
    "\n"
    "Test hook (crash tests): with CHAINEXEC_TEST_KILL_AFTER_BLOCK=K in the\n"
    "environment, replay sends itself SIGKILL right after height K commits.\n";

typedef struct replay_opts {
  const char *file, *metrics_file, *metrics_listen;
  bool json, quiet;
  cx_config cfg;
} replay_opts;

/* What replay knows about each block: its result and its status counts
 * (counts come from the database for resumed blocks). */
typedef struct replay_out {
  uint8_t genesis_root[32];
  cx_fixture_expect *blocks;
  uint32_t (*counts)[7];
  size_t n_resumed;
  double exec_s;
  uint64_t exec_txs;
} replay_out;

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

/* Checks the stored chain against the fixture and fills in the results of
 * the blocks the database already holds. */
static int check_stored(cx_engine *e, const cx_fixture *f, const char *db,
                        replay_out *r, cx_error *err) {
  uint8_t want[32];
  char hs[65], hw[65];
  int rc = cx_fixture_genesis_root(f, want, err);
  if (rc)
    return rc;
  cx_engine_genesis_root(e, r->genesis_root);
  if (memcmp(want, r->genesis_root, 32)) {
    hex32(r->genesis_root, hs);
    hex32(want, hw);
    return cx_error_set(err, CX_EMISMATCH,
                        "database %s holds another chain (genesis state root "
                        "%.16s..., the fixture's is %.16s...); refusing to "
                        "resume or overwrite it",
                        db, hs, hw);
  }
  uint64_t h = cx_engine_height(e);
  if (h > f->n_blocks)
    return cx_error_set(err, CX_EMISMATCH,
                        "database %s is at height %llu but the fixture has "
                        "only %zu blocks; refusing to resume",
                        db, (unsigned long long)h, f->n_blocks);
  for (uint64_t i = 0; i < h; i++) {
    cx_block_result s;
    memset(&s, 0, sizeof s);
    if ((rc = cx_engine_block_roots(e, i + 1, &s, err)))
      return rc;
    cx_fixture_expect *x = &r->blocks[i];
    memset(x, 0, sizeof *x);
    x->height = i + 1;
    x->tx_count = f->blocks[i].tx_count;
    memcpy(x->tx_root, s.tx_root, 32);
    memcpy(x->receipts_root, s.receipts_root, 32);
    memcpy(x->write_root, s.write_root, 32);
    memcpy(x->state_root, s.state_root, 32);
    memcpy(r->counts[i], s.status_counts, sizeof r->counts[i]);
    uint8_t *stored = s.statuses; /* kept with the block since schema 2 */
    s.statuses = NULL;
    if (stored && s.tx_count != x->tx_count) { /* tx_root check refuses it */
      free(stored);
      stored = NULL;
    }
    cx_block_result_free(&s);
    uint8_t tx_root[32], receipts[32];
    const uint8_t *st =
        stored ? stored : f->has_expect ? f->expect[i].statuses : NULL;
    if ((rc = cx_fixture_block_hashes(f, (size_t)i, st, tx_root, receipts,
                                      err))) {
      free(stored);
      return rc;
    }
    /* Statuses are used only when they hash to the receipts_root the
     * database committed. */
    if (st && x->tx_count && !memcmp(receipts, x->receipts_root, 32)) {
      x->statuses = stored ? stored : malloc(x->tx_count);
      stored = NULL;
      if (!x->statuses)
        return cx_error_set(err, CX_ENOMEM, "out of memory");
      if (x->statuses != st)
        memcpy(x->statuses, st, x->tx_count);
    }
    free(stored);
    if (memcmp(tx_root, x->tx_root, 32))
      return cx_error_set(err, CX_EMISMATCH,
                          "database %s holds a different block %llu "
                          "(tx_root differs from the fixture's); refusing to "
                          "resume",
                          db, (unsigned long long)(i + 1));
    if (f->has_expect &&
        (memcmp(x->receipts_root, f->expect[i].receipts_root, 32) ||
         memcmp(x->write_root, f->expect[i].write_root, 32) ||
         memcmp(x->state_root, f->expect[i].state_root, 32)))
      return cx_error_set(err, CX_EMISMATCH,
                          "database %s holds block %llu with roots that differ "
                          "from the fixture's expect; refusing to resume",
                          db, (unsigned long long)(i + 1));
  }
  r->n_resumed = (size_t)h;
  return CX_OK;
}

/* Test hook for the crash test: SIGKILL this process right after the
 * given height is committed, so "killed midway" is exact. */
static uint64_t kill_after_height(void) {
  const char *s = getenv("CHAINEXEC_TEST_KILL_AFTER_BLOCK");
  return s && *s ? strtoull(s, NULL, 10) : 0;
}

static int run_blocks(cx_engine *e, const cx_fixture *f, const replay_opts *o,
                      replay_out *r, cx_error *err) {
  uint64_t kill_at = kill_after_height();
  size_t chunk = kill_at ? 1 : CHUNK_BLOCKS;
  cx_block views[CHUNK_BLOCKS];
  cx_block_result res[CHUNK_BLOCKS];
  cx_progress bar;
  uint64_t txs_total = 0, txs_done = 0;
  for (size_t i = 0; i < f->n_blocks; i++) {
    txs_total += f->blocks[i].tx_count;
    txs_done += i < r->n_resumed ? f->blocks[i].tx_count : 0;
  }
  cx_progress_init(&bar, "replay", f->n_blocks, o->quiet);
  cx_progress_set_sub(&bar, "txs verified", txs_total);
  cx_progress_update_sub(&bar, txs_done);
  cx_progress_update(&bar, r->n_resumed);
  cx_replay_watch *watch =
      cx_replay_watch_start(e, &bar, r->n_resumed, txs_done);
  double t0 = cx_cli_now();
  int rc = CX_OK;
  for (size_t i = r->n_resumed; i < f->n_blocks && !rc;) {
    size_t n = f->n_blocks - i < chunk ? f->n_blocks - i : chunk, done = 0;
    memset(res, 0, sizeof res);
    for (size_t k = 0; k < n; k++)
      cx_fixture_block_view(f, i + k, &views[k]);
    rc = cx_engine_execute_blocks(e, n, views, res, &done, err);
    for (size_t k = 0; k < done; k++) {
      int crc = cx_fixture_expect_from_result(&res[k], &r->blocks[i + k],
                                              rc ? NULL : err);
      memcpy(r->counts[i + k], res[k].status_counts, sizeof r->counts[0]);
      r->exec_txs += res[k].tx_count;
      txs_done += res[k].tx_count;
      if (!rc)
        rc = crc;
    }
    for (size_t k = 0; k < n; k++)
      cx_block_result_free(&res[k]);
    i += done;
    cx_progress_update_sub(&bar, txs_done);
    cx_progress_update(&bar, i);
    if (kill_at && i >= kill_at)
      raise(SIGKILL);
    if (!rc && done < n)
      rc = cx_error_set(err, CX_ESTATE, "engine stopped after %zu blocks", i);
  }
  r->exec_s = cx_cli_now() - t0;
  cx_replay_watch_stop(watch);
  cx_progress_done(&bar);
  return rc;
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
    if (!strcmp(field, "statuses")) {
      if (!g->statuses)
        return cx_cli_fail("replay",
                           "mismatch at block %zu: statuses "
                           "unknown (resumed block)",
                           i + 1);
      size_t j = 0;
      while (j < w->tx_count && w->statuses[j] == g->statuses[j])
        j++;
      return cx_cli_fail("replay",
                         "mismatch at block %zu: statuses[%zu] is "
                         "%u, expected %u",
                         i + 1, j, g->statuses[j], w->statuses[j]);
    }
    hex32(root_field(g, field), got);
    hex32(root_field(w, field), want);
    return cx_cli_fail("replay", "mismatch at block %zu: %s is %s, expected %s",
                       i + 1, field, got, want);
  }
  return CX_EXIT_OK;
}

static void print_human(const cx_fixture *f, const replay_out *r) {
  char h[65];
  hex32(r->genesis_root, h);
  printf("genesis  state_root %s\n", h);
  for (size_t i = 0; i < f->n_blocks; i++) {
    const uint32_t *c = r->counts[i];
    hex32(r->blocks[i].state_root, h);
    printf("block %zu  txs %zu  committed %u  rejected %u  state_root %s%s\n",
           i + 1, f->blocks[i].tx_count, c[0],
           (unsigned)(f->blocks[i].tx_count - c[0]), h,
           i < r->n_resumed ? "  (resumed)" : "");
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
  if (cx_engine_has_genesis(e))
    rc = check_stored(e, f, o->cfg.db_path ? o->cfg.db_path : "(temporary)", r,
                      &err);
  else
    rc = cx_engine_load_genesis(e, f->accounts, f->n_accounts, f->kv, f->n_kv,
                                r->genesis_root, &err);
  if (!rc)
    rc = run_blocks(e, f, o, r, &err);
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
  cx_engine *e = NULL;
  if (!r.blocks || !r.counts) {
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
  cx_fixture_free(f);
  return rc;
}
