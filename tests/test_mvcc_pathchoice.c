/* The measured path choice (mvcc/pathchoice.h): alternates pairs of
 * blocks until it has a few ratios of warm blocks, then keeps the faster
 * path, re-tries the slower one for a pair of blocks at doubling
 * intervals, follows the ratios when they cross, is not fooled by one
 * lucky or one preempted run, and does not credit a slow spell of the
 * machine to the path that ran during it. */
#include <criterion/criterion.h>

#include "mvcc.h"
#include "pathchoice.h"

enum { N = 10000, PCT = 0 };

/* Picks and records one block whose paths cost seq_s / par_s seconds. */
static int step(cx_path_stats *s, double seq_s, double par_s) {
  int p = cx_path_pick(s, N, PCT);
  cx_path_record(s, N, PCT, p, p == CX_EXEC_PARALLEL ? par_s : seq_s);
  return p;
}

Test(mvcc_pathchoice, explores_then_keeps_the_faster) {
  cx_path_stats s;
  cx_path_init(&s);
  /* Pairs of blocks, parallel first, for CX_PATH_WARMUP_BLOCKS blocks. */
  for (unsigned i = 0; i < CX_PATH_WARMUP_BLOCKS; i++)
    cr_assert_eq(step(&s, 1e-3, 3e-3),
                 i / 2 % 2 ? CX_EXEC_SEQUENTIAL : CX_EXEC_PARALLEL,
                 "block %u", i);
  /* Re-tries of the slower path, two blocks each, start 16, 32, 64 ...
   * blocks apart. */
  int retries = 0, last = 0, gaps[8] = {0}, prev = CX_EXEC_SEQUENTIAL;
  int run = 0;
  for (int b = 1; b <= 16 + 32 + 64 + 128; b++) {
    int p = step(&s, 1e-3, 3e-3);
    if (p == CX_EXEC_PARALLEL && prev != CX_EXEC_PARALLEL) {
      cr_assert_lt(retries, 8);
      gaps[retries++] = b - last;
      last = b;
      run = 0;
    }
    if (p == CX_EXEC_PARALLEL)
      cr_assert_leq(++run, 2, "a re-try runs two blocks (block %d)", b);
    else if (prev == CX_EXEC_PARALLEL)
      cr_assert_eq(run, 2, "a re-try runs two blocks (block %d)", b);
    prev = p;
  }
  cr_assert_eq(retries, 4);
  cr_assert_eq(gaps[0], 16);
  cr_assert_eq(gaps[1], 32);
  cr_assert_eq(gaps[2], 64);
  cr_assert_eq(gaps[3], 128);
  /* Other classes (size, contention) keep their own figures. */
  cr_assert_eq(cx_path_pick(&s, 100, PCT), CX_EXEC_PARALLEL);
  cr_assert_eq(cx_path_pick(&s, N, 40), CX_EXEC_PARALLEL);
}

Test(mvcc_pathchoice, keeps_parallel_when_it_is_faster) {
  cx_path_stats s;
  cx_path_init(&s);
  int par = 0;
  for (int b = 0; b < 500; b++)
    par += step(&s, 1.2e-3, 1e-3) == CX_EXEC_PARALLEL;
  /* All but the warm-up's sequential blocks and four two-block re-tries
   * (16, 48, 112 and 240 blocks after the warm-up). */
  cr_assert_eq(par, 500 - (int)CX_PATH_WARMUP_BLOCKS / 2 - 4 * 2,
               "parallel on %d of 500 blocks", par);
}

Test(mvcc_pathchoice, follows_a_change_of_machine) {
  cx_path_stats s;
  cx_path_init(&s);
  for (int b = 0; b < 200; b++)
    step(&s, 1e-3, 3e-3);
  /* Parallel becomes much faster (say, base reads got slower): the next
   * two re-tries (each compared with its neighbours) turn the choice. */
  int par = 0;
  for (int b = 0; b < 4000; b++)
    par += step(&s, 4e-3, 1e-3) == CX_EXEC_PARALLEL;
  cr_assert_eq(cx_path_pick(&s, N, PCT), CX_EXEC_PARALLEL);
  cr_assert_gt(par, 3500);
}

/* Records a pair of blocks of one path, the second taking `seconds`. */
static void pair(cx_path_stats *s, int path, double seconds) {
  cx_path_record(s, N, PCT, path, 5e-3); /* after the other path: unused */
  cx_path_record(s, N, PCT, path, seconds);
}

Test(mvcc_pathchoice, one_outlier_does_not_decide) {
  cx_path_stats s;
  cx_path_init(&s);
  /* Parallel is slow but once lucky, sequential once preempted: those two
   * blocks make two of the five ratios. */
  pair(&s, CX_EXEC_PARALLEL, 0.5e-3);
  pair(&s, CX_EXEC_SEQUENTIAL, 9e-3);
  pair(&s, CX_EXEC_PARALLEL, 3e-3);
  pair(&s, CX_EXEC_SEQUENTIAL, 1e-3);
  pair(&s, CX_EXEC_PARALLEL, 3e-3);
  pair(&s, CX_EXEC_SEQUENTIAL, 1e-3);
  cr_assert_eq(cx_path_pick(&s, N, PCT), CX_EXEC_SEQUENTIAL);
}

Test(mvcc_pathchoice, compares_warm_blocks_only) {
  cx_path_stats s;
  cx_path_init(&s);
  /* Each path is slow right after the other one (its tables left the
   * caches), parallel much more so; warm, parallel is faster. */
  for (unsigned i = 0; i < 3; i++) {
    cx_path_record(&s, N, PCT, CX_EXEC_PARALLEL, 3e-3);
    cx_path_record(&s, N, PCT, CX_EXEC_PARALLEL, 0.8e-3);
    cx_path_record(&s, N, PCT, CX_EXEC_SEQUENTIAL, 1.1e-3);
    cx_path_record(&s, N, PCT, CX_EXEC_SEQUENTIAL, 1e-3);
  }
  cr_assert_eq(cx_path_pick(&s, N, PCT), CX_EXEC_PARALLEL);
}

Test(mvcc_pathchoice, a_slow_spell_is_not_credited_to_one_path) {
  cx_path_stats s;
  cx_path_init(&s);
  /* Parallel is 1.25x faster throughout, but the machine runs at half
   * speed for the first six warm-up blocks, whose warm ones are two
   * parallel and one sequential: each path's own median would then make
   * sequential look faster (1.0 against 1.6 ms); the ratios of blocks run
   * close together do not. */
  for (unsigned b = 0; b < CX_PATH_WARMUP_BLOCKS; b++) {
    double slow = b < 6 ? 2.0 : 1.0;
    step(&s, slow * 1e-3, slow * 0.8e-3);
  }
  cr_assert_eq(cx_path_pick(&s, N, PCT), CX_EXEC_PARALLEL);
}

Test(mvcc_pathchoice, ignores_what_it_cannot_use) {
  cx_path_stats s;
  cx_path_init(&s);
  cx_path_record(&s, N, PCT, CX_EXEC_PARALLEL, 1e-3);
  /* No time, no transactions, no such path: none of them is the class's
   * previous block, so the warm-up goes on with parallel's second block. */
  cx_path_record(&s, N, PCT, CX_EXEC_SEQUENTIAL, 0.0);
  cx_path_record(&s, N, PCT, CX_EXEC_SEQUENTIAL, -1.0);
  cx_path_record(&s, 0, PCT, CX_EXEC_SEQUENTIAL, 1e-3);
  cx_path_record(&s, N, PCT, 7, 1e-3);
  cr_assert_eq(cx_path_pick(&s, N, PCT), CX_EXEC_PARALLEL);
}
