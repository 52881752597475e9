/* Device arithmetic for the sim backend: the gpu/ host-compiled kernels. */
#include "hy_devmath.h"

#include "host_math.h"

const char *cx_devmath_name(void) { return "gpu/host_math"; }

void cx_devmath_verify(size_t n, const uint8_t *pub33s,
                       const uint8_t *digests, const uint8_t *sigs64,
                       uint8_t *verdicts) {
  cx_hd_verify_batch(n, pub33s, digests, sigs64, verdicts);
}

void cx_devmath_sha256(size_t n, const uint8_t *data,
                       const uint32_t *offsets, const uint32_t *lens,
                       uint8_t (*out)[32]) {
  cx_hd_sha256_batch(n, data, offsets, lens, out);
}
