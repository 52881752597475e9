/* CRC32C: a slicing-by-8 table fallback and the SSE4.2 instruction, picked
 * once at run time. */
#include "store_crc.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
    table[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; i++)
    for (int t = 1; t < 8; t++)
      table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

uint32_t cx_crc32c_portable(uint32_t crc, const void *p, size_t n) {
  pthread_once(&table_once, table_init);
  const uint8_t *b = p;
  uint32_t c = ~crc;
  while (n >= 8) {
    /* Bytes in stream order, independent of the host's byte order. */
    uint32_t lo = c ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 |
                       (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
    c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
        table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^ table[3][b[4]] ^
        table[2][b[5]] ^ table[1][b[6]] ^ table[0][b[7]];
    b += 8;
    n -= 8;
  }
  while (n--)
    c = (c >> 8) ^ table[0][(c ^ *b++) & 0xff];
  return ~c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) uint32_t cx_crc32c_hw(uint32_t crc,
                                                        const void *p,
                                                        size_t n) {
  const uint8_t *b = p;
  uint64_t c = ~crc;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, b, 8); /* x86 is little-endian: stream order */
    c = _mm_crc32_u64(c, w);
    b += 8;
    n -= 8;
  }
  uint32_t c32 = (uint32_t)c;
  while (n--)
    c32 = _mm_crc32_u8(c32, *b++);
  return ~c32;
}

bool cx_crc32c_hw_available(void) {
  return __builtin_cpu_supports("sse4.2");
}
#else
uint32_t cx_crc32c_hw(uint32_t crc, const void *p, size_t n) {
  return cx_crc32c_portable(crc, p, n);
}

bool cx_crc32c_hw_available(void) { return false; }
#endif

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);
static crc_fn chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static void choose(void) {
  chosen = cx_crc32c_hw_available() ? cx_crc32c_hw : cx_crc32c_portable;
}

uint32_t cx_crc32c(uint32_t crc, const void *p, size_t n) {
  pthread_once(&chosen_once, choose);
  return chosen(crc, p, n);
}
