/* The cuda backend: one per device, a host thread driving the blocking
 * gpu/ launchers (see hy_cuda.h).
 *
 * Invariants: `ctx` is used only by the backend's single device thread
 * (gpu.h: one thread at a time per context), and by create/destroy when
 * that thread is not running. After a device error the context is
 * unhealthy; the next attempt (the breaker's half-open probe) reopens it.
 */
#include "hy_cuda.h"

#include <stdio.h>
#include <stdlib.h>

#include "gpu.h"
#include "hy_hostdev.h"

typedef struct cx_cuda {
  cx_backend base; /* first: the backend is the cuda object */
  int dev;
  cx_gpu_ctx *ctx;
  cx_hostdev *thread;
  cx_gpu_caps gcaps;
} cx_cuda;

int cx_cuda_device_count(void) { return cx_gpu_device_count(); }

static int cx_cuda_exec(void *opaque, cx_attempt *a) {
  cx_cuda *c = opaque;
  cx_gpu_error ge = {0};
  if (c->ctx && !cx_gpu_healthy(c->ctx)) {
    cx_gpu_close(c->ctx);
    c->ctx = NULL;
  }
  if (!c->ctx && !(c->ctx = cx_gpu_open(c->dev, &ge)))
    return ge.code ? ge.code : CX_EDEVICE;
  a->start_ns = cx_now_ns();
  int rc = a->kind == CX_TASK_VERIFY
               ? cx_gpu_verify_batch(c->ctx, a->n, a->pub33s, a->digests,
                                     a->sigs64, a->verdicts, &ge)
               : cx_gpu_sha256_batch(c->ctx, a->n, a->msg_data, a->msg_len,
                                     a->offsets, a->lens, a->out, &ge);
  a->end_ns = cx_now_ns();
  if (rc == CX_GPU_OK) {
    /* Device time of the kernels: the rest is latency (copies, launch). */
    cx_gpu_timing t;
    cx_gpu_last_timing(c->ctx, &t);
    uint64_t kernel_ns = (uint64_t)(t.kernel_ms * 1e6);
    if (kernel_ns > 0 && kernel_ns < a->end_ns - a->start_ns)
      a->start_ns = a->end_ns - kernel_ns;
  }
  return rc == CX_GPU_OK ? CX_OK : CX_EDEVICE;
}

static bool cx_cuda_is_available(const cx_backend *b) {
  (void)b;
  return true; /* a lost device shows as errors; the breaker keeps score */
}

static void cx_cuda_caps(const cx_backend *b, cx_backend_caps *out) {
  const cx_cuda *c = (const cx_cuda *)b;
  double sms = c->gcaps.sm_count > 0 ? c->gcaps.sm_count : 1;
  out->max_batch = (size_t)1 << 20;
  out->preferred_batch = 16384;
  /* Rough starting points; the tuner replaces them with measurements. */
  out->item_ns[CX_TASK_VERIFY] = 13200.0 / sms;
  out->item_ns[CX_TASK_SHA256] = 130.0 / sms;
  out->latency_ns = 60000.0;
}

static int cx_cuda_submit(cx_backend *b, cx_attempt *a, cx_error *err) {
  return cx_hostdev_submit(((cx_cuda *)b)->thread, a, err);
}

static void cx_cuda_destroy(cx_backend *b) {
  cx_cuda *c = (cx_cuda *)b;
  if (!cx_hostdev_destroy(c->thread)) {
    /* Its thread is still inside a CUDA call (a kernel that never ends):
     * closing the context under it could crash, so leave both to the
     * process's exit, and say so, since nothing else will. */
    fprintf(stderr, "chainexec: %s did not finish its batch within the "
                    "close timeout; leaving its thread and context to "
                    "process exit (the device may need a reset)\n",
            c->base.name);
    return;
  }
  cx_gpu_close(c->ctx);
  free(c);
}

static const cx_backend_ops cx_cuda_ops = {
    .is_available = cx_cuda_is_available,
    .caps = cx_cuda_caps,
    .submit = cx_cuda_submit,
    .destroy = cx_cuda_destroy,
};

cx_backend *cx_cuda_backend_create(int dev, cx_error *err) {
  int have = cx_gpu_device_count();
  if (dev < 0 || dev >= have) {
    cx_error_set(err, have ? CX_EINVAL : CX_EUNSUPPORTED,
                 "CUDA device %d requested but %d device(s) are usable",
                 dev, have);
    return NULL;
  }
  cx_cuda *c = calloc(1, sizeof *c);
  if (!c) {
    cx_error_set(err, CX_ENOMEM, "out of memory creating cuda%d", dev);
    return NULL;
  }
  c->dev = dev;
  cx_gpu_error ge = {0};
  if (cx_gpu_caps_get(dev, &c->gcaps, &ge) != CX_GPU_OK ||
      !(c->ctx = cx_gpu_open(dev, &ge))) {
    cx_error_set(err, ge.code ? ge.code : CX_EDEVICE,
                 "opening CUDA device %d: %s", dev, ge.message);
    free(c);
    return NULL;
  }
  snprintf(c->base.name, sizeof c->base.name, "cuda%d", dev);
  c->base.kind = CX_DEVICE_CUDA;
  c->base.ops = &cx_cuda_ops;
  c->base.impl = c;
  c->thread = cx_hostdev_create(1, cx_cuda_exec, NULL, c, &c->base.m, 0, err);
  if (!c->thread) {
    cx_gpu_close(c->ctx);
    free(c);
    return NULL;
  }
  return &c->base;
}
