/* State leaves, key order and roots (SPEC section 5), and hex helpers. */
#include <criterion/criterion.h>
#include <string.h>

#include "cx_test.h"
#include "hex.h"
#include "merkle.h"
#include "sha256.h"
#include "state.h"
#include "tx.h"

Test(crypto_state, account_leaf_layout) {
  uint8_t addr[20];
  for (int i = 0; i < 20; i++)
    addr[i] = (uint8_t)(i + 1);
  cx_entry e = {.key = cx_key_account(addr), .v0 = 0x0102, .v1 = 7};
  uint8_t leaf[CX_LEAF_MAX_LEN];
  cr_assert_eq(cx_entry_leaf(&e, leaf), 37);
  cr_assert_eq(leaf[0], 0x01);
  cr_assert_eq(memcmp(leaf + 1, addr, 20), 0);
  cr_assert_eq(cx_load_u64le(leaf + 21), 0x0102);
  cr_assert_eq(cx_load_u64le(leaf + 29), 7);
}

Test(crypto_state, kv_leaf_layout) {
  uint8_t key[32];
  memset(key, 0xee, 32);
  cx_entry e = {.key = cx_key_kv(key), .v0 = UINT64_MAX};
  uint8_t leaf[CX_LEAF_MAX_LEN];
  cr_assert_eq(cx_entry_leaf(&e, leaf), 41);
  cr_assert_eq(leaf[0], 0x02);
  cr_assert_eq(memcmp(leaf + 1, key, 32), 0);
  cr_assert_eq(cx_load_u64le(leaf + 33), UINT64_MAX);
}

Test(crypto_state, key_order_is_leaf_byte_order) {
  cx_rng rng = {cx_test_seed("crypto_state.key_order")};
  for (int it = 0; it < 20000; it++) {
    cx_entry a = {0}, b = {0};
    uint8_t raw[32];
    cx_rng_bytes(&rng, raw, 32);
    a.key = cx_rng_below(&rng, 2) ? cx_key_account(raw) : cx_key_kv(raw);
    cx_rng_bytes(&rng, raw, 32);
    if (cx_rng_below(&rng, 4) == 0)
      raw[0] = a.key.bytes[0]; /* share a prefix now and then */
    b.key = cx_rng_below(&rng, 2) ? cx_key_account(raw) : cx_key_kv(raw);
    uint8_t la[41], lb[41];
    size_t na = cx_entry_leaf(&a, la), nb = cx_entry_leaf(&b, lb);
    /* Leaves compare on kind then key: the values never decide, since
     * distinct keys differ within the key bytes. */
    int leaf = memcmp(la, lb, (na < nb ? na : nb) - 8);
    int key = cx_key_cmp(&a.key, &b.key);
    cr_assert_eq(leaf < 0, key < 0);
    cr_assert_eq(leaf > 0, key > 0);
  }
}

Test(crypto_state, roots_match_their_definitions) {
  uint8_t addr[20] = {9}, key[32] = {8};
  cx_entry e[2] = {{.key = cx_key_kv(key), .v0 = 5},
                   {.key = cx_key_account(addr), .v0 = 100, .v1 = 1}};
  cx_entries_sort(e, 2);
  cr_assert_eq(e[0].key.kind, CX_ENTRY_ACCOUNT);
  /* Leaf hashes are H(0x00 || leaf). */
  uint8_t t0[1 + CX_LEAF_MAX_LEN] = {0}, t1[1 + CX_LEAF_MAX_LEN] = {0};
  uint8_t h0[32], h1[32], node[65], want[32], got[32];
  size_t n0 = cx_entry_leaf(&e[0], t0 + 1), n1 = cx_entry_leaf(&e[1], t1 + 1);
  cx_sha256(t0, n0 + 1, h0);
  cx_sha256(t1, n1 + 1, h1);
  node[0] = 0x01;
  memcpy(node + 1, h0, 32);
  memcpy(node + 33, h1, 32);
  cx_sha256(node, 65, want);
  cr_assert_eq(cx_entries_root(e, 2, got), 0);
  cr_assert_eq(memcmp(got, want, 32), 0);

  /* state_root(0) = H(0x02 || zeros || MTH) */
  uint8_t msg[65] = {0x02}, g[32];
  memcpy(msg + 33, want, 32);
  cx_sha256(msg, 65, want);
  cr_assert_eq(cx_genesis_root(e, 2, g), 0);
  cr_assert_eq(memcmp(g, want, 32), 0);

  /* empty write set: MTH([]) = H("") */
  cx_sha256(NULL, 0, want);
  cr_assert_eq(cx_entries_root(NULL, 0, got), 0);
  cr_assert_eq(memcmp(got, want, 32), 0);
}

Test(crypto_state, hex_round_trip_and_errors) {
  uint8_t in[5] = {0x00, 0x7f, 0x80, 0xab, 0xff}, out[5];
  char hex[11];
  cx_hex_encode(in, 5, hex);
  cr_assert_str_eq(hex, "007f80abff");
  cr_assert(cx_hex_decode("007F80ABff", 10, out));
  cr_assert_eq(memcmp(in, out, 5), 0);
  cr_assert_not(cx_hex_decode("007", 3, out));
  cr_assert_not(cx_hex_decode("0g", 2, out));
  cr_assert(cx_hex_decode("", 0, out));
}
