/* JSON value readers of the fixture loader: each enforces one value rule
 * of SPEC section 6 and names the JSON path of a bad value. */
#include "fixture_json.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

/* Decodes n hex digits (n even) into out; on a bad digit returns its
 * offset (for the message), else -1. */
long cx_fj_hex_decode_at(const char *s, size_t n, uint8_t *out) {
  if (cx_hex_decode(s, n, out))
    return -1;
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)s[i]))
      return (long)i;
  return 0; /* not reached: n is even and every digit is hex */
}

int cx_fj_bad(cx_error *err, const char *path, const char *what) {
  return cx_error_set(err, CX_EFIXTURE, "%s: %s", path, what);
}

/* A fixed-size hex field (addresses, keys, roots). */
int cx_fj_get_hex_fixed(const cJSON *obj, const char *name, const char *path,
                         uint8_t *out, size_t nbytes, cx_error *err) {
  char where[PATH_MAX_LEN + 32];
  snprintf(where, sizeof where, "%s.%s", path, name);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!v)
    return cx_fj_bad(err, where, "missing");
  if (!cJSON_IsString(v))
    return cx_fj_bad(err, where, "must be a string of hex digits");
  size_t n = strlen(v->valuestring);
  if (n != 2 * nbytes)
    return cx_error_set(err, CX_EFIXTURE,
                        "%s: expected %zu hex digits, got %zu", where,
                        2 * nbytes, n);
  long at = cx_fj_hex_decode_at(v->valuestring, n, out);
  if (at >= 0)
    return cx_error_set(err, CX_EFIXTURE, "%s: not a hex digit at offset %ld",
                        where, at);
  return CX_OK;
}

/* SPEC: digits only, no sign or spaces, no leading zero except "0" itself,
 * at most 2^64-1. */
bool cx_fj_parse_u64(const char *s, uint64_t *out) {
  size_t n = strlen(s);
  if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

/* A u64 decimal-string field; when optional and absent, *out = 0. */
int cx_fj_get_u64(const cJSON *obj, const char *name, const char *path,
                   bool optional, uint64_t *out, cx_error *err) {
  char where[PATH_MAX_LEN + 32];
  snprintf(where, sizeof where, "%s.%s", path, name);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  *out = 0;
  if (!v)
    return optional ? CX_OK : cx_fj_bad(err, where, "missing");
  if (!cJSON_IsString(v))
    return cx_fj_bad(err, where,
               "must be a decimal string (JSON numbers lose precision)");
  if (!cx_fj_parse_u64(v->valuestring, out))
    return cx_error_set(err, CX_EFIXTURE,
                        "%s: \"%.40s\" is not a u64 decimal string (digits "
                        "only, no leading zeros, at most "
                        "18446744073709551615)",
                        where, v->valuestring);
  return CX_OK;
}

/* An optional array member: absent -> NULL (empty), else must be an array. */
int cx_fj_get_array(const cJSON *obj, const char *name, const char *path,
                     bool optional, const cJSON **out, cx_error *err) {
  char where[PATH_MAX_LEN + 32];
  snprintf(where, sizeof where, "%s%s%s", path, *path ? "." : "", name);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  *out = NULL;
  if (!v)
    return optional ? CX_OK : cx_fj_bad(err, where, "missing");
  if (!cJSON_IsArray(v))
    return cx_fj_bad(err, where, "must be an array");
  *out = v;
  return CX_OK;
}

/* A JSON number that must be a small non-negative integer. */
bool cx_fj_uint(const cJSON *v, double max, uint64_t *out) {
  if (!cJSON_IsNumber(v))
    return false;
  double d = v->valuedouble;
  if (d < 0 || d > max || d != (double)(uint64_t)d)
    return false;
  *out = (uint64_t)d;
  return true;
}

/* Offset of the first NUL character inside the JSON document text[0..n)
 * (the escape \u0000, or a raw 0 byte), or n when there is none. cJSON
 * hands strings over NUL-terminated, so "5\u0000junk" would read as "5"
 * and an invalid value would pass every rule; no rule of SPEC section 6
 * admits a NUL, so the document is refused instead. Backslashes occur
 * only inside strings of a parsed document, so escapes pair up from the
 * start. */
size_t cx_fj_first_nul(const char *text, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (text[i] == '\0')
      return i;
    if (text[i] != '\\' || i + 1 >= n)
      continue;
    if (text[i + 1] == 'u' && i + 5 < n && !memcmp(text + i + 2, "0000", 4))
      return i;
    i += text[i + 1] == 'u' ? 5 : 1;
  }
  return n;
}

/* Line and column of byte offset `at` in text, for JSON syntax errors. */
void cx_fj_line_col(const char *text, size_t at, size_t *line, size_t *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < at; i++) {
    if (text[i] == '\n') {
      ++*line;
      *col = 1;
    } else {
      ++*col;
    }
  }
}
