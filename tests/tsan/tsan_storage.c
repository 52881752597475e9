/* TSan driver: readers share one snapshot, and take fresh snapshots, while
 * blocks commit. (Map growth under readers is covered by
 * test_storage_readers; growth waits for the shared snapshot here.) Every read must see exactly the state of
 * its snapshot's height: value(key i at height h) = h * 1000 + i. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "store.h"
#include "tsan_driver.h"

#define KEYS 2000
#define BLOCKS 30
#define READERS 3

static cx_key key_of(unsigned i) {
  uint8_t k[32] = {0};
  memcpy(k, &i, sizeof i);
  k[31] = 0x5a;
  return cx_key_kv(k);
}

typedef struct shared {
  cx_store *store;
  cx_snapshot *old; /* taken at height 0, shared by all readers */
  atomic_int done;
  atomic_ulong reads;
} shared;

static void *reader(void *arg) {
  shared *sh = arg;
  unsigned i = 0;
  while (!atomic_load(&sh->done)) {
    uint64_t v0, v1;
    cx_key k = key_of(i % KEYS);
    TSAN_CHECK(cx_snapshot_read(sh->old, &k, &v0, &v1) == 0, "shared read");
    TSAN_CHECK(v0 == i % KEYS, "old snapshot saw %llu for key %u",
               (unsigned long long)v0, i % KEYS);
    cx_error err = {0};
    cx_snapshot *fresh = cx_store_snapshot(sh->store, &err);
    TSAN_CHECK(fresh != NULL, "snapshot: %s", err.message);
    uint64_t h = cx_snapshot_height(fresh);
    TSAN_CHECK(cx_snapshot_read(fresh, &k, &v0, &v1) == 0, "fresh read");
    TSAN_CHECK(v0 == h * 1000 + i % KEYS, "height %llu key %u saw %llu",
               (unsigned long long)h, i % KEYS, (unsigned long long)v0);
    cx_snapshot_release(fresh);
    atomic_fetch_add(&sh->reads, 1);
    i += 7;
  }
  return NULL;
}

int main(void) {
  /* Removed at exit, also when a check fails (cx_test_mkdtemp). */
  char *dir = cx_test_mkdtemp("tsan-storage");
  TSAN_CHECK(dir != NULL, "mkdtemp");
  cx_store_config cfg;
  cx_store_config_default(&cfg);
  cfg.path = dir;
  cfg.durability = CX_DURABILITY_NOSYNC;
  cx_error err = {0};
  shared sh = {0};
  sh.store = cx_store_open(&cfg, &err);
  TSAN_CHECK(sh.store != NULL, "open: %s", err.message);

  static cx_entry entries[KEYS];
  for (unsigned i = 0; i < KEYS; i++)
    entries[i] = (cx_entry){.key = key_of(i), .v0 = i};
  uint8_t root[32];
  TSAN_CHECK(cx_store_load_genesis(sh.store, entries, KEYS, root, &err) == 0,
             "genesis: %s", err.message);
  sh.old = cx_store_snapshot(sh.store, &err);
  TSAN_CHECK(sh.old != NULL, "snapshot: %s", err.message);

  pthread_t th[READERS];
  for (int t = 0; t < READERS; t++)
    pthread_create(&th[t], NULL, reader, &sh);

  for (uint64_t h = 1; h <= BLOCKS; h++) {
    for (unsigned i = 0; i < KEYS; i++)
      entries[i] = (cx_entry){.key = key_of(i), .v0 = h * 1000 + i};
    cx_entries_sort(entries, KEYS);
    cx_block_record rec = {.height = h, .tx_count = 1};
    TSAN_CHECK(cx_entries_root(entries, KEYS, rec.write_root) == 0, "root");
    uint8_t prev[32];
    cx_store_state_root(sh.store, prev);
    cx_state_root_next(prev, rec.write_root, rec.state_root);
    TSAN_CHECK(cx_store_commit_block(sh.store, &rec, entries, KEYS, &err) == 0,
               "commit %llu: %s", (unsigned long long)h, err.message);
  }
  atomic_store(&sh.done, 1);
  for (int t = 0; t < READERS; t++)
    pthread_join(th[t], NULL);
  cx_snapshot_release(sh.old);
  fprintf(stderr, "tsan_storage: %lu concurrent reads checked at height %llu\n",
          atomic_load(&sh.reads),
          (unsigned long long)cx_store_height(sh.store));
  TSAN_CHECK(atomic_load(&sh.reads) > 0, "no reads ran");
  cx_store_close(sh.store);
  cx_test_rmtree(dir);
  free(dir);
  return 0;
}
