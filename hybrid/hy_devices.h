/* The device set of a scheduler, from the `gpu` string of its config:
 * NULL/""/"none", "all", a CUDA index list "0,1", or a sim spec.
 */
#ifndef CX_HYBRID_DEVICES_H
#define CX_HYBRID_DEVICES_H

#include <stddef.h>

#include "hy_backend.h"

#define CX_SCHED_MAX_DEVICES 16

/* Creates the backends into out[0..*count). A note for people (e.g. "no
 * CUDA device: CPU only") goes to note ("" when none). On failure nothing
 * is left created and err says why (CX_EINVAL for a bad spec or a device
 * that does not exist). */
int cx_devices_create(const char *spec, cx_backend **out, unsigned *count,
                      char *note, size_t note_len, cx_error *err);

#endif /* CX_HYBRID_DEVICES_H */
