/* storage: crash safety. A child process commits deterministic blocks in
 * the default (sync) mode and reports each height on a pipe after the
 * commit returned; the parent SIGKILLs it at random moments (during open,
 * genesis, or anywhere in the commit loop), reopens the store and checks:
 *   - the height h is at least every height the child reported (no lost
 *     committed block) and never goes back;
 *   - the state equals, exactly, the state after genesis and blocks 1..h
 *     computed independently in memory: state root, block rows, and a
 *     full scan (no torn block).
 * The next child continues from whatever the store holds. CX_TEST_ITERS
 * sets the number of kills (default 100).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_storage_util.h"

#define N_ACC 500u
#define N_KV 1500u
#define GENESIS_KEYS 300u
#define MAX_WRITES 200u

static ts_dir dir;

static void setup(void) { ts_dir_make(&dir); }
static void teardown(void) { ts_dir_free(&dir); }

TestSuite(storage_crash, .init = setup, .fini = teardown, .timeout = 300);

/* Block h's random stream (h = 0: genesis). */
static cx_rng block_rng(uint64_t seed, uint64_t h) {
  cx_rng r = {seed ^ (h * 0x9e3779b97f4a7c15ull)};
  cx_rng_next(&r);
  return r;
}

/* Write set of block h (or genesis for h = 0): depends only on the seed,
 * h and the key universe, never on the state. */
static size_t block_writes(const ts_ref *r, uint64_t seed, uint64_t h,
                           uint32_t *u, cx_entry *w) {
  cx_rng rng = block_rng(seed, h);
  size_t k = h == 0 ? GENESIS_KEYS : 1 + cx_rng_below(&rng, MAX_WRITES);
  return ts_gen_writes(r, &rng, k, u, w);
}

/* The child: open, load genesis if missing, commit blocks forever,
 * reporting each height after its commit returned. Exits only on error
 * (status names the step) or when the parent is gone. */
static void child_main(uint64_t seed, int fd) {
  cx_store_config cfg = ts_config(dir.db, 4u << 20, 0, CX_DURABILITY_SYNC);
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  if (!s) {
    fprintf(stderr, "child: open: %s\n", err.message);
    _exit(10);
  }
  ts_ref r;
  ts_ref_init(&r, N_ACC, N_KV);
  uint32_t u[GENESIS_KEYS + MAX_WRITES];
  cx_entry w[GENESIS_KEYS + MAX_WRITES];
  if (!cx_store_has_genesis(s)) {
    size_t g = block_writes(&r, seed, 0, u, w);
    if (cx_store_load_genesis(s, w, g, NULL, &err) != CX_OK) {
      fprintf(stderr, "child: genesis: %s\n", err.message);
      _exit(11);
    }
  }
  for (;;) {
    uint64_t h = cx_store_height(s) + 1;
    uint8_t root[32];
    cx_store_state_root(s, root);
    size_t m = block_writes(&r, seed, h, u, w);
    cx_block_record rec = ts_record(h, root, w, m);
    if (cx_store_commit_block(s, &rec, w, m, &err) != CX_OK) {
      fprintf(stderr, "child: block %llu: %s\n", (unsigned long long)h,
              err.message);
      _exit(12);
    }
    if (write(fd, &h, sizeof h) != (ssize_t)sizeof h)
      _exit(0); /* parent gone */
  }
}

/* Reads one report; false at EOF. */
static bool read_report(int fd, uint64_t *h) {
  size_t got = 0;
  uint8_t *p = (uint8_t *)h;
  while (got < sizeof *h) {
    ssize_t n = read(fd, p + got, sizeof *h - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    got += (size_t)n;
  }
  return true;
}

/* Parent's model: genesis applied or not, and the state after blocks
 * 1..height. */
typedef struct model {
  ts_ref r;
  bool genesis;
  uint64_t height;
  uint64_t seed;
} model;

static void model_advance(model *md, cx_store *s, uint64_t to) {
  uint32_t u[GENESIS_KEYS + MAX_WRITES];
  cx_entry w[GENESIS_KEYS + MAX_WRITES];
  cx_error err = {0};
  if (!md->genesis) {
    size_t g = block_writes(&md->r, md->seed, 0, u, w);
    cr_assert_eq(cx_genesis_root(w, g, md->r.root), CX_OK);
    ts_ref_apply(&md->r, u, w, g);
    md->genesis = true;
    uint8_t got[32];
    cx_store_genesis_root(s, got);
    cr_assert_arr_eq(got, md->r.root, 32, "genesis root");
  }
  for (uint64_t h = md->height + 1; h <= to; h++) {
    size_t m = block_writes(&md->r, md->seed, h, u, w);
    cx_block_record want = ts_record(h, md->r.root, w, m), got;
    ts_ref_apply(&md->r, u, w, m);
    memcpy(md->r.root, want.state_root, 32);
    cr_assert_eq(cx_store_block(s, h, &got, &err), CX_OK, "block %llu: %s",
                 (unsigned long long)h, err.message);
    cr_assert_eq(memcmp(&got, &want, sizeof got), 0, "row %llu differs",
                 (unsigned long long)h);
  }
  md->height = to;
}

/* Reopens after a kill and checks the store against the model. */
static void verify(model *md, uint64_t reported) {
  cx_store *s = ts_open(dir.db, 4u << 20, CX_DURABILITY_SYNC);
  uint64_t h = cx_store_height(s);
  cr_assert_geq(h, reported,
                "lost committed blocks: height %llu, child "
                "had committed %llu",
                (unsigned long long)h, (unsigned long long)reported);
  cr_assert_geq(h, md->height, "height went back from %llu to %llu",
                (unsigned long long)md->height, (unsigned long long)h);
  if (!cx_store_has_genesis(s)) {
    cr_assert_not(md->genesis, "genesis vanished");
    cr_assert_eq(h, 0);
  } else {
    model_advance(md, s, h);
  }
  uint8_t root[32], zero[32] = {0};
  cx_store_state_root(s, root);
  cr_assert_arr_eq(root, md->genesis ? md->r.root : zero, 32,
                   "state root at height %llu", (unsigned long long)h);
  ts_ref_check_scan(&md->r, s);
  cx_block_record none;
  cr_assert_eq(cx_store_block(s, h + 1, &none, NULL), CX_ENOTFOUND,
               "a row past the height");
  cx_store_close(s);
}

static void sleep_us(uint64_t us) {
  struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

Test(storage_crash, sigkill_during_sync_commits) {
  uint64_t seed = cx_test_seed("storage_crash");
  uint64_t kills = cx_test_iters(100);
  cx_rng rng = {seed ^ 0xc0ffee};
  model md = {.seed = seed};
  ts_ref_init(&md.r, N_ACC, N_KV);
  uint64_t reported = 0, mid_commit = 0;
  for (uint64_t i = 0; i < kills; i++) {
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork");
    if (pid == 0) {
      close(fds[0]);
      child_main(seed, fds[1]);
      _exit(0);
    }
    close(fds[1]);
    /* Most kills land in the commit loop (after a first commit); every
     * fourth may land during open or genesis. */
    uint64_t first = 0;
    if (i % 4 != 0) {
      cr_assert(read_report(fds[0], &first), "child died before committing");
      reported = first > reported ? first : reported;
      sleep_us(cx_rng_below(&rng, 15000));
    } else {
      sleep_us(cx_rng_below(&rng, 3000));
    }
    cr_assert_eq(kill(pid, SIGKILL), 0);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "child ended on its own (exit status %d): see stderr",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    uint64_t h;
    while (read_report(fds[0], &h))
      reported = h > reported ? h : reported;
    close(fds[0]);
    verify(&md, reported);
    mid_commit += md.height > reported; /* killed after commit, before report */
  }
  cr_log_info("%llu kills, final height %llu, %llu kills between a durable "
              "commit and its report",
              (unsigned long long)kills, (unsigned long long)md.height,
              (unsigned long long)mid_commit);
  cr_assert_gt(md.height, kills / 2, "too little progress to mean anything");
  ts_ref_free(&md.r);
}
