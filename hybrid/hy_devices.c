/* Parsing of the device spec and creation of the device backends. */
#include "hy_devices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hy_cuda.h"
#include "hy_sim.h"

static void cx_devices_free(cx_backend **out, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    out[i]->ops->destroy(out[i]);
}

static int cx_devices_sim(const char *spec, cx_backend **out,
                          unsigned *count, cx_error *err) {
  cx_sim_spec s;
  int rc = cx_sim_spec_parse(spec, &s, err);
  if (rc)
    return rc;
  for (unsigned i = 0; i < s.devices; i++) {
    out[i] = cx_sim_backend_create(&s, i, err);
    if (!out[i]) {
      cx_devices_free(out, i);
      return err ? err->code : CX_ENOMEM;
    }
  }
  *count = s.devices;
  return CX_OK;
}

/* "0,1,3": distinct CUDA indices below `have`. */
static int cx_devices_list(const char *spec, int have, int *ids,
                           unsigned *n, cx_error *err) {
  const char *p = spec;
  *n = 0;
  while (*p) {
    char *end;
    long id = strtol(p, &end, 10);
    if (end == p || id < 0 || (*end && *end != ','))
      return cx_error_set(err, CX_EINVAL, "bad device list '%s': expected "
                          "none, all, sim[:...] or indices like 0,1", spec);
    if (id >= have)
      return cx_error_set(err, CX_EINVAL, "CUDA device %ld requested but "
                          "%d device%s found%s", id, have,
                          have == 1 ? " was" : "s were",
                          have ? "" : " (no CUDA device: use gpu=none or "
                                      "gpu=all for CPU only)");
    for (unsigned i = 0; i < *n; i++)
      if (ids[i] == id)
        return cx_error_set(err, CX_EINVAL, "device %ld listed twice in "
                            "'%s'", id, spec);
    if (*n == CX_SCHED_MAX_DEVICES)
      return cx_error_set(err, CX_EINVAL, "more than %d devices in '%s'",
                          CX_SCHED_MAX_DEVICES, spec);
    ids[(*n)++] = (int)id;
    p = *end ? end + 1 : end;
  }
  if (*n == 0)
    return cx_error_set(err, CX_EINVAL, "empty device list '%s'", spec);
  return CX_OK;
}

int cx_devices_create(const char *spec, cx_backend **out, unsigned *count,
                      char *note, size_t note_len, cx_error *err) {
  *count = 0;
  note[0] = '\0';
  if (!spec || !*spec || strcmp(spec, "none") == 0)
    return CX_OK;
  if (strncmp(spec, "sim", 3) == 0)
    return cx_devices_sim(spec, out, count, err);
  int have = cx_cuda_device_count();
  if (have > CX_SCHED_MAX_DEVICES)
    have = CX_SCHED_MAX_DEVICES;
  int ids[CX_SCHED_MAX_DEVICES];
  unsigned n = 0;
  if (strcmp(spec, "all") == 0) {
    for (int i = 0; i < have; i++)
      ids[n++] = i;
    if (n == 0) {
      snprintf(note, note_len, "no CUDA device: CPU only");
      return CX_OK;
    }
  } else {
    int rc = cx_devices_list(spec, have, ids, &n, err);
    if (rc)
      return rc;
  }
  for (unsigned i = 0; i < n; i++) {
    out[i] = cx_cuda_backend_create(ids[i], err);
    if (!out[i]) {
      cx_devices_free(out, i);
      return err ? err->code : CX_EDEVICE;
    }
  }
  *count = n;
  return CX_OK;
}
