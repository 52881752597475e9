/* The op VM's rules (SPEC section 4) on hand-made blocks, each checked on
 * the sequential path and on Block-STM at 2 threads: status precedence,
 * ops seeing earlier ops, self-transfers, APPEND slots, overflow at
 * 2^64-1, no effect for failed transactions; plus the executor's argument
 * checks and base-read error propagation.
 * CX_TEST_LABEL_CONCURRENCY */
#include <criterion/criterion.h>
#include <string.h>

#include "blockgen.h"
#include "cx_test.h"
#include "memstate.h"
#include "mvcc.h"
#include "pool.h"
#include "sha256.h"

#define MAXB 8

static const uint8_t A[20] = {0xaa}, B[20] = {0xbb};
static const uint8_t K1[32] = {1}, K2[32] = {2};

typedef struct op_spec {
  uint8_t code;
  const uint8_t *a, *b;
  uint64_t amount;
} op_spec;

typedef struct tx_spec {
  const uint8_t *sender;
  uint64_t nonce;
  int sig_ok, malformed;
  op_spec ops[4];
} tx_spec;

typedef struct block {
  size_t n;
  uint8_t wire[MAXB][CX_TX_MAX_LEN];
  cx_tx txs[MAXB];
  uint8_t sig_ok[MAXB];
  uint8_t senders[MAXB][20];
} block;

static void build(block *bl, const tx_spec *t, size_t n) {
  static const uint8_t pk[33] = {2}, sig[64];
  bl->n = n;
  for (size_t i = 0; i < n; i++) {
    cx_tx_builder b;
    cx_tx_build_begin(&b, bl->wire[i], pk, t[i].nonce);
    for (int o = 0; o < 4 && t[i].ops[o].code; o++)
      cx_tx_build_op(&b, t[i].ops[o].code, t[i].ops[o].a, t[i].ops[o].b,
                     t[i].ops[o].amount);
    size_t len = cx_tx_build_finish(&b, sig);
    cr_assert(cx_tx_decode(bl->wire[i], len, &bl->txs[i]));
    bl->txs[i].malformed = t[i].malformed;
    bl->sig_ok[i] = (uint8_t)t[i].sig_ok;
    memcpy(bl->senders[i], t[i].sender, 20);
  }
}

typedef struct result {
  uint8_t st[MAXB];
  cx_entry w[64];
  size_t nw;
} result;

/* Runs the block on a sequential and a 2-thread Block-STM executor, checks
 * both agree, and returns the result. */
static void run2(const tx_spec *t, size_t n, const cx_entry *base, size_t nb,
                 result *r) {
  block bl;
  build(&bl, t, n);
  cx_memstate *st = cx_memstate_create();
  cr_assert(st && cx_memstate_put(st, base, nb) == 0);
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(2, &err);
  cr_assert_not_null(pool);
  for (int path = 0; path < 2; path++) {
    cx_executor_config cfg = {.threads = path ? 2 : 1,
                              .run = cx_pool_run_workers, .runner = pool,
                              .force_path = path};
    cx_executor *x = cx_executor_create(&cfg, &err);
    cr_assert_not_null(x, "%s", err.message);
    cx_exec_input in = {n, bl.txs, bl.sig_ok,
                        (const uint8_t(*)[20])bl.senders};
    result got;
    cx_exec_output out = {.statuses = got.st};
    cr_assert_eq(cx_executor_run(x, &in, cx_memstate_read, st, &out, &err),
                 0, "%s", err.message);
    cr_assert_eq(out.counters.path, path);
    cr_assert_leq(out.n_writes, 64);
    got.nw = out.n_writes;
    memcpy(got.w, out.writes, out.n_writes * sizeof *out.writes);
    if (path == 0) {
      *r = got;
    } else {
      cr_assert_arr_eq(got.st, r->st, n);
      cr_assert_eq(got.nw, r->nw);
      for (size_t i = 0; i < got.nw; i++)
        cr_assert(cx_key_cmp(&got.w[i].key, &r->w[i].key) == 0 &&
                  got.w[i].v0 == r->w[i].v0 && got.w[i].v1 == r->w[i].v1);
    }
    cx_executor_destroy(x);
  }
  cx_pool_destroy(pool);
  cx_memstate_destroy(st);
}

/* The entry of key in r's write set, or NULL. */
static const cx_entry *find(const result *r, cx_key k) {
  for (size_t i = 0; i < r->nw; i++)
    if (cx_key_cmp(&r->w[i].key, &k) == 0)
      return &r->w[i];
  return NULL;
}

static cx_entry acct(const uint8_t *a, uint64_t bal, uint64_t nonce) {
  cx_entry e = {cx_key_account(a), bal, nonce};
  return e;
}

Test(mvcc_vm, self_transfer_in_op_order) {
  cx_entry base[] = {acct(A, 100, 0)};
  tx_spec t[] = {{A, 0, 1, 0, {{CX_OP_TRANSFER, A, NULL, 100}}},
                 {A, 1, 1, 0, {{CX_OP_TRANSFER, A, NULL, 101}}}};
  result r;
  run2(t, 2, base, 1, &r);
  cr_assert_eq(r.st[0], CX_TX_COMMITTED);
  cr_assert_eq(r.st[1], CX_TX_INSUFFICIENT_FUNDS);
  cr_assert_eq(r.nw, 1);
  cr_assert_eq(r.w[0].v0, 100);
  cr_assert_eq(r.w[0].v1, 1);
}

Test(mvcc_vm, failed_tx_has_no_effect) {
  cx_entry base[] = {acct(A, 100, 0), acct(B, UINT64_MAX - 5, 0)};
  tx_spec t[] = {
      /* credit overflows after the debit: nothing of it stays */
      {A, 0, 1, 0, {{CX_OP_SET, K1, NULL, 7}, {CX_OP_TRANSFER, B, NULL, 10}}},
      /* nonce 0 is still current */
      {A, 0, 1, 0, {{CX_OP_ASSERT_GE, K1, NULL, 1}}},
      {A, 0, 1, 0, {{CX_OP_SUB, K2, NULL, 1}}},
  };
  result r;
  run2(t, 3, base, 2, &r);
  cr_assert_eq(r.st[0], CX_TX_OVERFLOW);
  cr_assert_eq(r.st[1], CX_TX_ASSERT_FAILED);
  cr_assert_eq(r.st[2], CX_TX_INSUFFICIENT_FUNDS);
  cr_assert_eq(r.nw, 0);
}

Test(mvcc_vm, status_precedence) {
  cx_entry base[] = {acct(A, 0, 5)};
  tx_spec t[] = {
      {A, 9, 0, 1, {{CX_OP_TRANSFER, B, NULL, 1}}}, /* malformed first */
      {A, 9, 0, 0, {{CX_OP_TRANSFER, B, NULL, 1}}}, /* then signature */
      {A, 9, 1, 0, {{CX_OP_TRANSFER, B, NULL, 1}}}, /* then nonce */
      {A, 5, 1, 0, {{CX_OP_TRANSFER, B, NULL, 1}}}, /* then the ops */
      {A, 5, 1, 0, {{CX_OP_ASSERT_GE, K1, NULL, 0}}},
  };
  result r;
  run2(t, 5, base, 1, &r);
  cr_assert_eq(r.st[0], CX_TX_MALFORMED);
  cr_assert_eq(r.st[1], CX_TX_BAD_SIGNATURE);
  cr_assert_eq(r.st[2], CX_TX_BAD_NONCE);
  cr_assert_eq(r.st[3], CX_TX_INSUFFICIENT_FUNDS);
  cr_assert_eq(r.st[4], CX_TX_COMMITTED);
  /* ASSERT_GE writes nothing; the sender's nonce moves. */
  cr_assert_eq(r.nw, 1);
  cr_assert_eq(r.w[0].v1, 6);
}

Test(mvcc_vm, nonce_overflow_after_ops) {
  cx_entry base[] = {acct(A, 10, UINT64_MAX)};
  tx_spec t[] = {{A, UINT64_MAX, 1, 0, {{CX_OP_SET, K1, NULL, 1}}}};
  result r;
  run2(t, 1, base, 1, &r);
  cr_assert_eq(r.st[0], CX_TX_OVERFLOW);
  cr_assert_eq(r.nw, 0);
}

Test(mvcc_vm, ops_see_earlier_ops) {
  cx_entry base[] = {acct(A, 0, 0)};
  tx_spec t[] = {{A,
                  0,
                  1,
                  0,
                  {{CX_OP_SET, K1, NULL, 5},
                   {CX_OP_ADD, K1, NULL, 3},
                   {CX_OP_COPY, K1, K2, 0},
                   {CX_OP_ASSERT_GE, K2, NULL, 8}}},
                 {A, 1, 1, 0, {{CX_OP_ADD, K2, NULL, UINT64_MAX - 7}}},
                 {A, 1, 1, 0, {{CX_OP_ADD, K2, NULL, UINT64_MAX - 8}}}};
  result r;
  run2(t, 3, base, 1, &r);
  cr_assert_eq(r.st[0], CX_TX_COMMITTED);
  cr_assert_eq(r.st[1], CX_TX_OVERFLOW);
  cr_assert_eq(r.st[2], CX_TX_COMMITTED);
  cr_assert_eq(find(&r, cx_key_kv(K1))->v0, 8);
  cr_assert_eq(find(&r, cx_key_kv(K2))->v0, UINT64_MAX);
  cr_assert_eq(find(&r, cx_key_account(A))->v1, 2);
}

static cx_key append_slot(const uint8_t counter[32], uint64_t c) {
  uint8_t msg[40];
  memcpy(msg, counter, 32);
  cx_store_u64le(msg + 32, c);
  cx_key k = {.kind = CX_ENTRY_KV};
  cx_sha256(msg, 40, k.bytes);
  return k;
}

Test(mvcc_vm, append_slots_and_counter) {
  cx_entry base[] = {acct(A, 0, 0), {cx_key_kv(K2), UINT64_MAX, 0}};
  tx_spec t[] = {
      {A, 0, 1, 0, {{CX_OP_APPEND, K1, NULL, 11}, {CX_OP_APPEND, K1, NULL, 12}}},
      {A, 1, 1, 0, {{CX_OP_APPEND, K1, NULL, 13}}},
      {A, 2, 1, 0, {{CX_OP_APPEND, K2, NULL, 1}}}, /* counter at 2^64-1 */
  };
  result r;
  run2(t, 3, base, 2, &r);
  cr_assert_eq(r.st[0], CX_TX_COMMITTED);
  cr_assert_eq(r.st[1], CX_TX_COMMITTED);
  cr_assert_eq(r.st[2], CX_TX_OVERFLOW);
  cr_assert_eq(find(&r, cx_key_kv(K1))->v0, 3);
  cr_assert_eq(find(&r, append_slot(K1, 0))->v0, 11);
  cr_assert_eq(find(&r, append_slot(K1, 1))->v0, 12);
  cr_assert_eq(find(&r, append_slot(K1, 2))->v0, 13);
  cr_assert_eq(r.nw, 5); /* sender, counter, three slots */
}

static int failing_read(void *ctx, const cx_key *key, uint64_t *v0,
                        uint64_t *v1) {
  (void)ctx, (void)key;
  *v0 = *v1 = 0;
  return CX_EIO;
}

Test(mvcc_vm, base_read_error_aborts_block) {
  tx_spec t[MAXB];
  for (int i = 0; i < MAXB; i++)
    t[i] = (tx_spec){A, (uint64_t)i, 1, 0, {{CX_OP_ADD, K1, NULL, 1}}};
  block *bl = malloc(sizeof *bl);
  cr_assert_not_null(bl);
  build(bl, t, MAXB);
  cx_error err = {0};
  cx_pool *pool = cx_pool_create(2, &err);
  for (int path = 0; path < 2; path++) {
    cx_executor_config cfg = {.threads = 2, .run = cx_pool_run_workers,
                              .runner = pool, .force_path = path};
    cx_executor *x = cx_executor_create(&cfg, &err);
    cr_assert_not_null(x);
    uint8_t st[MAXB];
    cx_exec_input in = {MAXB, bl->txs, bl->sig_ok,
                        (const uint8_t(*)[20])bl->senders};
    cx_exec_output out = {.statuses = st};
    cr_assert_eq(cx_executor_run(x, &in, failing_read, NULL, &out, &err),
                 CX_EIO, "path %d", path);
    cr_assert_eq(err.code, CX_EIO);
    cx_executor_destroy(x);
  }
  cx_pool_destroy(pool);
  free(bl);
}

Test(mvcc_vm, argument_checks) {
  cx_error err = {0};
  cx_executor_config cfg = {.threads = 4, .force_path = -1}; /* no run */
  cr_assert_null(cx_executor_create(&cfg, &err));
  cr_assert_eq(err.code, CX_EINVAL);
  cr_assert_null(cx_executor_create(NULL, &err));
  cfg = (cx_executor_config){.threads = 1, .force_path = 7};
  cr_assert_null(cx_executor_create(&cfg, &err));
  cfg.force_path = -1;
  cx_executor *x = cx_executor_create(&cfg, &err);
  cr_assert_not_null(x);
  cx_exec_input in = {3, NULL, NULL, NULL};
  uint8_t st[3];
  cx_exec_output out = {.statuses = st};
  cr_assert_eq(cx_executor_run(x, &in, cx_memstate_read, NULL, &out, &err),
               CX_EINVAL);
  in.n = 0; /* an empty block is fine */
  cx_memstate *ms = cx_memstate_create();
  cr_assert_eq(cx_executor_run(x, &in, cx_memstate_read, ms, &out, &err), 0);
  cr_assert_eq(out.n_writes, 0);
  cr_assert_not_null(out.writes); /* documented: never NULL on success */
  cx_memstate_destroy(ms);
  cx_executor_destroy(x);
  cx_executor_destroy(NULL);
}

/* Runners that do not run k workers at once: one after another, or only
 * the first. Block-STM must still finish with the sequential result. */
static void run_serial(void *runner, unsigned k, cx_worker_fn fn, void *arg) {
  (void)runner;
  for (unsigned w = 0; w < k; w++)
    fn(arg, w);
}

static void run_first_only(void *runner, unsigned k, cx_worker_fn fn,
                           void *arg) {
  (void)runner, (void)k;
  fn(arg, 0);
}

Test(mvcc_vm, runner_that_does_not_run_all_workers_at_once) {
  cx_blockgen *g = cx_blockgen_create(cx_test_seed("mvcc_vm"));
  cr_assert_not_null(g);
  cx_run_workers_fn runners[] = {run_serial, run_first_only};
  cx_error err = {0};
  cx_executor_config sc = {.threads = 1, .force_path = CX_EXEC_SEQUENTIAL};
  cx_executor *seq = cx_executor_create(&sc, &err);
  cr_assert_not_null(seq);
  static uint8_t ref_st[CX_BLOCKGEN_MAX_TXS], st[CX_BLOCKGEN_MAX_TXS];
  for (int it = 0; it < 40; it++) {
    cx_exec_input in;
    cr_assert_eq(cx_blockgen_block(g, 300, &in), 0);
    cx_memstate *base = cx_blockgen_state(g);
    cx_exec_output ref = {.statuses = ref_st};
    cr_assert_eq(cx_executor_run(seq, &in, cx_memstate_read, base, &ref,
                                 &err),
                 0);
    cx_exec_result want = {in.n, ref_st, ref.writes, ref.n_writes};
    for (int r = 0; r < 2; r++) {
      cx_executor_config c = {.threads = 4, .run = runners[r],
                              .force_path = CX_EXEC_PARALLEL};
      cx_executor *x = cx_executor_create(&c, &err);
      cr_assert_not_null(x);
      cx_exec_output out = {.statuses = st};
      cr_assert_eq(cx_executor_run(x, &in, cx_memstate_read, base, &out,
                                   &err),
                   0, "%s", err.message);
      cx_exec_result got = {in.n, st, out.writes, out.n_writes};
      char why[160];
      cr_assert(cx_exec_same(&got, &want, why, sizeof why), "runner %d: %s",
                r, why);
      cr_assert_eq(out.counters.threads, r == 0 ? 4u : 1u);
      cx_executor_destroy(x);
    }
    cr_assert_eq(cx_memstate_put(base, ref.writes, ref.n_writes), 0);
    if (it % 8 == 7)
      cr_assert_eq(cx_blockgen_new_world(g), 0);
  }
  cx_executor_destroy(seq);
  cx_blockgen_destroy(g);
}
