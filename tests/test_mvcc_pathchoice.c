/* The measured path choice (mvcc/pathchoice.h): alternates until it has
 * a few samples of each path, then keeps the faster one, re-tries the
 * slower one at doubling intervals, follows the medians when they cross,
 * and is not fooled by one lucky or one preempted run. */
#include <criterion/criterion.h>
#include <string.h>

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
  memset(&s, 0, sizeof s);
  /* Alternates until each path has CX_PATH_WARMUP samples. */
  for (unsigned i = 0; i < CX_PATH_WARMUP; i++) {
    cr_assert_eq(step(&s, 1e-3, 3e-3), CX_EXEC_PARALLEL);
    cr_assert_eq(step(&s, 1e-3, 3e-3), CX_EXEC_SEQUENTIAL);
  }
  /* Re-tries of the slower path come at 16, 32, 64 ... blocks apart. */
  int retries = 0, last = 0, gaps[8] = {0};
  for (int b = 1; b <= 16 + 32 + 64 + 128; b++)
    if (step(&s, 1e-3, 3e-3) == CX_EXEC_PARALLEL) {
      cr_assert_lt(retries, 8);
      gaps[retries++] = b - last;
      last = b;
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

Test(mvcc_pathchoice, follows_a_change_of_machine) {
  cx_path_stats s;
  memset(&s, 0, sizeof s);
  for (int b = 0; b < 200; b++)
    step(&s, 1e-3, 3e-3);
  /* Parallel becomes much faster (say, base reads got slower): the next
   * re-tries pull its average down until it wins. */
  int par = 0;
  for (int b = 0; b < 4000; b++)
    par += step(&s, 4e-3, 1e-3) == CX_EXEC_PARALLEL;
  cr_assert_eq(cx_path_pick(&s, N, PCT), CX_EXEC_PARALLEL);
  cr_assert_gt(par, 3500);
}

Test(mvcc_pathchoice, one_outlier_does_not_decide) {
  cx_path_stats s;
  memset(&s, 0, sizeof s);
  /* Parallel is slow but once lucky; sequential once preempted. */
  cx_path_record(&s, N, PCT, CX_EXEC_PARALLEL, 0.5e-3);
  cx_path_record(&s, N, PCT, CX_EXEC_SEQUENTIAL, 9e-3);
  for (unsigned i = 1; i < CX_PATH_WARMUP; i++) {
    cx_path_record(&s, N, PCT, CX_EXEC_PARALLEL, 3e-3);
    cx_path_record(&s, N, PCT, CX_EXEC_SEQUENTIAL, 1e-3);
  }
  cr_assert_eq(cx_path_pick(&s, N, PCT), CX_EXEC_SEQUENTIAL);
}
