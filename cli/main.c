/* `chainexec`: subcommand dispatch, top-level help and `version`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sha256.h"

#ifndef CX_VERSION_STRING
#define CX_VERSION_STRING "0.0.0"
#endif
#ifndef CX_BUILD_CUDA
#define CX_BUILD_CUDA 0
#endif

static const char usage[] =
    "usage: chainexec <command> [options]\n"
    "\n"
    "Parallel block execution with hybrid CPU/GPU signature verification.\n"
    "\n"
    "commands:\n"
    "  replay FILE     execute a fixture's blocks and print their roots\n"
    "  gen             generate a signed fixture\n"
    "  info            show a database's height, roots and retention\n"
    "  state           print a database's state at a height\n"
    "  revert          revert a database's chain to a height\n"
    "  migrate         migrate a database to the current schema\n"
    "  devices         list GPUs and their capabilities\n"
    "  bench NAME      run a benchmark (crypto, storage, exec, hybrid, gpu, "
    "tps)\n"
    "  version         print the version and build information\n"
    "\n"
    "Run 'chainexec <command> --help' for a command's options.\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"replay", cx_cli_replay}, {"gen", cx_cli_gen},
    {"info", cx_cli_info},     {"devices", cx_cli_devices},
    {"bench", cx_cli_bench},   {"version", cx_cli_version},
    {"state", cx_cli_state},   {"revert", cx_cli_revert},
    {"migrate", cx_cli_migrate},
};

int cx_cli_version(int argc, char **argv) {
  static const char help[] =
      "usage: chainexec version [--json]\n\n"
      "Prints the version and how this binary was built: CUDA on or off,\n"
      "and the SHA-256 implementation chosen for this CPU.\n";
  bool json;
  int rc = cx_cli_parse_json_only(argc, argv, "version", help, &json);
  if (rc)
    return rc < 0 ? CX_EXIT_OK : rc;
  if (json) {
    printf("{\"version\": \"%s\", \"library\": \"%s\", \"cuda\": %s, "
           "\"sha256\": \"%s\"}\n",
           CX_VERSION_STRING, cx_version(), CX_BUILD_CUDA ? "true" : "false",
           cx_sha256_impl_name());
  } else {
    printf("chainexec %s (library %s)\n", CX_VERSION_STRING, cx_version());
    printf("CUDA: %s\n", CX_BUILD_CUDA ? "on" : "off (built without CUDA)");
    printf("SHA-256: %s\n", cx_sha256_impl_name());
  }
  return CX_EXIT_OK;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("chainexec: missing command (see 'chainexec --help')\n", stderr);
    return CX_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    fputs(usage, stdout);
    return CX_EXIT_OK;
  }
  if (!strcmp(cmd, "--version"))
    return cx_cli_version(1, argv + 1);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (!strcmp(cmd, commands[i].name))
      return commands[i].run(argc - 1, argv + 1);
  }
  fprintf(stderr, "chainexec: unknown command '%s' (see 'chainexec --help')\n",
          cmd);
  return CX_EXIT_USAGE;
}
