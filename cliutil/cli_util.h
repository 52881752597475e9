/* Argument parsing, the one-line messages and the progress bar shared by the `chainexec`
 * command-line tool (cli/) and the benchmarks (bench/), so both report
 * errors in the format of docs/cli.md. It sits on the engine (it fills a
 * cx_config) and below both: library -> cliutil -> bench -> cli.
 *
 * Messages go through cx_cli_fail / cx_cli_usage so every line has the
 * same "chainexec <cmd>: " prefix. Nothing here holds global state.
 */
#ifndef CX_CLI_UTIL_H
#define CX_CLI_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "chainexec.h"

#define CX_EXIT_OK 0
#define CX_EXIT_FAIL 1
#define CX_EXIT_USAGE 2

/* The one rule for --threads of every command (replay, gen, the
 * benchmarks): 1..CX_CLI_MAX_THREADS (the worker pool's limit). */
#define CX_CLI_MAX_THREADS 1024

/* Prints "chainexec <cmd>: <message>" on stderr; returns 1. */
int cx_cli_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "chainexec <cmd>: <message> (see 'chainexec <cmd> --help')" on
 * stderr; returns 2. */
int cx_cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Argument cursor over argv[1..argc). Options are "--name VALUE" or
 * "--name=VALUE"; flags are "--name". After a usage error has been printed
 * `bad` is true and the command returns CX_EXIT_USAGE. */
typedef struct cx_cli_args {
  int argc;
  char **argv;
  int i;           /* index of the current argument */
  const char *cmd; /* subcommand name, for messages */
  bool bad;
} cx_cli_args;

/* Starts the cursor at argv[1]. */
void cx_cli_args_init(cx_cli_args *a, const char *cmd, int argc, char **argv);

/* True while arguments remain and no usage error happened. */
bool cx_cli_args_more(const cx_cli_args *a);

/* The current argument. */
const char *cx_cli_args_cur(const cx_cli_args *a);

/* True when the current argument is flag `name` (consumed). */
bool cx_cli_flag(cx_cli_args *a, const char *name);

/* True when the current argument is option `name`; *val is its value
 * (consumed). A missing value prints a usage error and sets bad. */
bool cx_cli_opt(cx_cli_args *a, const char *name, const char **val);

/* Consumes the current argument as a positional one; a second positional
 * where only one is allowed (*slot already set), or an unknown "-x"
 * option, prints a usage error. */
void cx_cli_positional(cx_cli_args *a, const char **slot);

/* Parses the arguments of a command whose only option is --json: prints
 * `help` for --help/-h and returns -1, returns CX_EXIT_USAGE after a usage
 * error, else CX_EXIT_OK with *json set. */
int cx_cli_parse_json_only(int argc, char **argv, const char *cmd,
                           const char *help, bool *json);

/* Exit status 0 when dir holds an LMDB environment (data.mdb); else
 * prints why not (as command `cmd`) and returns 1. */
int cx_cli_check_db_dir(const char *cmd, const char *dir);

/* Online CPUs, at least 1 and at most max. */
unsigned cx_cli_online_cpus(unsigned max);

/* Value parsers that print a usage error naming the option on bad input. */
bool cx_cli_u64(cx_cli_args *a, const char *opt, const char *s, uint64_t min,
                uint64_t max, uint64_t *out);
bool cx_cli_double(cx_cli_args *a, const char *opt, const char *s, double min,
                   double max, double *out);
bool cx_cli_strategy(cx_cli_args *a, const char *s, cx_strategy_kind *out);
/* Comma-separated list of u64 ("2,10,100"), at most max_n entries. */
bool cx_cli_u64_list(cx_cli_args *a, const char *opt, const char *s,
                     uint64_t *out, int max_n, int *n);

/* The CLI's --gpu default, "all": every CUDA device present (CPU only,
 * with a note, where there is none), so `--strategy gpu` uses a GPU
 * without more flags. The library's own default (cx_config_default) stays
 * CPU only: an embedding node opts in. Assign this object itself, so that
 * cx_cli_gpu_given() can tell it from a spec the user typed. */
extern const char cx_cli_gpu_default[];

/* True when cfg->gpu came from a --gpu flag (a spec that can be wrong, so
 * a CX_EINVAL at open is the user's usage error), not the default. */
bool cx_cli_gpu_given(const cx_config *cfg);

/* Consumes one of the engine options shared by replay and the benchmarks:
 * --threads N, --strategy auto|cpu|gpu|balance, --gpu SPEC and
 * --no-pipeline (blocks one after another, for measurement) and
 * --no-verify (skip the database integrity check at open), --retention N
 * (blocks of undo data kept: cx_config.undo_retention), writing it
 * into *cfg. False when the current argument is none of them (or after a
 * usage error, with a->bad set). */
bool cx_cli_engine_opt(cx_cli_args *a, cx_config *cfg);

/* Name of a strategy ("auto", "cpu", "gpu", "balance"). */
const char *cx_cli_strategy_name(cx_strategy_kind k);

/* Monotonic seconds. */
double cx_cli_now(void);

/* Checks, before any work, that a file `path` given with option `opt` can
 * be written: not a directory, in an existing directory this process may
 * write in (files are written beside themselves, then renamed). Else
 * prints "chainexec <cmd>: <opt> <path>: ..." saying what to do, false. */
bool cx_cli_check_output_file(const char *cmd, const char *opt,
                              const char *path);

/* Checks that an input `path` is not a directory; else prints
 * "chainexec <cmd>: <path> is a directory; <cmd> needs <hint>", false. A
 * missing or unreadable file is left to the reader's own message. */
bool cx_cli_check_input_file(const char *cmd, const char *path,
                             const char *hint);

/* A progress bar on stderr: shown only when stderr is a terminal and not
 * disabled (--quiet). Redraws at most ~10 times a second. Updates may come
 * from several threads (a watcher thread redrawing while the main thread
 * runs blocks): the bar holds a lock. Optionally a second count finer than
 * the blocks (e.g. signatures verified) is shown after the block count. */
typedef struct cx_progress {
  bool on;
  const char *label;
  uint64_t total, done;
  const char *sub_label; /* NULL: no second count */
  uint64_t sub_total, sub_done;
  double start, last_draw;
  pthread_mutex_t lock;
} cx_progress;

void cx_progress_init(cx_progress *p, const char *label, uint64_t total,
                      bool quiet);
/* Sets the blocks done (never moves backwards) and redraws. */
void cx_progress_update(cx_progress *p, uint64_t done);
/* Shows "<sub_done>/<total> <label>" beside the blocks from now on. */
void cx_progress_set_sub(cx_progress *p, const char *label, uint64_t total);
/* Sets the second count (never moves backwards) and redraws. */
void cx_progress_update_sub(cx_progress *p, uint64_t sub_done);
/* Clears the bar's line. Call once no other thread updates the bar. */
void cx_progress_done(cx_progress *p);

#endif /* CX_CLI_UTIL_H */
