/* CX_HD SHA-256 and RFC 6962 Merkle (host build of the kernel code):
 * every line of ../shared/vectors/sha256_kat.txt, the batch layout of the
 * kernels, the SPEC section 8 Merkle known answers, and random trees
 * against crypto/'s Merkle. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hd_merkle.h"
#include "host_math.h"
#include "merkle.h"
#include "sha256.h"
#include "cx_test.h"

Test(gpu_sha256, known_answer_file) {
  const char *path = cx_test_shared_path("vectors/sha256_kat.txt");
  size_t len;
  char *text = cx_test_read_file(path, &len);
  size_t count = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    if (line[0] == '#' || line[0] == '\0') continue;
    char *s1 = NULL;
    char *f_len = strtok_r(line, " ", &s1);
    char *f_msg = strtok_r(NULL, " ", &s1);
    char *f_dig = strtok_r(NULL, " \r", &s1);
    cr_assert(f_len && f_msg && f_dig, "malformed line %zu in %s", count + 1, path);
    size_t n = strtoull(f_len, NULL, 10);
    uint8_t *msg = malloc(n ? n : 1), want[32], got[32];
    cr_assert_not_null(msg);
    if (n) cr_assert(cx_test_unhex(f_msg, msg, n), "bad hex, length %zu", n);
    cr_assert(cx_test_unhex(f_dig, want, 32));
    cx_hd_sha256(n ? msg : NULL, n, got);
    cr_assert_arr_eq(got, want, 32, "SHA-256 mismatch for the %zu-byte message", n);
    free(msg);
    count++;
  }
  cr_assert_gt(count, 300, "only %zu vectors read from %s", count, path);
  cr_log_info("gpu_sha256: %zu known answers", count);
  free(text);
}

Test(gpu_sha256, batch_layout_matches_crypto) {
  cx_rng rng = {cx_test_seed("gpu_sha256.batch")};
  enum { N = 500 };
  size_t data_len = 64 * 1024;
  uint8_t *data = malloc(data_len);
  cr_assert_not_null(data);
  cx_rng_bytes(&rng, data, data_len);
  uint32_t off[N], lens[N];
  uint8_t(*out)[32] = malloc(N * 32);
  for (int i = 0; i < N; i++) {
    lens[i] = (uint32_t)cx_rng_below(&rng, 300);
    off[i] = (uint32_t)cx_rng_below(&rng, data_len - lens[i]);
  }
  cx_hd_sha256_batch(N, data, off, lens, out);
  for (int i = 0; i < N; i++) {
    uint8_t want[32];
    cx_sha256(data + off[i], lens[i], want);
    cr_assert_arr_eq(out[i], want, 32, "message %d (%u bytes at %u)", i,
                     lens[i], off[i]);
  }
  free(out);
  free(data);
}

Test(gpu_merkle, spec_known_answers) {
  /* SPEC section 8 leaves; each is at most 16 bytes. */
  static const char *hex[8] = {"", "00", "10", "2021", "3031", "40414243",
                               "5051525354555657",
                               "606162636465666768696a6b6c6d6e6f"};
  static const struct {
    size_t n;
    const char *root;
  } want[] = {
      {1, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
      {2, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"},
      {3, "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"},
      {8, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
  };
  /* The leaves differ in length, which cx_hd_merkle_root (fixed length)
   * cannot take: hash each through the one-leaf tree, then run the level
   * code of the kernels. */
  for (size_t t = 0; t < sizeof want / sizeof want[0]; t++) {
    uint8_t nodes[8][32];
    for (size_t i = 0; i < want[t].n; i++) {
      uint8_t leaf[16];
      size_t l = strlen(hex[i]) / 2;
      cr_assert(cx_test_unhex(hex[i], leaf, l));
      /* H(0x00 || leaf) through the one-leaf tree of the host API */
      cr_assert_eq(cx_hd_merkle_root(1, leaf, l, nodes[i]), 0);
    }
    /* The kernels' level step (hd_merkle.h): pairs, odd last promoted. */
    for (size_t w = want[t].n; w > 1; w = (w + 1) / 2)
      for (size_t i = 0; i < (w + 1) / 2; i++) cx_hd_merkle_level_step(nodes, w, i);
    uint8_t root[32];
    cr_assert(cx_test_unhex(want[t].root, root, 32));
    cr_assert_arr_eq(nodes[0], root, 32, "MTH of the first %zu SPEC leaves", want[t].n);
  }
  uint8_t empty[32], sha_empty[32];
  cr_assert_eq(cx_hd_merkle_root(0, NULL, 0, empty), 0);
  cx_sha256(NULL, 0, sha_empty);
  cr_assert_arr_eq(empty, sha_empty, 32, "MTH([]) must be H(\"\")");
}

Test(gpu_merkle, random_trees_match_crypto) {
  cx_rng rng = {cx_test_seed("gpu_merkle.random")};
  static const size_t leaf_lens[] = {32, 33, 37, 41, 1, 55, 63, 64, 119, 128};
  size_t trees = 0;
  for (size_t n = 1; n <= 300; n += (n < 40 ? 1 : 37)) {
    for (size_t k = 0; k < sizeof leaf_lens / sizeof leaf_lens[0]; k++) {
      size_t ll = leaf_lens[k];
      uint8_t *leaves = malloc(n * ll);
      cr_assert_not_null(leaves);
      cx_rng_bytes(&rng, leaves, n * ll);
      uint8_t got[32], want[32];
      cr_assert_eq(cx_hd_merkle_root(n, leaves, ll, got), 0);
      cr_assert_eq(cx_merkle_root_fixed(n, leaves, ll, want), 0);
      cr_assert_arr_eq(got, want, 32, "n=%zu leaf_len=%zu", n, ll);
      free(leaves);
      trees++;
    }
  }
  /* One large tree crossing many levels. */
  size_t n = 70001;
  uint8_t *leaves = malloc(n * 32), got[32], want[32];
  cr_assert_not_null(leaves);
  cx_rng_bytes(&rng, leaves, n * 32);
  cr_assert_eq(cx_hd_merkle_root(n, leaves, 32, got), 0);
  cr_assert_eq(cx_merkle_root_fixed(n, leaves, 32, want), 0);
  cr_assert_arr_eq(got, want, 32, "n=%zu", n);
  free(leaves);
  cr_log_info("gpu_merkle: %zu random trees + one of %zu leaves", trees + 1, n);
}
