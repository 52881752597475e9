/* The write-set sorts (mvcc/sort.h: from entries, and from items that
 * hold keys) agree with cx_entries_sort on random keys, on keys sharing
 * long prefixes (counters), on mixed accounts and kv keys, and at the
 * sizes around their short-run/long-run switch. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cx_test.h"
#include "sort.h"
#include "vm.h"

/* cx_mv_sort_items' fill: entry i is the i-th input entry. */
static void fill_entry(void *ctx, size_t i, cx_entry *e) {
  *e = ((const cx_entry *)ctx)[i];
}

static void check(cx_entry *e, size_t n) {
  cx_entry *want = malloc((n + 1) * sizeof *want);
  cx_entry *got = malloc((n + 1) * sizeof *got);
  const void **items = malloc((n + 1) * sizeof *items);
  cr_assert(want && got && items);
  memcpy(want, e, n * sizeof *e);
  cx_entries_sort(want, n);
  cx_arena arena = {0};
  for (int way = 0; way < 2; way++) {
    memset(got, 0, (n + 1) * sizeof *got);
    if (way == 0) {
      cr_assert_eq(cx_mv_sort(e, n, got, &arena), 0);
    } else {
      for (size_t i = 0; i < n; i++)
        items[i] = &e[i];
      cr_assert_eq(cx_mv_sort_items(items, offsetof(cx_entry, key), n,
                                    fill_entry, e, got, &arena),
                   0);
    }
    for (size_t i = 0; i < n; i++)
      cr_assert(cx_key_cmp(&got[i].key, &want[i].key) == 0 &&
                    got[i].v0 == want[i].v0,
                "n=%zu, %s: entry %zu out of place", n,
                way ? "cx_mv_sort_items" : "cx_mv_sort", i);
  }
  cx_arena_free(&arena);
  free(items);
  free(want);
  free(got);
}

Test(mvcc_sort, agrees_with_cx_entries_sort) {
  cx_rng r = {cx_test_seed("mvcc_sort")};
  static const size_t sizes[] = {0, 1, 2, 15, 16, 17, 18, 100, 5000};
  for (unsigned shape = 0; shape < 4; shape++)
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
      size_t n = sizes[s];
      cx_entry *e = calloc(n + 1, sizeof *e);
      cr_assert_not_null(e);
      for (size_t i = 0; i < n; i++) {
        uint8_t b[32];
        cx_rng_bytes(&r, b, 32);
        if (shape >= 1) /* shared prefixes: short or long runs */
          memset(b, 0, shape == 1 ? 3 : 28);
        if (shape == 2) { /* distinct counters in the low bytes */
          b[28] = (uint8_t)(i >> 24), b[29] = (uint8_t)(i >> 16);
          b[30] = (uint8_t)(i >> 8), b[31] = (uint8_t)i;
        }
        if (shape == 3 && i % 2) /* accounts mixed in */
          cx_vm_key_account(&e[i].key, b);
        else
          cx_vm_key_kv(&e[i].key, b);
        e[i].v0 = i;
      }
      /* Keys must be unique: drop duplicates of random low bytes. */
      if (shape == 1 || shape == 3) {
        cx_entries_sort(e, n);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
          if (m == 0 || cx_key_cmp(&e[m - 1].key, &e[i].key) != 0)
            e[m++] = e[i];
        n = m;
        for (size_t i = n; i > 1; i--) { /* shuffle back */
          size_t j = cx_rng_below(&r, i);
          cx_entry t = e[i - 1];
          e[i - 1] = e[j];
          e[j] = t;
        }
      }
      check(e, n);
      free(e);
    }
}
