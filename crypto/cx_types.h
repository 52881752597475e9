/* Fixed-size value types shared by every module. */
#ifndef CX_TYPES_H
#define CX_TYPES_H

#include <stdint.h>

typedef struct cx_hash32 {
  uint8_t b[32];
} cx_hash32;

typedef struct cx_addr20 {
  uint8_t b[20];
} cx_addr20;

#endif /* CX_TYPES_H */
