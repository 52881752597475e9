/* The operation test's host side: inputs, the host run, and the op-by-op
 * comparison of another run (a device, or a deliberately broken host run
 * in the harness's own test) with the host build of the same CX_HD code.
 *
 * Records and the operations are those of hd_optest.h. Plain C; no CUDA
 * types. Thread-safe (no shared state).
 */
#ifndef CX_GPU_OPTEST_H
#define CX_GPU_OPTEST_H

#include <stddef.h>
#include <stdint.h>

#include "hd_optest.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Name of operation op ("fe_mul", ...), or "?" outside the table. */
const char *cx_optest_name(int op);

/* Fills n input records (n * CX_HD_OPTEST_IN bytes) from seed: numbers
 * drawn from uniform values and edges (0, 1, p-1, p, n-1, n, 2^256-1,
 * limbs of all ones or zeros), valid compressed keys, and random digests
 * and signatures (mostly not valid: a test may put valid ones in). */
void cx_optest_inputs(uint64_t seed, size_t n, uint8_t *in);

/* Recomputes the points of n records (P, Q, J, K, M of hd_optest.h) from
 * their keys and numbers; call it after changing a record's keys, C or D
 * (a key that does not parse gives G). */
void cx_optest_points(size_t n, uint8_t *in);

/* Runs op on n records with the host build: out gets n output records. */
void cx_optest_host(int op, size_t n, const uint8_t *in, uint8_t *out);

/* Another implementation of the operations: runs op on n records into
 * out; returns 0, or nonzero with a message in why (len bytes). */
typedef int (*cx_optest_runner)(void *ctx, int op, size_t n,
                                const uint8_t *in, uint8_t *out, char *why,
                                size_t len);

/* The first difference found: operation, record and byte, and the two
 * bytes there. */
typedef struct cx_optest_diff {
  int op;
  size_t item;
  size_t byte;
  uint8_t got, want;
  size_t items_differing; /* records of op that differ */
} cx_optest_diff;

/* Runs every operation in table order through run and through the host,
 * on the same n records, and stops at the first operation whose outputs
 * differ. Returns 0 when all agree; 1 with *diff set and a message naming
 * the operation in why; -1 when run failed or memory ran out (why says). */
int cx_optest_compare(cx_optest_runner run, void *ctx, size_t n,
                      const uint8_t *in, cx_optest_diff *diff, char *why,
                      size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CX_GPU_OPTEST_H */
