/* cx_gpu_error_set: see gpu_error.h. */
#include "gpu_error.h"

#include <stdarg.h>
#include <stdio.h>

int cx_gpu_error_set(cx_gpu_error *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}
