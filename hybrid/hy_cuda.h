/* The `cuda` backend: one per CUDA device, driving the gpu/ launchers
 * (gpu/gpu.h) from a host thread, so a batch is asynchronous to the
 * scheduler like the sim's. Without CUDA in the build, gpu/'s stub reports
 * no device, so no cuda backend is ever created. A launch that never
 * returns is abandoned at its deadline, but destroying the backend waits
 * for it (the device thread cannot be cancelled).
 */
#ifndef CX_HYBRID_CUDA_H
#define CX_HYBRID_CUDA_H

#include "cx_error.h"
#include "hy_backend.h"

/* Number of usable CUDA devices; 0 without a CUDA build or device. */
int cx_cuda_device_count(void);

/* Creates the backend of device `dev` (named "cuda<dev>"). NULL and err
 * set on failure (CX_EUNSUPPORTED without CUDA, CX_EINVAL for a bad
 * index, CX_ENOMEM, CX_ELIMIT). */
cx_backend *cx_cuda_backend_create(int dev, cx_error *err);

#endif /* CX_HYBRID_CUDA_H */
