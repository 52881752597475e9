/* The `sim` backend: a software device that runs the device arithmetic on
 * its own host threads behind the same asynchronous path as a GPU, with
 * fault injection set by a spec string (see cx_sched_config.gpu).
 *
 * Faults are drawn per attempt at submit time, in submission order, from a
 * seeded RNG, so a single-threaded caller replays exactly. A hang keeps
 * the attempt until the scheduler abandons it (or hang_ms passes) and then
 * completes it, so its late result must be dropped.
 */
#ifndef CX_HYBRID_SIM_H
#define CX_HYBRID_SIM_H

#include <stdint.h>

#include "cx_error.h"
#include "hy_backend.h"

typedef struct cx_sim_spec {
  double fail, wrong, hang;
  unsigned delay_us, hang_ms, threads, devices;
  unsigned stuck_ms; /* >0: a hang ignores abandonment for this long */
  unsigned close_ms; /* bound on destroy's wait for a stuck batch; 0 = 10 s */
  unsigned fail_first, wrong_items;
  uint64_t seed;
  size_t max_batch;
} cx_sim_spec;

/* Parses "sim" or "sim:key=value,..." into *out (defaults for missing
 * keys). CX_EINVAL with a message naming the bad key or value. */
int cx_sim_spec_parse(const char *spec, cx_sim_spec *out, cx_error *err);

/* Creates sim device number `index` (its seed is spec->seed + index); it
 * computes with the gpu/ host math (hy_devmath.h). NULL and err set on
 * failure. */
cx_backend *cx_sim_backend_create(const cx_sim_spec *spec, unsigned index,
                                  cx_error *err);

/* Faults injected so far: out[0] failures and out[1] wrong results the
 * scheduler took (in time), out[2] hangs drawn. */
void cx_sim_injected(const cx_backend *b, uint64_t out[3]);

#endif /* CX_HYBRID_SIM_H */
