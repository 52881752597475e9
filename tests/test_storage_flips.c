/* storage: flipped bytes of a schema-3 database are refused or harmless,
 * never a silently different value.
 *
 * A small chain (genesis, blocks with statuses, undo data of the last 4
 * blocks, pruned rows below) is read whole into a golden transcript:
 * height, roots, retention floor, a full scan, point reads of every key
 * (store and snapshot), block rows and statuses, and views and scans at
 * every height of the retention window. Then one byte at a time is
 * flipped in place (seeded offsets inside the used bytes of the data
 * pages: page headers, node pointers, nodes, overflow pages; not the
 * free gap of a page, which nothing reads) and a child process runs the
 * integrity check, opens the store read-only and reads the transcript
 * again. Each flip must end as: refused by the check, by the open, or by
 * a read (with a message), or harmless (the transcript is identical).
 * A different transcript without an error ("silent") or a crash fails.
 * CX_TEST_ITERS sets the number of flips (default 500, about 4 s; the figures in
 * docs/security.md section 4 come from larger runs).
 */
#include <criterion/criterion.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test_storage_util.h"

#define NA 400u
#define NK 400u
#define NU (NA + NK)
#define BLOCKS 10u
#define KEEP 4u

static ts_dir dir;

static void setup(void) { ts_dir_make(&dir); }
static void teardown(void) { ts_dir_free(&dir); }

TestSuite(storage_flips, .init = setup, .fini = teardown, .timeout = 600);

/* A growing byte buffer: the transcript of everything read. */
typedef struct tape {
  uint8_t *p;
  size_t n, cap;
} tape;

static void put(tape *t, const void *p, size_t n) {
  if (t->n + n > t->cap) {
    t->cap = (t->n + n) * 2;
    t->p = realloc(t->p, t->cap);
    if (!t->p)
      _exit(99);
  }
  memcpy(t->p + t->n, p, n);
  t->n += n;
}

static int tape_entry(void *ctx, const cx_entry *e) {
  put(ctx, e, sizeof *e);
  return 0;
}

static ts_ref ref;

/* Reads everything; CX_OK and the transcript, or the first error. */
static int read_all(cx_store *s, tape *t, cx_error *err) {
  uint64_t h = cx_store_height(s), floor = cx_store_retention_floor(s);
  uint8_t root[32];
  put(t, &h, 8);
  put(t, &floor, 8);
  cx_store_state_root(s, root);
  put(t, root, 32);
  cx_store_genesis_root(s, root);
  put(t, root, 32);
  int rc = cx_store_scan(s, tape_entry, t, err);
  if (rc != CX_OK)
    return rc;
  cx_snapshot *snap = cx_store_snapshot(s, err);
  if (!snap)
    return err->code;
  for (uint32_t i = 0; i < NU + 8 && rc == CX_OK; i++) {
    /* The universe, and a few keys never written. */
    cx_key k = i < NU ? ref.e[i].key
                      : ts_key(i & 1 ? CX_ENTRY_KV : CX_ENTRY_ACCOUNT,
                               90000 + i);
    uint64_t v[4];
    rc = cx_store_get(s, &k, &v[0], &v[1], err);
    if (rc == CX_OK)
      rc = cx_snapshot_read_err(snap, &k, &v[2], &v[3], err);
    put(t, v, sizeof v);
  }
  for (uint64_t b = 1; b <= h + 1 && rc == CX_OK; b++) {
    cx_block_record r;
    memset(&r, 0, sizeof r);
    rc = cx_store_block(s, b, &r, err);
    if (rc == CX_ENOTFOUND && b == h + 1)
      rc = CX_OK;
    put(t, &r, sizeof r);
    uint8_t st[64] = {0};
    if (rc == CX_OK && b <= h && r.tx_count <= sizeof st)
      rc = cx_store_block_statuses(s, b, st, r.tx_count, err);
    put(t, st, sizeof st);
  }
  for (uint64_t at = cx_snapshot_retention_floor(snap);
       at <= h && rc == CX_OK; at++) {
    cx_view *v = cx_snapshot_view(snap, at, err);
    if (!v) {
      rc = err->code;
      break;
    }
    cx_view_state_root(v, root);
    put(t, root, 32);
    for (uint32_t i = 0; i < NU && rc == CX_OK; i++) {
      uint64_t x[2];
      rc = cx_view_read_err(v, &ref.e[i].key, &x[0], &x[1], err);
      put(t, x, sizeof x);
    }
    cx_view_release(v);
    if (rc == CX_OK)
      rc = cx_store_scan_at(s, at, tape_entry, t, err);
  }
  cx_snapshot_release(snap);
  return rc;
}

enum outcome {
  HARMLESS = 0,
  REFUSED_CHECK = 1,
  REFUSED_OPEN = 2,
  REFUSED_READ = 3, /* CX_ECORRUPT from a read */
  REFUSED_OTHER = 4, /* another code from a read */
  SILENT = 5,
  NO_MESSAGE = 6,
  N_OUTCOMES = 7
};

static const char *const outcome_names[N_OUTCOMES] = {
    "harmless",         "refused by the check", "refused by open",
    "refused by a read (CX_ECORRUPT)", "refused by a read (other code)",
    "SILENT",           "error without a message"};

static cx_store_config ro_config(void) {
  cx_store_config cfg = ts_config(dir.db, 0, 0, CX_DURABILITY_NOSYNC);
  cfg.undo_retention = KEEP;
  cfg.read_only = true;
  return cfg;
}

static void child(const tape *golden) {
  cx_store_config cfg = ro_config();
  cx_error err = {0};
  if (cx_store_verify(&cfg, &err) != CX_OK)
    _exit(err.message[0] ? REFUSED_CHECK : NO_MESSAGE);
  cx_store *s = cx_store_open(&cfg, &err);
  if (!s)
    _exit(err.message[0] ? REFUSED_OPEN : NO_MESSAGE);
  tape t = {0};
  int rc = read_all(s, &t, &err);
  if (rc != CX_OK)
    _exit(!err.message[0] ? NO_MESSAGE
          : rc == CX_ECORRUPT ? REFUSED_READ
                              : REFUSED_OTHER);
  _exit(t.n == golden->n && memcmp(t.p, golden->p, t.n) == 0 ? HARMLESS
                                                             : SILENT);
}

/* The bytes of data.mdb worth flipping: in pages 2.. (0 and 1 are LMDB's
 * meta pages), the header and node pointers up to mp_lower and the nodes
 * from mp_upper of branch and leaf pages, and all of overflow pages. */
static long *candidates(const uint8_t *f, size_t len, size_t *n) {
  long *c = malloc(len * sizeof *c);
  cr_assert_not_null(c);
  *n = 0;
  for (size_t pg = 2; pg * 4096 < len; pg++) {
    const uint8_t *p = f + pg * 4096;
    unsigned flags = p[10] | p[11] << 8, lower = p[12] | p[13] << 8,
             upper = p[14] | p[15] << 8;
    bool tree = (flags == 1 || flags == 2) && lower <= upper && upper <= 4096;
    for (unsigned b = 0; b < 4096; b++)
      if (!tree || b < lower || b >= upper)
        c[(*n)++] = (long)(pg * 4096 + b);
  }
  return c;
}

static void build(void) {
  cx_store_config cfg = ts_config(dir.db, 0, 0, CX_DURABILITY_NOSYNC);
  cfg.undo_retention = KEEP;
  cx_error err = {0};
  cx_store *s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "%s", err.message);
  ts_ref_init(&ref, NA, NK);
  cx_rng rng = {0xf11b5};
  uint32_t u[NU];
  cx_entry w[NU];
  size_t n = ts_gen_writes(&ref, &rng, NU / 2, u, w);
  cr_assert_eq(cx_store_load_genesis(s, w, n, ref.root, &err), CX_OK);
  ts_ref_apply(&ref, u, w, n);
  for (uint64_t h = 1; h <= BLOCKS; h++) {
    n = ts_gen_writes(&ref, &rng, 1 + cx_rng_below(&rng, 40), u, w);
    cx_block_record r = ts_record(h, ref.root, w, n);
    uint8_t st[64];
    for (size_t i = 0; i < n; i++)
      st[i] = (uint8_t)((h + i) % 7);
    r.statuses = st;
    cr_assert_eq(cx_store_commit_block(s, &r, w, n, &err), CX_OK, "%s",
                 err.message);
    ts_ref_apply(&ref, u, w, n);
    memcpy(ref.root, r.state_root, 32);
  }
  /* A revert and a new block: deleted keys and freed pages too. */
  cr_assert_eq(cx_store_revert(s, BLOCKS - 2, &err), CX_OK, "%s",
               err.message);
  cx_store_close(s);
}

static void set_byte(const char *file, long off, int c) {
  FILE *f = fopen(file, "r+b");
  cr_assert_not_null(f);
  fseek(f, off, SEEK_SET);
  fputc(c, f);
  fclose(f);
}

Test(storage_flips, flipped_bytes_refused_or_harmless) {
  build();
  cx_store_config cfg = ro_config();
  cx_error err = {0};
  cr_assert_eq(cx_store_verify(&cfg, &err), CX_OK, "%s", err.message);
  cx_store *s = cx_store_open(&cfg, &err);
  cr_assert_not_null(s, "%s", err.message);
  tape golden = {0};
  cr_assert_eq(read_all(s, &golden, &err), CX_OK, "%s", err.message);
  cx_store_close(s);

  char file[400];
  snprintf(file, sizeof file, "%s/data.mdb", dir.db);
  size_t len = 0;
  uint8_t *pristine = (uint8_t *)cx_test_read_file(file, &len);
  size_t nc = 0;
  long *cand = candidates(pristine, len, &nc);
  cr_assert_gt(nc, 1000u);
  uint64_t seed = getenv("CX_TEST_SEED") ? cx_test_seed("storage_flips")
                                         : 0x5eedf11bull;
  cx_rng rng = {seed};
  unsigned flips = (unsigned)cx_test_iters(500);
  bool all = flips >= nc; /* every candidate byte once */
  if (all)
    flips = (unsigned)nc;
  unsigned count[N_OUTCOMES] = {0}, crashed = 0;
  char bad[600] = "";
  for (unsigned k = 0; k < flips; k++) {
    long off = all ? cand[k] : cand[cx_rng_below(&rng, nc)];
    uint8_t mask = (uint8_t)(1 + cx_rng_below(&rng, 255));
    set_byte(file, off, pristine[off] ^ mask);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0)
      child(&golden);
    int status = 0;
    waitpid(pid, &status, 0);
    set_byte(file, off, pristine[off]);
    int o = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (o < 0 || o >= N_OUTCOMES)
      crashed++;
    else
      count[o]++;
    if (o < 0 || o >= N_OUTCOMES || o == SILENT || o == NO_MESSAGE) {
      size_t used = strlen(bad);
      snprintf(bad + used, sizeof bad - used, " %ld^0x%02x(%s)", off, mask,
               o == SILENT ? "silent" : o == NO_MESSAGE ? "no message"
                                                        : "crash");
    }
  }
  cr_log_info("%u flips over %zu candidate bytes of %zu (%s):", flips, nc,
              len, all ? "every byte" : "seeded sample");
  for (int o = 0; o < N_OUTCOMES; o++)
    cr_log_info("  %-34s %6u (%.2f%%)", outcome_names[o], count[o],
                100.0 * count[o] / flips);
  cr_log_info("  %-34s %6u", "crashed", crashed);
  cr_expect_eq(count[SILENT] + count[NO_MESSAGE] + crashed, 0u,
               "%u silent, %u without message, %u crashed of %u flips "
               "(offset^mask):%s (CX_TEST_SEED=%llu)",
               count[SILENT], count[NO_MESSAGE], crashed, flips, bad,
               (unsigned long long)seed);
  free(cand);
  free(pristine);
  free(golden.p);
  ts_ref_free(&ref);
}
