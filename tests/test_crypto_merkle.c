/* RFC 6962 Merkle Tree Hash: the SPEC section 8 known answers, and the
 * bottom-up implementation against a naive recursive reference for every
 * n in 0..300 (random leaves of random length), fixed-length leaves across
 * several staging chunks, and leaves too large to stage. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_test.h"
#include "merkle.h"
#include "sha256.h"

/* Reference: the recursive definition of SPEC section 5, written with the
 * portable incremental hash only. */
static void ref_mth(size_t n, const uint8_t *const *leaves, const size_t *lens,
                    uint8_t out[32]) {
  cx_sha256_ctx ctx;
  cx_sha256_init(&ctx);
  if (n == 0) {
    cx_sha256_final_portable(&ctx, out);
    return;
  }
  if (n == 1) {
    uint8_t zero = 0x00;
    cx_sha256_update_portable(&ctx, &zero, 1);
    cx_sha256_update_portable(&ctx, leaves[0], lens[0]);
    cx_sha256_final_portable(&ctx, out);
    return;
  }
  size_t k = 1;
  while (k * 2 < n)
    k *= 2;
  uint8_t l[32], r[32], one = 0x01;
  ref_mth(k, leaves, lens, l);
  ref_mth(n - k, leaves + k, lens + k, r);
  cx_sha256_update_portable(&ctx, &one, 1);
  cx_sha256_update_portable(&ctx, l, 32);
  cx_sha256_update_portable(&ctx, r, 32);
  cx_sha256_final_portable(&ctx, out);
}

static void assert_hex(const uint8_t got[32], const char *hex, size_t n) {
  uint8_t want[32];
  cr_assert(cx_test_unhex(hex, want, 32));
  cr_assert_eq(memcmp(got, want, 32), 0, "MTH of the first %zu SPEC leaves",
               n);
}

Test(crypto_merkle, spec_section_8_known_answers) {
  static const char *const leaf_hex[8] = {
      "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
      "606162636465666768696a6b6c6d6e6f"};
  static const struct {
    size_t n;
    const char *root;
  } kats[] = {
      {1, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
      {2, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"},
      {3, "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"},
      {8, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
  };
  uint8_t bufs[8][16];
  const uint8_t *leaves[8];
  size_t lens[8];
  for (int i = 0; i < 8; i++) {
    lens[i] = strlen(leaf_hex[i]) / 2;
    cr_assert(cx_test_unhex(leaf_hex[i], bufs[i], lens[i]));
    leaves[i] = bufs[i];
  }
  for (size_t i = 0; i < sizeof kats / sizeof kats[0]; i++) {
    uint8_t root[32];
    cr_assert_eq(cx_merkle_root(kats[i].n, leaves, lens, root), 0);
    assert_hex(root, kats[i].root, kats[i].n);
    ref_mth(kats[i].n, leaves, lens, root); /* the reference agrees too */
    assert_hex(root, kats[i].root, kats[i].n);
  }
  /* MTH([]) = H(""). */
  uint8_t root[32];
  cr_assert_eq(cx_merkle_root(0, NULL, NULL, root), 0);
  assert_hex(root,
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             0);
  cr_assert_eq(cx_merkle_root_fixed(0, NULL, 32, root), 0);
  assert_hex(root,
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             0);
  fprintf(stderr, "spec_section_8_known_answers: 4 SPEC roots + empty tree "
          "match\n");
}

Test(crypto_merkle, random_leaves_n_0_to_300) {
  cx_rng rng = {cx_test_seed("crypto_merkle.random_leaves_n_0_to_300")};
  enum { MAXN = 300, MAXLEAF = 100 };
  uint8_t *arena = malloc(MAXN * MAXLEAF);
  const uint8_t *leaves[MAXN];
  size_t lens[MAXN];
  cr_assert_not_null(arena);
  for (size_t n = 0; n <= MAXN; n++) {
    cx_rng_bytes(&rng, arena, MAXN * MAXLEAF);
    for (size_t i = 0; i < n; i++) {
      leaves[i] = arena + i * MAXLEAF;
      lens[i] = (size_t)cx_rng_below(&rng, MAXLEAF + 1);
    }
    uint8_t got[32], want[32];
    ref_mth(n, leaves, lens, want);
    cr_assert_eq(cx_merkle_root(n, leaves, lens, got), 0);
    cr_assert_eq(memcmp(got, want, 32), 0, "variable leaves, n = %zu", n);
    /* Same leaves cut to one length, back to back: the fixed API. */
    size_t flen = n ? lens[0] : 32;
    for (size_t i = 0; i < n; i++)
      lens[i] = flen;
    uint8_t *packed = malloc(n * flen + 1);
    cr_assert_not_null(packed);
    for (size_t i = 0; i < n; i++) {
      memcpy(packed + i * flen, leaves[i], flen);
      leaves[i] = packed + i * flen;
    }
    ref_mth(n, leaves, lens, want);
    cr_assert_eq(cx_merkle_root_fixed(n, packed, flen, got), 0);
    cr_assert_eq(memcmp(got, want, 32), 0, "fixed %zu-byte leaves, n = %zu",
                 flen, n);
    free(packed);
  }
  free(arena);
  fprintf(stderr, "random_leaves_n_0_to_300: 602 roots (variable and fixed "
          "leaves) match the recursive reference\n");
}

Test(crypto_merkle, many_chunks_fixed_leaves) {
  /* Sizes past several staging chunks at the leaf and inner levels. */
  static const size_t ns[] = {511, 512, 513, 1337, 4097};
  cx_rng rng = {cx_test_seed("crypto_merkle.many_chunks_fixed_leaves")};
  for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
    size_t n = ns[t];
    uint8_t *data = malloc(n * 32);
    const uint8_t **leaves = malloc(n * sizeof *leaves);
    size_t *lens = malloc(n * sizeof *lens);
    cr_assert(data && leaves && lens);
    cx_rng_bytes(&rng, data, n * 32);
    for (size_t i = 0; i < n; i++) {
      leaves[i] = data + 32 * i;
      lens[i] = 32;
    }
    uint8_t want[32], got[32];
    ref_mth(n, leaves, lens, want);
    cr_assert_eq(cx_merkle_root_fixed(n, data, 32, got), 0);
    cr_assert_eq(memcmp(got, want, 32), 0, "fixed, n = %zu", n);
    cr_assert_eq(cx_merkle_root(n, leaves, lens, got), 0);
    cr_assert_eq(memcmp(got, want, 32), 0, "variable API, n = %zu", n);
    free(data);
    free(leaves);
    free(lens);
  }
}

Test(crypto_merkle, leaves_larger_than_the_stage) {
  /* Mix of huge and tiny leaves: huge ones are hashed alone. */
  enum { N = 7, BIG = 70000 };
  static const size_t sizes[N] = {BIG, 3, 40000, 0, 32767, 32768, BIG + 1};
  uint8_t *buf[N];
  const uint8_t *leaves[N];
  size_t lens[N];
  cx_rng rng = {cx_test_seed("crypto_merkle.leaves_larger_than_the_stage")};
  for (int i = 0; i < N; i++) {
    buf[i] = malloc(sizes[i] + 1);
    cr_assert_not_null(buf[i]);
    cx_rng_bytes(&rng, buf[i], sizes[i]);
    leaves[i] = buf[i];
    lens[i] = sizes[i];
  }
  for (size_t n = 1; n <= N; n++) {
    uint8_t want[32], got[32];
    ref_mth(n, leaves, lens, want);
    cr_assert_eq(cx_merkle_root(n, leaves, lens, got), 0);
    cr_assert_eq(memcmp(got, want, 32), 0, "n = %zu", n);
  }
  for (int i = 0; i < N; i++)
    free(buf[i]);
}
