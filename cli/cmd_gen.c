/* `chainexec gen`: a signed fixture, deterministic per seed, with `expect`
 * computed by the sequential CPU path (strategy cpu, one thread). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chainexec.h"
#include "cli.h"
#include "fixture.h"
#include "fixture_gen.h"

static const char help[] =
    "usage: chainexec gen --accounts A --blocks B --txs T [--mix "
    "transfer|mixed]\n"
    "         [--bad-rate R] [--seed S] [--threads N] -o FILE\n"
    "\n"
    "Writes a fixture (SPEC.md section 6) of B blocks of T signed\n"
    "transactions between A funded accounts. The same arguments and seed\n"
    "give the same bytes. `expect` is computed by the sequential CPU path.\n"
    "\n"
    "  --mix transfer     one TRANSFER per transaction (default)\n"
    "  --mix mixed        1-4 ops of every kind: TRANSFER, SET, ADD, SUB,\n"
    "                     COPY, ASSERT_GE and APPEND chains on shared keys\n"
    "  --bad-rate R       share (0..1) of injected bad signatures, bad\n"
    "                     nonces and malformed bytes (default 0)\n"
    "  --seed S           RNG seed (default 1)\n"
    "  --threads N        1..1024, signing threads (default: all cores;\n"
    "                     signing uses at most 16)\n"
    "  -o, --output FILE  where to write the fixture\n";

int cx_cli_gen(int argc, char **argv) {
  cx_cli_args a;
  cx_cli_args_init(&a, "gen", argc, argv);
  cx_fixture_gen_params p = {.seed = 1, .compute_expect = true};
  bool have_a = false, have_b = false, have_t = false;
  const char *out = NULL, *v, *extra = NULL;
  uint64_t n;
  while (cx_cli_args_more(&a)) {
    if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h")) {
      fputs(help, stdout);
      return CX_EXIT_OK;
    }
    if (cx_cli_opt(&a, "--accounts", &v))
      have_a = cx_cli_u64(&a, "--accounts", v, 1, 10000000, &p.accounts);
    else if (cx_cli_opt(&a, "--blocks", &v))
      have_b = cx_cli_u64(&a, "--blocks", v, 0, 1000000, &p.blocks);
    else if (cx_cli_opt(&a, "--txs", &v))
      have_t = cx_cli_u64(&a, "--txs", v, 0, CX_MAX_BLOCK_TXS, &p.txs);
    else if (cx_cli_opt(&a, "--seed", &v))
      cx_cli_u64(&a, "--seed", v, 0, UINT64_MAX, &p.seed);
    else if (cx_cli_opt(&a, "--bad-rate", &v))
      cx_cli_double(&a, "--bad-rate", v, 0, 1, &p.bad_rate);
    else if (cx_cli_opt(&a, "--threads", &v)) {
      if (cx_cli_u64(&a, "--threads", v, 1, CX_CLI_MAX_THREADS, &n))
        p.threads = (unsigned)n;
    } else if (cx_cli_opt(&a, "--mix", &v)) {
      if (!a.bad && !strcmp(v, "transfer"))
        p.mix = CX_FIXTURE_MIX_TRANSFER;
      else if (!a.bad && !strcmp(v, "mixed"))
        p.mix = CX_FIXTURE_MIX_MIXED;
      else if (!a.bad)
        return cx_cli_usage("gen", "--mix must be transfer or mixed, not '%s'",
                            v);
    } else if (cx_cli_opt(&a, "-o", &v) || cx_cli_opt(&a, "--output", &v))
      out = v;
    else
      cx_cli_positional(&a, &extra);
  }
  if (a.bad)
    return CX_EXIT_USAGE;
  if (extra)
    return cx_cli_usage("gen", "unexpected argument '%s'", extra);
  if (!have_a || !have_b || !have_t || !out)
    return cx_cli_usage("gen", "--accounts, --blocks, --txs and -o are "
                               "required");
  if (!p.threads)
    p.threads = cx_cli_online_cpus(16);
  cx_error err;
  cx_error_clear(&err);
  cx_fixture *f = NULL;
  if (cx_fixture_generate(&p, &f, &err))
    return cx_cli_fail("gen", "%s", err.message);
  /* Write beside the target and rename, so a failed run never leaves a
   * truncated fixture under the requested name. */
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out, (long)getpid());
  FILE *fp = fopen(tmp, "w");
  int rc = CX_EXIT_OK;
  if (!fp) {
    rc = cx_cli_fail("gen", "cannot create %s: %s", tmp, strerror(errno));
  } else {
    int wrc = cx_fixture_write(fp, f, &err);
    if (fclose(fp) != 0 && !wrc)
      wrc = cx_error_set(&err, CX_EIO, "cannot write %s: %s", tmp,
                         strerror(errno));
    if (!wrc && rename(tmp, out) != 0)
      wrc = cx_error_set(&err, CX_EIO, "cannot rename %s to %s: %s", tmp, out,
                         strerror(errno));
    if (wrc) {
      remove(tmp);
      rc = cx_cli_fail("gen", "%s", err.message);
    }
  }
  if (!rc)
    printf("wrote %s: %llu blocks of %llu transactions, %llu accounts, "
           "mix %s, bad rate %g, seed %llu\n",
           out, (unsigned long long)p.blocks, (unsigned long long)p.txs,
           (unsigned long long)p.accounts,
           p.mix == CX_FIXTURE_MIX_MIXED ? "mixed" : "transfer", p.bad_rate,
           (unsigned long long)p.seed);
  cx_fixture_free(f);
  return rc;
}
