/* `chainexec bench forks`: blocks on branches against the linear path, in
 * one run (chainexec.h "Blocks on branches").
 *
 *  - execute_on a committed parent k blocks below the head (k from
 *    --depths), against execute_on the head (k = 0); the block executed at
 *    depth k is the twin of the committed block k - 1 below the head, so
 *    its nonces are valid there. Rounds interleave the depths; the table
 *    gives the median throughput and its spread, and the ratio to k = 0.
 *  - make_head with a reorg of depth d: a twin of the block d - 1 below the
 *    head, executed on its parent and made the head, reverts d blocks and
 *    commits one, in one transaction; against make_head of a block on the
 *    head (one commit, nothing reverted) measured in the same rounds. Time
 *    per reverted block = (reorg - commit) / d, and its ratio to one
 *    commit.
 * Blocks are signed transfers from `cx_fixture_generate` (the same
 * generator as bench tps); commits are durable (sync) unless --nosync.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_util.h"
#include "chainexec.h"
#include "fixture.h"
#include "fixture_gen.h"

#define MAX_DEPTHS 8

static const char help[] =
    "usage: chainexec bench forks [--accounts N] [--txs N] [--depths LIST]\n"
    "         [--rounds N] [--threads N] [--nosync] [--quick] [--json]\n"
    "\n"
    "Speculative execution on committed parents below the head and reorgs\n"
    "of several depths, each against the linear path in the same run.\n"
    "\n"
    "  --accounts N   funded accounts (default 10000)\n"
    "  --txs N        transactions per block (default 10000)\n"
    "  --depths LIST  depths k and d, comma-separated (default 1,8,64)\n"
    "  --rounds N     interleaved rounds of the depth sweep (default 3)\n"
    "  --threads N    worker threads (default 2)\n"
    "  --nosync       commits without fsync\n"
    "  --quick        --accounts 1000 --txs 1000 --depths 1,8 --rounds 2\n"
    "  --json         one JSON document instead of the table\n";

typedef struct opts {
  uint64_t accounts, txs, rounds;
  uint64_t depths[MAX_DEPTHS];
  size_t n_depths;
  unsigned threads;
  bool nosync, json;
} opts;

static int usage(const char *fmt, const char *v) {
  fprintf(stderr, "chainexec bench forks: ");
  fprintf(stderr, fmt, v);
  fprintf(stderr, " (see 'chainexec bench forks --help')\n");
  return 2;
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max,
                      uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-')
    return false;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || v < min || v > max)
    return false;
  *out = v;
  return true;
}

static int parse_depths(const char *s, opts *o) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  o->n_depths = 0;
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    if (o->n_depths == MAX_DEPTHS ||
        !parse_u64(tok, 1, 4096, &o->depths[o->n_depths]))
      return usage("--depths: '%s' is not a list of up to 8 depths 1..4096",
                   s);
    o->n_depths++;
  }
  return o->n_depths ? 0 : usage("--depths: '%s' is empty", s);
}

static int parse(int argc, char **argv, opts *o) {
  *o = (opts){10000, 10000, 3, {1, 8, 64}, 3, 2, false, false};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    uint64_t n;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(help, stdout);
      return -1;
    } else if (!strcmp(a, "--json")) {
      o->json = true;
    } else if (!strcmp(a, "--nosync")) {
      o->nosync = true;
    } else if (!strcmp(a, "--quick")) {
      *o = (opts){1000, 1000, 2, {1, 8}, 2, o->threads, o->nosync, o->json};
    } else if (!strcmp(a, "--depths") && v) {
      if (parse_depths(v, o))
        return 2;
      i++;
    } else if ((!strcmp(a, "--accounts") || !strcmp(a, "--txs") ||
                !strcmp(a, "--rounds") || !strcmp(a, "--threads")) &&
               v) {
      uint64_t max = !strcmp(a, "--threads") ? 1024 : 1000000;
      if (!parse_u64(v, 1, max, &n))
        return usage(!strcmp(a, "--threads")
                         ? "--threads: '%s' is not a whole number 1..1024"
                         : "a count: '%s' is not a whole number 1..1000000",
                     v);
      if (!strcmp(a, "--accounts"))
        o->accounts = n;
      else if (!strcmp(a, "--txs"))
        o->txs = n;
      else if (!strcmp(a, "--rounds"))
        o->rounds = n;
      else
        o->threads = (unsigned)n;
      i++;
    } else {
      return usage("unknown option or missing value '%s'", a);
    }
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median, min and max of n samples (sorted in place). */
typedef struct stat3 {
  double med, lo, hi;
} stat3;

static stat3 stats(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  return (stat3){n ? v[n / 2] : 0, n ? v[0] : 0, n ? v[n - 1] : 0};
}

typedef struct run {
  const opts *o;
  cx_fixture *f;
  cx_engine *e;
  size_t next_spare; /* fixture block that follows the head */
  cx_error err;
} run;

static int fail(run *r, const char *what) {
  fprintf(stderr, "chainexec bench forks: %s: %s\n", what, r->err.message);
  return 1;
}

/* Executes fixture block `b` on the committed block at `height`; returns
 * seconds, or -1. *id gets the speculative block. */
static double exec_at(run *r, uint64_t height, size_t b, cx_block_id *id) {
  cx_block_id parent;
  cx_block view;
  cx_block_result res;
  if (cx_engine_block_at(r->e, height, &parent, &r->err))
    return -1;
  cx_fixture_block_view(r->f, b, &view);
  double t0 = cx_bench_now();
  if (cx_engine_execute_on(r->e, parent, &view, id, &res, &r->err))
    return -1;
  double t = cx_bench_now() - t0;
  cx_block_result_free(&res);
  return t;
}

static double make_head(run *r, cx_block_id id) {
  double t0 = cx_bench_now();
  if (cx_engine_make_head(r->e, id, &r->err))
    return -1;
  return cx_bench_now() - t0;
}

int cx_bench_forks(int argc, char **argv) {
  opts o;
  int rc = parse(argc, argv, &o);
  if (rc)
    return rc < 0 ? 0 : rc;
  uint64_t maxd = 0, sum_shrink = 0;
  for (size_t i = 0; i < o.n_depths; i++) {
    maxd = o.depths[i] > maxd ? o.depths[i] : maxd;
    sum_shrink += o.depths[i] - 1;
  }
  /* The chain must stay deeper than the deepest reorg after every reorg
   * (each shrinks it by d - 1); spares extend it in the commit rounds. */
  uint64_t chain = maxd + sum_shrink + 1, spares = o.rounds + 1;
  run r = {.o = &o};
  cx_fixture_gen_params gp = {o.accounts, chain + spares, o.txs,
                              CX_FIXTURE_MIX_TRANSFER, 0, 20261202,
                              o.threads, false};
  if (!o.json)
    fprintf(stderr, "bench forks: signing %llu blocks of %llu transfers...\n",
            (unsigned long long)(chain + spares), (unsigned long long)o.txs);
  if (cx_fixture_generate(&gp, &r.f, &r.err))
    return fail(&r, "generating blocks");
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.threads = o.threads;
  cfg.strategy = CX_STRATEGY_KIND_CPU;
  cfg.durability = o.nosync ? CX_NOSYNC : CX_SYNC;
  cfg.undo_retention = (unsigned)(chain + spares + 8);
  r.e = cx_engine_open(&cfg, &r.err);
  rc = 1;
  if (!r.e) {
    fail(&r, "opening an engine");
    goto out;
  }
  if (cx_engine_load_genesis(r.e, r.f->accounts, r.f->n_accounts, r.f->kv,
                             r.f->n_kv, NULL, &r.err)) {
    fail(&r, "loading the genesis");
    goto out;
  }
  if (!o.json)
    fprintf(stderr, "bench forks: committing a chain of %llu blocks...\n",
            (unsigned long long)chain);
  for (size_t b = 0; b < chain; b++) {
    cx_block view;
    cx_block_result res;
    cx_fixture_block_view(r.f, b, &view);
    if (cx_engine_execute_block(r.e, &view, &res, &r.err)) {
      fail(&r, "committing the chain");
      goto out;
    }
    cx_block_result_free(&res);
  }
  r.next_spare = chain;

  /* 1. execute_on at depths 0 and k, interleaved. */
  size_t nk = o.n_depths + 1;
  double *tput = calloc(nk * o.rounds, sizeof *tput);
  double *t_commit = calloc(o.rounds, sizeof *t_commit);
  double *t_reorg1 = calloc(o.rounds, sizeof *t_reorg1);
  double t_deep[MAX_DEPTHS] = {0};
  if (!tput || !t_commit || !t_reorg1) {
    fprintf(stderr, "chainexec bench forks: out of memory\n");
    goto out_free;
  }
  for (uint64_t round = 0; round < o.rounds; round++)
    for (size_t j = 0; j < nk; j++) {
      uint64_t k = j ? o.depths[j - 1] : 0, head = cx_engine_height(r.e);
      if (k > head)
        continue;
      cx_block_id id;
      /* At k = 0 the spare block; else the twin of the block at head-k+1. */
      size_t b = k ? (size_t)(head - k) : r.next_spare;
      double t = exec_at(&r, head - k, b, &id);
      if (t < 0 || cx_engine_discard(r.e, id, &r.err)) {
        fail(&r, "executing on a parent below the head");
        goto out_free;
      }
      tput[j * o.rounds + round] = (double)o.txs / t;
    }
  /* 2. Commit baseline (make_head on the head) and reorgs of depth 1,
   * interleaved; then one reorg of every deeper depth. */
  for (uint64_t round = 0; round < o.rounds; round++) {
    cx_block_id id;
    uint64_t head = cx_engine_height(r.e);
    if (exec_at(&r, head - 1, (size_t)head - 1, &id) < 0 ||
        (t_reorg1[round] = make_head(&r, id)) < 0) {
      fail(&r, "a reorg of depth 1");
      goto out_free;
    }
    if (exec_at(&r, head, r.next_spare++, &id) < 0 ||
        (t_commit[round] = make_head(&r, id)) < 0) {
      fail(&r, "a commit through make_head");
      goto out_free;
    }
  }
  for (size_t i = 0; i < o.n_depths; i++) {
    uint64_t d = o.depths[i], head = cx_engine_height(r.e);
    cx_block_id id;
    if (d == 1 || d > head)
      continue;
    if (exec_at(&r, head - d, (size_t)(head - d), &id) < 0 ||
        (t_deep[i] = make_head(&r, id)) < 0) {
      fail(&r, "a deep reorg");
      goto out_free;
    }
  }
  stat3 c = stats(t_commit, o.rounds), r1 = stats(t_reorg1, o.rounds);
  stat3 base = stats(tput, o.rounds);
  if (o.json) {
    printf("{\"bench\": \"forks\", \"accounts\": %llu, \"txs\": %llu, "
           "\"threads\": %u, \"sync\": %s, \"rounds\": %llu,\n"
           " \"execute_on\": [{\"depth\": 0, \"tps\": %.0f, \"tps_min\": "
           "%.0f, \"tps_max\": %.0f, \"ratio\": 1.0}",
           (unsigned long long)o.accounts, (unsigned long long)o.txs,
           o.threads, o.nosync ? "false" : "true",
           (unsigned long long)o.rounds, base.med, base.lo, base.hi);
  } else {
    printf("bench forks: %llu accounts, %llu-tx blocks, %u threads, %s "
           "commits, %llu rounds (median [min, max])\n\n",
           (unsigned long long)o.accounts, (unsigned long long)o.txs,
           o.threads, o.nosync ? "nosync" : "sync",
           (unsigned long long)o.rounds);
    printf("%-28s %12s %24s %8s\n", "execute_on a parent", "tx/s",
           "spread", "x head");
    printf("%-28s %12.0f %11.0f..%-12.0f %8.2f\n", "head (k = 0)", base.med,
           base.lo, base.hi, 1.0);
  }
  for (size_t j = 1; j < nk; j++) {
    stat3 s = stats(tput + j * o.rounds, o.rounds);
    double ratio = base.med > 0 ? s.med / base.med : 0;
    if (o.json)
      printf(", {\"depth\": %llu, \"tps\": %.0f, \"tps_min\": %.0f, "
             "\"tps_max\": %.0f, \"ratio\": %.3f}",
             (unsigned long long)o.depths[j - 1], s.med, s.lo, s.hi, ratio);
    else
      printf("k = %-24llu %12.0f %11.0f..%-12.0f %8.2f\n",
             (unsigned long long)o.depths[j - 1], s.med, s.lo, s.hi, ratio);
  }
  if (o.json)
    printf("],\n \"commit_s\": %.6f, \"commit_s_min\": %.6f, \"commit_s_max\": "
           "%.6f, \"reorgs\": [",
           c.med, c.lo, c.hi);
  else
    printf("\n%-28s %12s %24s %8s\n%-28s %12.4f %11.4f..%-12.4f\n",
           "make_head", "s", "s per reverted block", "x commit",
           "commit one block (d = 0)", c.med, c.lo, c.hi);
  for (size_t i = 0; i < o.n_depths; i++) {
    uint64_t d = o.depths[i];
    double t = d == 1 ? r1.med : t_deep[i];
    if (t <= 0)
      continue;
    double per = (t - c.med) / (double)d, ratio = c.med > 0 ? per / c.med : 0;
    if (o.json)
      printf("%s{\"depth\": %llu, \"s\": %.6f, \"per_reverted_block_s\": "
             "%.6f, \"ratio_to_commit\": %.3f}",
             i ? ", " : "", (unsigned long long)d, t, per, ratio);
    else
      printf("reorg of depth %-13llu %12.4f %24.4f %8.2f\n",
             (unsigned long long)d, t, per, ratio);
  }
  if (o.json)
    printf("]}\n");
  rc = 0;
out_free:
  free(tput);
  free(t_commit);
  free(t_reorg1);
out:
  cx_engine_close(r.e);
  cx_fixture_free(r.f);
  return rc;
}
