/* SHA-256: every known answer of ../shared/vectors/sha256_kat.txt through
 * one-shot, incremental (random split points), batch and fixed-length
 * batch, on the portable path, the SHA-NI path (when the CPU has it) and
 * the default dispatch; plus a random differential test between the paths
 * over every length 0..4096; the internal prefixed batch that Merkle levels
 * use, in place. Counts are printed to stderr. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_test.h"
#include "sha256.h"
#include "sha256_impl.h"

/* One implementation as the tests see it. */
typedef struct path {
  const char *name;
  void (*oneshot)(const void *, size_t, uint8_t *);
  void (*update)(cx_sha256_ctx *, const void *, size_t);
  void (*final)(cx_sha256_ctx *, uint8_t *);
  void (*batch)(size_t, const uint8_t *const *, const size_t *,
                uint8_t (*)[32]);
  void (*batch_fixed)(size_t, const uint8_t *, size_t, uint8_t (*)[32]);
} path;

static const path paths[] = {
    {"portable", cx_sha256_portable, cx_sha256_update_portable,
     cx_sha256_final_portable, cx_sha256_batch_portable,
     cx_sha256_batch_fixed_portable},
    {"sha-ni", cx_sha256_shani, cx_sha256_update_shani, cx_sha256_final_shani,
     cx_sha256_batch_shani, cx_sha256_batch_fixed_shani},
    {"default", cx_sha256, cx_sha256_update, cx_sha256_final, cx_sha256_batch,
     cx_sha256_batch_fixed},
};
#define NPATHS (sizeof paths / sizeof paths[0])

/* The SHA-NI entry points may only run on a CPU that has the extensions;
 * say so loudly instead of skipping silently. */
static bool path_usable(const path *p, const char *test) {
  if (strcmp(p->name, "sha-ni") != 0 || cx_sha256_has_shani())
    return true;
  fprintf(stderr, "%s: this CPU has no SHA extensions; sha-ni path not run "
                  "(portable and default paths checked)\n", test);
  return false;
}

typedef struct kat {
  size_t len;
  uint8_t *msg;
  uint8_t digest[32];
} kat;

typedef struct kat_set {
  kat *v;
  size_t n;
} kat_set;

/* Lines: "<len> <msg hex or -> <digest hex>"; '#' lines are comments. */
static kat_set load_kats(void) {
  const char *file = cx_test_shared_path("vectors/sha256_kat.txt");
  char *text = cx_test_read_file(file, NULL);
  kat_set set = {NULL, 0};
  size_t cap = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    if (line[0] == '#' || line[0] == '\0')
      continue;
    char *s2 = NULL;
    char *len_s = strtok_r(line, " ", &s2);
    char *msg_s = strtok_r(NULL, " ", &s2);
    char *dig_s = strtok_r(NULL, " \r", &s2);
    cr_assert(len_s && msg_s && dig_s, "malformed line %zu in %s", set.n + 1,
              file);
    if (set.n == cap) {
      cap = cap ? 2 * cap : 512;
      set.v = realloc(set.v, cap * sizeof *set.v);
      cr_assert_not_null(set.v);
    }
    kat *k = &set.v[set.n];
    k->len = strtoull(len_s, NULL, 10);
    k->msg = malloc(k->len + 1);
    cr_assert_not_null(k->msg);
    if (strcmp(msg_s, "-") == 0)
      cr_assert_eq(k->len, 0, "'-' message with length %zu", k->len);
    else
      cr_assert(strlen(msg_s) == 2 * k->len &&
                    cx_test_unhex(msg_s, k->msg, k->len),
                "bad message hex for length %zu", k->len);
    cr_assert(strlen(dig_s) == 64 && cx_test_unhex(dig_s, k->digest, 32),
              "bad digest hex for length %zu", k->len);
    set.n++;
  }
  free(text);
  cr_assert_gt(set.n, 300, "expected the full KAT list, got %zu lines", set.n);
  return set;
}

static void free_kats(kat_set *set) {
  for (size_t i = 0; i < set->n; i++)
    free(set->v[i].msg);
  free(set->v);
}

static void assert_digest(const uint8_t got[32], const uint8_t want[32],
                          const char *what, const char *path_name,
                          size_t len) {
  cr_assert_eq(memcmp(got, want, 32), 0, "%s on %s path: wrong digest for "
               "the %zu-byte message", what, path_name, len);
}

Test(crypto_sha256, kat_one_shot) {
  kat_set set = load_kats();
  for (size_t p = 0; p < NPATHS; p++) {
    if (!path_usable(&paths[p], "kat_one_shot"))
      continue;
    for (size_t i = 0; i < set.n; i++) {
      uint8_t d[32];
      paths[p].oneshot(set.v[i].msg, set.v[i].len, d);
      assert_digest(d, set.v[i].digest, "one-shot", paths[p].name,
                    set.v[i].len);
    }
    fprintf(stderr, "kat_one_shot: %zu known answers match on the %s path\n",
            set.n, paths[p].name);
  }
  free_kats(&set);
}

Test(crypto_sha256, kat_incremental_random_splits) {
  kat_set set = load_kats();
  cx_rng rng = {cx_test_seed("crypto_sha256.kat_incremental_random_splits")};
  for (size_t p = 0; p < NPATHS; p++) {
    if (!path_usable(&paths[p], "kat_incremental_random_splits"))
      continue;
    size_t runs = 0;
    for (size_t i = 0; i < set.n; i++) {
      const kat *k = &set.v[i];
      for (int rep = 0; rep < 4; rep++, runs++) {
        cx_sha256_ctx ctx;
        cx_sha256_init(&ctx);
        size_t off = 0;
        /* Random pieces, empty ones included; the last takes the rest. */
        for (int piece = 0; piece < 6 && off < k->len; piece++) {
          size_t take = (size_t)cx_rng_below(&rng, k->len - off + 1);
          if (rep == 0)
            take = 1 < k->len - off ? 1 : k->len - off; /* byte by byte */
          paths[p].update(&ctx, k->msg + off, take);
          off += take;
          if (rep == 0)
            piece = 0; /* feed every byte singly */
        }
        paths[p].update(&ctx, k->msg + off, k->len - off);
        uint8_t d[32];
        paths[p].final(&ctx, d);
        assert_digest(d, k->digest, "incremental", paths[p].name, k->len);
      }
    }
    fprintf(stderr, "kat_incremental_random_splits: %zu known answers x 4 "
            "splittings (%zu runs) match on the %s path\n", set.n, runs,
            paths[p].name);
  }
  free_kats(&set);
}

Test(crypto_sha256, kat_batch) {
  kat_set set = load_kats();
  cx_rng rng = {cx_test_seed("crypto_sha256.kat_batch")};
  const uint8_t **msgs = malloc(set.n * sizeof *msgs);
  size_t *lens = malloc(set.n * sizeof *lens);
  size_t *order = malloc(set.n * sizeof *order);
  uint8_t(*out)[32] = malloc(set.n * 32);
  cr_assert(msgs && lens && order && out);
  for (size_t p = 0; p < NPATHS; p++) {
    if (!path_usable(&paths[p], "kat_batch"))
      continue;
    /* File order, then two shuffles so different messages share lanes. */
    for (int rep = 0; rep < 3; rep++) {
      for (size_t i = 0; i < set.n; i++)
        order[i] = i;
      for (size_t i = set.n - 1; rep > 0 && i > 0; i--) {
        size_t j = (size_t)cx_rng_below(&rng, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      for (size_t i = 0; i < set.n; i++) {
        msgs[i] = set.v[order[i]].msg;
        lens[i] = set.v[order[i]].len;
      }
      memset(out, 0, set.n * 32);
      paths[p].batch(set.n, msgs, lens, out);
      for (size_t i = 0; i < set.n; i++)
        assert_digest(out[i], set.v[order[i]].digest, "batch", paths[p].name,
                      lens[i]);
    }
    /* Fixed-length batch: each known message three times back to back. */
    for (size_t i = 0; i < set.n; i++) {
      const kat *k = &set.v[i];
      uint8_t *three = malloc(3 * k->len + 1);
      cr_assert_not_null(three);
      for (int c = 0; c < 3; c++)
        memcpy(three + c * k->len, k->msg, k->len);
      uint8_t d[3][32];
      paths[p].batch_fixed(3, three, k->len, d);
      for (int c = 0; c < 3; c++)
        assert_digest(d[c], k->digest, "fixed batch", paths[p].name, k->len);
      free(three);
    }
    fprintf(stderr, "kat_batch: %zu known answers match through batch (x3 "
            "orders) and fixed batch on the %s path\n", set.n, paths[p].name);
  }
  free(msgs);
  free(lens);
  free(order);
  free(out);
  free_kats(&set);
}

Test(crypto_sha256, batch_small_counts) {
  /* 0..9 messages: the lane fill and drain logic at every small count. */
  static const size_t mix[] = {0, 200, 55, 64, 1, 130, 56, 119, 3};
  uint8_t data[256];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 37 + 11);
  for (size_t p = 0; p < NPATHS; p++) {
    if (!path_usable(&paths[p], "batch_small_counts"))
      continue;
    for (size_t n = 0; n <= 9; n++) {
      const uint8_t *msgs[9];
      size_t lens[9];
      uint8_t out[10][32], want[32];
      for (size_t i = 0; i < n; i++) {
        msgs[i] = data + i;
        lens[i] = mix[i];
      }
      memset(out, 0xee, sizeof out);
      paths[p].batch(n, msgs, lens, out);
      for (size_t i = 0; i < n; i++) {
        cx_sha256_portable(msgs[i], lens[i], want);
        assert_digest(out[i], want, "small batch", paths[p].name, lens[i]);
      }
      /* Nothing past out[n-1] is written. */
      for (size_t b = 0; b < 32; b++)
        cr_assert_eq(out[n][b], 0xee, "batch of %zu wrote past its end", n);
    }
  }
}

Test(crypto_sha256, differential_lengths_0_to_4096) {
  cx_rng rng = {cx_test_seed("crypto_sha256.differential_lengths_0_to_4096")};
  enum { MAXLEN = 4096, NMSG = MAXLEN + 1 };
  /* Every length once, each at a random misalignment in one arena. */
  size_t total = 0;
  size_t *lens = malloc(NMSG * sizeof *lens);
  size_t *offs = malloc(NMSG * sizeof *offs);
  const uint8_t **msgs = malloc(NMSG * sizeof *msgs);
  uint8_t(*want)[32] = malloc(NMSG * 32);
  uint8_t(*got)[32] = malloc(NMSG * 32);
  cr_assert(lens && offs && msgs && want && got);
  for (size_t i = 0; i < NMSG; i++) {
    lens[i] = i;
    offs[i] = total + (size_t)cx_rng_below(&rng, 8);
    total = offs[i] + i;
  }
  uint8_t *arena = malloc(total + 1);
  cr_assert_not_null(arena);
  cx_rng_bytes(&rng, arena, total);
  for (size_t i = 0; i < NMSG; i++) {
    msgs[i] = arena + offs[i];
    cx_sha256_portable(msgs[i], lens[i], want[i]);
  }
  size_t compared = 0;
  for (size_t p = 1; p < NPATHS; p++) { /* portable is the reference */
    if (!path_usable(&paths[p], "differential_lengths_0_to_4096"))
      continue;
    for (size_t i = 0; i < NMSG; i++) {
      uint8_t d[32];
      paths[p].oneshot(msgs[i], lens[i], d);
      assert_digest(d, want[i], "differential one-shot", paths[p].name, i);
      /* Incremental at one random split point. */
      cx_sha256_ctx ctx;
      size_t cut = (size_t)cx_rng_below(&rng, i + 1);
      cx_sha256_init(&ctx);
      paths[p].update(&ctx, msgs[i], cut);
      paths[p].update(&ctx, msgs[i] + cut, i - cut);
      paths[p].final(&ctx, d);
      assert_digest(d, want[i], "differential incremental", paths[p].name, i);
      compared += 2;
    }
    /* The whole set as one batch, lengths shuffled so lanes mix. */
    const uint8_t **sm = malloc(NMSG * sizeof *sm);
    size_t *sl = malloc(NMSG * sizeof *sl), *idx = malloc(NMSG * sizeof *idx);
    cr_assert(sm && sl && idx);
    for (size_t i = 0; i < NMSG; i++)
      idx[i] = i;
    for (size_t i = NMSG - 1; i > 0; i--) {
      size_t j = (size_t)cx_rng_below(&rng, i + 1), t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    for (size_t i = 0; i < NMSG; i++) {
      sm[i] = msgs[idx[i]];
      sl[i] = lens[idx[i]];
    }
    paths[p].batch(NMSG, sm, sl, got);
    for (size_t i = 0; i < NMSG; i++)
      assert_digest(got[i], want[idx[i]], "differential batch", paths[p].name,
                    sl[i]);
    compared += NMSG;
    free(sm);
    free(sl);
    free(idx);
    /* Fixed batches of 5 messages at a sample of lengths. */
    for (size_t len = 0; len <= MAXLEN; len += 1 + len / 8) {
      uint8_t *five = malloc(5 * len + 1), d5[5][32], w[32];
      cr_assert_not_null(five);
      cx_rng_bytes(&rng, five, 5 * len);
      paths[p].batch_fixed(5, five, len, d5);
      for (int c = 0; c < 5; c++) {
        cx_sha256_portable(five + c * len, len, w);
        assert_digest(d5[c], w, "differential fixed batch", paths[p].name,
                      len);
      }
      compared += 5;
      free(five);
    }
  }
  fprintf(stderr, "differential_lengths_0_to_4096: %zu digests compared "
          "against the portable path (SHA-NI %s)\n", compared,
          cx_sha256_has_shani() ? "present" : "absent");
  cr_assert_gt(compared, 0);
  free(arena);
  free(lens);
  free(offs);
  free(msgs);
  free(want);
  free(got);
}

Test(crypto_sha256, impl_name_matches_cpu) {
  cr_assert_str_eq(cx_sha256_impl_name(),
                   cx_sha256_has_shani() ? "sha-ni" : "portable");
  fprintf(stderr, "impl_name_matches_cpu: default implementation is %s\n",
          cx_sha256_impl_name());
}

Test(crypto_sha256, prefixed_batch_every_length_in_place) {
  /* out[i] = H(prefix || msg i) for every len 0..CX_SHA256_PREFIXED_MAX,
   * on both paths, into a separate buffer and in place over the input
   * (the Merkle level pattern: digest j over the bytes of message j/2..). */
  typedef void (*prefixed_fn)(size_t, uint8_t, const uint8_t *, size_t,
                              uint8_t (*)[32]);
  static const struct {
    const char *name;
    prefixed_fn fn;
  } impls[] = {{"portable", cx_sha256_batch_prefixed_portable},
               {"sha-ni", cx_sha256_batch_prefixed_shani},
               {"default", cx_sha256_batch_prefixed}};
  cx_rng rng = {cx_test_seed("crypto_sha256.prefixed_batch_every_length")};
  enum { N = 7 };
  size_t checked = 0;
  for (size_t p = 0; p < 3; p++) {
    if (p == 1 && !cx_sha256_has_shani()) {
      fprintf(stderr, "prefixed_batch: no SHA extensions; sha-ni path not "
              "run\n");
      continue;
    }
    for (size_t len = 0; len <= CX_SHA256_PREFIXED_MAX; len++) {
      /* Room for N digests even when len < 32 (in place needs it). */
      size_t bytes = N * (len > 32 ? len : 32);
      uint8_t *data = malloc(bytes), *copy = malloc(bytes);
      uint8_t msg[1 + CX_SHA256_PREFIXED_MAX], want[N][32], got[N][32];
      cr_assert(data && copy);
      cx_rng_bytes(&rng, data, bytes);
      memcpy(copy, data, bytes);
      uint8_t prefix = (uint8_t)(len & 1);
      for (size_t i = 0; i < N; i++) {
        msg[0] = prefix;
        memcpy(msg + 1, data + i * len, len);
        cx_sha256_portable(msg, len + 1, want[i]);
      }
      impls[p].fn(N, prefix, data, len, got);
      for (size_t i = 0; i < N; i++)
        assert_digest(got[i], want[i], "prefixed batch", impls[p].name, len);
      cr_assert_eq(memcmp(data, copy, bytes), 0, "input modified");
      if (len >= 32) { /* in place: out[i] at or before message i */
        impls[p].fn(N, prefix, data, len, (uint8_t(*)[32])data);
        for (size_t i = 0; i < N; i++)
          assert_digest(data + 32 * i, want[i], "in-place prefixed batch",
                        impls[p].name, len);
      }
      checked += N;
      free(data);
      free(copy);
    }
  }
  fprintf(stderr, "prefixed_batch_every_length_in_place: %zu digests "
          "checked\n", checked);
}

Test(crypto_sha256, empty_messages_may_be_null) {
  /* Zero-length messages may come as NULL pointers in every form. */
  static const uint8_t empty[32] = {
      0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
      0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
      0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
  const uint8_t *msgs[3] = {NULL, NULL, NULL};
  const size_t lens[3] = {0, 0, 0};
  for (size_t p = 0; p < NPATHS; p++) {
    if (!path_usable(&paths[p], "empty_messages_may_be_null"))
      continue;
    uint8_t d[3][32];
    paths[p].oneshot(NULL, 0, d[0]);
    assert_digest(d[0], empty, "one-shot NULL", paths[p].name, 0);
    memset(d, 0, sizeof d);
    paths[p].batch(3, msgs, lens, d);
    for (int i = 0; i < 3; i++)
      assert_digest(d[i], empty, "batch NULL", paths[p].name, 0);
    memset(d, 0, sizeof d);
    paths[p].batch_fixed(3, NULL, 0, d);
    for (int i = 0; i < 3; i++)
      assert_digest(d[i], empty, "fixed batch NULL", paths[p].name, 0);
    cx_sha256_ctx ctx;
    cx_sha256_init(&ctx);
    paths[p].update(&ctx, NULL, 0);
    paths[p].final(&ctx, d[0]);
    assert_digest(d[0], empty, "incremental NULL", paths[p].name, 0);
  }
  uint8_t d[3][32], want[32];
  const uint8_t one = 0x01;
  cx_sha256_portable(&one, 1, want);
  cx_sha256_batch_prefixed(3, 0x01, NULL, 0, d);
  for (int i = 0; i < 3; i++)
    assert_digest(d[i], want, "prefixed NULL", "default", 0);
}
