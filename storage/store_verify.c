/* cx_store_verify(): runs the integrity walk (store_walk.c, with the page
 * check of store_pages.c) in a forked child, so that a fault inside liblmdb on a damaged
 * page ends the child, not the caller, and becomes CX_ECORRUPT. The child
 * sends its verdict (code and message) back through a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_internal.h"

/* What the child writes to the pipe: one record, or nothing if it died. */
typedef struct verdict {
  int code;
  char message[CX_ERROR_MESSAGE_MAX];
} verdict;

/* Child: open read-only, walk; never returns. */
static void child_run(const cx_store_config *cfg, int fd) {
  /* The child has nothing to say on stderr: LMDB's assertion text or a
   * sanitizer's report on a damaged page would only confuse the caller's
   * output; the verdict travels through the pipe. */
  int null_fd = open("/dev/null", O_WRONLY);
  if (null_fd >= 0) {
    dup2(null_fd, STDERR_FILENO);
    close(null_fd);
  }
  cx_error err = {0};
  cx_store_config ro = *cfg;
  ro.read_only = true; /* the walk only reads; take no writer lock */
  cx_store *s = cx_store_open_existing(&ro, &err);
  int rc = s ? cx_store_walk(s, &err) : err.code;
  if (rc == CX_ENOTFOUND && s == NULL)
    rc = CX_OK; /* an environment without tables: open will create them */
  /* The store is not closed: _exit() releases everything, and an LMDB
   * environment needs no goodbye (a reader slot of a dead pid is reused). */
  verdict v;
  memset(&v, 0, sizeof v);
  v.code = rc;
  if (rc != CX_OK)
    memcpy(v.message, err.message, sizeof v.message);
  const char *p = (const char *)&v;
  size_t left = sizeof v;
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      _exit(2);
    p += n;
    left -= (size_t)n;
  }
  _exit(0);
}

/* Reads the child's verdict; false when it did not send a whole one. */
static bool read_verdict(int fd, verdict *v) {
  char *p = (char *)v;
  size_t got = 0;
  while (got < sizeof *v) {
    ssize_t n = read(fd, p + got, sizeof *v - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  return got == sizeof *v;
}

/* The child died before sending a verdict. */
static int child_died(const char *path, int status, cx_error *err) {
  if (WIFSIGNALED(status) &&
      (WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGTERM ||
       WTERMSIG(status) == SIGINT))
    return cx_error_set(err, CX_EIO,
                        "%s: the integrity check was stopped by signal %d "
                        "(out of memory?) before it finished; retry, or open "
                        "without the check",
                        path, WTERMSIG(status));
  char how[64];
  if (WIFSIGNALED(status))
    snprintf(how, sizeof how, "crashed with signal %d (%s)", WTERMSIG(status),
             strsignal(WTERMSIG(status)));
  else
    snprintf(how, sizeof how, "stopped abnormally (exit status %d)",
             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return cx_error_set(err, CX_ECORRUPT,
                      "%s: reading the database for the integrity check %s: "
                      "its pages are damaged (LMDB keeps no checksums); "
                      CX_STORE_DAMAGED_ACTION,
                      path, how);
}

int cx_store_verify(const cx_store_config *cfg, cx_error *err) {
  if (!cfg || !cfg->path || !*cfg->path)
    return cx_error_set(err, CX_EINVAL, "verify: no path given");
  char file[4096];
  struct stat st;
  snprintf(file, sizeof file, "%s/data.mdb", cfg->path);
  /* Nothing there yet (or nothing we may look at): cx_store_open() creates
   * the store or reports the problem itself. */
  if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
    return CX_OK;
  int fds[2];
  if (pipe(fds) != 0)
    return cx_error_set(err, CX_EIO,
                        "%s: cannot create a pipe for the integrity check: "
                        "%s",
                        cfg->path, strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    return cx_error_set(err, e == ENOMEM ? CX_ENOMEM : CX_EIO,
                        "%s: cannot start the integrity check (fork: %s); "
                        "retry, or open without the check",
                        cfg->path, strerror(e));
  }
  if (pid == 0) {
    close(fds[0]);
    child_run(cfg, fds[1]);
  }
  close(fds[1]);
  verdict v;
  memset(&v, 0, sizeof v);
  bool whole = read_verdict(fds[0], &v);
  close(fds[0]);
  int status = 0;
  pid_t w;
  do
    w = waitpid(pid, &status, 0);
  while (w < 0 && errno == EINTR);
  /* A whole verdict is the child's last act; trust it even when the
   * caller's SIGCHLD handling took the exit status away (ECHILD). */
  if (whole && (w < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0))) {
    if (v.code == CX_OK)
      return CX_OK;
    v.message[sizeof v.message - 1] = '\0';
    return cx_error_set(err, v.code, "%s", v.message);
  }
  if (w < 0)
    return cx_error_set(err, CX_EIO,
                        "%s: lost track of the integrity check (waitpid: "
                        "%s); retry",
                        cfg->path, strerror(errno));
  return child_died(cfg->path, status, err);
}
