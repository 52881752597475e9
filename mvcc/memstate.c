/* In-memory base state over a cx_keymap; see memstate.h. */
#include "memstate.h"

#include <stdlib.h>

#include "keymap.h"

struct cx_memstate {
  cx_keymap map;
};

cx_memstate *cx_memstate_create(void) {
  return calloc(1, sizeof(cx_memstate));
}

void cx_memstate_destroy(cx_memstate *s) {
  if (!s)
    return;
  cx_keymap_free(&s->map);
  free(s);
}

int cx_memstate_put(cx_memstate *s, const cx_entry *entries, size_t n) {
  int rc = cx_keymap_reserve(&s->map, n);
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < n; i++) {
    cx_entry *e = cx_keymap_upsert(&s->map, &entries[i].key);
    e->v0 = entries[i].v0;
    e->v1 = entries[i].v1;
  }
  return 0;
}

size_t cx_memstate_count(const cx_memstate *s) { return s->map.n; }

int cx_memstate_read(void *ctx, const cx_key *key, uint64_t *v0,
                     uint64_t *v1) {
  const cx_entry *e = cx_keymap_find(&((cx_memstate *)ctx)->map, key);
  *v0 = e ? e->v0 : 0;
  *v1 = e ? e->v1 : 0;
  return 0;
}
