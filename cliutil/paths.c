/* Checks of paths given on the command line, made before any work so a
 * bad one fails at once with what to do (not after a whole replay). */
#include "cli_util.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool cx_cli_check_output_file(const char *cmd, const char *opt,
                              const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    cx_cli_fail(cmd, "%s %s is a directory; give a file path", opt, path);
    return false;
  }
  char *copy = strdup(path);
  if (!copy) {
    cx_cli_fail(cmd, "out of memory");
    return false;
  }
  const char *dir = dirname(copy);
  bool ok = true;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    cx_cli_fail(cmd, "%s %s: directory %s does not exist; create it or give "
                     "another path",
                opt, path, dir);
    ok = false;
  } else if (access(dir, W_OK | X_OK) != 0) {
    /* The file is written beside itself, then renamed: the directory must
     * be writable, not only the file. */
    cx_cli_fail(cmd, "%s %s: cannot write in directory %s (%s); give a path "
                     "in a writable directory",
                opt, path, dir, strerror(errno));
    ok = false;
  }
  free(copy);
  return ok;
}

bool cx_cli_check_input_file(const char *cmd, const char *path,
                             const char *hint) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    cx_cli_fail(cmd, "%s is a directory; %s needs %s", path, cmd, hint);
    return false;
  }
  return true;
}
