/* Ids of committed blocks, and queries at any block of the tree. */
#include <string.h>

#include "engine_internal.h"

uint64_t cx_engine_retention_floor(const cx_engine *e) {
  return e ? cx_store_retention_floor(e->store) : 0;
}

/* Checks that `height` is a committed height within the retention. */
static int check_height(cx_engine *e, uint64_t height, cx_error *err) {
  if (!cx_store_has_genesis(e->store))
    return cx_error_set(err, CX_ESTATE, "%s has no genesis yet", e->db_path);
  uint64_t head = cx_store_height(e->store);
  uint64_t floor = cx_store_retention_floor(e->store);
  if (height > head)
    return cx_error_set(err, CX_ENOTFOUND,
                        "height %llu is above the head (height %llu)",
                        (unsigned long long)height, (unsigned long long)head);
  if (height < floor)
    return cx_error_set(err, CX_ELIMIT,
                        "height %llu is below the retention floor %llu: the "
                        "store keeps undo data for the last %u committed "
                        "blocks (undo_retention), and none for blocks "
                        "committed before a migration to schema 3; a revert "
                        "does not bring pruned undo data back)",
                        (unsigned long long)height, (unsigned long long)floor,
                        e->cfg.undo_retention);
  return CX_OK;
}

static int committed_node(cx_engine *e, uint64_t height, cx_node **out,
                          cx_error *err) {
  cx_engine_branches_pruned(e);
  int rc = check_height(e, height, err);
  if (rc != CX_OK)
    return rc;
  cx_node *n = cx_branches_committed(&e->branches, height);
  if (n == NULL) {
    uint8_t root[32];
    if (height == cx_store_height(e->store)) {
      cx_store_state_root(e->store, root);
    } else if (height == 0) {
      cx_store_genesis_root(e->store, root);
    } else {
      cx_block_record rec;
      rc = cx_store_block(e->store, height, &rec, err);
      if (rc != CX_OK)
        return rc;
      memcpy(root, rec.state_root, 32);
    }
    n = cx_branches_add_committed(&e->branches, height, root);
    if (n == NULL)
      return cx_error_set(err, CX_ENOMEM, "no memory for a block id");
  }
  *out = n;
  return CX_OK;
}

int cx_engine_block_at(cx_engine *e, uint64_t height, cx_block_id *out,
                       cx_error *err) {
  cx_error_clear(err);
  if (e == NULL || out == NULL)
    return cx_error_set(err, CX_EINVAL, "block at: NULL argument");
  *out = 0;
  cx_node *n = NULL;
  int rc = committed_node(e, height, &n, err);
  if (rc == CX_OK)
    *out = cx_branches_id(&e->branches, n);
  return rc;
}

int cx_engine_block_info(cx_engine *e, cx_block_id id, cx_block_info *out,
                         cx_error *err) {
  cx_error_clear(err);
  if (e == NULL || out == NULL)
    return cx_error_set(err, CX_EINVAL, "block info: NULL argument");
  memset(out, 0, sizeof *out);
  cx_engine_branches_pruned(e);
  cx_node *n = NULL;
  int rc = cx_branches_find(&e->branches, id, &n, err);
  if (rc != CX_OK)
    return rc;
  out->height = n->height;
  out->committed = n->kind == CX_NODE_COMMITTED;
  memcpy(out->state_root, n->state_root, 32);
  cx_node *parent = n->parent;
  if (parent == NULL && n->height > 0 &&
      n->height - 1 >= cx_store_retention_floor(e->store) &&
      committed_node(e, n->height - 1, &parent, NULL) != CX_OK)
    parent = NULL;
  out->parent = parent ? cx_branches_id(&e->branches, parent) : 0;
  return CX_OK;
}

static int read_at(cx_engine *e, cx_block_id at, const cx_key *key,
                   uint64_t *v0, uint64_t *v1, cx_error *err) {
  cx_engine_branches_pruned(e);
  cx_node *n = NULL;
  int rc = cx_branches_find(&e->branches, at, &n, err);
  if (rc != CX_OK)
    return rc;
  cx_at_reader a;
  rc = cx_at_reader_open(e, n, true, &a, err);
  if (rc != CX_OK)
    return rc;
  rc = cx_base_read(&a.r, key, v0, v1);
  cx_at_reader_close(&a);
  if (rc != CX_OK)
    return cx_error_set(err, rc, "reading at block %#llx: %s",
                        (unsigned long long)at, cx_strerror(rc));
  return CX_OK;
}

int cx_engine_get_account_at(cx_engine *e, cx_block_id at,
                             const uint8_t address[20], uint64_t *balance,
                             uint64_t *nonce, cx_error *err) {
  cx_error_clear(err);
  if (e == NULL || address == NULL || balance == NULL || nonce == NULL)
    return cx_error_set(err, CX_EINVAL, "get account at: NULL argument");
  cx_key k = cx_key_account(address);
  return read_at(e, at, &k, balance, nonce, err);
}

int cx_engine_get_kv_at(cx_engine *e, cx_block_id at, const uint8_t key[32],
                        uint64_t *value, cx_error *err) {
  cx_error_clear(err);
  if (e == NULL || key == NULL || value == NULL)
    return cx_error_set(err, CX_EINVAL, "get kv at: NULL argument");
  cx_key k = cx_key_kv(key);
  uint64_t unused;
  return read_at(e, at, &k, value, &unused, err);
}

typedef struct visit_ctx {
  cx_state_visit fn;
  void *ctx;
} visit_ctx;

static int visit_entry(void *ctx, const cx_entry *en) {
  const visit_ctx *v = ctx;
  size_t len = en->key.kind == CX_ENTRY_ACCOUNT ? 20 : 32;
  return v->fn(v->ctx, en->key.bytes, len, en->v0, en->v1);
}

int cx_engine_state_at(cx_engine *e, uint64_t height, cx_state_visit fn,
                       void *ctx, cx_error *err) {
  cx_error_clear(err);
  if (e == NULL || fn == NULL)
    return cx_error_set(err, CX_EINVAL, "state at: NULL argument");
  int rc = check_height(e, height, err);
  if (rc != CX_OK)
    return rc;
  visit_ctx v = {fn, ctx};
  return cx_store_scan_at(e->store, height, visit_entry, &v, err);
}
