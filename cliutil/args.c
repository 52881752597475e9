/* Argument cursor, value parsers and the two message helpers of the CLI
 * and the benchmarks. Usage errors are one line, so scripts can show them
 * verbatim. */
#include "cli_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void vline(const char *cmd, const char *fmt, va_list ap,
                  const char *tail) {
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  /* Keep it to one line even when a message embeds a newline. */
  for (char *c = msg; *c; c++)
    if (*c == '\n' || *c == '\r')
      *c = ' ';
  if (cmd && *cmd)
    fprintf(stderr, "chainexec %s: %s%s\n", cmd, msg, tail);
  else
    fprintf(stderr, "chainexec: %s%s\n", msg, tail);
}

int cx_cli_fail(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vline(cmd, fmt, ap, "");
  va_end(ap);
  return CX_EXIT_FAIL;
}

int cx_cli_usage(const char *cmd, const char *fmt, ...) {
  char tail[96];
  snprintf(tail, sizeof tail, " (see 'chainexec %s%s--help')", cmd ? cmd : "",
           cmd && *cmd ? " " : "");
  va_list ap;
  va_start(ap, fmt);
  vline(cmd, fmt, ap, tail);
  va_end(ap);
  return CX_EXIT_USAGE;
}

void cx_cli_args_init(cx_cli_args *a, const char *cmd, int argc, char **argv) {
  a->argc = argc;
  a->argv = argv;
  a->i = 1;
  a->cmd = cmd;
  a->bad = false;
}

bool cx_cli_args_more(const cx_cli_args *a) {
  return !a->bad && a->i < a->argc;
}

const char *cx_cli_args_cur(const cx_cli_args *a) { return a->argv[a->i]; }

bool cx_cli_flag(cx_cli_args *a, const char *name) {
  if (a->bad || a->i >= a->argc || strcmp(a->argv[a->i], name) != 0)
    return false;
  a->i++;
  return true;
}

bool cx_cli_opt(cx_cli_args *a, const char *name, const char **val) {
  if (a->bad || a->i >= a->argc)
    return false;
  const char *cur = a->argv[a->i];
  size_t n = strlen(name);
  if (strncmp(cur, name, n) != 0)
    return false;
  if (cur[n] == '=') {
    *val = cur + n + 1;
    a->i++;
    return true;
  }
  if (cur[n] != '\0')
    return false;
  if (a->i + 1 >= a->argc) {
    cx_cli_usage(a->cmd, "option %s needs a value", name);
    a->bad = true;
    return true;
  }
  *val = a->argv[a->i + 1];
  a->i += 2;
  return true;
}

void cx_cli_positional(cx_cli_args *a, const char **slot) {
  const char *cur = a->argv[a->i];
  if (cur[0] == '-' && cur[1] != '\0') {
    cx_cli_usage(a->cmd, "unknown option %s", cur);
    a->bad = true;
    return;
  }
  if (*slot) {
    cx_cli_usage(a->cmd, "unexpected argument '%s'", cur);
    a->bad = true;
    return;
  }
  *slot = cur;
  a->i++;
}

static bool parse_u64_text(const char *s, const char *end, uint64_t *out) {
  if (s == end || *s < '0' || *s > '9')
    return false;
  uint64_t v = 0;
  for (const char *p = s; p < end; p++) {
    if (*p < '0' || *p > '9')
      return false;
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool cx_cli_u64(cx_cli_args *a, const char *opt, const char *s, uint64_t min,
                uint64_t max, uint64_t *out) {
  uint64_t v;
  if (a->bad)
    return false;
  if (!parse_u64_text(s, s + strlen(s), &v) || v < min || v > max) {
    cx_cli_usage(a->cmd, "%s must be an integer in %llu..%llu, not '%s'", opt,
                 (unsigned long long)min, (unsigned long long)max, s);
    a->bad = true;
    return false;
  }
  *out = v;
  return true;
}

bool cx_cli_double(cx_cli_args *a, const char *opt, const char *s, double min,
                   double max, double *out) {
  if (a->bad)
    return false;
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (!*s || *end || errno || !(v >= min && v <= max)) {
    cx_cli_usage(a->cmd, "%s must be a number in %g..%g, not '%s'", opt, min,
                 max, s);
    a->bad = true;
    return false;
  }
  *out = v;
  return true;
}

static const char *const strategy_names[] = {"auto", "cpu", "gpu", "balance"};

const char *cx_cli_strategy_name(cx_strategy_kind k) {
  return (unsigned)k < 4 ? strategy_names[k] : "?";
}

bool cx_cli_strategy(cx_cli_args *a, const char *s, cx_strategy_kind *out) {
  for (unsigned k = 0; k < 4; k++) {
    if (strcmp(s, strategy_names[k]) == 0) {
      *out = (cx_strategy_kind)k;
      return true;
    }
  }
  cx_cli_usage(a->cmd, "--strategy must be auto, cpu, gpu or balance, not '%s'",
               s);
  a->bad = true;
  return false;
}

bool cx_cli_u64_list(cx_cli_args *a, const char *opt, const char *s,
                     uint64_t *out, int max_n, int *n) {
  *n = 0;
  const char *p = s;
  for (;;) {
    const char *comma = strchr(p, ',');
    const char *end = comma ? comma : p + strlen(p);
    if (*n == max_n || !parse_u64_text(p, end, &out[*n]) || out[*n] == 0) {
      cx_cli_usage(a->cmd,
                   "%s must be a comma-separated list of at most %d positive "
                   "integers, not '%s'",
                   opt, max_n, s);
      a->bad = true;
      return false;
    }
    ++*n;
    if (!comma)
      return true;
    p = comma + 1;
  }
}

double cx_cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char cx_cli_gpu_default[] = "all";

bool cx_cli_gpu_given(const cx_config *cfg) {
  return cfg->gpu != NULL && cfg->gpu != cx_cli_gpu_default;
}

bool cx_cli_engine_opt(cx_cli_args *a, cx_config *cfg) {
  const char *v;
  uint64_t n;
  if (cx_cli_flag(a, "--no-pipeline")) {
    cfg->pipeline = false;
    return true;
  }
  if (cx_cli_flag(a, "--no-verify")) {
    cfg->skip_verify = true;
    return true;
  }
  if (cx_cli_opt(a, "--threads", &v)) {
    if (!a->bad && cx_cli_u64(a, "--threads", v, 1, CX_CLI_MAX_THREADS, &n))
      cfg->threads = (unsigned)n;
    return true;
  }
  if (cx_cli_opt(a, "--strategy", &v)) {
    if (!a->bad)
      cx_cli_strategy(a, v, &cfg->strategy);
    return true;
  }
  if (cx_cli_opt(a, "--retention", &v)) {
    if (!a->bad && cx_cli_u64(a, "--retention", v, 0, UINT32_MAX, &n))
      cfg->undo_retention = (unsigned)n;
    return true;
  }
  if (cx_cli_opt(a, "--gpu", &v)) {
    if (!a->bad && !*v) {
      cx_cli_usage(a->cmd, "--gpu needs a device spec (none, all, 0,1, sim, "
                           "sim:fail=0.2,...)");
      a->bad = true;
    }
    cfg->gpu = v;
    return true;
  }
  return false;
}

int cx_cli_parse_json_only(int argc, char **argv, const char *cmd,
                           const char *help, bool *json) {
  cx_cli_args a;
  cx_cli_args_init(&a, cmd, argc, argv);
  *json = false;
  while (cx_cli_args_more(&a)) {
    if (cx_cli_flag(&a, "--help") || cx_cli_flag(&a, "-h")) {
      fputs(help, stdout);
      return -1;
    }
    if (cx_cli_flag(&a, "--json"))
      *json = true;
    else
      return cx_cli_usage(cmd, "unknown argument '%s'", cx_cli_args_cur(&a));
  }
  return CX_EXIT_OK;
}

unsigned cx_cli_online_cpus(unsigned max) {
  long c = sysconf(_SC_NPROCESSORS_ONLN);
  return c < 1 ? 1 : (unsigned long)c > max ? max : (unsigned)c;
}

/* Exit status 0 when dir holds an LMDB environment (data.mdb): opening
 * the engine on anything else would create a database, which the
 * commands that inspect or change an existing one must never do. */
int cx_cli_check_db_dir(const char *cmd, const char *dir) {
  struct stat st;
  char data[4096];
  if (stat(dir, &st) != 0)
    return cx_cli_fail(cmd, "no database at %s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return cx_cli_fail(cmd, "%s is not a directory", dir);
  snprintf(data, sizeof data, "%s/data.mdb", dir);
  if (stat(data, &st) != 0)
    return cx_cli_fail(cmd, "no database at %s (no data.mdb in it)", dir);
  return CX_EXIT_OK;
}
