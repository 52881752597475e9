/* Fixture loader, writer and generator (engine/fixture.h, SPEC section 6).
 *
 * Every invalid-fixture rule is exercised with a crafted document that
 * differs from a valid one in exactly that rule, and the error must name
 * the rule's place. The shared fixtures are loaded and their bytes checked
 * against their own `expect` (tx_root, receipts_root and the genesis root
 * follow from the file alone), which also proves the hex and u64 decoding.
 */
/* CX_TEST_LABEL_CONCURRENCY: the generator signs on several threads. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_test.h"
#include "fixture.h"
#include "fixture_gen.h"
#include "tx.h"

#define ADDR_A "7b758bb7dddb370ca0e8f73d31517a630846960f"
#define ADDR_B "cbc32c14aa3d7729bfabd8bf7f936da831142e61"
#define KEY_A "28e9a0884b61d87128c254ac963eb2fbbdd46a27bef8b13ceb41e0b1e83e2159"
#define ROOT0 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A valid document; each invalid case replaces one piece of it. */
#define ACCOUNTS                                                               \
  "[{\"address\": \"" ADDR_A "\", \"balance\": \"5\", \"nonce\": \"1\"}]"
#define KV "[{\"key\": \"" KEY_A "\", \"value\": \"7\"}]"
#define BLOCKS "[{\"txs\": [\"0102\", \"\"]}]"
#define DOC(fmt, accounts, kv, blocks, tail)                                   \
  "{\"format\": " fmt ", \"genesis\": {\"accounts\": " accounts                \
  ", \"kv\": " kv "}, \"blocks\": " blocks tail "}"
#define FMT "\"chainexec-fixture/1\""
#define EXPECT1(height, statuses, root)                                        \
  ", \"expect\": {\"genesis_state_root\": \"" ROOT0 "\", \"blocks\": "         \
  "[{\"height\": " height ", \"statuses\": " statuses ", \"tx_root\": \"" root \
  "\", \"receipts_root\": \"" ROOT0 "\", \"write_root\": \"" ROOT0             \
  "\", \"state_root\": \"" ROOT0 "\"}]}"

static cx_fixture *parse_ok(const char *json) {
  cx_fixture *f = NULL;
  cx_error err;
  cx_error_clear(&err);
  int rc = cx_fixture_parse(json, strlen(json), &f, &err);
  cr_assert_eq(rc, CX_OK, "valid fixture refused: %s\n%s", err.message, json);
  cr_assert_not_null(f);
  return f;
}

/* The document must be refused as an invalid fixture with a message that
 * contains `where` (the JSON path) and `what`. */
static void refuse(const char *json, const char *where, const char *what) {
  cx_fixture *f = NULL;
  cx_error err;
  cx_error_clear(&err);
  int rc = cx_fixture_parse(json, strlen(json), &f, &err);
  cr_expect_eq(rc, CX_EFIXTURE, "accepted or wrong code %d for:\n%s", rc, json);
  cr_expect_null(f);
  cr_expect(strstr(err.message, where) != NULL,
            "message \"%s\" does not name \"%s\"", err.message, where);
  cr_expect(strstr(err.message, what) != NULL,
            "message \"%s\" does not say \"%s\"", err.message, what);
  cr_expect(strchr(err.message, '\n') == NULL, "message is not one line");
  cx_fixture_free(f);
}

Test(fixture, valid_base_document) {
  cx_fixture *f = parse_ok(DOC(FMT, ACCOUNTS, KV, BLOCKS, ""));
  cr_assert_eq(f->n_accounts, 1);
  cr_assert_eq(f->accounts[0].balance, 5);
  cr_assert_eq(f->accounts[0].nonce, 1);
  cr_assert_eq(f->accounts[0].address[0], 0x7b);
  cr_assert_eq(f->n_kv, 1);
  cr_assert_eq(f->kv[0].value, 7);
  cr_assert_eq(f->n_blocks, 1);
  cr_assert_eq(f->blocks[0].tx_count, 2);
  cr_assert_eq(f->blocks[0].tx_lens[0], 2);
  cr_assert_eq(f->blocks[0].txs[0][1], 0x02);
  cr_assert_eq(f->blocks[0].tx_lens[1], 0,
               "empty tx is a valid (MALFORMED) tx");
  cr_assert_not_null(f->blocks[0].txs[1]);
  cr_assert(!f->has_expect);
  cx_fixture_free(f);
}

Test(fixture, optional_fields_default) {
  cx_fixture *f = parse_ok("{\"format\": " FMT ", \"genesis\": {}, "
                           "\"blocks\": [], \"comment\": \"ignored\"}");
  cr_assert_eq(f->n_accounts, 0);
  cr_assert_eq(f->n_kv, 0);
  cr_assert_eq(f->n_blocks, 0);
  cx_fixture_free(f);
  f = parse_ok(DOC(FMT,
                   "[{\"address\": \"" ADDR_A "\", \"balance\": \"0\", "
                   "\"extra\": 1}]",
                   "[]", "[{\"txs\": []}]", ""));
  cr_assert_eq(f->accounts[0].nonce, 0, "omitted nonce is 0");
  cr_assert_eq(f->blocks[0].tx_count, 0);
  cx_fixture_free(f);
}

Test(fixture, uppercase_hex_equals_lowercase) {
  cx_fixture *lo =
      parse_ok(DOC(FMT, ACCOUNTS, KV, "[{\"txs\": [\"0a0bff\"]}]", ""));
  cx_fixture *up = parse_ok(DOC(
      FMT,
      "[{\"address\": \"7B758BB7DDDB370CA0E8F73D31517A630846960F\", "
      "\"balance\": \"5\", \"nonce\": \"1\"}]",
      "[{\"key\": \"28E9A0884B61D87128C254AC963EB2FBBDD46A27BEF8B13CEB41E0B1"
      "E83E2159\", \"value\": \"7\"}]",
      "[{\"txs\": [\"0A0BFF\"]}]", ""));
  cr_assert_arr_eq(lo->accounts[0].address, up->accounts[0].address, 20);
  cr_assert_arr_eq(lo->kv[0].key, up->kv[0].key, 32);
  cr_assert_eq(up->blocks[0].tx_lens[0], 3);
  cr_assert_arr_eq(lo->blocks[0].txs[0], up->blocks[0].txs[0], 3);
  cx_fixture_free(lo);
  cx_fixture_free(up);
}

Test(fixture, u64_bounds) {
  cx_fixture *f =
      parse_ok(DOC(FMT,
                   "[{\"address\": \"" ADDR_A "\", \"balance\": "
                   "\"18446744073709551615\", \"nonce\": \"0\"}]",
                   "[{\"key\": \"" KEY_A "\", \"value\": \"0\"}]", BLOCKS, ""));
  cr_assert_eq(f->accounts[0].balance, UINT64_MAX);
  cr_assert_eq(f->kv[0].value, 0);
  cx_fixture_free(f);
}

Test(fixture, bad_json) {
  refuse("{\"format\": ", "JSON", "line 1");
  refuse("", "JSON", "syntax");
  refuse(DOC(FMT, ACCOUNTS, KV, BLOCKS, "") " x", "JSON", "after the document");
  refuse("[1, 2]", "top level", "object");
}

Test(fixture, format_tag) {
  refuse(DOC("\"chainexec-fixture/2\"", ACCOUNTS, KV, BLOCKS, ""), "format",
         "chainexec-fixture/2");
  refuse(DOC("1", ACCOUNTS, KV, BLOCKS, ""), "format", "not");
  refuse("{\"genesis\": {}, \"blocks\": []}", "format", "missing");
}

Test(fixture, structure) {
  refuse("{\"format\": " FMT ", \"blocks\": []}", "genesis", "missing");
  refuse("{\"format\": " FMT ", \"genesis\": [], \"blocks\": []}", "genesis",
         "object");
  refuse(DOC(FMT, "{}", KV, BLOCKS, ""), "genesis.accounts", "array");
  refuse(DOC(FMT, ACCOUNTS, "7", BLOCKS, ""), "genesis.kv", "array");
  refuse(DOC(FMT, "[5]", KV, BLOCKS, ""), "genesis.accounts[0]", "object");
  refuse("{\"format\": " FMT ", \"genesis\": {}}", "blocks", "missing");
  refuse(DOC(FMT, ACCOUNTS, KV, "{}", ""), "blocks", "array");
  refuse(DOC(FMT, ACCOUNTS, KV, "[{\"txs\": []}, 3]", ""), "blocks[1]",
         "object");
  refuse(DOC(FMT, ACCOUNTS, KV, "[{}]", ""), "blocks[0].txs", "missing");
}

Test(fixture, addresses_and_keys) {
  refuse(DOC(FMT,
             "[{\"address\": \"7b758bb7dddb370ca0e8f73d31517a630846960\", "
             "\"balance\": \"1\"}]",
             KV, BLOCKS, ""),
         "genesis.accounts[0].address", "expected 40 hex digits, got 39");
  refuse(DOC(FMT,
             "[{\"address\": \"7b758bb7dddb370ca0e8f73d31517a630846960f0\", "
             "\"balance\": \"1\"}]",
             KV, BLOCKS, ""),
         "genesis.accounts[0].address", "got 41");
  refuse(DOC(FMT,
             "[{\"address\": \"7b758bb7dddb370ca0e8f73d31517a630846960g\", "
             "\"balance\": \"1\"}]",
             KV, BLOCKS, ""),
         "genesis.accounts[0].address", "not a hex digit at offset 39");
  refuse(DOC(FMT, "[{\"address\": 5, \"balance\": \"1\"}]", KV, BLOCKS, ""),
         "genesis.accounts[0].address", "string");
  refuse(DOC(FMT, "[{\"balance\": \"1\"}]", KV, BLOCKS, ""),
         "genesis.accounts[0].address", "missing");
  refuse(DOC(FMT, ACCOUNTS, "[{\"key\": \"" ADDR_A "\", \"value\": \"1\"}]",
             BLOCKS, ""),
         "genesis.kv[0].key", "expected 64 hex digits, got 40");
  refuse(DOC(FMT, ACCOUNTS, "[{\"key\": \"" KEY_A "\"}]", BLOCKS, ""),
         "genesis.kv[0].value", "missing");
}

static void refuse_balance(const char *value, const char *shown) {
  char doc[1024];
  snprintf(doc, sizeof doc,
           DOC(FMT, "[{\"address\": \"" ADDR_A "\", \"balance\": %s}]", KV,
               BLOCKS, ""),
           value);
  refuse(doc, "genesis.accounts[0].balance", shown);
}

Test(fixture, u64_rules) {
  refuse_balance("5", "decimal string");
  refuse_balance("\"\"", "not a u64");
  refuse_balance("\"-1\"", "\"-1\" is not a u64");
  refuse_balance("\"+1\"", "\"+1\" is not a u64");
  refuse_balance("\" 1\"", "\" 1\" is not a u64");
  refuse_balance("\"1 \"", "\"1 \" is not a u64");
  refuse_balance("\"01\"", "\"01\" is not a u64");
  refuse_balance("\"00\"", "\"00\" is not a u64");
  refuse_balance("\"1.0\"", "not a u64");
  refuse_balance("\"1e3\"", "not a u64");
  refuse_balance("\"0x10\"", "not a u64");
  refuse_balance("\"18446744073709551616\"", "not a u64");
  refuse_balance("\"99999999999999999999\"", "not a u64");
  refuse_balance("\"184467440737095516150\"", "not a u64");
  refuse(DOC(FMT,
             "[{\"address\": \"" ADDR_A "\", \"balance\": \"1\", "
             "\"nonce\": \"007\"}]",
             KV, BLOCKS, ""),
         "genesis.accounts[0].nonce", "not a u64");
  refuse(DOC(FMT, ACCOUNTS, "[{\"key\": \"" KEY_A "\", \"value\": null}]",
             BLOCKS, ""),
         "genesis.kv[0].value", "decimal string");
}

/* cJSON strings end at a NUL: "5\u0000junk" must not pass as "5", nor
 * "\u0000zz" as an empty transaction. An escaped backslash before
 * "u0000" is not a NUL. */
Test(fixture, nul_in_strings) {
  refuse(DOC(FMT,
             "[{\"address\": \"" ADDR_A "\", \"balance\": \"5\\u0000junk\"}]",
             KV, BLOCKS, ""),
         "line 1, column", "NUL");
  refuse(DOC(FMT, ACCOUNTS, KV, "[{\"txs\": [\"\\u0000zz\"]}]", ""),
         "line 1, column", "NUL");
  refuse(DOC("\"chainexec-fixture/1\\u0000x\"", ACCOUNTS, KV, BLOCKS, ""),
         "\\u0000", "NUL");
  const char raw[] = "{\"format\": \"chainexec-fixture/1\0\", \"genesis\": "
                     "{}, \"blocks\": []}";
  cx_fixture *f = NULL;
  cx_error err;
  cx_error_clear(&err);
  cr_expect_eq(cx_fixture_parse(raw, sizeof raw - 1, &f, &err), CX_EFIXTURE,
               "a raw NUL byte in a string was accepted");
  cx_fixture_free(f);
  f = parse_ok(DOC(FMT, ACCOUNTS, KV, BLOCKS,
                   ", \"note\": \"C:\\\\u0000 is text\""));
  cx_fixture_free(f);
}

Test(fixture, duplicate_genesis_entries) {
  /* The same address in two cases is the same address. */
  refuse(DOC(FMT,
             "[{\"address\": \"" ADDR_A "\", \"balance\": \"1\"}, "
             "{\"address\": \"" ADDR_B "\", \"balance\": \"2\"}, "
             "{\"address\": \"7B758BB7DDDB370CA0E8F73D31517A630846960F\", "
             "\"balance\": \"3\"}]",
             "[]", BLOCKS, ""),
         "genesis.accounts", "address " ADDR_A " is listed twice");
  refuse(DOC(FMT, ACCOUNTS,
             "[{\"key\": \"" KEY_A "\", \"value\": \"1\"}, "
             "{\"key\": \"" KEY_A "\", \"value\": \"1\"}]",
             BLOCKS, ""),
         "genesis.kv", "listed twice");
}

Test(fixture, transaction_hex) {
  refuse(DOC(FMT, ACCOUNTS, KV, "[{\"txs\": []}, {\"txs\": [\"00\", \"abc\"]}]",
             ""),
         "blocks[1].txs[1]", "odd number of hex digits");
  refuse(DOC(FMT, ACCOUNTS, KV, "[{\"txs\": [\"0z\"]}]", ""),
         "blocks[0].txs[0]", "not a hex digit at offset 1");
  refuse(DOC(FMT, ACCOUNTS, KV, "[{\"txs\": [12]}]", ""), "blocks[0].txs[0]",
         "string");
}

Test(fixture, expect_rules) {
  /* valid: one block, two txs ("0102" and "") */
  cx_fixture *f =
      parse_ok(DOC(FMT, ACCOUNTS, KV, BLOCKS, EXPECT1("1", "[1, 1]", ROOT0)));
  cr_assert(f->has_expect);
  cr_assert_eq(f->expect[0].height, 1);
  cr_assert_eq(f->expect[0].tx_count, 2);
  cr_assert_eq(f->expect[0].statuses[1], 1);
  cr_assert_eq(f->expect_genesis_root[0], 0xe3);
  cx_fixture_free(f);
  refuse(DOC(FMT, ACCOUNTS, KV, "[{\"txs\": []}, {\"txs\": []}]",
             EXPECT1("1", "[]", ROOT0)),
         "expect.blocks", "1 entries for 2 blocks");
  refuse(DOC(FMT, ACCOUNTS, KV, BLOCKS, EXPECT1("2", "[1, 1]", ROOT0)),
         "expect.blocks[0].height", "expected 1");
  refuse(DOC(FMT, ACCOUNTS, KV, BLOCKS, EXPECT1("\"1\"", "[1, 1]", ROOT0)),
         "expect.blocks[0].height", "integer");
  refuse(DOC(FMT, ACCOUNTS, KV, BLOCKS, EXPECT1("1", "[1, 7]", ROOT0)),
         "expect.blocks[0].statuses[1]", "0..6");
  refuse(DOC(FMT, ACCOUNTS, KV, BLOCKS, EXPECT1("1", "[1]", ROOT0)),
         "expect.blocks[0].statuses", "1 entries for 2 transactions");
  refuse(DOC(FMT, ACCOUNTS, KV, BLOCKS, EXPECT1("1", "[1, 1]", "e3b0")),
         "expect.blocks[0].tx_root", "expected 64 hex digits");
  refuse(DOC(FMT, ACCOUNTS, KV, BLOCKS, ", \"expect\": {\"blocks\": []}"),
         "expect.genesis_state_root", "missing");
  refuse(DOC(FMT, ACCOUNTS, KV, BLOCKS, ", \"expect\": []"), "expect",
         "object");
}

Test(fixture, load_missing_file) {
  cx_fixture *f = NULL;
  cx_error err;
  cx_error_clear(&err);
  cr_assert_eq(cx_fixture_load("/nonexistent/x.json", &f, &err), CX_EIO);
  cr_assert(strstr(err.message, "/nonexistent/x.json") != NULL);
}

/* Every shared fixture loads, and the roots that follow from its bytes
 * alone equal its own expect. */
static void check_shared(const char *path) {
  cx_fixture *f = NULL;
  cx_error err;
  cx_error_clear(&err);
  cr_assert_eq(cx_fixture_load(path, &f, &err), CX_OK, "%s", err.message);
  cr_assert(f->has_expect, "%s has no expect", path);
  uint8_t g[32];
  cr_assert_eq(cx_fixture_genesis_root(f, g, &err), CX_OK);
  cr_assert_arr_eq(g, f->expect_genesis_root, 32, "%s: genesis root", path);
  for (size_t i = 0; i < f->n_blocks; i++) {
    uint8_t tx_root[32], receipts[32];
    cr_assert_eq(cx_fixture_block_hashes(f, i, f->expect[i].statuses, tx_root,
                                         receipts, &err),
                 CX_OK);
    cr_assert_arr_eq(tx_root, f->expect[i].tx_root, 32, "%s block %zu tx_root",
                     path, i + 1);
    cr_assert_arr_eq(receipts, f->expect[i].receipts_root, 32,
                     "%s block %zu receipts_root", path, i + 1);
  }
  /* Writing and reading back gives the same fixture. */
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  cr_assert_eq(cx_fixture_write(m, f, &err), CX_OK);
  fclose(m);
  cx_fixture *back = parse_ok(buf);
  cr_assert_eq(back->n_blocks, f->n_blocks);
  cr_assert_eq(back->n_accounts, f->n_accounts);
  cr_assert_arr_eq(back->accounts, f->accounts,
                   f->n_accounts * sizeof *f->accounts);
  cr_assert_eq(back->n_kv, f->n_kv);
  for (size_t i = 0; i < f->n_blocks; i++) {
    cr_assert_eq(back->blocks[i].tx_count, f->blocks[i].tx_count);
    for (size_t j = 0; j < f->blocks[i].tx_count; j++) {
      cr_assert_eq(back->blocks[i].tx_lens[j], f->blocks[i].tx_lens[j]);
      cr_assert_arr_eq(back->blocks[i].txs[j], f->blocks[i].txs[j],
                       f->blocks[i].tx_lens[j]);
    }
    cr_assert_null(cx_fixture_expect_diff(&f->expect[i], &back->expect[i]));
  }
  cx_fixture_free(back);
  free(buf);
  cx_fixture_free(f);
}

Test(fixture, shared_fixtures_load_and_hash_to_expect) {
  const char *dir = cx_test_shared_path("fixtures");
  DIR *d = opendir(dir);
  cr_assert_not_null(d, "cannot open %s", dir);
  int count = 0;
  struct dirent *de;
  char path[4096];
  while ((de = readdir(d))) {
    size_t n = strlen(de->d_name);
    if (n < 5 || strcmp(de->d_name + n - 5, ".json"))
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    check_shared(path);
    count++;
  }
  closedir(d);
  cr_log_info("checked %d shared fixtures", count);
  cr_assert_gt(count, 0, "no fixtures in %s", dir);
}

/* --- generator --------------------------------------------------------- */

static char *gen_text(const cx_fixture_gen_params *p) {
  cx_fixture *f = NULL;
  cx_error err;
  cx_error_clear(&err);
  cr_assert_eq(cx_fixture_generate(p, &f, &err), CX_OK, "%s", err.message);
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  cr_assert_eq(cx_fixture_write(m, f, &err), CX_OK);
  fclose(m);
  cx_fixture_free(f);
  return buf;
}

Test(fixture, generator_is_deterministic_per_seed) {
  cx_fixture_gen_params p = {.accounts = 5,
                             .blocks = 2,
                             .txs = 40,
                             .mix = CX_FIXTURE_MIX_MIXED,
                             .bad_rate = 0.2,
                             .seed = 9,
                             .threads = 1};
  char *a = gen_text(&p);
  p.threads = 3;
  char *b = gen_text(&p);
  cr_assert_str_eq(a, b, "thread count changed the bytes");
  p.seed = 10;
  char *c = gen_text(&p);
  cr_assert_str_neq(a, c, "seed ignored");
  free(a);
  free(b);
  free(c);
}

Test(fixture, generated_transfers_are_well_formed) {
  cx_fixture_gen_params p = {
      .accounts = 3, .blocks = 2, .txs = 1500, .seed = 4, .threads = 2};
  cx_fixture *f = NULL;
  cx_error err;
  cx_error_clear(&err);
  cr_assert_eq(cx_fixture_generate(&p, &f, &err), CX_OK, "%s", err.message);
  cr_assert_eq(f->n_blocks, 2);
  cr_assert_eq(f->n_accounts, 3);
  for (size_t i = 0; i < 2; i++) {
    cr_assert_eq(f->blocks[i].tx_count, 1500);
    for (size_t j = 0; j < 1500; j++) {
      cx_tx tx;
      cr_assert(cx_tx_decode(f->blocks[i].txs[j], f->blocks[i].tx_lens[j], &tx),
                "block %zu tx %zu malformed", i, j);
      cr_assert_eq(tx.op_count, 1);
    }
  }
  cx_fixture_free(f);
  p.accounts = 0;
  cr_assert_eq(cx_fixture_generate(&p, &f, &err), CX_EINVAL);
  p.accounts = 1;
  p.bad_rate = 1.5;
  cr_assert_eq(cx_fixture_generate(&p, &f, &err), CX_EINVAL);
}

/* With expect computed by the engine: a mixed workload with injected
 * faults shows many statuses, and its expect is consistent with its bytes. */
Test(fixture, generated_expect_covers_statuses) {
  cx_fixture_gen_params p = {.accounts = 6,
                             .blocks = 3,
                             .txs = 120,
                             .mix = CX_FIXTURE_MIX_MIXED,
                             .bad_rate = 0.25,
                             .seed = 3,
                             .threads = 2,
                             .compute_expect = true};
  cx_fixture *f = NULL;
  cx_error err;
  cx_error_clear(&err);
  cr_assert_eq(cx_fixture_generate(&p, &f, &err), CX_OK, "%s", err.message);
  cr_assert(f->has_expect);
  unsigned seen[7] = {0};
  for (size_t i = 0; i < f->n_blocks; i++) {
    uint8_t tx_root[32], receipts[32];
    cr_assert_eq(f->expect[i].height, i + 1);
    cr_assert_eq(cx_fixture_block_hashes(f, i, f->expect[i].statuses, tx_root,
                                         receipts, &err),
                 CX_OK);
    cr_assert_arr_eq(tx_root, f->expect[i].tx_root, 32);
    cr_assert_arr_eq(receipts, f->expect[i].receipts_root, 32);
    for (size_t j = 0; j < f->expect[i].tx_count; j++)
      seen[f->expect[i].statuses[j]]++;
  }
  cr_assert_gt(seen[0], 120, "too few commits: nonces not tracked");
  cr_assert_gt(seen[1], 0, "no MALFORMED");
  cr_assert_gt(seen[2], 0, "no BAD_SIGNATURE");
  cr_assert_gt(seen[3], 0, "no BAD_NONCE");
  cr_assert_gt(seen[4] + seen[5] + seen[6], 0, "no op failures");
  uint8_t g[32];
  cr_assert_eq(cx_fixture_genesis_root(f, g, &err), CX_OK);
  cr_assert_arr_eq(g, f->expect_genesis_root, 32);
  cx_fixture_free(f);
}

/* An endless input is refused at CX_FIXTURE_MAX_BYTES, not read until
 * memory runs out. */
Test(fixture, endless_file_hits_the_size_limit) {
  cx_fixture *f = NULL;
  cx_error err = {0};
  cr_assert_eq(cx_fixture_load("/dev/zero", &f, &err), CX_ELIMIT, "%s",
               err.message);
  cr_assert_null(f);
  cr_assert(strstr(err.message, "/dev/zero") != NULL, "%s", err.message);
}
