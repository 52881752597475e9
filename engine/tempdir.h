/* Private temporary directories for engines opened without a db_path.
 *
 * Invariant: a path returned by cx_tempdir_create() names a directory this
 * process created with mode 0700 (mkdtemp); cx_tempdir_remove() deletes it
 * and everything below it without following symbolic links, so it never
 * touches anything outside that directory.
 */
#ifndef CX_ENGINE_TEMPDIR_H
#define CX_ENGINE_TEMPDIR_H

#include "cx_error.h"

/* Creates $TMPDIR/chainexec-XXXXXX (/tmp when TMPDIR is unset or empty).
 * Returns a malloc'd path the caller frees, or NULL with *err set (CX_EIO,
 * CX_EACCES, CX_ENOSPC, CX_ENOMEM). Thread-safe. */
char *cx_tempdir_create(cx_error *err);

/* Removes `path` recursively. Returns CX_OK, or CX_EIO with the first path
 * that could not be removed. Thread-safe. */
int cx_tempdir_remove(const char *path, cx_error *err);

#endif /* CX_ENGINE_TEMPDIR_H */
