/* cx_error: the code list's tables and message helpers. */
#include "cx_error.h"

#include <stdio.h>
#include <string.h>

const char *cx_strerror(int code) {
  switch (code) {
#define CX_ERROR_TEXT_(name, value, text)                                      \
  case value:                                                                  \
    return text;
    CX_ERROR_LIST(CX_ERROR_TEXT_)
#undef CX_ERROR_TEXT_
  }
  return "unknown error";
}

const char *cx_error_name(int code) {
  switch (code) {
#define CX_ERROR_NAME_(name, value, text)                                      \
  case value:                                                                  \
    return #name;
    CX_ERROR_LIST(CX_ERROR_NAME_)
#undef CX_ERROR_NAME_
  }
  return "CX_EUNKNOWN";
}

void cx_error_clear(cx_error *err) {
  if (err) {
    err->code = CX_OK;
    err->message[0] = '\0';
  }
}

int cx_error_set(cx_error *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

int cx_error_wrap(cx_error *err, const char *fmt, ...) {
  if (!err)
    return CX_EINVAL;
  char prefix[CX_ERROR_MESSAGE_MAX];
  char old[CX_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->message, sizeof old);
  /* Truncation is fine: the message is for people, and stays terminated. */
  size_t n = strlen(prefix);
  if (n > sizeof err->message - 3)
    n = sizeof err->message - 3;
  memcpy(err->message, prefix, n);
  memcpy(err->message + n, ": ", 2);
  size_t room = sizeof err->message - n - 2;
  size_t m = strnlen(old, room - 1);
  memcpy(err->message + n + 2, old, m);
  err->message[n + 2 + m] = '\0';
  return err->code;
}
