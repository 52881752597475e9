/* The map and its readers: pins for read transactions, and growth, which
 * must remap with no read transaction of this process open. */
#include <errno.h>
#include <time.h>

#include "store_internal.h"

#define CX_MIB ((size_t)1 << 20)
#define CX_DEFAULT_MIN_STEP (64 * CX_MIB)

static struct timespec deadline_after(unsigned ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

/* Waits on s->cond (lock held) until done(s) or the deadline; false on
 * timeout. */
static bool wait_until(cx_store *s, bool (*done)(const cx_store *),
                       const struct timespec *deadline) {
  while (!done(s)) {
    if (pthread_cond_timedwait(&s->cond, &s->lock, deadline) == ETIMEDOUT)
      return done(s);
  }
  return true;
}

static bool not_growing(const cx_store *s) { return !s->growing; }
static bool no_pins(const cx_store *s) { return s->pins == 0; }

static int pin(cx_store *s, cx_error *err) {
  struct timespec deadline = deadline_after(s->cfg.growth_wait_ms);
  pthread_mutex_lock(&s->lock);
  bool ok = wait_until(s, not_growing, &deadline);
  if (ok)
    s->pins++;
  pthread_mutex_unlock(&s->lock);
  if (!ok)
    return cx_error_set(err, CX_ESTATE,
                        "%s: a read waited more than %u ms for a map growth, "
                        "which itself waits for open snapshots; release "
                        "snapshots that are held across a commit",
                        s->path, s->cfg.growth_wait_ms);
  return CX_OK;
}

static void unpin(cx_store *s) {
  pthread_mutex_lock(&s->lock);
  if (--s->pins == 0)
    pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->lock);
}

/* Runs remap(s, arg) with no read transaction open in this process. */
static int exclusive(cx_store *s, int (*remap)(cx_store *, size_t), size_t arg,
                     cx_error *err) {
  struct timespec deadline = deadline_after(s->cfg.growth_wait_ms);
  pthread_mutex_lock(&s->lock);
  if (!wait_until(s, not_growing, &deadline)) {
    pthread_mutex_unlock(&s->lock);
    return cx_error_set(err, CX_ESTATE, "%s: another map growth is pending",
                        s->path);
  }
  s->growing = true;
  bool drained = wait_until(s, no_pins, &deadline);
  int rc = drained ? remap(s, arg) : 0;
  unsigned pins = s->pins;
  s->growing = false;
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->lock);
  if (!drained)
    return cx_error_set(err, CX_ESTATE,
                        "%s: the map (%zu MiB) is full and growing it needs "
                        "all read snapshots released, but %u stayed open for "
                        "%u ms; release snapshots before committing, or open "
                        "the store with a larger initial_map_size",
                        s->path, s->map_size / CX_MIB, pins,
                        s->cfg.growth_wait_ms);
  if (rc != 0)
    return cx_store_fail(s, rc, "resizing the memory map", err);
  return CX_OK;
}

static int refresh_size(cx_store *s) {
  MDB_envinfo info;
  int rc = mdb_env_info(s->env, &info);
  if (rc == 0)
    s->map_size = info.me_mapsize;
  return rc;
}

static int remap_to(cx_store *s, size_t size) {
  int rc = mdb_env_set_mapsize(s->env, size);
  return rc ? rc : refresh_size(s);
}

int cx_store_read_begin(cx_store *s, MDB_txn **txn, cx_error *err) {
  for (int attempt = 0;; attempt++) {
    int rc = pin(s, err);
    if (rc != CX_OK)
      return rc;
    rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    if (rc == 0)
      return CX_OK;
    unpin(s);
    if (rc == MDB_READERS_FULL && attempt == 0) {
      /* Slots of dead processes may be what fills the table. */
      int dead = 0;
      if (mdb_reader_check(s->env, &dead) == 0 && dead > 0)
        continue;
    }
    if (rc != MDB_MAP_RESIZED || attempt > 0)
      return cx_store_fail(s, rc, "starting a read transaction", err);
    rc = cx_store_adopt_map(s, err);
    if (rc != CX_OK)
      return rc;
  }
}

void cx_store_read_end(cx_store *s, MDB_txn *txn) {
  mdb_txn_abort(txn);
  unpin(s);
}

int cx_store_grow_map(cx_store *s, cx_error *err) {
  size_t cur = s->map_size, step = s->cfg.growth_step;
  if (step == 0)
    step = cur > CX_DEFAULT_MIN_STEP ? cur : CX_DEFAULT_MIN_STEP;
  size_t next = cur + step;
  if (next < cur)
    next = SIZE_MAX;
  size_t max = s->cfg.max_map_size;
  if (max != 0 && next > max) {
    if (cur >= max)
      return cx_error_set(err, CX_ELIMIT,
                          "%s: the block does not fit in the map and the map "
                          "is already at max_map_size (%zu bytes); raise "
                          "max_map_size",
                          s->path, max);
    next = max;
  }
  return exclusive(s, remap_to, next, err);
}

int cx_store_adopt_map(cx_store *s, cx_error *err) {
  /* Size 0 makes LMDB take the size another process recorded. */
  return exclusive(s, remap_to, 0, err);
}
