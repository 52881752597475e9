/* `chainexec bench NAME ...`: dispatch to the benchmarks of bench/. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#ifdef CX_HAVE_BENCH
#include "bench.h"
#endif

static const char help[] =
    "usage: chainexec bench <crypto|storage|exec|hybrid|gpu|tps|forks> [options]\n"
    "\n"
    "  crypto   SHA-256 batch, Merkle and secp256k1 verify vs plain loops\n"
    "  storage  LMDB block commits\n"
    "  exec     parallel execution vs the sequential executor\n"
    "  hybrid   the CPU/GPU scheduler and its routing\n"
    "  gpu      CUDA kernels (needs a device or --gpu sim)\n"
    "  tps      end to end: wire bytes to durable commit\n"
    "  forks    execution below the head and reorgs vs the linear path\n"
    "\n"
    "Each prints a table, or one JSON document with --json, and measures a\n"
    "baseline in the same run. 'chainexec bench NAME --help' for options.\n";

typedef int (*bench_fn)(int, char **);

int cx_cli_bench(int argc, char **argv) {
  if (argc < 2)
    return cx_cli_usage("bench", "missing benchmark name");
  const char *name = argv[1];
  if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
    fputs(help, stdout);
    return CX_EXIT_OK;
  }
#ifdef CX_HAVE_BENCH
  static const struct {
    const char *name;
    bench_fn fn;
  } table[] = {{"crypto", cx_bench_crypto}, {"storage", cx_bench_storage},
               {"exec", cx_bench_exec},     {"hybrid", cx_bench_hybrid},
               {"gpu", cx_bench_gpu},       {"tps", cx_bench_tps},
               {"forks", cx_bench_forks}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strcmp(name, table[i].name))
      continue;
    return table[i].fn(argc - 1, argv + 1);
  }
  return cx_cli_usage("bench", "unknown benchmark '%s'", name);
#else
  return cx_cli_fail("bench", "benchmarks are not built (configure with "
                              "-DCHAINEXEC_BUILD_BENCH=ON)");
#endif
}
