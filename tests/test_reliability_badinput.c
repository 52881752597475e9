/* The bad-input catalogue (docs/bad-input.md): one test per row. Each row
 * feeds one kind of bad input to chainexec (the `chainexec` tool named by
 * CHAINEXEC_BIN, or the C API) and checks the documented outcome: the
 * transaction status, or the exit code plus a message that names the
 * problem. Test names match the catalogue's "test" column.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chainexec.h"
#include "cx_test.h"
#include "hex.h"
#include "signer.h"
#include "tx.h"

TestSuite(badinput);

/* ---- Running the CLI ---------------------------------------------------- */

typedef struct cli_run {
  int exit; /* exit status, or 128 + signal */
  char out[1 << 16];
  char err[1 << 13];
} cli_run;

/* Per-test scratch directory under $TMPDIR (tests run isolated, each in
 * its own process), removed when the test's process exits, also after a
 * failed assertion (cx_test_mkdtemp). */
static char *g_dir;

static const char *scratch(void) {
  if (!g_dir) {
    g_dir = cx_test_mkdtemp("badinput");
    cr_assert_not_null(g_dir, "cannot create a temporary directory");
  }
  return g_dir;
}

static const char *cli_bin(void) {
  const char *b = getenv("CHAINEXEC_BIN");
  if (!b || !*b) {
    if (getenv("CI"))
      cr_assert_fail("CHAINEXEC_BIN is not set (CTest sets it)");
    cr_skip_test("CHAINEXEC_BIN not set: run through CTest");
  }
  return b;
}

static void slurp(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
  buf[n] = '\0';
  if (f)
    fclose(f);
}

/* Runs chainexec with argv (NULL-terminated, argv[0] ignored). */
static void run_cli(cli_run *r, const char *const *argv) {
  char outp[128], errp[128];
  snprintf(outp, sizeof outp, "%s/stdout", scratch());
  snprintf(errp, sizeof errp, "%s/stderr", scratch());
  const char *bin = cli_bin();
  pid_t pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0)
      _exit(126);
    dup2(o, 1);
    dup2(e, 2);
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  int st = 0;
  cr_assert_eq(waitpid(pid, &st, 0), pid);
  r->exit = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  slurp(outp, r->out, sizeof r->out);
  slurp(errp, r->err, sizeof r->err);
}

#define RUN(r, ...)                                                            \
  do {                                                                         \
    const char *argv_[] = {"chainexec", __VA_ARGS__, NULL};                    \
    run_cli((r), argv_);                                                       \
  } while (0)

/* The outcome every failing row shares: the exit code, one line on stderr
 * (no crash, no sanitizer report), and a message naming the problem. */
static void expect_failure(const cli_run *r, int code, const char *needle) {
  cr_expect_eq(r->exit, code, "exit %d, expected %d; stderr: %s", r->exit,
               code, r->err);
  cr_expect_neq(r->err[0], '\0', "no message on stderr");
  const char *nl = strchr(r->err, '\n');
  cr_expect(nl == NULL || nl[1] == '\0', "more than one line: %s", r->err);
  cr_expect_eq(strstr(r->err, "Sanitizer"), NULL, "%s", r->err);
  if (needle)
    cr_expect_neq(strstr(r->err, needle), NULL,
                  "message does not mention '%s': %s", needle, r->err);
}

static const char *write_file(const char *name, const char *text) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", scratch(), name);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

/* ---- Transactions -------------------------------------------------------- */

typedef struct keyset {
  uint8_t sk[32], pk[33], addr[20];
} keyset;

static void keys(keyset *k) {
  cx_signer *s = cx_signer_create();
  cr_assert_not_null(s);
  cx_signer_keypair(s, 1, k->sk, k->pk);
  cx_address_of(k->pk, k->addr);
  cx_signer_destroy(s);
}

/* A valid signed transaction: one SET, nonce 0. Returns its length. */
static size_t good_tx(const keyset *k, uint64_t nonce, uint8_t *buf) {
  cx_signer *s = cx_signer_create();
  cx_tx_builder b;
  uint8_t key[32];
  memset(key, 0x42, sizeof key);
  cx_tx_build_begin(&b, buf, k->pk, nonce);
  cr_assert(cx_tx_build_op(&b, CX_OP_SET, key, NULL, 7));
  size_t n = cx_signer_finish_tx(s, k->sk, &b);
  cx_signer_destroy(s);
  cr_assert_gt(n, 0u);
  return n;
}

/* Replays a one-block fixture whose block holds the given transaction and
 * returns the status the engine gave it. */
static int status_of(const keyset *k, const uint8_t *tx, size_t len) {
  char addr[41], *hex = malloc(2 * len + 1), *json = malloc(2 * len + 512);
  cr_assert(hex && json);
  cx_hex_encode(k->addr, 20, addr);
  cx_hex_encode(tx, len, hex);
  hex[2 * len] = '\0';
  addr[40] = '\0';
  sprintf(json,
          "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"accounts\": "
          "[{\"address\": \"%s\", \"balance\": \"1000\"}]}, "
          "\"blocks\": [{\"txs\": [\"%s\"]}]}",
          addr, hex);
  const char *path = write_file("tx.json", json);
  free(hex);
  free(json);
  cli_run *r = malloc(sizeof *r);
  RUN(r, "replay", path, "--json", "--quiet", "--threads", "1");
  cr_assert_eq(r->exit, 0, "replay failed: %s", r->err);
  const char *s = strstr(r->out, "\"statuses\"");
  cr_assert_not_null(s, "no statuses in %s", r->out);
  s = strchr(s, '[');
  cr_assert_not_null(s);
  int st = atoi(s + 1);
  free(r);
  return st;
}

#define TX_ROW(name, expected, mutate)                                         \
  Test(badinput, name) {                                                       \
    keyset k;                                                                  \
    keys(&k);                                                                  \
    uint8_t w[CX_TX_MAX_LEN + 8];                                              \
    size_t n = good_tx(&k, 0, w);                                              \
    mutate;                                                                    \
    cr_expect_eq(status_of(&k, w, n), expected, "status of " #name);           \
  }

/* Sanity row: the unmutated transaction commits (else every row below
 * would pass for the wrong reason). */
TX_ROW(tx_valid_commits, CX_TX_COMMITTED, (void)0)
/* SPEC 3: "shorter than 108 bytes" */
TX_ROW(tx_empty, CX_TX_MALFORMED, n = 0)
TX_ROW(tx_107_bytes, CX_TX_MALFORMED, n = 107)
/* "the version is not 1" */
TX_ROW(tx_version_0, CX_TX_MALFORMED, w[0] = 0)
TX_ROW(tx_version_2, CX_TX_MALFORMED, w[0] = 2)
/* "op_count is 0 or above 64" */
TX_ROW(tx_op_count_0, CX_TX_MALFORMED, w[42] = 0; w[43] = 0)
TX_ROW(tx_op_count_65, CX_TX_MALFORMED, w[42] = 65; w[43] = 0)
TX_ROW(tx_op_count_256, CX_TX_MALFORMED, w[42] = 1; w[43] = 1)
/* "an opcode is unknown" */
TX_ROW(tx_opcode_0, CX_TX_MALFORMED, w[44] = 0x00)
TX_ROW(tx_opcode_8, CX_TX_MALFORMED, w[44] = 0x08)
TX_ROW(tx_opcode_ff, CX_TX_MALFORMED, w[44] = 0xff)
/* "the ops run past the end of the bytes": op_count 2, one op present and
 * the second one's body would run past the end */
TX_ROW(tx_ops_past_end, CX_TX_MALFORMED, w[42] = 2; w[n - 64] = CX_OP_COPY)
/* "do not leave exactly 64 bytes for the signature" */
TX_ROW(tx_signature_63_bytes, CX_TX_MALFORMED, n -= 1)
TX_ROW(tx_signature_65_bytes, CX_TX_MALFORMED, w[n] = 0; n += 1)
/* BAD_SIGNATURE, not MALFORMED: an unparsable public key */
TX_ROW(tx_pubkey_prefix_04, CX_TX_BAD_SIGNATURE, w[1] = 0x04)
TX_ROW(tx_pubkey_x_not_on_curve, CX_TX_BAD_SIGNATURE,
       memset(w + 2, 0xff, 32)) /* x >= p */
/* a flipped bit in r, r = 0, and a high-S signature */
TX_ROW(tx_signature_flipped, CX_TX_BAD_SIGNATURE, w[n - 64] ^= 1)
TX_ROW(tx_signature_r_zero, CX_TX_BAD_SIGNATURE, memset(w + n - 64, 0, 32))
TX_ROW(tx_signature_s_above_n, CX_TX_BAD_SIGNATURE,
       memset(w + n - 32, 0xff, 32))

/* high S: s' = n - s, which libsecp256k1 rejects */
Test(badinput, tx_signature_high_s) {
  static const uint8_t order[32] = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
      0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
  keyset k;
  keys(&k);
  uint8_t w[CX_TX_MAX_LEN];
  size_t n = good_tx(&k, 0, w);
  uint8_t *s = w + n - 32;
  int borrow = 0;
  for (int i = 31; i >= 0; i--) {
    int d = order[i] - s[i] - borrow;
    borrow = d < 0;
    s[i] = (uint8_t)(d + (borrow ? 256 : 0));
  }
  cr_expect_eq(status_of(&k, w, n), CX_TX_BAD_SIGNATURE);
}

Test(badinput, tx_bad_nonce) {
  keyset k;
  keys(&k);
  uint8_t w[CX_TX_MAX_LEN];
  size_t n = good_tx(&k, 5, w);
  cr_expect_eq(status_of(&k, w, n), CX_TX_BAD_NONCE);
}

/* ---- Invalid fixtures: exit 1 before anything runs ---------------------- */

#define GOOD_ACCOUNT                                                           \
  "{\"address\": \"00000000000000000000000000000000000000aa\", "              \
  "\"balance\": \"5\"}"

#define FIXTURE_ROW(name, needle, text)                                        \
  Test(badinput, name) {                                                       \
    const char *p = write_file(#name ".json", text);                           \
    char db[128];                                                              \
    snprintf(db, sizeof db, "%s/db", scratch());                               \
    cli_run *r = malloc(sizeof *r);                                            \
    RUN(r, "replay", p, "--quiet", "--db", db);                                \
    expect_failure(r, 1, needle);                                              \
    /* refused before anything runs: no genesis was written */                 \
    RUN(r, "info", "--db", db, "--json");                                      \
    cr_expect(r->exit != 0 || strstr(r->out, "\"has_genesis\": false"),        \
              "an invalid fixture reached the database: %s", r->out);          \
    free(r);                                                                   \
  }

FIXTURE_ROW(fixture_not_json, NULL, "{\"format\": ")
FIXTURE_ROW(fixture_empty_file, NULL, "")
FIXTURE_ROW(fixture_top_level_array, NULL, "[]")
FIXTURE_ROW(fixture_wrong_format_tag, "format",
            "{\"format\": \"chainexec-fixture/2\", \"blocks\": []}")
FIXTURE_ROW(fixture_missing_format, "format", "{\"blocks\": []}")
FIXTURE_ROW(fixture_missing_blocks, "blocks",
            "{\"format\": \"chainexec-fixture/1\"}")
FIXTURE_ROW(fixture_tx_odd_hex, "txs",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, \"blocks\": [{\"txs\": "
            "[\"abc\"]}]}")
FIXTURE_ROW(fixture_tx_not_hex, "txs",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, \"blocks\": [{\"txs\": "
            "[\"zz\"]}]}")
FIXTURE_ROW(fixture_tx_not_string, "txs",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, \"blocks\": [{\"txs\": "
            "[12]}]}")
FIXTURE_ROW(fixture_address_39_hex, "address",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"accounts\": "
            "[{\"address\": \"000000000000000000000000000000000000000\", "
            "\"balance\": \"1\"}]}, \"blocks\": []}")
FIXTURE_ROW(fixture_kv_key_short, "key",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"kv\": "
            "[{\"key\": \"00\", \"value\": \"1\"}]}, \"blocks\": []}")
FIXTURE_ROW(fixture_u64_leading_zero, "balance",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"accounts\": "
            "[{\"address\": \"00000000000000000000000000000000000000aa\", "
            "\"balance\": \"01\"}]}, \"blocks\": []}")
FIXTURE_ROW(fixture_u64_overflow, "balance",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"accounts\": "
            "[{\"address\": \"00000000000000000000000000000000000000aa\", "
            "\"balance\": \"18446744073709551616\"}]}, \"blocks\": []}")
FIXTURE_ROW(fixture_u64_negative, "balance",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"accounts\": "
            "[{\"address\": \"00000000000000000000000000000000000000aa\", "
            "\"balance\": \"-1\"}]}, \"blocks\": []}")
FIXTURE_ROW(fixture_u64_json_number, "balance",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"accounts\": "
            "[{\"address\": \"00000000000000000000000000000000000000aa\", "
            "\"balance\": 5}]}, \"blocks\": []}")
FIXTURE_ROW(fixture_u64_space, "balance",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"accounts\": "
            "[{\"address\": \"00000000000000000000000000000000000000aa\", "
            "\"balance\": \" 5\"}]}, \"blocks\": []}")
FIXTURE_ROW(fixture_duplicate_address, "address",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"accounts\": "
            "[" GOOD_ACCOUNT ", " GOOD_ACCOUNT "]}, \"blocks\": []}")
FIXTURE_ROW(fixture_duplicate_kv_key, "key",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"kv\": "
            "[{\"key\": \"" "0000000000000000000000000000000000000000000000000000000000000001"
            "\", \"value\": \"1\"}, {\"key\": \""
            "0000000000000000000000000000000000000000000000000000000000000001"
            "\", \"value\": \"2\"}]}, \"blocks\": []}")
FIXTURE_ROW(fixture_expect_count_mismatch, "expect",
            "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, \"blocks\": [{\"txs\": []}],"
            " \"expect\": {\"genesis_state_root\": \""
            "0000000000000000000000000000000000000000000000000000000000000000"
            "\", \"blocks\": []}}")

/* Valid edge cases: an empty transaction is MALFORMED, not an invalid
 * fixture; upper-case hex is accepted. */
Test(badinput, fixture_empty_tx_is_malformed_not_invalid) {
  const char *p = write_file(
      "e.json", "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, \"blocks\": [{\"txs\": "
                "[\"\"]}]}");
  cli_run *r = malloc(sizeof *r);
  RUN(r, "replay", p, "--json", "--quiet");
  cr_expect_eq(r->exit, 0, "%s", r->err);
  cr_expect_neq(strstr(r->out, "\"statuses\": [1]"), NULL, "%s", r->out);
  free(r);
}

Test(badinput, fixture_uppercase_hex_accepted) {
  const char *p = write_file(
      "u.json", "{\"format\": \"chainexec-fixture/1\", \"genesis\": "
                "{\"accounts\": [{\"address\": "
                "\"00000000000000000000000000000000000000AA\", \"balance\": "
                "\"5\"}]}, \"blocks\": [{\"txs\": [\"AB\"]}]}");
  cli_run *r = malloc(sizeof *r);
  RUN(r, "replay", p, "--quiet");
  cr_expect_eq(r->exit, 0, "%s", r->err);
  free(r);
}

/* A mismatch with `expect` exits 1 naming the block and the field. */
Test(badinput, fixture_expect_mismatch) {
  const char *p = write_file(
      "m.json",
      "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, "
      "\"blocks\": [{\"txs\": []}], "
      "\"expect\": {\"genesis_state_root\": "
      "\"0000000000000000000000000000000000000000000000000000000000000000\", "
      "\"blocks\": [{\"height\": 1, \"statuses\": [], \"tx_root\": "
      "\"0000000000000000000000000000000000000000000000000000000000000000\", "
      "\"receipts_root\": "
      "\"0000000000000000000000000000000000000000000000000000000000000000\", "
      "\"write_root\": "
      "\"0000000000000000000000000000000000000000000000000000000000000000\", "
      "\"state_root\": "
      "\"0000000000000000000000000000000000000000000000000000000000000000\"}]}}");
  cli_run *r = malloc(sizeof *r);
  RUN(r, "replay", p, "--quiet");
  expect_failure(r, 1, "genesis_state_root");
  free(r);
}

/* ---- Files ------------------------------------------------------------- */

Test(badinput, file_missing) {
  cli_run *r = malloc(sizeof *r);
  RUN(r, "replay", "/nonexistent/chainexec/fixture.json", "--quiet");
  expect_failure(r, 1, "/nonexistent/chainexec/fixture.json");
  free(r);
}

Test(badinput, file_is_directory) {
  cli_run *r = malloc(sizeof *r);
  RUN(r, "replay", scratch(), "--quiet");
  expect_failure(r, 1, scratch());
  cr_expect_neq(strstr(r->err, "is a directory; replay needs a fixture FILE"),
                NULL, "%s", r->err);
  free(r);
}

/* A zero-length data.mdb (LMDB alone says "Bad file descriptor (9)"). */
Test(badinput, db_empty_data_file) {
  char dir[256], file[300];
  snprintf(dir, sizeof dir, "%s/emptydb", scratch());
  cr_assert_eq(mkdir(dir, 0755), 0);
  snprintf(file, sizeof file, "%s/data.mdb", dir);
  FILE *f = fopen(file, "wb");
  cr_assert_not_null(f);
  fclose(f);
  const char *p = write_file(
      "ok.json", "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, \"blocks\": []}");
  cli_run *r = malloc(sizeof *r);
  RUN(r, "info", "--db", dir);
  expect_failure(r, 1, "data.mdb is empty (0 bytes)");
  cr_expect_neq(strstr(r->err, "delete data.mdb and lock.mdb"), NULL, "%s",
                r->err);
  RUN(r, "replay", p, "--quiet", "--db", dir);
  expect_failure(r, 1, "data.mdb is empty (0 bytes)");
  free(r);
}

/* --metrics-file is checked before anything runs: nothing reaches --db. */
static void expect_metrics_file_refused(const char *mpath,
                                        const char *needle) {
  const char *p = write_file(
      "ok.json", "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, \"blocks\": [{\"txs\": []}]}");
  char db[256];
  snprintf(db, sizeof db, "%s/mdb", scratch());
  cli_run *r = malloc(sizeof *r);
  RUN(r, "replay", p, "--quiet", "--db", db, "--metrics-file", mpath);
  expect_failure(r, 1, needle);
  cr_expect_neq(strstr(r->err, "--metrics-file"), NULL, "%s", r->err);
  struct stat st;
  cr_expect_neq(stat(db, &st), 0, "the replay ran before the check");
  free(r);
}

Test(badinput, metrics_file_in_missing_directory) {
  expect_metrics_file_refused("/nonexistent/chainexec/m.prom",
                              "directory /nonexistent/chainexec does not "
                              "exist");
}

Test(badinput, metrics_file_is_directory) {
  expect_metrics_file_refused(scratch(), "is a directory");
}

/* A port the system picked is printed, also with --quiet. */
Test(badinput, metrics_listen_port_zero_quiet) {
  const char *p = write_file(
      "ok.json", "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, \"blocks\": []}");
  cli_run *r = malloc(sizeof *r);
  RUN(r, "replay", p, "--quiet", "--metrics-listen", "0");
  cr_expect_eq(r->exit, 0, "%s", r->err);
  const char *at = strstr(r->err, "on port ");
  cr_expect_not_null(at, "no port on stderr: %s", r->err);
  if (at)
    cr_expect_gt(atoi(at + 8), 0, "%s", r->err);
  free(r);
}

/* Skips when this chainexec was built without the benchmarks. */
static void skip_without_bench(const cli_run *r) {
  if (r->exit == 1 && strstr(r->err, "benchmarks are not built"))
    cr_skip_test("chainexec built without the benchmarks");
}

Test(badinput, bench_storage_dir_is_file) {
  const char *f = write_file("plainfile", "x\n");
  char path[256];
  snprintf(path, sizeof path, "%s", f);
  cli_run *r = malloc(sizeof *r);
  RUN(r, "bench", "storage", "--quick", "--dir", path);
  skip_without_bench(r);
  expect_failure(r, 2, "--dir");
  cr_expect_neq(strstr(r->err, "is not an existing directory"), NULL, "%s",
                r->err);
  cr_expect_neq(strstr(r->err, path), NULL, "%s", r->err);
  free(r);
}

/* A CUDA build on a machine without a usable NVIDIA driver says what to do
 * (exit 0: the CPU runs everything). Skipped where that cannot be seen. */
Test(badinput, devices_without_driver) {
  cli_run *r = malloc(sizeof *r);
  RUN(r, "devices");
  cr_expect_eq(r->exit, 0, "%s", r->err);
  if (!strstr(r->out, "no CUDA device: CPU only (cuda")) {
    free(r);
    cr_skip_test("not a CUDA build on a machine without a driver");
  }
  cr_expect_neq(strstr(r->out, "install (or update) the NVIDIA driver"), NULL,
                "%s", r->out);
  free(r);
}

Test(badinput, info_db_missing) {
  cli_run *r = malloc(sizeof *r);
  RUN(r, "info", "--db", "/nonexistent/chainexec-db");
  expect_failure(r, 1, "/nonexistent/chainexec-db");
  free(r);
}

/* An LMDB environment in which no table was ever committed, as a first
 * replay killed before its first commit leaves it (the kill campaign
 * found `info` refusing it): an empty store, height 0, no genesis. */
Test(badinput, info_db_without_tables) {
  char dir[256];
  snprintf(dir, sizeof dir, "%s/notables", scratch());
  cr_assert_eq(mkdir(dir, 0755), 0);
  MDB_env *env;
  cr_assert_eq(mdb_env_create(&env), 0);
  cr_assert_eq(mdb_env_open(env, dir, 0, 0644), 0);
  mdb_env_close(env);
  cli_run *r = malloc(sizeof *r);
  RUN(r, "info", "--db", dir, "--json");
  cr_expect_eq(r->exit, 0, "exit %d; stderr: %s", r->exit, r->err);
  cr_expect_neq(strstr(r->out, "\"height\": 0,"), NULL, "%s", r->out);
  cr_expect_neq(strstr(r->out, "\"has_genesis\": false"), NULL, "%s", r->out);
  RUN(r, "info", "--db", dir);
  cr_expect_eq(r->exit, 0, "exit %d; stderr: %s", r->exit, r->err);
  cr_expect_neq(strstr(r->out, "(no genesis loaded)"), NULL, "%s", r->out);
  free(r);
}

Test(badinput, db_path_is_a_file) {
  const char *f = write_file("plain", "not a database\n");
  char path[256];
  snprintf(path, sizeof path, "%s", f);
  const char *p = write_file(
      "ok.json", "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, \"blocks\": []}");
  cli_run *r = malloc(sizeof *r);
  RUN(r, "replay", p, "--quiet", "--db", path);
  expect_failure(r, 1, path);
  free(r);
}

/* ---- Databases --------------------------------------------------------- */

static void replay_into(const char *fixture_text, const char *db,
                        cli_run *r) {
  const char *p = write_file("chain.json", fixture_text);
  RUN(r, "replay", p, "--quiet", "--db", db);
}

#define CHAIN(balance, txhex)                                                  \
  "{\"format\": \"chainexec-fixture/1\", \"genesis\": {\"accounts\": "         \
  "[{\"address\": \"00000000000000000000000000000000000000aa\", "             \
  "\"balance\": \"" balance "\"}]}, \"blocks\": [{\"txs\": [" txhex "]}]}"

static void db_info(const char *db, char *out, size_t cap) {
  cli_run *r = malloc(sizeof *r);
  RUN(r, "info", "--db", db, "--json");
  cr_assert_eq(r->exit, 0, "%s", r->err);
  size_t n = strnlen(r->out, cap - 1);
  memcpy(out, r->out, n);
  out[n] = '\0';
  free(r);
}

/* Replays `first` into a fresh database, then `second`, which must be
 * refused (exit 1, message naming `needle`) without changing the
 * database. */
static void expect_refused_resume(const char *first, const char *second,
                                  const char *needle) {
  char db[128], before[4096], after[4096];
  snprintf(db, sizeof db, "%s/db", scratch());
  cli_run *r = malloc(sizeof *r);
  replay_into(first, db, r);
  cr_assert_eq(r->exit, 0, "%s", r->err);
  db_info(db, before, sizeof before);
  replay_into(second, db, r);
  expect_failure(r, 1, needle);
  db_info(db, after, sizeof after);
  cr_expect_str_eq(after, before, "the refused replay changed the database");
  free(r);
}

Test(badinput, db_from_other_genesis) {
  expect_refused_resume(CHAIN("5", "\"00\""), CHAIN("6", "\"00\""), "genesis");
}

Test(badinput, db_with_other_blocks) {
  expect_refused_resume(CHAIN("5", "\"00\""), CHAIN("5", "\"0000\""),
                        "block 1");
}

Test(badinput, db_higher_than_fixture) {
  char db[128];
  snprintf(db, sizeof db, "%s/db", scratch());
  cli_run *r = malloc(sizeof *r);
  replay_into("{\"format\": \"chainexec-fixture/1\", \"genesis\": "
              "{\"accounts\": [{\"address\": "
              "\"00000000000000000000000000000000000000aa\", \"balance\": "
              "\"5\"}]}, \"blocks\": [{\"txs\": []}, {\"txs\": []}]}",
              db, r);
  cr_assert_eq(r->exit, 0, "%s", r->err);
  replay_into(CHAIN("5", ""), db, r);
  expect_failure(r, 1, "2");
  free(r);
}

/* ---- Flags: exit 2 with one usage line --------------------------------- */

#define FLAG_ROW(name, ...)                                                    \
  Test(badinput, name) {                                                       \
    const char *p = write_file(                                                \
        "ok.json", "{\"format\": \"chainexec-fixture/1\", \"genesis\": {}, \"blocks\": []}");   \
    (void)p;                                                                   \
    cli_run *r = malloc(sizeof *r);                                            \
    RUN(r, __VA_ARGS__);                                                       \
    expect_failure(r, 2, NULL);                                                \
    free(r);                                                                   \
  }

FLAG_ROW(flag_unknown_subcommand, "replay-all")
FLAG_ROW(flag_no_subcommand_args, "replay")
FLAG_ROW(flag_unknown_option, "replay", p, "--frobnicate")
FLAG_ROW(flag_threads_not_a_number, "replay", p, "--threads", "many")
FLAG_ROW(flag_threads_negative, "replay", p, "--threads", "-1")
FLAG_ROW(flag_strategy_unknown, "replay", p, "--strategy", "fastest")
FLAG_ROW(flag_option_missing_value, "replay", p, "--threads")
FLAG_ROW(flag_two_files, "replay", p, p)
FLAG_ROW(flag_gpu_spec_bad, "replay", p, "--gpu", "sim:fail=2")
FLAG_ROW(flag_db_empty, "replay", p, "--db", "")
FLAG_ROW(flag_gen_missing_output, "gen", "--accounts", "2", "--blocks", "1",
         "--txs", "1")
FLAG_ROW(flag_gen_zero_accounts, "gen", "--accounts", "0", "--blocks", "1",
         "--txs", "1", "-o", "/dev/null")
FLAG_ROW(flag_gen_bad_rate, "gen", "--accounts", "2", "--blocks", "1",
         "--txs", "1", "--bad-rate", "1.5", "-o", "/dev/null")
FLAG_ROW(flag_info_without_db, "info")
FLAG_ROW(flag_gen_threads_range, "gen", "--accounts", "2", "--blocks", "1",
         "--txs", "1", "--threads", "1025", "-o", "/dev/null")

/* Benchmarks: the same one-line usage format, naming the bad value. */
#define BENCH_ROW(name, needle, ...)                                           \
  Test(badinput, name) {                                                       \
    cli_run *r = malloc(sizeof *r);                                            \
    RUN(r, "bench", __VA_ARGS__);                                              \
    skip_without_bench(r);                                                     \
    expect_failure(r, 2, needle);                                              \
    cr_expect_neq(strstr(r->err, "(see 'chainexec bench "), NULL, "%s",       \
                  r->err);                                                     \
    free(r);                                                                   \
  }

BENCH_ROW(flag_bench_crypto_unknown, "'--bogus'", "crypto", "--bogus")
BENCH_ROW(flag_bench_gpu_unknown, "'--bogus'", "gpu", "--bogus")
BENCH_ROW(flag_bench_hybrid_unknown, "'--bogus'", "hybrid", "--bogus")
BENCH_ROW(flag_bench_storage_unknown, "'--bogus'", "storage", "--bogus")
BENCH_ROW(flag_bench_exec_threads_zero, "--threads must be an integer in "
          "1..1024, not '0'", "exec", "--threads", "0")
BENCH_ROW(flag_bench_exec_base_bad, "--base must be memory or lmdb, not 'x'",
          "exec", "--base", "x")
BENCH_ROW(flag_bench_tps_blocks_zero, "not '0'", "tps", "--blocks", "0")

/* ---- C API limits and misuse -------------------------------------------- */

static cx_engine *api_engine(void) {
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.threads = 1;
  cx_error err = {0};
  cx_engine *e = cx_engine_open(&cfg, &err);
  cr_assert_not_null(e, "%s", err.message);
  return e;
}

Test(badinput, api_block_too_many_txs) {
  cx_engine *e = api_engine();
  cx_error err = {0};
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(e, NULL, 0, NULL, 0, root, &err), 0);
  /* The count is checked before any pointer is read. */
  static const uint8_t byte = 0;
  const uint8_t *tx = &byte;
  size_t len = 0;
  cx_block b = {CX_MAX_BLOCK_TXS + 1u, &tx, &len};
  cx_block_result r;
  memset(&r, 0, sizeof r);
  cr_expect_eq(cx_engine_execute_block(e, &b, &r, &err), CX_ELIMIT);
  cr_expect_neq(strstr(err.message, "CX_MAX_BLOCK_TXS"), NULL, "%s",
                err.message);
  cr_expect_eq(cx_engine_height(e), 0u);
  cx_engine_close(e);
}

Test(badinput, api_block_too_many_bytes) {
  cx_engine *e = api_engine();
  cx_error err = {0};
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(e, NULL, 0, NULL, 0, root, &err), 0);
  /* Lengths are checked before any byte is read: the pointers may point
   * at far less than the lengths claim. */
  static const uint8_t byte = 0;
  const uint8_t *txs[2] = {&byte, &byte};
  size_t lens[2] = {CX_MAX_BLOCK_BYTES, 1};
  cx_block b = {2, txs, lens};
  cx_block_result r;
  memset(&r, 0, sizeof r);
  cr_expect_eq(cx_engine_execute_block(e, &b, &r, &err), CX_ELIMIT);
  cr_expect_neq(strstr(err.message, "CX_MAX_BLOCK_BYTES"), NULL, "%s",
                err.message);
  cr_expect_eq(cx_engine_height(e), 0u);
  cx_engine_close(e);
}

Test(badinput, api_block_null_txs) {
  cx_engine *e = api_engine();
  cx_error err = {0};
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(e, NULL, 0, NULL, 0, root, &err), 0);
  cx_block b = {3, NULL, NULL};
  cx_block_result r;
  memset(&r, 0, sizeof r);
  cr_expect_eq(cx_engine_execute_block(e, &b, &r, &err), CX_EINVAL);
  cr_expect_neq(err.message[0], '\0');
  cr_expect_eq(cx_engine_execute_block(e, NULL, &r, &err), CX_EINVAL);
  cr_expect_eq(cx_engine_height(e), 0u);
  cx_engine_close(e);
}

Test(badinput, api_block_before_genesis) {
  cx_engine *e = api_engine();
  cx_error err = {0};
  cx_block b = {0, NULL, NULL};
  cx_block_result r;
  memset(&r, 0, sizeof r);
  cr_expect_neq(cx_engine_execute_block(e, &b, &r, &err), CX_OK);
  cr_expect_neq(err.message[0], '\0');
  cx_engine_close(e);
}

Test(badinput, api_genesis_twice) {
  cx_engine *e = api_engine();
  cx_error err = {0};
  uint8_t root[32];
  cr_assert_eq(cx_engine_load_genesis(e, NULL, 0, NULL, 0, root, &err), 0);
  cr_expect_eq(cx_engine_load_genesis(e, NULL, 0, NULL, 0, root, &err),
               CX_ESTATE);
  cx_engine_close(e);
}

Test(badinput, api_genesis_duplicate_address) {
  cx_engine *e = api_engine();
  cx_error err = {0};
  cx_genesis_account acc[2];
  memset(acc, 0, sizeof acc);
  acc[0].balance = 1;
  acc[1].balance = 2;
  uint8_t root[32];
  cr_expect_eq(cx_engine_load_genesis(e, acc, 2, NULL, 0, root, &err),
               CX_EINVAL);
  cr_expect_eq(cx_engine_has_genesis(e), false);
  cx_engine_close(e);
}

Test(badinput, api_bad_config) {
  cx_config cfg;
  cx_config_default(&cfg);
  cfg.strategy = (cx_strategy_kind)42;
  cx_error err = {0};
  cx_engine *e = cx_engine_open(&cfg, &err);
  cr_expect_null(e);
  cr_expect_eq(err.code, CX_EINVAL);
  cx_engine_close(e);
  cx_config_default(&cfg);
  cfg.gpu = "sim:fail=banana";
  e = cx_engine_open(&cfg, &err);
  cr_expect_null(e);
  cr_expect_neq(err.message[0], '\0');
  cx_engine_close(e);
}

FIXTURE_ROW(fixture_missing_genesis, "genesis",
            "{\"format\": \"chainexec-fixture/1\", \"blocks\": []}")
