/* storage: CRC32C, the record checksum. Known answers for the table and
 * the SSE4.2 versions, agreement on random buffers of every length and
 * alignment, and chaining (CRC of a||b from the CRC of a). */
#include <criterion/criterion.h>

#include "test_storage_util.h"

TestSuite(storage_crc);

Test(storage_crc, known_answers) {
  static const struct {
    const char *in;
    size_t len;
    uint32_t want;
  } kat[] = {
      {"", 0, 0x00000000u},
      {"a", 1, 0xC1D04330u},
      {"123456789", 9, 0xE3069283u},
      /* RFC 3720 B.4: 32 bytes of zeros, of 0xff */
      {"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
       32, 0x8A9136AAu},
  };
  for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
    cr_expect_eq(cx_crc32c_portable(0, kat[i].in, kat[i].len), kat[i].want,
                 "portable, case %zu: %08x", i,
                 cx_crc32c_portable(0, kat[i].in, kat[i].len));
    cr_expect_eq(cx_crc32c(0, kat[i].in, kat[i].len), kat[i].want,
                 "dispatch, case %zu", i);
    if (cx_crc32c_hw_available())
      cr_expect_eq(cx_crc32c_hw(0, kat[i].in, kat[i].len), kat[i].want,
                   "hw, case %zu", i);
  }
  uint8_t ff[32];
  memset(ff, 0xff, sizeof ff);
  cr_expect_eq(cx_crc32c_portable(0, ff, 32), 0x62A8AB43u);
  if (cx_crc32c_hw_available())
    cr_expect_eq(cx_crc32c_hw(0, ff, 32), 0x62A8AB43u);
  else
    cr_log_warn("no SSE4.2 here: only the portable CRC32C was checked");
}

Test(storage_crc, hw_and_portable_agree_and_chain) {
  cx_rng rng = {cx_test_seed("storage_crc")};
  uint8_t buf[600];
  for (int iter = 0; iter < 2000; iter++) {
    size_t off = cx_rng_below(&rng, 8), len = cx_rng_below(&rng, 520);
    cx_rng_bytes(&rng, buf, sizeof buf);
    uint32_t p = cx_crc32c_portable(0, buf + off, len);
    if (cx_crc32c_hw_available())
      cr_assert_eq(cx_crc32c_hw(0, buf + off, len), p, "len %zu off %zu", len,
                   off);
    cr_assert_eq(cx_crc32c(0, buf + off, len), p);
    size_t cut = len ? cx_rng_below(&rng, len + 1) : 0;
    uint32_t a = cx_crc32c(0, buf + off, cut);
    cr_assert_eq(cx_crc32c(a, buf + off + cut, len - cut), p, "chain at %zu",
                 cut);
    cr_assert_eq(cx_crc32c_portable(a, buf + off + cut, len - cut), p);
    /* Any single flipped bit changes the CRC. */
    if (len) {
      size_t at = cx_rng_below(&rng, len);
      buf[off + at] ^= (uint8_t)(1u << cx_rng_below(&rng, 8));
      cr_assert_neq(cx_crc32c(0, buf + off, len), p);
    }
  }
}
