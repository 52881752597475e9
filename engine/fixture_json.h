/* Fixture loading (fixture_load.c): JSON value readers that enforce the
 * value rules of SPEC section 6 (fixture_json.c), and the genesis entry
 * list shared with fixture.c. Each reader names the JSON path of a bad
 * value in the message; `path` is the path of the enclosing object. */
#ifndef CX_FIXTURE_JSON_H
#define CX_FIXTURE_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_error.h"
#include "fixture.h"
#include "state.h"

#define PATH_MAX_LEN 96

/* Decodes n hex digits (n even) into out; on a bad digit returns its
 * offset (for the message), else -1. */
long cx_fj_hex_decode_at(const char *s, size_t n, uint8_t *out);

/* CX_EFIXTURE "<path>: <what>". */
int cx_fj_bad(cx_error *err, const char *path, const char *what);

/* A fixed-size hex field (addresses, keys, roots). */
int cx_fj_get_hex_fixed(const cJSON *obj, const char *name, const char *path,
                        uint8_t *out, size_t nbytes, cx_error *err);

/* SPEC: digits only, no sign or spaces, no leading zero except "0" itself,
 * at most 2^64-1. */
bool cx_fj_parse_u64(const char *s, uint64_t *out);

/* A u64 decimal-string field; when optional and absent, *out = 0. */
int cx_fj_get_u64(const cJSON *obj, const char *name, const char *path,
                  bool optional, uint64_t *out, cx_error *err);

/* An array member: absent -> NULL when optional (else an error), else it
 * must be an array. */
int cx_fj_get_array(const cJSON *obj, const char *name, const char *path,
                    bool optional, const cJSON **out, cx_error *err);

/* A JSON number that must be an integer in [0, max]. */
bool cx_fj_uint(const cJSON *v, double max, uint64_t *out);

/* Offset of the first NUL character inside the JSON text (see
 * fixture_json.c), or n when there is none. */
size_t cx_fj_first_nul(const char *text, size_t n);

/* Line and column of byte offset `at` in text, for JSON syntax errors. */
void cx_fj_line_col(const char *text, size_t at, size_t *line, size_t *col);

/* The genesis entries of f sorted by key (malloc'd into *out); CX_EFIXTURE
 * naming an address or key listed twice, or CX_ENOMEM. */
int cx_fixture_genesis_entries(const cx_fixture *f, cx_entry **out,
                               cx_error *err);

#endif /* CX_FIXTURE_JSON_H */
