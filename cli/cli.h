/* Internals of the `chainexec` command-line tool.
 *
 * Every subcommand is `int cx_cli_<name>(int argc, char **argv)` with
 * argv[0] = its name, and returns the process exit status:
 *   0 success, 1 failure (one line on stderr), 2 usage error (one line).
 * The argument cursor, value parsers, message helpers and progress bar are
 * in cliutil/cli_util.h (shared with bench/). Nothing here holds global
 * state.
 */
#ifndef CX_CLI_H
#define CX_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "chainexec.h"
#include "cli_util.h"

int cx_cli_replay(int argc, char **argv);
int cx_cli_gen(int argc, char **argv);
int cx_cli_info(int argc, char **argv);
int cx_cli_devices(int argc, char **argv);
int cx_cli_bench(int argc, char **argv);
int cx_cli_version(int argc, char **argv);
int cx_cli_revert(int argc, char **argv);
int cx_cli_state(int argc, char **argv);
int cx_cli_migrate(int argc, char **argv);

#endif /* CX_CLI_H */
