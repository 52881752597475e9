/* Fixture and replay-output writers (SPEC sections 6 and 7).
 *
 * Written with stdio rather than cJSON: a generated fixture holds millions
 * of hex digits, and streaming them avoids building a second copy as a
 * JSON tree. Output is lowercase hex, one block per line group, stable
 * byte for byte for the same input (tests diff it).
 */
#include "fixture.h"

#include <inttypes.h>
#include <stdlib.h>

static void put_hex(FILE *out, const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  char buf[256];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    buf[k++] = digits[p[i] >> 4];
    buf[k++] = digits[p[i] & 15];
    if (k == sizeof buf) {
      fwrite(buf, 1, k, out);
      k = 0;
    }
  }
  fwrite(buf, 1, k, out);
}

static void put_root(FILE *out, const char *name, const uint8_t r[32],
                     bool last) {
  fprintf(out, "\"%s\": \"", name);
  put_hex(out, r, 32);
  fputs(last ? "\"" : "\", ", out);
}

static void put_expect_block(FILE *out, const cx_fixture_expect *b) {
  fprintf(out, "{\"height\": %" PRIu64 ", \"statuses\": ", b->height);
  if (b->tx_count && !b->statuses) {
    fputs("null", out);
  } else {
    fputc('[', out);
    for (size_t j = 0; j < b->tx_count; j++)
      fprintf(out, j ? ", %u" : "%u", (unsigned)b->statuses[j]);
    fputc(']', out);
  }
  fputs(", ", out);
  put_root(out, "tx_root", b->tx_root, false);
  put_root(out, "receipts_root", b->receipts_root, false);
  put_root(out, "write_root", b->write_root, false);
  put_root(out, "state_root", b->state_root, true);
  fputc('}', out);
}

/* The body of an `expect` object, shared by replay output and fixtures. */
static void put_expect(FILE *out, const uint8_t genesis_root[32],
                       const cx_fixture_expect *blocks, size_t n,
                       const char *indent) {
  fprintf(out, "{\n%s  ", indent);
  put_root(out, "genesis_state_root", genesis_root, true);
  fprintf(out, ",\n%s  \"blocks\": [", indent);
  for (size_t i = 0; i < n; i++) {
    fprintf(out, "%s\n%s    ", i ? "," : "", indent);
    put_expect_block(out, &blocks[i]);
  }
  if (n)
    fprintf(out, "\n%s  ", indent);
  fprintf(out, "]\n%s}", indent);
}

static int finish(FILE *out, cx_error *err) {
  if (fflush(out) != 0 || ferror(out))
    return cx_error_set(err, CX_EIO,
                        "cannot write output (disk full or "
                        "closed pipe?)");
  return CX_OK;
}

int cx_fixture_write_result(FILE *out, const uint8_t genesis_root[32],
                            const cx_fixture_expect *blocks, size_t n,
                            cx_error *err) {
  put_expect(out, genesis_root, blocks, n, "");
  fputc('\n', out);
  return finish(out, err);
}

int cx_fixture_write(FILE *out, const cx_fixture *f, cx_error *err) {
  fputs("{\n  \"format\": \"" CX_FIXTURE_FORMAT "\",\n  \"genesis\": {\n"
        "    \"accounts\": [",
        out);
  for (size_t i = 0; i < f->n_accounts; i++) {
    const cx_genesis_account *a = &f->accounts[i];
    fprintf(out, "%s\n      {\"address\": \"", i ? "," : "");
    put_hex(out, a->address, 20);
    fprintf(out,
            "\", \"balance\": \"%" PRIu64 "\", \"nonce\": \"%" PRIu64 "\"}",
            a->balance, a->nonce);
  }
  fputs(f->n_accounts ? "\n    ],\n    \"kv\": [" : "],\n    \"kv\": [", out);
  for (size_t i = 0; i < f->n_kv; i++) {
    fprintf(out, "%s\n      {\"key\": \"", i ? "," : "");
    put_hex(out, f->kv[i].key, 32);
    fprintf(out, "\", \"value\": \"%" PRIu64 "\"}", f->kv[i].value);
  }
  fputs(f->n_kv ? "\n    ]\n  },\n  \"blocks\": [" : "]\n  },\n  \"blocks\": [",
        out);
  for (size_t i = 0; i < f->n_blocks; i++) {
    const cx_fixture_block *b = &f->blocks[i];
    if (b->parent != (int64_t)i - 1)
      fprintf(out, "%s\n    {\"parent\": %lld, \"txs\": [", i ? "," : "",
              (long long)b->parent);
    else
      fprintf(out, "%s\n    {\"txs\": [", i ? "," : "");
    for (size_t j = 0; j < b->tx_count; j++) {
      fputs(j ? ",\n      \"" : "\n      \"", out);
      put_hex(out, b->txs[j], b->tx_lens[j]);
      fputc('"', out);
    }
    fputs(b->tx_count ? "\n    ]}" : "]}", out);
  }
  fputs(f->n_blocks ? "\n  ]" : "]", out);
  if (f->has_expect) {
    fputs(",\n  \"expect\": ", out);
    put_expect(out, f->expect_genesis_root, f->expect, f->n_blocks, "  ");
  }
  fputs("\n}\n", out);
  return finish(out, err);
}
