/* Parsing of the sim device spec string. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hy_sim.h"

static int cx_sim_bad(cx_error *err, const char *key, size_t klen,
                      const char *why) {
  return cx_error_set(err, CX_EINVAL,
                      "bad sim device spec: '%.*s' %s (expected "
                      "sim:fail=P,wrong=P,hang=P,delay_us=N,seed=N,...)",
                      (int)klen, key, why);
}

static int cx_sim_prob(const char *v, double *out) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (errno || end == v || (*end && *end != ',') || !(d >= 0.0 && d <= 1.0))
    return -1;
  *out = d;
  return 0;
}

static int cx_sim_uint(const char *v, uint64_t max, uint64_t *out) {
  if (*v < '0' || *v > '9')
    return -1;
  char *end;
  errno = 0;
  unsigned long long u = strtoull(v, &end, 10);
  if (errno || (*end && *end != ',') || u > max)
    return -1;
  *out = u;
  return 0;
}

int cx_sim_spec_parse(const char *spec, cx_sim_spec *out, cx_error *err) {
  cx_sim_spec s = {.threads = 1, .devices = 1, .hang_ms = 10000,
                   .seed = 1, .max_batch = 65536};
  if (!spec || strncmp(spec, "sim", 3) != 0 ||
      (spec[3] != '\0' && spec[3] != ':'))
    return cx_error_set(err, CX_EINVAL, "not a sim device spec: '%s'",
                        spec ? spec : "(null)");
  const char *p = spec[3] ? spec + 4 : spec + 3;
  while (*p) {
    const char *eq = strchr(p, '=');
    const char *comma = strchr(p, ',');
    size_t klen = comma ? (size_t)(comma - p) : strlen(p);
    if (!eq || (comma && eq > comma))
      return cx_sim_bad(err, p, klen, "is not key=value");
    size_t nlen = (size_t)(eq - p);
    const char *v = eq + 1;
    uint64_t u = 0;
    int bad = 0;
#define CX_KEY(name) (nlen == sizeof(name) - 1 && !strncmp(p, name, nlen))
    if (CX_KEY("fail"))
      bad = cx_sim_prob(v, &s.fail);
    else if (CX_KEY("wrong"))
      bad = cx_sim_prob(v, &s.wrong);
    else if (CX_KEY("hang"))
      bad = cx_sim_prob(v, &s.hang);
    else if (CX_KEY("delay_us"))
      bad = cx_sim_uint(v, 10000000, &u), s.delay_us = (unsigned)u;
    else if (CX_KEY("hang_ms"))
      bad = cx_sim_uint(v, 600000, &u), s.hang_ms = (unsigned)u;
    else if (CX_KEY("stuck_ms"))
      bad = cx_sim_uint(v, 600000, &u), s.stuck_ms = (unsigned)u;
    else if (CX_KEY("close_ms"))
      bad = cx_sim_uint(v, 600000, &u), s.close_ms = (unsigned)u;
    else if (CX_KEY("threads"))
      bad = cx_sim_uint(v, 64, &u) || u == 0, s.threads = (unsigned)u;
    else if (CX_KEY("devices"))
      bad = cx_sim_uint(v, 16, &u) || u == 0, s.devices = (unsigned)u;
    else if (CX_KEY("fail_first"))
      bad = cx_sim_uint(v, 1u << 30, &u), s.fail_first = (unsigned)u;
    else if (CX_KEY("wrong_items"))
      bad = cx_sim_uint(v, 1u << 30, &u), s.wrong_items = (unsigned)u;
    else if (CX_KEY("seed"))
      bad = cx_sim_uint(v, UINT64_MAX, &s.seed);
    else if (CX_KEY("max_batch"))
      bad = cx_sim_uint(v, 1u << 24, &u) || u == 0, s.max_batch = (size_t)u;
    else
      return cx_sim_bad(err, p, nlen, "is not a known key");
#undef CX_KEY
    if (bad)
      return cx_sim_bad(err, p, klen, "has a bad value");
    p = comma ? comma + 1 : p + klen;
  }
  if (s.fail + s.wrong + s.hang > 1.0 + 1e-12)
    return cx_error_set(err, CX_EINVAL, "bad sim device spec '%s': fail + "
                        "wrong + hang must not exceed 1", spec);
  *out = s;
  return CX_OK;
}
