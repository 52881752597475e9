/* The hybrid scheduler: routes signature-verification and SHA-256 batches
 * to the CPU worker pool or to GPU backends (CUDA devices, or the `sim`
 * software device), and guarantees that the result never depends on where
 * a batch ran.
 *
 * Result rule. cx_sched_verify() writes exactly what cx_verify_batch()
 * would write on the CPU, and cx_sched_sha256() exactly what
 * cx_sha256_batch() would, whatever the strategy, the devices, their
 * timing or their faults. A device is an accelerator, never an authority:
 *  - any device error, missed deadline or unavailable device sends the
 *    device batch (or the part of the request not yet done) to the CPU;
 *    a late result of an abandoned attempt is dropped, never merged;
 *  - trust but verify: every device batch is cross-checked on the CPU
 *    before its result is taken. While a backend is UNTRUSTED (new, or
 *    after any failure or mismatch, until `trust_after` consecutive clean
 *    batches) every item is recomputed on the CPU, so in that state the
 *    result is the CPU result, and a device "valid" for a signature the
 *    CPU rejects can never reach the caller. Once TRUSTED, a sample of
 *    max(1, ceil(crosscheck_fraction * n)) items per batch is recomputed,
 *    and for signatures every device "invalid" is recomputed as well
 *    (cheap, as rejections are rare), so a device can never turn a valid
 *    signature into an invalid one.
 *    Any mismatch discards the whole device batch (recomputed on the
 *    CPU), counts a mismatch and marks the backend failed (untrusted, and
 *    a breaker failure). The residual risk is a trusted device that turns
 *    an invalid signature into "valid" in an unsampled item: set
 *    crosscheck_fraction = 1 to remove it at the cost of CPU work.
 *  - circuit breaker per backend: 2 failures (error, timeout, mismatch)
 *    within `breaker_window_ms` open it; while open the backend gets no
 *    work (CPU fallback, cause "unavailable"); after `breaker_cooldown_ms`
 *    it half-opens and the next batch is a single probe; a clean probe
 *    closes it (still untrusted), a failed one reopens it.
 *
 * Strategies: AUTO (default) sends a request of n items to the devices
 * when n >= the per-kind threshold, else to the CPU; CPU never uses a
 * device; GPU always prefers the devices (the CPU remains the fallback);
 * BALANCE splits each request between the pool and the devices in
 * proportion to their measured throughput so that both finish together
 * (a device whose breaker is due for a probe gets one small batch).
 * Device batches are pipelined: at most 2 per device and request are in
 * flight, and each one's deadline runs from its submission.
 *
 * Adaptive tuning: per-item costs of each side are tracked as exponential
 * moving averages. The AUTO threshold of a kind moves toward the measured
 * crossover (device latency / per-item saving), at most x1.2 or x0.8 per
 * update and bounded; it stays fixed when configured (non-zero). Device
 * batch sizes grow x1.2 while throughput improves and shrink x0.8 when a
 * batch takes more than a quarter of the deadline, bounded by the
 * backend's maximum. Both are visible in the metrics.
 *
 * Threading: a scheduler may be used from several threads at once (CPU
 * work is serialised by the pool; metrics are lock-free atomics). The
 * pool and verifier passed to cx_sched_create() must outlive it.
 */
#ifndef CX_HYBRID_SCHED_H
#define CX_HYBRID_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cx_error.h"
#include "pool.h"
#include "verify.h"

typedef enum cx_strategy {
  CX_STRATEGY_AUTO,
  CX_STRATEGY_CPU,
  CX_STRATEGY_GPU,
  CX_STRATEGY_BALANCE
} cx_strategy;

/* Parses "auto", "cpu", "gpu" or "balance" (exact, lower case) into *out.
 * Returns CX_OK, or CX_EINVAL for anything else (*out unchanged). */
int cx_strategy_parse(const char *s, cx_strategy *out);

/* "auto", "cpu", "gpu", "balance"; "unknown" for other values. */
const char *cx_strategy_name(cx_strategy s);

/* Scheduler configuration. Start from cx_sched_config_default(). */
typedef struct cx_sched_config {
  cx_strategy strategy;
  /* Devices: NULL or "none": no device. "all": every CUDA device; "0,1":
   * those CUDA devices. Without a CUDA build or device, "all" means CPU
   * only (a note is kept, see cx_sched_note()); naming a device that does
   * not exist is CX_EINVAL. "sim" or "sim:key=value,...": the software
   * device, keys:
   *   fail=P   probability that a device batch fails (error)
   *   wrong=P  probability that a device batch returns wrong results
   *   hang=P   probability that a device batch hangs past its deadline
   *            (it completes once abandoned; the late result is dropped)
   *   delay_us=N     latency added to every device batch
   *   hang_ms=N      longest a hung batch holds the device (default 10000;
   *                  a hang is a timeout only while deadline_ms < hang_ms)
   *   stuck_ms=N     a hung batch ignores abandonment and holds its thread
   *                  N ms, like a kernel that never returns (default 0)
   *   close_ms=N     how long destroy waits for a stuck batch before it
   *                  leaves the thread behind (default 10000, as for CUDA)
   *   seed=N         fault RNG seed (faults are drawn in submission order,
   *                  so a single-threaded caller replays exactly)
   *   fail_first=N   the first N batches fail (breaker tests)
   *   wrong_items=N  a wrong batch corrupts N items (0 = all, default)
   *   threads=N      host threads of the device (default 1)
   *   devices=N      number of sim devices (default 1)
   *   max_batch=N    largest device batch (default 65536)
   * Probabilities are in [0, 1]. */
  const char *gpu;
  size_t verify_threshold; /* AUTO: devices at/above; 0 = adaptive */
  size_t sha_threshold;    /* AUTO: devices at/above; 0 = adaptive */
  double crosscheck_fraction; /* trusted sample fraction, default 0.02 */
  unsigned deadline_ms;       /* per device batch; 0 = 2000 */
  unsigned max_retries;       /* device resubmissions per batch, default 1 */
  unsigned breaker_window_ms;   /* 0 = 10000 */
  unsigned breaker_cooldown_ms; /* 0 = 1000 */
  unsigned trust_after;         /* clean batches to trust; 0 = 8 */
  size_t cpu_chunk;             /* pool parallel-for chunk; 0 = auto */
  uint64_t seed;                /* cross-check sampling RNG seed */
} cx_sched_config;

/* Fills c with the defaults: AUTO, no device, adaptive thresholds,
 * crosscheck_fraction 0.02, max_retries 1, everything else 0 (= the
 * defaults named above). */
void cx_sched_config_default(cx_sched_config *c);

typedef struct cx_sched cx_sched;

/* Creates a scheduler over `pool` (CPU work) and `verifier` (CPU
 * reference), both borrowed. Starts the device backends named by
 * cfg->gpu. Returns NULL and sets err on failure: CX_EINVAL with a
 * message for a bad strategy, device spec or parameter; CX_ENOMEM;
 * CX_ELIMIT when a device thread cannot start. */
cx_sched *cx_sched_create(const cx_sched_config *cfg, cx_pool *pool,
                          const cx_verifier *verifier, cx_error *err);

/* Verifies n signatures: verdicts[i] = 1 when sigs[i] (64-byte compact)
 * is a valid signature of digests[i] (32 bytes) under pubkeys[i] (33-byte
 * compressed), else 0: identical to cx_verify_batch(). The inputs must
 * stay valid during the call only (devices work on copies). Returns CX_OK,
 * or CX_EINVAL (NULL arrays with n > 0) or CX_ENOMEM; device trouble is
 * never an error here (it falls back). */
int cx_sched_verify(cx_sched *s, size_t n, const uint8_t *const *pubkeys,
                    const uint8_t *const *digests,
                    const uint8_t *const *sigs, uint8_t *verdicts,
                    cx_error *err);

/* out[i] = SHA-256(msgs[i][0..lens[i])): identical to cx_sha256_batch().
 * Errors as cx_sched_verify(). */
int cx_sched_sha256(cx_sched *s, size_t n, const uint8_t *const *msgs,
                    const size_t *lens, uint8_t (*out)[32], cx_error *err);

/* Tasks: the unit a transaction is split into. A mixed array is run as
 * one homogeneous batch per kind. */
typedef enum cx_task_kind {
  CX_TASK_SHA256 = 0,
  CX_TASK_VERIFY = 1
} cx_task_kind;
#define CX_TASK_KINDS 2
typedef struct cx_task {
  uint64_t id;          /* caller's id, e.g. tx index; not interpreted */
  cx_task_kind kind;
  union {
    struct { const uint8_t *msg; size_t len; } sha256;
    struct { const uint8_t *pubkey33, *digest32, *sig64; } verify;
  } payload;            /* views, borrowed for the call */
  uint32_t est_cost;    /* caller's estimate (e.g. bytes); informative */
} cx_task;
typedef union cx_task_result {
  uint8_t digest[32];   /* CX_TASK_SHA256 */
  uint8_t valid;        /* CX_TASK_VERIFY: 1 valid, 0 not */
} cx_task_result;

/* Execution stats of one cx_sched_run_tasks() call. */
typedef struct cx_batch_stats {
  size_t items;            /* tasks in the call */
  size_t items_device;     /* results taken from a device */
  unsigned device_batches; /* device attempts submitted, retries included */
  unsigned retries;        /* resubmissions after an error or timeout */
  uint64_t wall_ns;        /* wall time of the call */
  uint64_t bytes_moved;    /* bytes copied to and from devices */
  char backend[32];        /* "cpu", the one device used, or "mixed" */
} cx_batch_stats;

/* Runs n tasks of any kinds; results[i] belongs to tasks[i]. When stats is
 * not NULL it receives the execution stats of the call. Errors as
 * cx_sched_verify() (CX_EINVAL also for an unknown kind). */
int cx_sched_run_tasks(cx_sched *s, size_t n, const cx_task *tasks,
                       cx_task_result *results, cx_batch_stats *stats,
                       cx_error *err);

/* Why work that was meant for a device ran on the CPU. */
typedef enum cx_fallback_cause {
  CX_FALLBACK_ERROR,       /* the device reported an error */
  CX_FALLBACK_TIMEOUT,     /* the deadline passed */
  CX_FALLBACK_MISMATCH,    /* the cross-check disagreed */
  CX_FALLBACK_UNAVAILABLE, /* no device could take it (breaker open) */
  CX_FALLBACK_CAUSES
} cx_fallback_cause;

/* Totals over every backend and kind, for tests and the CLI. */
typedef struct cx_sched_stats {
  uint64_t items_cpu;        /* results computed by the CPU pool */
  uint64_t items_device;     /* results taken from a device */
  uint64_t device_batches;   /* device attempts submitted */
  uint64_t device_ok;        /* attempts whose result was taken */
  uint64_t device_errors;    /* attempts that reported an error */
  uint64_t device_timeouts;  /* attempts abandoned at the deadline */
  uint64_t device_mismatches;/* attempts discarded by the cross-check */
  uint64_t retries;          /* resubmissions after an error/timeout */
  uint64_t late_dropped;     /* attempts that ended after abandonment */
  uint64_t fallbacks[CX_FALLBACK_CAUSES]; /* device batches sent to CPU */
  uint64_t crosscheck_samples;
  uint64_t breaker_opens;
  unsigned backends_open;    /* backends whose breaker is open now */
  unsigned backends_trusted; /* device backends trusted now */
  unsigned device_backends;  /* device backends registered */
  /* sim faults: failures and wrong results delivered in time (so they
   * equal device_errors and, with whole-batch corruption, the
   * mismatches), and hangs drawn (each one is a timeout). */
  uint64_t sim_injected_fail, sim_injected_wrong, sim_injected_hang;
  /* Time device threads spent on batches (copies and launches included),
   * and the part the devices report as compute (CUDA kernel events; the
   * whole call for sim). Summed over devices. */
  uint64_t device_busy_ns, device_kernel_ns;
  size_t verify_threshold, sha_threshold; /* current AUTO thresholds */
} cx_sched_stats;

/* Fills *out with a snapshot of the counters (each counter is read
 * atomically; the set is not one instant). Thread-safe. */
void cx_sched_stats_get(const cx_sched *s, cx_sched_stats *out);

/* A note about the device set for people ("no CUDA device: CPU only"),
 * or "" when there is nothing to say. Valid while s lives. */
const char *cx_sched_note(const cx_sched *s);

/* Appends the Prometheus text exposition of the scheduler metrics (names
 * prefixed chainexec_sched_) to f. Returns CX_OK or CX_EIO when writing
 * fails. Thread-safe. */
int cx_sched_metrics_write(const cx_sched *s, FILE *f);

/* Stops the device threads (abandoning nothing in flight: there is none
 * once every call returned) and frees s; NULL is a no-op. No call on s
 * may be in progress. */
void cx_sched_destroy(cx_sched *s);

#endif /* CX_HYBRID_SCHED_H */
