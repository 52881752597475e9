/* LMDB and errno codes -> cx codes, with the path and an action. */
#include <errno.h>
#include <lmdb.h>

#include "store_internal.h"

int cx_store_fail_path(const char *path, unsigned max_readers, int rc,
                       const char *what, cx_error *err) {
  const char *detail = mdb_strerror(rc);
  switch (rc) {
  case ENOSPC:
  case EDQUOT:
  case EFBIG: /* a file-size limit (ulimit -f) is full disk from our side */
    return cx_error_set(err, CX_ENOSPC,
                        "%s: no space left for the store while %s (%s); free "
                        "disk space (or raise the quota or file-size limit) "
                        "and retry",
                        path, what, detail);
  case EACCES:
  case EPERM:
  case EROFS:
    return cx_error_set(err, CX_EACCES,
                        "%s: permission denied while %s (%s); check the owner "
                        "and mode of the directory and of its data.mdb and "
                        "lock.mdb, and that the filesystem is writable",
                        path, what, detail);
  case MDB_INVALID:
    return cx_error_set(err, CX_ECORRUPT,
                        "%s: data.mdb is not an LMDB database or its header is "
                        "damaged (%s) while %s; point the path at an empty "
                        "directory or restore the store from a backup",
                        path, detail, what);
  case MDB_CORRUPTED:
  case MDB_PAGE_NOTFOUND:
    return cx_error_set(err, CX_ECORRUPT,
                        "%s: the database is damaged (%s) while %s; restore "
                        "it from a backup or delete it and replay the chain",
                        path, detail, what);
  case MDB_KEYEXIST: /* a block row that should be new already exists */
    return cx_error_set(err, CX_ECORRUPT,
                        "%s: a row that should be new already exists while "
                        "%s; the store is inconsistent: replay the chain into "
                        "a new directory",
                        path, what);
  case MDB_VERSION_MISMATCH:
    return cx_error_set(err, CX_EVERSION,
                        "%s: the files were written by an incompatible LMDB "
                        "version (%s) while %s; open it with the build that "
                        "wrote it, or replay the chain into a new directory",
                        path, detail, what);
  case MDB_READERS_FULL:
    return cx_error_set(err, CX_EREADERS,
                        "%s: all %u reader slots are in use while %s; release "
                        "snapshots, or open the store with a larger "
                        "max_readers",
                        path, max_readers, what);
  case ENOMEM:
    return cx_error_set(err, CX_ENOMEM, "%s: out of memory while %s (%s)", path,
                        what, detail);
  case EIO:
    return cx_error_set(err, CX_EIO,
                        "%s: input/output error while %s (%s); check the disk",
                        path, what, detail);
  case MDB_PANIC:
    return cx_error_set(err, CX_EDB,
                        "%s: LMDB hit a fatal error while %s (%s); close and "
                        "reopen the store",
                        path, what, detail);
  default:
    return cx_error_set(err, CX_EDB, "%s: LMDB error while %s: %s (%d)", path,
                        what, detail, rc);
  }
}

int cx_store_fail(const cx_store *s, int rc, const char *what, cx_error *err) {
  return cx_store_fail_path(s->path, s->cfg.max_readers, rc, what, err);
}
