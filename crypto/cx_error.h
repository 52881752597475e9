/* chainexec error codes and the error object every module returns.
 *
 * One X-macro list generates the code enum, cx_strerror() and
 * cx_error_name(). CX_OK is 0; every failure is a positive code. A cx_error
 * carries the code and a message a person can act on (what failed, on which
 * path or item, and what to do about it).
 *
 * This header is installed beside chainexec.h; it depends on nothing but libc.
 */
#ifndef CX_ERROR_H
#define CX_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__) && !defined(CX_API)
#define CX_API __attribute__((visibility("default")))
#elif !defined(CX_API)
#define CX_API
#endif

/* X(name, value, short description) */
#define CX_ERROR_LIST(X)                                                       \
  X(CX_OK, 0, "success")                                                       \
  X(CX_EINVAL, 1, "invalid argument")                                          \
  X(CX_ENOMEM, 2, "out of memory")                                             \
  X(CX_EIO, 3, "input/output error")                                           \
  X(CX_ENOSPC, 4, "no space left on device")                                   \
  X(CX_EACCES, 5, "permission denied")                                         \
  X(CX_ECORRUPT, 6, "database or file is corrupt")                             \
  X(CX_EVERSION, 7, "unsupported schema or format version")                    \
  X(CX_EREADERS, 8, "too many database readers")                               \
  X(CX_ESTATE, 9, "operation not valid in the current state")                  \
  X(CX_EFIXTURE, 10, "invalid fixture")                                        \
  X(CX_EMISMATCH, 11, "result does not match the expected value")             \
  X(CX_EDEVICE, 12, "GPU device error")                                        \
  X(CX_ETIMEOUT, 13, "deadline exceeded")                                      \
  X(CX_EUNSUPPORTED, 14, "not supported by this build")                        \
  X(CX_ELIMIT, 15, "resource limit exceeded")                                  \
  X(CX_ENOTFOUND, 16, "not found")                                             \
  X(CX_EDB, 17, "database error")

typedef enum cx_code {
#define CX_ERROR_ENUM_(name, value, text) name = value,
  CX_ERROR_LIST(CX_ERROR_ENUM_)
#undef CX_ERROR_ENUM_
} cx_code;

#define CX_ERROR_MESSAGE_MAX 512

/* An error result: code plus a human message. Zero-initialise or call
 * cx_error_clear() before use. Functions taking a `cx_error *err` accept
 * NULL when the caller does not want the message. */
typedef struct cx_error {
  int code;
  char message[CX_ERROR_MESSAGE_MAX];
} cx_error;

/* Short description of `code` ("no space left on device"); never NULL,
 * "unknown error" for codes outside the list. Thread-safe. */
CX_API const char *cx_strerror(int code);

/* Symbolic name of `code` ("CX_ENOSPC"); never NULL. Thread-safe. */
CX_API const char *cx_error_name(int code);

/* Resets `err` (if not NULL) to CX_OK with an empty message. */
CX_API void cx_error_clear(cx_error *err);

/* Sets `err` (if not NULL) to `code` with a printf-style message, and
 * returns `code` so callers can write `return cx_error_set(err, ...)`. */
CX_API int cx_error_set(cx_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefixes the message already in `err` with printf-style context
 * ("opening block 7: <old message>"); keeps the code. Returns the code. */
CX_API int cx_error_wrap(cx_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif /* CX_ERROR_H */
