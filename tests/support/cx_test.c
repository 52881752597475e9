#include "cx_test.h"
#include "hex.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *shared_dir(void) {
  const char *env = getenv("CX_SHARED_DIR");
  return env && *env ? env : CX_SHARED_DIR;
}

const char *cx_test_shared_path(const char *rel) {
  static _Thread_local char path[4096];
  struct stat st;
  const char *dir = shared_dir();
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0)
      cr_assert_fail("shared folder %s is missing: CI must run with ../shared "
                     "beside the checkout", dir);
    cr_skip_test("shared folder %s is missing (set CX_SHARED_DIR=DIR, "
                 "also for ctest, or configure with -DCHAINEXEC_SHARED_DIR=DIR);"
                 " skipping the checks that need %s", dir, rel);
  }
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  return path;
}

char *cx_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)size + 1);
  cr_assert_not_null(buf);
  size_t got = fread(buf, 1, (size_t)size, f);
  fclose(f);
  cr_assert_eq(got, (size_t)size, "short read of %s", path);
  buf[size] = '\0';
  if (len)
    *len = (size_t)size;
  return buf;
}

void cx_rng_bytes(cx_rng *r, void *out, size_t n) {
  uint8_t *p = out;
  while (n) {
    uint64_t v = cx_rng_next(r);
    size_t k = n < 8 ? n : 8;
    memcpy(p, &v, k);
    p += k;
    n -= k;
  }
}

bool cx_test_unhex(const char *hex, uint8_t *out, size_t n) {
  return strlen(hex) >= 2 * n && cx_hex_decode(hex, 2 * n, out);
}
