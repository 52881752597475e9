/* The state as a block of the tree sees it: the write sets of its
 * speculative ancestors (nearest first) over the committed state at the
 * chain's base, read through the store's undo data when the base is below
 * the head. Shared by speculative execution and the queries at a block. */
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

int cx_at_reader_open(cx_engine *e, cx_node *n, bool include_self,
                      cx_at_reader *a, cx_error *err) {
  memset(a, 0, sizeof *a);
  cx_node *p = n;
  if (!include_self && p->kind == CX_NODE_SPECULATIVE)
    p = p->parent;
  size_t depth = cx_branches_depth(p);
  a->overlays = malloc((depth ? depth : 1) * sizeof *a->overlays);
  if (a->overlays == NULL)
    return cx_error_set(err, CX_ENOMEM, "no memory for a block's overlays");
  size_t k = 0;
  for (; p->kind == CX_NODE_SPECULATIVE; p = p->parent)
    a->overlays[k++] = (cx_overlay){p->writes, p->n_writes};
  a->snap = cx_store_snapshot(e->store, err);
  if (a->snap == NULL) {
    cx_at_reader_close(a);
    return err ? err->code : CX_EDB;
  }
  if (p->height != cx_snapshot_height(a->snap)) {
    a->view = cx_snapshot_view(a->snap, p->height, err);
    if (a->view == NULL) {
      int rc = err ? err->code : CX_EDB;
      cx_at_reader_close(a);
      return rc;
    }
  }
  a->r = (cx_base_reader){a->snap, a->view, a->overlays, k};
  return CX_OK;
}

void cx_at_reader_close(cx_at_reader *a) {
  cx_view_release(a->view);
  cx_snapshot_release(a->snap);
  free(a->overlays);
  memset(a, 0, sizeof *a);
}
