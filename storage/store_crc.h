/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
 * every stored record (storage/ only; see store_codec.h).
 *
 * cx_crc32c(0, "123456789", 9) == 0xE3069283. The crc argument chains:
 * cx_crc32c(cx_crc32c(0, a, n), b, m) is the CRC of a||b. Uses the SSE4.2
 * crc32 instruction when the CPU has it (checked once at run time), else
 * a table; both give the same result (tests/test_storage_crc.c).
 */
#ifndef CX_STORE_CRC_H
#define CX_STORE_CRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CRC32C of p[0..n) continuing from crc (0 to start). Thread-safe. */
uint32_t cx_crc32c(uint32_t crc, const void *p, size_t n);

/* The portable table version (always available). */
uint32_t cx_crc32c_portable(uint32_t crc, const void *p, size_t n);

/* The SSE4.2 version; call only when cx_crc32c_hw_available(). */
uint32_t cx_crc32c_hw(uint32_t crc, const void *p, size_t n);

/* True when this CPU (and build target) has the crc32 instruction. */
bool cx_crc32c_hw_available(void);

#endif /* CX_STORE_CRC_H */
