/* Mixed task arrays: split by kind into homogeneous batches. */
#include <stdlib.h>
#include <string.h>

#include "hy_sched.h"

int cx_sched_run_tasks(cx_sched *s, size_t n, const cx_task *tasks,
                       cx_task_result *results, cx_batch_stats *stats,
                       cx_error *err) {
  if (stats)
    *stats = (cx_batch_stats){0};
  if (!s || (n && (!tasks || !results)))
    return cx_error_set(err, CX_EINVAL, "cx_sched_run_tasks: NULL argument");
  size_t count[CX_TASK_KINDS] = {0};
  for (size_t i = 0; i < n; i++) {
    if ((unsigned)tasks[i].kind >= CX_TASK_KINDS)
      return cx_error_set(err, CX_EINVAL, "task %zu (id %llu) has unknown "
                          "kind %d", i, (unsigned long long)tasks[i].id,
                          (int)tasks[i].kind);
    count[tasks[i].kind]++;
  }
  size_t nv = count[CX_TASK_VERIFY], ns = count[CX_TASK_SHA256];
  /* One block: index map, 3 pointer arrays, sha pointers + lens, outputs. */
  size_t bytes = n * sizeof(size_t) + nv * 3 * sizeof(uint8_t *) +
                 ns * (sizeof(uint8_t *) + sizeof(size_t) + 32) + nv;
  char *mem = malloc(bytes ? bytes : 1);
  if (!mem)
    return cx_error_set(err, CX_ENOMEM, "out of memory batching %zu tasks",
                        n);
  size_t *where = (size_t *)(void *)mem;
  const uint8_t **pub = (const uint8_t **)(void *)(where + n);
  const uint8_t **dig = pub + nv, **sig = dig + nv, **msg = sig + nv;
  size_t *len = (size_t *)(void *)(msg + ns);
  uint8_t(*dout)[32] = (uint8_t(*)[32])(void *)(len + ns);
  uint8_t *vout = (uint8_t *)(dout + ns);
  size_t iv = 0, is = 0;
  for (size_t i = 0; i < n; i++) {
    const cx_task *t = &tasks[i];
    if (t->kind == CX_TASK_VERIFY) {
      pub[iv] = t->payload.verify.pubkey33;
      dig[iv] = t->payload.verify.digest32;
      sig[iv] = t->payload.verify.sig64;
      where[i] = iv++;
    } else {
      msg[is] = t->payload.sha256.msg;
      len[is] = t->payload.sha256.len;
      where[i] = is++;
    }
  }
  int rc = cx_sched_verify_stats(s, nv, pub, dig, sig, vout, stats, err);
  if (rc == CX_OK)
    rc = cx_sched_sha256_stats(s, ns, msg, len, dout, stats, err);
  if (rc == CX_OK)
    for (size_t i = 0; i < n; i++) {
      if (tasks[i].kind == CX_TASK_VERIFY)
        results[i].valid = vout[where[i]];
      else
        memcpy(results[i].digest, dout[where[i]], 32);
    }
  free(mem);
  return rc;
}
