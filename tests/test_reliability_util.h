/* Helpers shared by the reliability suites: scratch database directories
 * and an engine opened on one (one thread, no pipeline, no fsync). */
#ifndef CX_TEST_RELIABILITY_UTIL_H
#define CX_TEST_RELIABILITY_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainexec.h"

static inline char *make_tmpdir(void) {
  char tmpl[] = "/tmp/cx-rel-XXXXXX";
  char *d = mkdtemp(tmpl);
  cr_assert_not_null(d);
  return strdup(d);
}

static inline void rm_db(const char *dir) {
  char p[512];
  snprintf(p, sizeof p, "%s/data.mdb", dir);
  unlink(p);
  snprintf(p, sizeof p, "%s/lock.mdb", dir);
  unlink(p);
  rmdir(dir);
}

/* Opens the database at dir with one thread, no pipeline, no fsync. */
static inline cx_engine *open_at(const char *dir, cx_error *err) {
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.db_path = dir;
  cfg.threads = 1;
  cfg.pipeline = false;
  cfg.durability = CX_NOSYNC;
  return cx_engine_open(&cfg, err);
}

#endif /* CX_TEST_RELIABILITY_UTIL_H */
