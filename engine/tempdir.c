/* Private temporary database directories (see tempdir.h). */
#include "tempdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int code_of_errno(int e) {
  switch (e) {
  case EACCES:
  case EPERM:
  case EROFS:
    return CX_EACCES;
  case ENOSPC:
  case EDQUOT:
    return CX_ENOSPC;
  case ENOMEM:
    return CX_ENOMEM;
  default:
    return CX_EIO;
  }
}

char *cx_tempdir_create(cx_error *err) {
  const char *base = getenv("TMPDIR");
  if (base == NULL || base[0] == '\0')
    base = "/tmp";
  size_t need = strlen(base) + sizeof "/chainexec-XXXXXX";
  char *path = malloc(need);
  if (path == NULL) {
    cx_error_set(err, CX_ENOMEM, "no memory for a temporary directory name");
    return NULL;
  }
  snprintf(path, need, "%s/chainexec-XXXXXX", base);
  if (mkdtemp(path) == NULL) {
    int e = errno;
    cx_error_set(err, code_of_errno(e),
                 "cannot create a temporary database directory under %s: %s "
                 "(set TMPDIR to a writable directory, or give a db_path)",
                 base, strerror(e));
    free(path);
    return NULL;
  }
  return path;
}

/* nftw offers no context pointer, so the first failure travels back through
 * the callback's return value (errno of the failed call, never 0). */
static int remove_one(const char *p, const struct stat *st, int flag,
                      struct FTW *ftw) {
  (void)st;
  (void)ftw;
  int rc = (flag == FTW_DP) ? rmdir(p) : unlink(p);
  return rc == 0 ? 0 : (errno ? errno : EIO);
}

int cx_tempdir_remove(const char *path, cx_error *err) {
  if (path == NULL)
    return CX_OK;
  int rc = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  if (rc != 0) {
    int e = rc > 0 ? rc : errno;
    return cx_error_set(err, code_of_errno(e),
                        "cannot remove temporary database %s: %s; delete it "
                        "by hand",
                        path, strerror(e));
  }
  return CX_OK;
}
