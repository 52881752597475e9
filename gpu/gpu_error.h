/* Error reporting at the gpu/ C boundary.
 *
 * gpu/ is a leaf (it may not include crypto/), so it has its own small
 * error object. The code values equal those of cx_code in crypto/cx_error.h
 * (CX_GPU_EINVAL == CX_EINVAL, ...), so the hybrid layer translates by
 * copying the code and the message. The message names what failed, the
 * CUDA expression and error string, and file:line.
 */
#ifndef CX_GPU_ERROR_H
#define CX_GPU_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
  CX_GPU_OK = 0,
  CX_GPU_EINVAL = 1,       /* bad argument (NULL, bad index, size) */
  CX_GPU_ENOMEM = 2,       /* host allocation failed */
  CX_GPU_EDEVICE = 12,     /* any CUDA error, device lost, bad result */
  CX_GPU_EUNSUPPORTED = 14 /* built without CUDA, or no such device */
};

#define CX_GPU_ERROR_MESSAGE_MAX 256

/* Zero-initialise before use; functions accept NULL when the caller does
 * not want details. */
typedef struct cx_gpu_error {
  int code;
  char message[CX_GPU_ERROR_MESSAGE_MAX];
} cx_gpu_error;

/* Sets err (when not NULL) to code and a printf-style message; returns
 * code. Thread-safe (touches only *err). */
int cx_gpu_error_set(cx_gpu_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif /* CX_GPU_ERROR_H */
