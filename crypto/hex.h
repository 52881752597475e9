/* Hex encoding (lowercase out, either case in). Thread-safe, no allocation. */
#ifndef CX_HEX_H
#define CX_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes 2*n lowercase hex digits and a NUL to out (2*n+1 bytes). */
void cx_hex_encode(const uint8_t *in, size_t n, char *out);

/* Decodes hex_len digits (must be even) into out (hex_len/2 bytes).
 * False on an odd length or a non-hex digit; out is then unspecified. */
bool cx_hex_decode(const char *hex, size_t hex_len, uint8_t *out);

#endif /* CX_HEX_H */
