/* storage: map growth under load. A 1 MiB initial map takes 50 blocks of
 * 20k writes: every MDB_MAP_FULL aborts, grows and replays the block; at
 * the end every block row is present and the state (scan and root) equals
 * the one computed in memory, also after reopening.
 * Runs in the default SYNC mode (3 s on the 2-core dev VM); growth does
 * not depend on fsync, so NOSYNC is the knob if a slow disk makes it drag.
 */
#include <criterion/criterion.h>

#include "test_storage_util.h"

static ts_dir dir;

static void setup(void) { ts_dir_make(&dir); }
static void teardown(void) { ts_dir_free(&dir); }

TestSuite(storage_growth, .init = setup, .fini = teardown, .timeout = 300);

/* k writes per block; a genesis of gk entries. */
static void run_growth(size_t step, uint64_t blocks, size_t k, size_t gk) {
  cx_store_config cfg = ts_config(dir.db, 1u << 20, step, CX_DURABILITY_SYNC);
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "%s", err.message);

  ts_ref r;
  ts_ref_init(&r, 100000, 400000);
  uint32_t *u = malloc(k * sizeof *u);
  cx_entry *w = malloc(k * sizeof *w);
  cx_block_record *recs = calloc(blocks + 1, sizeof *recs);
  cr_assert(u && w && recs);
  cx_rng rng = {cx_test_seed("storage_growth")};

  /* A genesis of gk entries (20k: itself bigger than the initial map). */
  size_t g = ts_gen_writes(&r, &rng, gk, u, w);
  uint8_t want[32];
  cr_assert_eq(cx_genesis_root(w, g, want), CX_OK);
  cr_assert_eq(cx_store_load_genesis(s, w, g, r.root, &err), CX_OK, "%s",
               err.message);
  cr_assert_arr_eq(r.root, want, 32);
  ts_ref_apply(&r, u, w, g);

  size_t grown = 0, last = cx_store_map_size(s);
  for (uint64_t b = 1; b <= blocks; b++) {
    size_t m = ts_gen_writes(&r, &rng, k, u, w);
    recs[b] = ts_record(b, r.root, w, m);
    cr_assert_eq(cx_store_commit_block(s, &recs[b], w, m, &err), CX_OK,
                 "block %llu: %s", (unsigned long long)b, err.message);
    ts_ref_apply(&r, u, w, m);
    memcpy(r.root, recs[b].state_root, 32);
    grown += cx_store_map_size(s) != last;
    last = cx_store_map_size(s);
  }
  cr_assert_gt(grown, 0, "the map never grew");
  cr_log_info("map grew during %zu of %llu blocks, to %zu MiB", grown,
              (unsigned long long)blocks, last >> 20);

  for (int pass = 0; pass < 2; pass++) {
    cr_assert_eq(cx_store_height(s), blocks);
    uint8_t root[32];
    cx_store_state_root(s, root);
    cr_assert_arr_eq(root, r.root, 32);
    for (uint64_t b = 1; b <= blocks; b++) {
      cx_block_record got;
      cr_assert_eq(cx_store_block(s, b, &got, &err), CX_OK, "block %llu: %s",
                   (unsigned long long)b, err.message);
      cr_assert_eq(memcmp(&got, &recs[b], sizeof got), 0, "row %llu",
                   (unsigned long long)b);
    }
    ts_ref_check_scan(&r, s);
    cx_store_close(s);
    if (pass == 0) {
      /* Reopen with the small initial size: the recorded size wins. */
      s = cx_store_open(&cfg, &err);
      cr_assert_not_null(s, "%s", err.message);
      cr_assert_geq(cx_store_map_size(s), last);
    }
  }
  free(u);
  free(w);
  free(recs);
  ts_ref_free(&r);
}

Test(storage_growth, small_steps_50_blocks_of_20k) {
  run_growth(2u << 20, cx_test_iters(50), 20000, 20000);
}

/* A genesis that fits the 1 MiB map, so that the blocks grow it. */
Test(storage_growth, default_steps) { run_growth(0, 10, 20000, 5000); }
