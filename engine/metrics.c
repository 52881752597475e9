/* Prometheus text exposition (format 0.0.4) of the engine's counters,
 * followed by the scheduler's, and the HTTP/file front ends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_internal.h"

static const char *const cx_status_labels[7] = {
    "committed",          "malformed", "bad_signature",  "bad_nonce",
    "insufficient_funds", "overflow",  "assert_failed",
};

static const char *const cx_stage_labels[CX_STAGES] = {
    "decode", "hash", "verify", "execute", "roots", "commit",
};

static uint64_t ld(const atomic_uint_fast64_t *c) {
  return (uint64_t)atomic_load_explicit(c, memory_order_relaxed);
}

static void family(FILE *f, const char *name, const char *type,
                   const char *help) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *type, const char *help,
                uint64_t v) {
  family(f, name, type, help);
  fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

static void write_engine(const cx_engine *e, FILE *f) {
  const cx_engine_stats *s = &e->stats;
  family(f, "chainexec_info", "gauge", "Build and configuration of the engine.");
  fprintf(f, "chainexec_info{version=\"%s\",threads=\"%u\"} 1\n",
          cx_version(), cx_pool_threads(e->pool));
  one(f, "chainexec_height", "gauge", "Height of the last committed block.",
      ld(&s->height));
  one(f, "chainexec_blocks_total", "counter", "Blocks committed.",
      ld(&s->blocks));
  one(f, "chainexec_blocks_parallel_total", "counter",
      "Committed blocks that took the parallel executor.",
      ld(&s->blocks_parallel));
  one(f, "chainexec_block_failures_total", "counter",
      "Blocks that failed and were not committed.", ld(&s->block_failures));
  family(f, "chainexec_transactions_total", "counter",
         "Transactions in committed blocks, by status.");
  for (int i = 0; i < 7; i++)
    fprintf(f, "chainexec_transactions_total{status=\"%s\"} %llu\n",
            cx_status_labels[i], (unsigned long long)ld(&s->status[i]));
  one(f, "chainexec_writes_total", "counter",
      "State entries written by committed blocks.", ld(&s->writes));
  one(f, "chainexec_exec_executions_total", "counter",
      "Transaction executions, incarnations included.", ld(&s->executions));
  one(f, "chainexec_exec_reexecutions_total", "counter",
      "Executions beyond a transaction's first incarnation.",
      ld(&s->reexecutions));
  one(f, "chainexec_exec_validation_failures_total", "counter",
      "Read-set validations that aborted an incarnation.",
      ld(&s->validation_failures));
  one(f, "chainexec_exec_dependency_waits_total", "counter",
      "Executions suspended on an unfinished writer.",
      ld(&s->dependency_waits));
  family(f, "chainexec_verify_signatures_total", "counter",
         "Signatures of committed blocks, by where they were checked.");
  fprintf(f, "chainexec_verify_signatures_total{backend=\"device\"} %llu\n",
          (unsigned long long)ld(&s->verify_gpu_items));
  fprintf(f, "chainexec_verify_signatures_total{backend=\"cpu\"} %llu\n",
          (unsigned long long)ld(&s->verify_cpu_items));
  one(f, "chainexec_speculative_executions_total", "counter",
      "Blocks executed on a parent without committing (execute_on).",
      ld(&s->spec_executed));
  one(f, "chainexec_speculative_blocks", "gauge",
      "Speculative blocks held in memory.", ld(&s->spec_held));
  one(f, "chainexec_speculative_bytes", "gauge",
      "Memory held by speculative blocks, in bytes.", ld(&s->spec_bytes));
  one(f, "chainexec_head_changes_total", "counter",
      "Forkchoice and revert calls that changed the committed chain.",
      ld(&s->head_changes));
  one(f, "chainexec_reverted_blocks_total", "counter",
      "Committed blocks reverted by forkchoice or revert.",
      ld(&s->reverted_blocks));
  family(f, "chainexec_stage_seconds_total", "counter",
         "Wall time spent in each pipeline stage of committed blocks.");
  for (int i = 0; i < CX_STAGES; i++)
    fprintf(f, "chainexec_stage_seconds_total{stage=\"%s\"} %.9f\n",
            cx_stage_labels[i], (double)ld(&s->stage_ns[i]) * 1e-9);
}

size_t cx_engine_metrics(cx_engine *e, char *buf, size_t cap) {
  if (buf != NULL && cap > 0)
    buf[0] = '\0';
  if (e == NULL)
    return 0;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    return 0;
  write_engine(e, f);
  cx_preverify_metrics_write(e, f);
  (void)cx_sched_metrics_write(e->sched, f);
  if (fclose(f) != 0) {
    free(text);
    return 0;
  }
  if (buf != NULL && cap > 0) {
    size_t k = len < cap - 1 ? len : cap - 1;
    memcpy(buf, text, k);
    buf[k] = '\0';
  }
  free(text);
  return len;
}

static size_t render(void *ctx, char *buf, size_t cap) {
  return cx_engine_metrics(ctx, buf, cap);
}

static int io_code(int e) {
  return e == ENOSPC ? CX_ENOSPC
         : (e == EACCES || e == EPERM || e == EROFS) ? CX_EACCES
                                                     : CX_EIO;
}

int cx_engine_metrics_write_file(cx_engine *e, const char *path,
                                 cx_error *err) {
  if (e == NULL || path == NULL)
    return cx_error_set(err, CX_EINVAL, "metrics file: NULL argument");
  size_t tlen = strlen(path) + 32;
  char *tmp = malloc(tlen);
  char *text = NULL;
  size_t len = 0;
  /* Counters may gain digits between sizing and rendering (blocks may run
   * meanwhile): render again into a larger buffer rather than write a
   * document cut in the middle of a line. */
  for (size_t need = cx_engine_metrics(e, NULL, 0) + 256; tmp != NULL;
       need = len + 256) {
    free(text);
    if ((text = malloc(need)) == NULL)
      break;
    len = cx_engine_metrics(e, text, need);
    if (len == 0 || len < need)
      break;
  }
  if (text == NULL || tmp == NULL || len == 0) {
    free(text);
    free(tmp);
    return cx_error_set(err, CX_ENOMEM, "no memory for the metrics text");
  }
  snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
  int rc = CX_OK;
  FILE *f = fopen(tmp, "w");
  if (f == NULL ||
      fwrite(text, 1, len, f) != len || fflush(f) != 0) {
    int en = errno;
    rc = cx_error_set(err, io_code(en), "cannot write metrics to %s: %s",
                      tmp, strerror(en));
  }
  if (f != NULL && fclose(f) != 0 && rc == CX_OK) {
    int en = errno;
    rc = cx_error_set(err, io_code(en), "cannot write metrics to %s: %s",
                      tmp, strerror(en));
  }
  if (rc == CX_OK && rename(tmp, path) != 0) {
    int en = errno;
    rc = cx_error_set(err, io_code(en), "cannot rename %s to %s: %s", tmp,
                      path, strerror(en));
  }
  if (rc != CX_OK && f != NULL)
    unlink(tmp);
  free(text);
  free(tmp);
  return rc;
}

int cx_engine_metrics_listen(cx_engine *e, const char *addr_port,
                             cx_error *err) {
  if (e == NULL)
    return cx_error_set(err, CX_EINVAL, "metrics listen: NULL engine");
  if (e->metrics_server != NULL)
    return cx_error_set(err, CX_ESTATE,
                        "metrics are already served on port %u",
                        (unsigned)cx_metrics_server_port(e->metrics_server));
  e->metrics_server = cx_metrics_server_start(addr_port, render, e, err);
  return e->metrics_server ? CX_OK : (err ? err->code : CX_EIO);
}

uint16_t cx_engine_metrics_port(const cx_engine *e) {
  return e ? cx_metrics_server_port(e->metrics_server) : 0;
}

void cx_engine_metrics_stop(cx_engine *e) {
  if (e == NULL)
    return;
  cx_metrics_server_stop(e->metrics_server);
  e->metrics_server = NULL;
}
