/* CUDA device manager, buffer pools, stream ring and the batch launchers of
 * gpu.h.
 *
 * Invariants of a cx_gpu_ctx:
 * - dev is bound (cudaSetDevice) at the start of every call, so one thread
 *   may drive several contexts; the CUDA primary context of the device is
 *   retained for the ctx's lifetime and reused by every call.
 * - slot k of the ring owns stream k, two timing events, a pinned host
 *   buffer and a device buffer. Capacities only grow (high-water mark,
 *   rounded up to a power of two); the used prefix is zeroed when a slot is
 *   released, so no batch's bytes survive into the next.
 * - busy[k] != 0 while slot k has work enqueued whose output has not been
 *   collected; a launch collects every busy slot before it returns.
 * - healthy turns 0 at the first CUDA error and stays 0: callers fall back
 *   to the CPU and reopen the device when they want to retry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device_internal.h"
#include "gpu.h"
#include "hd_gtab_data.h"
#include "hd_optest.h"
#include "hd_sha256.h"

#define CX_GPU_RING 3
#define CX_GPU_VERIFY_CHUNK ((size_t)1 << 16) /* signatures per chunk */

/* Maps a CUDA error to a cx_gpu_error with expression and file:line,
 * marks the context unhealthy and returns the code from the function. */
#define CX_CUDA_OK(g, err, expr)                                              \
  do {                                                                        \
    cudaError_t e_ = (expr);                                                  \
    if (e_ != cudaSuccess) {                                                  \
      if (g) (g)->healthy = 0;                                                \
      return cx_gpu_error_set((err), CX_GPU_EDEVICE,                          \
                              "%s failed: %s (%s) at %s:%d", #expr,           \
                              cudaGetErrorName(e_), cudaGetErrorString(e_),   \
                              __FILE__, __LINE__);                            \
    }                                                                         \
  } while (0)

typedef struct cx_gpu_slot {
  cudaStream_t stream;
  cudaEvent_t start, stop;
  uint8_t *host; /* pinned */
  uint8_t *dev;
  size_t host_cap, dev_cap;
  size_t host_used, dev_used;
  int busy;
  /* where the slot's output goes when collected */
  uint8_t *dst;
  size_t dst_len;
  size_t out_off; /* offset of the output inside host */
} cx_gpu_slot;

struct cx_gpu_ctx {
  int dev;
  int sms; /* multiprocessors, for launch shapes */
  int healthy;
  cx_hd_gtab *d_gtab;
  cx_gpu_slot slot[CX_GPU_RING];
  /* First kernel start and last kernel end of a chunked verify batch. */
  cudaEvent_t span_start, span_stop;
  cx_gpu_timing last;
};

static const cx_hd_gtab cx_gpu_host_gtab = CX_HD_GTAB_INIT;

static double cx_gpu_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t cx_gpu_round_up(size_t n) {
  size_t c = 4096;
  while (c < n) c *= 2;
  return c;
}

extern "C" int cx_gpu_built_with_cuda(void) { return 1; }

extern "C" int cx_gpu_device_count(void) {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError(); /* clear the sticky status */
    return 0;
  }
  return n;
}

extern "C" int cx_gpu_describe(char *buf, size_t len) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    if (buf && len)
      snprintf(buf, len, "no CUDA device: CPU only (%s: %s)",
               cudaGetErrorName(e), cudaGetErrorString(e));
    return 0;
  }
  if (buf && len) {
    if (n == 0)
      snprintf(buf, len, "no CUDA device: CPU only (driver reports none)");
    else
      snprintf(buf, len, "%d CUDA device%s", n, n == 1 ? "" : "s");
  }
  return n;
}

extern "C" int cx_gpu_caps_get(int dev, cx_gpu_caps *out, cx_gpu_error *err) {
  if (!out || dev < 0)
    return cx_gpu_error_set(err, CX_GPU_EINVAL, "cx_gpu_caps_get: bad argument");
  int n = cx_gpu_device_count();
  if (dev >= n)
    return cx_gpu_error_set(err, CX_GPU_EINVAL,
                            "no CUDA device %d (%d present)", dev, n);
  cudaDeviceProp p;
  CX_CUDA_OK((cx_gpu_ctx *)NULL, err, cudaGetDeviceProperties(&p, dev));
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", p.name);
  out->cc_major = p.major;
  out->cc_minor = p.minor;
  out->sm_count = p.multiProcessorCount;
  out->total_mem = p.totalGlobalMem;
  int clk = 0;
  if (cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, dev) != cudaSuccess)
    (void)cudaGetLastError();
  out->clock_khz = clk;
  out->async_engines = p.asyncEngineCount;
  return CX_GPU_OK;
}

/* Grows slot s to at least host/dev bytes (high-water mark). */
static int cx_gpu_slot_reserve(cx_gpu_ctx *g, cx_gpu_slot *s, size_t host,
                               size_t dev, cx_gpu_error *err) {
  if (host > s->host_cap) {
    if (s->host) CX_CUDA_OK(g, err, cudaFreeHost(s->host));
    s->host = NULL;
    s->host_cap = 0;
    size_t cap = cx_gpu_round_up(host);
    CX_CUDA_OK(g, err, cudaMallocHost((void **)&s->host, cap));
    memset(s->host, 0, cap);
    s->host_cap = cap;
  }
  if (dev > s->dev_cap) {
    if (s->dev) CX_CUDA_OK(g, err, cudaFree(s->dev));
    s->dev = NULL;
    s->dev_cap = 0;
    size_t cap = cx_gpu_round_up(dev);
    CX_CUDA_OK(g, err, cudaMalloc((void **)&s->dev, cap));
    /* On the slot's own stream: a plain cudaMemset runs on the legacy
     * stream, which our non-blocking streams do not wait for, and it
     * zeroed a chunk's inputs after they were copied in (seen on an H100:
     * the second chunk of a fresh context all rejected). */
    CX_CUDA_OK(g, err, cudaMemsetAsync(s->dev, 0, cap, s->stream));
    s->dev_cap = cap;
  }
  s->host_used = host;
  s->dev_used = dev;
  return CX_GPU_OK;
}

/* Waits for slot s, copies its output to the caller, zeroes what it used. */
static int cx_gpu_slot_collect(cx_gpu_ctx *g, cx_gpu_slot *s,
                               cx_gpu_error *err) {
  if (!s->busy) return CX_GPU_OK;
  s->busy = 0;
  CX_CUDA_OK(g, err, cudaStreamSynchronize(s->stream));
  float ms = 0;
  CX_CUDA_OK(g, err, cudaEventElapsedTime(&ms, s->start, s->stop));
  g->last.kernel_ms += ms;
  if (s->dst) memcpy(s->dst, s->host + s->out_off, s->dst_len);
  memset(s->host, 0, s->host_used);
  if (s->dev_used)
    CX_CUDA_OK(g, err, cudaMemsetAsync(s->dev, 0, s->dev_used, s->stream));
  s->dst = NULL;
  return CX_GPU_OK;
}

static int cx_gpu_collect_all(cx_gpu_ctx *g, cx_gpu_error *err) {
  int rc = CX_GPU_OK;
  for (int k = 0; k < CX_GPU_RING; k++) {
    int r = cx_gpu_slot_collect(g, &g->slot[k], err);
    if (r && !rc) rc = r;
  }
  return rc;
}

static int cx_gpu_enter(cx_gpu_ctx *g, cx_gpu_error *err) {
  if (!g) return cx_gpu_error_set(err, CX_GPU_EINVAL, "NULL GPU context");
  if (!g->healthy)
    return cx_gpu_error_set(err, CX_GPU_EDEVICE,
                            "GPU %d is unhealthy after an earlier error; "
                            "reopen it to retry", g->dev);
  CX_CUDA_OK(g, err, cudaSetDevice(g->dev));
  memset(&g->last, 0, sizeof g->last);
  return CX_GPU_OK;
}

extern "C" cx_gpu_ctx *cx_gpu_open(int dev, cx_gpu_error *err) {
  int n = cx_gpu_device_count();
  if (dev < 0 || dev >= n) {
    char why[200];
    cx_gpu_describe(why, sizeof why);
    cx_gpu_error_set(err, n ? CX_GPU_EINVAL : CX_GPU_EUNSUPPORTED,
                     "cannot open CUDA device %d: %s", dev, why);
    return NULL;
  }
  cx_gpu_ctx *g = (cx_gpu_ctx *)calloc(1, sizeof *g);
  if (!g) {
    cx_gpu_error_set(err, CX_GPU_ENOMEM, "out of memory opening GPU %d", dev);
    return NULL;
  }
  g->dev = dev;
  g->healthy = 1;
  int rc = [&]() -> int {
    CX_CUDA_OK(g, err, cudaSetDevice(dev));
    CX_CUDA_OK(g, err, cudaDeviceGetAttribute(&g->sms, cudaDevAttrMultiProcessorCount, dev));
    for (int k = 0; k < CX_GPU_RING; k++) {
      cx_gpu_slot *s = &g->slot[k];
      CX_CUDA_OK(g, err, cudaStreamCreateWithFlags(&s->stream, cudaStreamNonBlocking));
      CX_CUDA_OK(g, err, cudaEventCreate(&s->start));
      CX_CUDA_OK(g, err, cudaEventCreate(&s->stop));
    }
    CX_CUDA_OK(g, err, cudaEventCreate(&g->span_start));
    CX_CUDA_OK(g, err, cudaEventCreate(&g->span_stop));
    CX_CUDA_OK(g, err, cudaMalloc((void **)&g->d_gtab, sizeof(cx_hd_gtab)));
    CX_CUDA_OK(g, err, cudaMemcpy(g->d_gtab, &cx_gpu_host_gtab,
                                  sizeof(cx_hd_gtab), cudaMemcpyHostToDevice));
    return CX_GPU_OK;
  }();
  if (rc != CX_GPU_OK) {
    cx_gpu_close(g);
    return NULL;
  }
  return g;
}

extern "C" void cx_gpu_close(cx_gpu_ctx *g) {
  if (!g) return;
  if (cudaSetDevice(g->dev) == cudaSuccess) {
    for (int k = 0; k < CX_GPU_RING; k++) {
      cx_gpu_slot *s = &g->slot[k];
      if (s->stream) (void)cudaStreamSynchronize(s->stream);
      if (s->host) {
        memset(s->host, 0, s->host_cap);
        (void)cudaFreeHost(s->host);
      }
      /* Released buffers are zeroed (no batch's bytes outlive the ctx);
       * best effort: after a sticky device error the memset fails too. */
      if (s->dev) {
        (void)cudaMemset(s->dev, 0, s->dev_cap);
        (void)cudaFree(s->dev);
      }
      if (s->start) (void)cudaEventDestroy(s->start);
      if (s->stop) (void)cudaEventDestroy(s->stop);
      if (s->stream) (void)cudaStreamDestroy(s->stream);
    }
    if (g->span_start) (void)cudaEventDestroy(g->span_start);
    if (g->span_stop) (void)cudaEventDestroy(g->span_stop);
    if (g->d_gtab) (void)cudaFree(g->d_gtab);
  }
  (void)cudaGetLastError();
  free(g);
}

extern "C" int cx_gpu_healthy(const cx_gpu_ctx *g) { return g && g->healthy; }

extern "C" void cx_gpu_last_timing(const cx_gpu_ctx *g, cx_gpu_timing *out) {
  if (!out) return;
  if (g) *out = g->last;
  else memset(out, 0, sizeof *out);
}

/* One verify chunk on slot s: pack inputs into pinned memory, copy in,
 * run, copy out; collected later by cx_gpu_slot_collect. */
static int cx_gpu_verify_chunk(cx_gpu_ctx *g, cx_gpu_slot *s, int first,
                               size_t m, const uint8_t *pub,
                               const uint8_t *dig, const uint8_t *sig,
                               uint8_t *verdicts, cx_gpu_error *err) {
  size_t in = 129 * m;
  int rc = cx_gpu_slot_reserve(g, s, in + m, in + m, err);
  if (rc) return rc;
  memcpy(s->host, pub, 33 * m);
  memcpy(s->host + 33 * m, dig, 32 * m);
  memcpy(s->host + 65 * m, sig, 64 * m);
  CX_CUDA_OK(g, err, cudaMemcpyAsync(s->dev, s->host, in,
                                     cudaMemcpyHostToDevice, s->stream));
  CX_CUDA_OK(g, err, cudaEventRecord(s->start, s->stream));
  if (first) CX_CUDA_OK(g, err, cudaEventRecord(g->span_start, s->stream));
  CX_CUDA_OK(g, err, cx_gpu_launch_verify(s->stream, m, s->dev, s->dev + in,
                                          g->d_gtab, g->sms));
  CX_CUDA_OK(g, err, cudaEventRecord(s->stop, s->stream));
  CX_CUDA_OK(g, err, cudaEventRecord(g->span_stop, s->stream));
  CX_CUDA_OK(g, err, cudaMemcpyAsync(s->host + in, s->dev + in, m,
                                     cudaMemcpyDeviceToHost, s->stream));
  s->busy = 1;
  s->dst = verdicts;
  s->dst_len = m;
  s->out_off = in;
  g->last.bytes_in += in;
  g->last.bytes_out += m;
  return CX_GPU_OK;
}

extern "C" int cx_gpu_verify_batch(cx_gpu_ctx *g, size_t n,
                                   const uint8_t *pub33s,
                                   const uint8_t *digests,
                                   const uint8_t *sigs64, uint8_t *verdicts,
                                   cx_gpu_error *err) {
  if (n && (!pub33s || !digests || !sigs64 || !verdicts))
    return cx_gpu_error_set(err, CX_GPU_EINVAL, "cx_gpu_verify_batch: NULL array");
  int rc = cx_gpu_enter(g, err);
  if (rc) return rc;
  double t0 = cx_gpu_now_ms();
  size_t k = 0;
  for (size_t i = 0; i < n; i += CX_GPU_VERIFY_CHUNK, k++) {
    size_t m = n - i < CX_GPU_VERIFY_CHUNK ? n - i : CX_GPU_VERIFY_CHUNK;
    cx_gpu_slot *s = &g->slot[k % CX_GPU_RING];
    if ((rc = cx_gpu_slot_collect(g, s, err)) != CX_GPU_OK) break;
    rc = cx_gpu_verify_chunk(g, s, i == 0, m, pub33s + 33 * i,
                             digests + 32 * i, sigs64 + 64 * i, verdicts + i,
                             err);
    if (rc) break;
  }
  int rc2 = cx_gpu_collect_all(g, rc ? NULL : err);
  if (!rc) rc = rc2;
  /* Chunks on different streams overlap, so the sum of their kernel times
   * would count shared time twice: report the span of the kernels. */
  float span = 0;
  if (!rc && n) {
    CX_CUDA_OK(g, err, cudaEventElapsedTime(&span, g->span_start, g->span_stop));
    g->last.kernel_ms = span;
  }
  g->last.total_ms = cx_gpu_now_ms() - t0;
  return rc;
}

extern "C" int cx_gpu_sha256_batch(cx_gpu_ctx *g, size_t n,
                                   const uint8_t *data, size_t data_len,
                                   const uint32_t *offsets,
                                   const uint32_t *lens, uint8_t (*out)[32],
                                   cx_gpu_error *err) {
  if (n && (!offsets || !lens || !out || (!data && data_len)))
    return cx_gpu_error_set(err, CX_GPU_EINVAL, "cx_gpu_sha256_batch: NULL array");
  for (size_t i = 0; i < n; i++)
    if ((uint64_t)offsets[i] + lens[i] > data_len)
      return cx_gpu_error_set(err, CX_GPU_EINVAL,
                              "cx_gpu_sha256_batch: message %zu ends at %llu, "
                              "past data_len %zu", i,
                              (unsigned long long)offsets[i] + lens[i], data_len);
  int rc = cx_gpu_enter(g, err);
  if (rc || n == 0) return rc;
  double t0 = cx_gpu_now_ms();
  /* One chunk: messages may share or scatter over data arbitrarily. */
  cx_gpu_slot *s = &g->slot[0];
  size_t a = (data_len + 15) & ~(size_t)15, idx = 4 * n;
  size_t in = a + 2 * idx, total = in + 32 * n;
  if ((rc = cx_gpu_slot_collect(g, s, err))) return rc;
  if ((rc = cx_gpu_slot_reserve(g, s, total, total, err))) return rc;
  if (data_len) memcpy(s->host, data, data_len);
  memcpy(s->host + a, offsets, idx);
  memcpy(s->host + a + idx, lens, idx);
  CX_CUDA_OK(g, err, cudaMemcpyAsync(s->dev, s->host, in,
                                     cudaMemcpyHostToDevice, s->stream));
  CX_CUDA_OK(g, err, cudaEventRecord(s->start, s->stream));
  CX_CUDA_OK(g, err, cx_gpu_launch_sha256(
                         s->stream, n, s->dev, (const uint32_t *)(s->dev + a),
                         (const uint32_t *)(s->dev + a + idx), s->dev + in));
  CX_CUDA_OK(g, err, cudaEventRecord(s->stop, s->stream));
  CX_CUDA_OK(g, err, cudaMemcpyAsync(s->host + in, s->dev + in, 32 * n,
                                     cudaMemcpyDeviceToHost, s->stream));
  s->busy = 1;
  s->dst = (uint8_t *)out;
  s->dst_len = 32 * n;
  s->out_off = in;
  g->last.bytes_in = in;
  g->last.bytes_out = 32 * n;
  rc = cx_gpu_slot_collect(g, s, err);
  g->last.total_ms = cx_gpu_now_ms() - t0;
  return rc;
}

extern "C" int cx_gpu_merkle_root(cx_gpu_ctx *g, size_t n,
                                  const uint8_t *leaves, size_t leaf_len,
                                  uint8_t out[32], cx_gpu_error *err) {
  if (!out || (n && !leaves && leaf_len))
    return cx_gpu_error_set(err, CX_GPU_EINVAL, "cx_gpu_merkle_root: NULL array");
  int rc = cx_gpu_enter(g, err);
  if (rc) return rc;
  if (n == 0) {
    cx_hd_sha256_prefixed(0, 0, NULL, 0, out);
    return CX_GPU_OK;
  }
  double t0 = cx_gpu_now_ms();
  cx_gpu_slot *s = &g->slot[0];
  size_t in = (n * leaf_len + 15) & ~(size_t)15;
  size_t dev_total = in + 2 * 32 * n + 32;
  if ((rc = cx_gpu_slot_collect(g, s, err))) return rc;
  if ((rc = cx_gpu_slot_reserve(g, s, in + 32, dev_total, err))) return rc;
  if (n * leaf_len) memcpy(s->host, leaves, n * leaf_len);
  uint8_t *da = s->dev + in, *db = da + 32 * n, *droot = db + 32 * n;
  CX_CUDA_OK(g, err, cudaMemcpyAsync(s->dev, s->host, n * leaf_len,
                                     cudaMemcpyHostToDevice, s->stream));
  CX_CUDA_OK(g, err, cudaEventRecord(s->start, s->stream));
  CX_CUDA_OK(g, err, cx_gpu_launch_merkle(s->stream, n, s->dev, leaf_len, da,
                                          db, droot));
  CX_CUDA_OK(g, err, cudaEventRecord(s->stop, s->stream));
  CX_CUDA_OK(g, err, cudaMemcpyAsync(s->host + in, droot, 32,
                                     cudaMemcpyDeviceToHost, s->stream));
  s->busy = 1;
  s->dst = out;
  s->dst_len = 32;
  s->out_off = in;
  g->last.bytes_in = n * leaf_len;
  g->last.bytes_out = 32;
  rc = cx_gpu_slot_collect(g, s, err);
  g->last.total_ms = cx_gpu_now_ms() - t0;
  return rc;
}

extern "C" int cx_gpu_optest(cx_gpu_ctx *g, int op, size_t n,
                             const uint8_t *in, uint8_t *out,
                             cx_gpu_error *err) {
  if (op < 0 || op >= CX_HD_OP_COUNT)
    return cx_gpu_error_set(err, CX_GPU_EINVAL,
                            "cx_gpu_optest: no operation %d (0..%d)", op,
                            CX_HD_OP_COUNT - 1);
  if (n && (!in || !out))
    return cx_gpu_error_set(err, CX_GPU_EINVAL, "cx_gpu_optest: NULL array");
  int rc = cx_gpu_enter(g, err);
  if (rc || n == 0) return rc;
  /* Test path: plain synchronous copies on the slot 0 stream. */
  cx_gpu_slot *s = &g->slot[0];
  size_t in_b = n * CX_HD_OPTEST_IN, out_b = n * CX_HD_OPTEST_OUT;
  if ((rc = cx_gpu_slot_collect(g, s, err))) return rc;
  if ((rc = cx_gpu_slot_reserve(g, s, in_b + out_b, in_b + out_b, err))) return rc;
  memcpy(s->host, in, in_b);
  CX_CUDA_OK(g, err, cudaMemcpyAsync(s->dev, s->host, in_b,
                                     cudaMemcpyHostToDevice, s->stream));
  CX_CUDA_OK(g, err, cudaEventRecord(s->start, s->stream));
  CX_CUDA_OK(g, err, cx_gpu_launch_optest(s->stream, op, n, s->dev,
                                          s->dev + in_b, g->d_gtab));
  CX_CUDA_OK(g, err, cudaEventRecord(s->stop, s->stream));
  CX_CUDA_OK(g, err, cudaMemcpyAsync(s->host + in_b, s->dev + in_b, out_b,
                                     cudaMemcpyDeviceToHost, s->stream));
  s->busy = 1;
  s->dst = out;
  s->dst_len = out_b;
  s->out_off = in_b;
  return cx_gpu_slot_collect(g, s, err);
}
