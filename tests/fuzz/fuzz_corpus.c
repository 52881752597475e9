/* Builds the seed corpora of the fuzz harnesses from the shared fixtures.
 *
 *   fuzz_corpus <fixtures dir> <out dir>
 *
 * writes <out>/tx (wire bytes of fixture transactions, at most
 * SEEDS_PER_FIXTURE per fixture), <out>/fixture (every fixture trimmed to a
 * few entries, blocks and transactions, without and with a matching-length
 * `expect`, plus the smallest fixture whole) and <out>/diff (deterministic
 * pseudo-random inputs: every byte string is a valid fuzz_diff block).
 * Small seeds keep libFuzzer fast; the corpora live in the build tree only.
 * Exit status 0, or 1 with a message when a fixture cannot be read.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEEDS_PER_FIXTURE 40
#define DIFF_SEEDS 24

static int write_file(const char *dir, const char *name, const void *p,
                      size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "fuzz_corpus: cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n + 4096 + 1 > cap) {
      cap = (cap + 4096) * 2;
      char *nb = realloc(buf, cap);
      if (!nb)
        break;
      buf = nb;
    }
    size_t got = fread(buf + n, 1, 4096, f);
    n += got;
    if (got == 0)
      break;
  }
  fclose(f);
  if (buf)
    buf[n] = '\0';
  return buf;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Transaction seeds: the raw wire bytes. */
static int tx_seeds(const cJSON *fx, const char *stem, const char *outdir) {
  const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(fx, "blocks");
  int written = 0, rc = 0;
  const cJSON *blk;
  size_t bi = 0;
  cJSON_ArrayForEach(blk, blocks) {
    const cJSON *txs = cJSON_GetObjectItemCaseSensitive(blk, "txs");
    const cJSON *tx;
    size_t ti = 0;
    cJSON_ArrayForEach(tx, txs) {
      if (written >= SEEDS_PER_FIXTURE || !cJSON_IsString(tx))
        break;
      size_t hl = strlen(tx->valuestring);
      uint8_t *bytes = malloc(hl / 2 + 1);
      if (!bytes)
        return 1;
      for (size_t i = 0; i + 1 < hl; i += 2)
        bytes[i / 2] = (uint8_t)(hexval(tx->valuestring[i]) << 4 |
                                 hexval(tx->valuestring[i + 1]));
      char name[512];
      snprintf(name, sizeof name, "%.200s-b%zu-t%zu", stem, bi, ti++);
      rc |= write_file(outdir, name, bytes, hl / 2);
      free(bytes);
      written++;
    }
    bi++;
  }
  return rc;
}

/* Keeps the first `keep` items of an array (when present). */
static void trim_array(cJSON *arr, int keep) {
  while (cJSON_IsArray(arr) && cJSON_GetArraySize(arr) > keep)
    cJSON_DeleteItemFromArray(arr, cJSON_GetArraySize(arr) - 1);
}

/* A trimmed copy: 3 accounts, 3 kv, 2 blocks of 3 txs; `expect` either
 * dropped or trimmed alike (statuses cut to the kept txs, so the roots no
 * longer match, which the loader does not check). */
static int fixture_seed(const cJSON *fx, const char *stem, const char *outdir,
                        int with_expect) {
  cJSON *c = cJSON_Duplicate(fx, 1);
  if (!c)
    return 1;
  cJSON *g = cJSON_GetObjectItemCaseSensitive(c, "genesis");
  trim_array(cJSON_GetObjectItemCaseSensitive(g, "accounts"), 3);
  trim_array(cJSON_GetObjectItemCaseSensitive(g, "kv"), 3);
  cJSON *blocks = cJSON_GetObjectItemCaseSensitive(c, "blocks");
  trim_array(blocks, 2);
  cJSON *blk;
  cJSON_ArrayForEach(blk, blocks)
    trim_array(cJSON_GetObjectItemCaseSensitive(blk, "txs"), 3);
  cJSON *ex = cJSON_GetObjectItemCaseSensitive(c, "expect");
  if (!with_expect) {
    cJSON_DeleteItemFromObjectCaseSensitive(c, "expect");
  } else if (ex) {
    cJSON *eb = cJSON_GetObjectItemCaseSensitive(ex, "blocks");
    trim_array(eb, 2);
    cJSON *e;
    cJSON_ArrayForEach(e, eb)
      trim_array(cJSON_GetObjectItemCaseSensitive(e, "statuses"), 3);
  }
  char *text = cJSON_PrintUnformatted(c);
  cJSON_Delete(c);
  if (!text)
    return 1;
  char name[512];
  snprintf(name, sizeof name, "%.200s-trim%s.json", stem,
           with_expect ? "-expect" : "");
  int rc = write_file(outdir, name, text, strlen(text));
  free(text);
  return rc;
}

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static int diff_seeds(const char *outdir) {
  uint64_t s = 20261125;
  int rc = 0;
  for (int i = 0; i < DIFF_SEEDS; i++) {
    uint8_t buf[1024];
    size_t n = 16 + (size_t)(splitmix(&s) % (sizeof buf - 16));
    for (size_t j = 0; j < n; j++)
      buf[j] = (uint8_t)splitmix(&s);
    char name[32];
    snprintf(name, sizeof name, "diff-%02d", i);
    rc |= write_file(outdir, name, buf, n);
  }
  return rc;
}

static int make_dir(const char *base, const char *sub, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s", base, sub);
  if (mkdir(out, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "fuzz_corpus: cannot create %s: %s\n", out, strerror(errno));
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fuzz_corpus FIXTURES_DIR OUT_DIR\n");
    return 2;
  }
  char dtx[4096], dfx[4096], ddiff[4096];
  mkdir(argv[2], 0755);
  if (make_dir(argv[2], "tx", dtx, sizeof dtx) ||
      make_dir(argv[2], "fixture", dfx, sizeof dfx) ||
      make_dir(argv[2], "diff", ddiff, sizeof ddiff))
    return 1;
  DIR *d = opendir(argv[1]);
  if (!d) {
    fprintf(stderr, "fuzz_corpus: cannot open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  int rc = 0, n_fx = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t nl = strlen(de->d_name);
    if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
      continue;
    char path[8192], stem[256];
    snprintf(path, sizeof path, "%s/%s", argv[1], de->d_name);
    snprintf(stem, sizeof stem, "%.*s", (int)(nl - 5), de->d_name);
    char *text = read_text(path);
    cJSON *fx = text ? cJSON_Parse(text) : NULL;
    if (!fx) {
      fprintf(stderr, "fuzz_corpus: cannot read fixture %s\n", path);
      free(text);
      rc = 1;
      continue;
    }
    rc |= tx_seeds(fx, stem, dtx);
    rc |= fixture_seed(fx, stem, dfx, 0);
    rc |= fixture_seed(fx, stem, dfx, 1);
    if (strlen(text) < 32 * 1024) /* small enough to seed whole */
      rc |= write_file(dfx, de->d_name, text, strlen(text));
    cJSON_Delete(fx);
    free(text);
    n_fx++;
  }
  closedir(d);
  rc |= diff_seeds(ddiff);
  printf("fuzz_corpus: %d fixtures -> %s/{tx,fixture,diff}\n", n_fx, argv[2]);
  return rc || n_fx == 0;
}
