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

/* A scratch directory under $TMPDIR, removed by rm_db or, after a failed
 * assertion, when the test's process exits (cx_test_mkdtemp). */
static inline char *make_tmpdir(void) {
  char *d = cx_test_mkdtemp("rel");
  cr_assert_not_null(d, "cannot create a temporary directory");
  return d;
}

/* Removes a directory from make_tmpdir and everything in it. */
static inline void rm_db(const char *dir) { cx_test_rmtree(dir); }

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
