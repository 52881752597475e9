/* `chainexec bench tps`: end-to-end transactions per second over a grid of
 * workloads (issue 9), against the sequential run and a plain verify loop
 * measured in the same invocation. The per-cell work is in
 * bench_tps_run.c; this file parses options, walks the grid and prints.
 * Options are parsed with cliutil/, the argument helpers it shares with
 * the CLI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "bench.h"
#include "bench_tps.h"

#define MAX_LIST 16
#define DEFAULT_BLOCKS 3

static const char help[] =
    "usage: chainexec bench tps [--accounts LIST] [--txs LIST] [--blocks B]\n"
    "         [--threads N] [--strategy S] [--gpu SPEC] [--durability "
    "sync|nosync]\n"
    "         [--warmup W] [--seed S] [--no-pipeline] [--quick] [--json] [--plot FILE]\n"
    "         [--preverify] [--sigcache-mb M] [--quiet]\n"
    "\n"
    "End-to-end TPS, wire bytes to durable commit, on generated signed\n"
    "peer-to-peer transfers. For each (accounts, txs) of the grid, B blocks\n"
    "are generated and run three ways in this invocation: the engine as\n"
    "configured, the sequential reference (1 thread, CPU, no pipelining),\n"
    "and a plain libsecp256k1 verify loop over the same signatures on the\n"
    "same number of threads (the baseline: verification alone).\n"
    "\n"
    "  --accounts LIST   default 2,10,100,1000,10000 (the Block-STM grid)\n"
    "  --txs LIST        transactions per block, default 1000,10000\n"
    "  --blocks B        blocks per workload, default 3 (short: the whole\n"
    "                    default grid takes about a minute on 2 cores)\n"
    "  --threads N       engine and baseline threads (default: all cores)\n"
    "  --warmup W        W more blocks run first by both engine runs, not\n"
    "                    timed (default 0): a GPU's results are fully\n"
    "                    rechecked on the CPU until 8 clean batches earn\n"
    "                    it trust, a transient a long-running node pays once\n"
    "  --strategy S      auto, cpu, gpu or balance (default auto)\n"
    "  --gpu SPEC        none, all (default: every CUDA device present),\n"
    "                    0,1, or sim[:fail=R,...]\n"
    "  --no-pipeline     engine runs blocks one after another\n"
    "  --durability D    sync (fsync every block, default) or nosync\n"
    "  --preverify       also measure, per block on fresh engines,\n"
    "                    execute_block latency without and with the block's\n"
    "                    transactions pre-verified first (cx_engine_submit),\n"
    "                    the pre-verification rate and a CPU pool verify of\n"
    "                    the same signatures (medians, interleaved)\n"
    "  --sigcache-mb M   signature cache limit in MiB (default 32; 0 off)\n"
    "  --quick           tiny grid for smoke tests: accounts 2,100, txs 200,\n"
    "                    2 blocks\n"
    "  --json            one JSON document on stdout instead of the table\n"
    "  --plot FILE       draw TPS per workload with gnuplot (FILE.png/.svg)\n";

typedef struct tps_opts {
  uint64_t accounts[MAX_LIST], txs[MAX_LIST], blocks, warmup, seed;
  int n_accounts, n_txs;
  bool json, quiet, preverify;
  const char *plot;
  cx_config cfg;
} tps_opts;

static int parse_args(int argc, char **argv, tps_opts *o) {
  static const uint64_t dflt_acc[] = {2, 10, 100, 1000, 10000};
  static const uint64_t dflt_txs[] = {1000, 10000};
  memset(o, 0, sizeof *o);
  memcpy(o->accounts, dflt_acc, sizeof dflt_acc);
  memcpy(o->txs, dflt_txs, sizeof dflt_txs);
  o->n_accounts = 5;
  o->n_txs = 2;
  o->blocks = DEFAULT_BLOCKS;
  o->seed = 1;
  cx_config_default(&o->cfg);
  o->cfg.gpu = cx_cli_gpu_default;
  cx_cli_args a;
  cx_cli_args_init(&a, "bench tps", argc, argv);
  const char *v;
  while (cx_cli_args_more(&a)) {
    if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h")) {
      fputs(help, stdout);
      return -1;
    }
    if (cx_cli_flag(&a, "--json"))
      o->json = true;
    else if (cx_cli_flag(&a, "--quiet") || cx_cli_flag(&a, "-q"))
      o->quiet = true;
    else if (cx_cli_flag(&a, "--preverify"))
      o->preverify = true;
    else if (cx_cli_opt(&a, "--sigcache-mb", &v)) {
      uint64_t mb = 0;
      if (cx_cli_u64(&a, "--sigcache-mb", v, 0, 1u << 20, &mb))
        o->cfg.sigcache_bytes = (size_t)mb << 20;
    } else if (cx_cli_flag(&a, "--quick")) {
      o->accounts[0] = 2;
      o->accounts[1] = 100;
      o->n_accounts = 2;
      o->txs[0] = 200;
      o->n_txs = 1;
      o->blocks = 2;
    } else if (cx_cli_opt(&a, "--accounts", &v))
      cx_cli_u64_list(&a, "--accounts", v, o->accounts, MAX_LIST,
                      &o->n_accounts);
    else if (cx_cli_opt(&a, "--txs", &v))
      cx_cli_u64_list(&a, "--txs", v, o->txs, MAX_LIST, &o->n_txs);
    else if (cx_cli_opt(&a, "--blocks", &v))
      cx_cli_u64(&a, "--blocks", v, 1, 100000, &o->blocks);
    else if (cx_cli_opt(&a, "--warmup", &v))
      cx_cli_u64(&a, "--warmup", v, 0, 100000, &o->warmup);
    else if (cx_cli_opt(&a, "--seed", &v))
      cx_cli_u64(&a, "--seed", v, 0, UINT64_MAX, &o->seed);
    else if (cx_cli_opt(&a, "--plot", &v)) {
      /* The path is spliced into a gnuplot script between quotes. */
      if (!a.bad && (strchr(v, '\'') || strchr(v, '\n')))
        return cx_cli_usage("bench tps", "--plot path must not contain a "
                            "quote or a newline");
      o->plot = v;
    }
    else if (cx_cli_opt(&a, "--durability", &v)) {
      if (!a.bad && !strcmp(v, "sync"))
        o->cfg.durability = CX_SYNC;
      else if (!a.bad && !strcmp(v, "nosync"))
        o->cfg.durability = CX_NOSYNC;
      else if (!a.bad)
        return cx_cli_usage("bench tps",
                            "--durability must be sync or "
                            "nosync, not '%s'",
                            v);
    } else if (!cx_cli_engine_opt(&a, &o->cfg)) {
      const char *extra = NULL;
      cx_cli_positional(&a, &extra);
      if (!a.bad)
        return cx_cli_usage("bench tps", "unexpected argument '%s'", extra);
    }
  }
  return a.bad ? CX_EXIT_USAGE : CX_EXIT_OK;
}

/* Share of the verify stage's wall time that the devices spent computing
 * (kernel) or on batches at all (busy: copies and launches included). */
static double device_share(double device_s, const cx_block_counters *s) {
  return s->verify_s > 0 ? device_s / s->verify_s : 0;
}

static void print_table_head(const tps_opts *o, unsigned threads) {
  printf("bench tps: %u threads, strategy %s, gpu %s, durability %s, %llu "
         "blocks per workload (+%llu warm-up)\n",
         threads, cx_cli_strategy_name(o->cfg.strategy),
         o->cfg.gpu ? o->cfg.gpu : "none",
         o->cfg.durability == CX_NOSYNC ? "nosync" : "sync",
         (unsigned long long)o->blocks, (unsigned long long)o->warmup);
  printf("%8s %6s %10s %10s %6s %11s %7s %8s %8s %8s %8s %8s %7s\n", "accounts",
         "txs", "tps", "seq_tps", "x_seq", "verify_loop", "x_loop", "verify_s",
         "exec_s", "commit_s", "gpu_sigs", "gpu_busy", "reexec");
}

static void print_row(const tps_cell *c) {
  printf("%8llu %6llu %10.0f %10.0f %6.2f %11.0f %7.2f %8.3f %8.3f %8.3f "
         "%8llu %7.0f%% %7llu\n",
         (unsigned long long)c->accounts, (unsigned long long)c->txs, c->tps,
         c->sequential_tps,
         c->sequential_tps > 0 ? c->tps / c->sequential_tps : 0,
         c->baseline_verify_per_s,
         c->baseline_verify_per_s > 0 ? c->tps / c->baseline_verify_per_s : 0,
         c->sum.verify_s, c->sum.execute_s, c->sum.commit_s,
         (unsigned long long)c->sum.verify_gpu_items,
         100 * device_share(c->sum.verify_device_kernel_s, &c->sum),
         (unsigned long long)c->sum.reexecutions);
}

static void print_json_spread(const char *name, const tps_spread *s) {
  printf("\"%s\": %.6f, \"%s_min\": %.6f, \"%s_max\": %.6f", name,
         s->median, name, s->min, name, s->max);
}

static double ratio(double a, double b) { return b > 0 ? a / b : 0; }

/* The --preverify figures: medians over the blocks, their range, the
 * same-run ratios the targets name, and the cache. */
static void print_json_preverify(const tps_cell *c) {
  const cx_preverify_stats *p = &c->pre_stats;
  printf(",\n     ");
  print_json_spread("block_latency_s", &c->block_latency);
  printf(", ");
  print_json_spread("preverified_block_latency_s", &c->preverified_latency);
  printf(",\n     ");
  print_json_spread("preverify_sigs_per_s", &c->preverify_rate);
  printf(", ");
  print_json_spread("pool_verify_per_s", &c->pool_verify_rate);
  printf(",\n     \"preverified_latency_ratio\": %.4f, "
         "\"preverify_rate_ratio\": %.4f,",
         ratio(c->preverified_latency.median, c->block_latency.median),
         ratio(c->preverify_rate.median, c->pool_verify_rate.median));
  printf("\n     \"sigcache\": {\"limit_bytes\": %zu, \"bytes\": %llu, "
         "\"resident_bytes\": %llu, \"within_limit\": %s, "
         "\"capacity\": %llu, \"entries\": %llu, \"submissions\": %llu, "
         "\"submitted_txs\": %llu, \"hits\": %llu, \"misses\": %llu, "
         "\"block_hits_preverified\": %llu, \"inserts\": %llu, "
         "\"evictions\": %llu, \"dropped\": %llu, "
         "\"preverify_busy_s\": %.6f}",
         c->sigcache_limit, (unsigned long long)p->bytes,
         (unsigned long long)p->resident_bytes,
         p->resident_bytes <= c->sigcache_limit ? "true" : "false",
         (unsigned long long)p->capacity, (unsigned long long)p->entries,
         (unsigned long long)p->submissions,
         (unsigned long long)p->submitted_txs,
         (unsigned long long)p->block_hits,
         (unsigned long long)p->block_misses,
         (unsigned long long)c->pre_hits, (unsigned long long)p->inserts,
         (unsigned long long)p->evictions, (unsigned long long)p->dropped,
         p->busy_s);
}

static void print_json_cell(const tps_cell *c, const tps_opts *o, bool first) {
  const cx_block_counters *s = &c->sum;
  printf("%s\n    {\"accounts\": %llu, \"txs\": %llu, \"blocks\": %llu, "
         "\"warmup_blocks\": %llu, \"threads\": %u, \"strategy\": \"%s\", \"gpu\": \"%s\", "
         "\"durability\": \"%s\", \"tps\": %.1f, \"sequential_tps\": %.1f, "
         "\"baseline_verify_per_s\": %.1f, \"vs_sequential\": %.3f, "
         "\"vs_baseline\": %.3f, \"committed\": %llu, \"total_txs\": %llu, "
         "\"wall_s\": %.6f, \"sequential_wall_s\": %.6f, \"baseline_s\": %.6f,"
         "\n     \"stages\": {\"decode_s\": %.6f, \"hash_s\": %.6f, "
         "\"verify_s\": %.6f, \"execute_s\": %.6f, \"roots_s\": %.6f, "
         "\"commit_s\": %.6f},\n     \"routing\": {\"verify_gpu_items\": %llu, "
         "\"verify_cpu_items\": %llu},\n     \"device\": {\"busy_s\": %.6f, "
         "\"kernel_s\": %.6f, \"busy_fraction_of_verify\": %.4f, "
         "\"kernel_fraction_of_verify\": %.4f},\n     \"mvcc\": {\"executions\": %llu, "
         "\"reexecutions\": %llu, \"validation_failures\": %llu, "
         "\"dependency_waits\": %llu, \"parallel_blocks\": %llu}",
         first ? "" : ",", (unsigned long long)c->accounts,
         (unsigned long long)c->txs, (unsigned long long)c->blocks,
         (unsigned long long)c->warmup, c->threads,
         cx_cli_strategy_name(o->cfg.strategy),
         o->cfg.gpu ? o->cfg.gpu : "none",
         o->cfg.durability == CX_NOSYNC ? "nosync" : "sync", c->tps,
         c->sequential_tps, c->baseline_verify_per_s,
         c->sequential_tps > 0 ? c->tps / c->sequential_tps : 0,
         c->baseline_verify_per_s > 0 ? c->tps / c->baseline_verify_per_s : 0,
         (unsigned long long)c->committed, (unsigned long long)c->total_txs,
         c->wall_s, c->sequential_wall_s, c->baseline_s, s->decode_s, s->hash_s,
         s->verify_s, s->execute_s, s->roots_s, s->commit_s,
         (unsigned long long)s->verify_gpu_items,
         (unsigned long long)s->verify_cpu_items, s->verify_device_busy_s,
         s->verify_device_kernel_s, device_share(s->verify_device_busy_s, s),
         device_share(s->verify_device_kernel_s, s),
         (unsigned long long)s->executions, (unsigned long long)s->reexecutions,
         (unsigned long long)s->validation_failures,
         (unsigned long long)s->dependency_waits,
         (unsigned long long)c->parallel_blocks);
  if (c->preverify)
    print_json_preverify(c);
  printf("}");
}

/* The targets are stated for 10,000 accounts and 10,000-tx
 * blocks: say where this run stands against them. */
static void print_targets(const tps_cell *c) {
  if (c->accounts != 10000 || c->txs != 10000 || c->sequential_tps <= 0 ||
      c->baseline_verify_per_s <= 0)
    return;
  double xl = c->tps / c->baseline_verify_per_s;
  double xs = c->tps / c->sequential_tps;
  printf("targets at 10000 accounts x 10000 txs, %u threads: tps / "
         "verify_loop = %.2f (target >= 0.85: %s), tps / seq_tps = %.2f "
         "(target >= 1.6: %s)\n",
         c->threads, xl, xl >= 0.85 ? "met" : "NOT met", xs,
         xs >= 1.6 ? "met" : "NOT met");
}

/* The --preverify figures of a cell and the same-run targets. */
static void print_preverify(const tps_cell *c) {
  double lr = ratio(c->preverified_latency.median, c->block_latency.median);
  double rr = ratio(c->preverify_rate.median, c->pool_verify_rate.median);
  const cx_preverify_stats *p = &c->pre_stats;
  printf("preverify at %llu accounts x %llu txs: block latency %.4f s "
         "(%.4f..%.4f), pre-verified %.4f s (%.4f..%.4f): ratio %.3f "
         "(target <= 0.15: %s)\n",
         (unsigned long long)c->accounts, (unsigned long long)c->txs,
         c->block_latency.median, c->block_latency.min, c->block_latency.max,
         c->preverified_latency.median, c->preverified_latency.min,
         c->preverified_latency.max, lr, lr <= 0.15 ? "met" : "NOT met");
  printf("  pre-verify %.0f sigs/s, pool verify %.0f sigs/s: ratio %.3f "
         "(target >= 0.95: %s); cache %llu hits, %llu misses, %llu "
         "evictions, resident %llu of %zu bytes (%s)\n",
         c->preverify_rate.median, c->pool_verify_rate.median, rr,
         rr >= 0.95 ? "met" : "NOT met", (unsigned long long)p->block_hits,
         (unsigned long long)p->block_misses,
         (unsigned long long)p->evictions,
         (unsigned long long)p->resident_bytes, c->sigcache_limit,
         p->resident_bytes <= c->sigcache_limit ? "within the limit"
                                                : "OVER the limit");
}

/* True when gnuplot is an executable somewhere on PATH. */
static bool have_gnuplot(void) {
  const char *path = getenv("PATH");
  char dir[4096];
  while (path && *path) {
    const char *colon = strchr(path, ':');
    size_t n = colon ? (size_t)(colon - path) : strlen(path);
    if (n > 0 && n < sizeof dir - 16) {
      memcpy(dir, path, n);
      strcpy(dir + n, "/gnuplot");
      if (access(dir, X_OK) == 0)
        return true;
    }
    path = colon ? colon + 1 : NULL;
  }
  return false;
}

/* Writes FILE.dat and draws FILE with gnuplot: TPS against accounts, one
 * line per block size, engine and sequential. */
static int plot(const tps_opts *o, const tps_cell *cells, int n) {
  char dat[4096];
  snprintf(dat, sizeof dat, "%s.dat", o->plot);
  FILE *d = fopen(dat, "w");
  if (!d)
    return cx_cli_fail("bench tps", "cannot write %s", dat);
  fprintf(d, "# accounts txs tps sequential_tps baseline_verify_per_s\n");
  for (int i = 0; i < n; i++)
    fprintf(d, "%llu %llu %.1f %.1f %.1f\n",
            (unsigned long long)cells[i].accounts,
            (unsigned long long)cells[i].txs, cells[i].tps,
            cells[i].sequential_tps, cells[i].baseline_verify_per_s);
  fclose(d);
  if (!have_gnuplot()) {
    fprintf(stderr,
            "chainexec bench tps: gnuplot is not installed, so no "
            "plot was drawn (data in %s); install it with "
            "'sudo apt-get install gnuplot-nox' and run again\n",
            dat);
    return CX_EXIT_OK;
  }
  FILE *g = popen("gnuplot", "w");
  if (!g)
    return cx_cli_fail("bench tps", "cannot run gnuplot");
  size_t len = strlen(o->plot);
  bool svg = len > 4 && !strcmp(o->plot + len - 4, ".svg");
  fprintf(g, "set terminal %s size 900,560\nset output '%s'\n",
          svg ? "svg" : "pngcairo", o->plot);
  fprintf(g,
          "set title 'chainexec bench tps (%s)'\nset logscale x\n"
          "set xlabel 'accounts'\nset ylabel 'transactions / s'\n"
          "set key outside right\nset grid\nset yrange [0:*]\nplot ",
          o->cfg.durability == CX_NOSYNC ? "nosync" : "sync");
  for (int t = 0; t < o->n_txs; t++) {
    unsigned long long tx = (unsigned long long)o->txs[t];
    static const char *const what[3] = {"engine", "sequential", "verify loop"};
    for (int k = 0; k < 3; k++)
      fprintf(g,
              "%s'%s' using 1:($2==%llu?$%d:1/0) with linespoints dt %d "
              "title '%s, %llu txs/block'",
              t || k ? ", " : "", dat, tx, 3 + k, 1 + k, what[k], tx);
  }
  fprintf(g, "\n");
  if (pclose(g) != 0)
    return cx_cli_fail("bench tps", "gnuplot failed to draw %s", o->plot);
  if (!o->json)
    printf("plot written to %s\n", o->plot);
  return CX_EXIT_OK;
}

int cx_bench_tps(int argc, char **argv) {
  tps_opts o;
  int rc = parse_args(argc, argv, &o);
  if (rc)
    return rc < 0 ? CX_EXIT_OK : rc;
  if (o.preverify && o.cfg.sigcache_bytes == 0)
    return cx_cli_usage("bench tps", "--preverify needs the signature cache "
                        "(--sigcache-mb above 0)");
  unsigned threads = o.cfg.threads ? o.cfg.threads : cx_cli_online_cpus(1024);
  o.cfg.threads = threads;
  int n = o.n_accounts * o.n_txs;
  tps_cell *cells = calloc((size_t)n, sizeof *cells);
  if (!cells)
    return cx_cli_fail("bench tps", "out of memory");
  if (o.json)
    printf("{\"benchmark\": \"tps\", \"runs\": [");
  else
    print_table_head(&o, threads);
  fflush(stdout);
  cx_progress bar;
  cx_progress_init(&bar, "bench tps", (uint64_t)n, o.quiet);
  cx_error err;
  cx_error_clear(&err);
  int done = 0;
  for (int t = 0; t < o.n_txs && !rc; t++) {
    for (int a = 0; a < o.n_accounts && !rc; a++) {
      tps_cell *c = &cells[done];
      c->accounts = o.accounts[a];
      c->txs = o.txs[t];
      c->blocks = o.blocks;
      c->warmup = o.warmup;
      c->seed = o.seed;
      c->threads = threads;
      c->cfg = o.cfg;
      c->preverify = o.preverify;
      if (tps_cell_run(c, &err)) {
        rc = CX_EXIT_FAIL;
        break;
      }
      cx_progress_done(&bar);
      if (o.json)
        print_json_cell(c, &o, done == 0);
      else
        print_row(c);
      fflush(stdout);
      done++;
      double started = bar.start; /* keep the ETA's time base */
      cx_progress_init(&bar, "bench tps", (uint64_t)n, o.quiet);
      bar.start = started;
      cx_progress_update(&bar, (uint64_t)done);
    }
  }
  cx_progress_done(&bar);
  if (o.json)
    printf("\n  ]}\n");
  else if (!rc)
    printf("tps: engine end to end; seq_tps: 1 thread CPU sequential; "
           "verify_loop: plain %u-thread libsecp256k1 verify loop over the "
           "same signatures; x_seq, x_loop: tps ratios\n",
           threads);
  for (int i = 0; i < done && !o.json; i++)
    print_targets(&cells[i]);
  for (int i = 0; i < done && !o.json && o.preverify; i++)
    print_preverify(&cells[i]);
  if (rc)
    cx_cli_fail("bench tps", "%s", err.message);
  else if (o.plot)
    rc = plot(&o, cells, done);
  free(cells);
  return rc;
}
