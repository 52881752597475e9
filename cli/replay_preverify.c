/* `replay --preverify`; see replay_preverify.h. */
#include "replay_preverify.h"

#include <stdio.h>

int cx_cli_preverify_block(cx_engine *e, const cx_fixture *f, size_t i,
                           cx_error *err) {
  if (i >= f->n_blocks)
    return CX_OK;
  cx_block v;
  cx_fixture_block_view(f, i, &v);
  return cx_engine_submit(e, v.txs, v.tx_lens, v.tx_count, NULL, err);
}

void cx_cli_preverify_report(const cx_engine *e) {
  cx_preverify_stats s;
  cx_engine_preverify_stats(e, &s);
  uint64_t looked = s.block_hits + s.block_misses;
  fprintf(stderr,
          "preverify: %llu transactions submitted (%llu valid, %llu invalid, "
          "%llu malformed, %llu pending at the end); blocks found %llu of "
          "%llu signatures in the cache (%.1f%%); %llu evictions; cache "
          "%llu bytes resident of %llu\n",
          (unsigned long long)s.submitted_txs,
          (unsigned long long)s.verified_valid,
          (unsigned long long)s.verified_invalid,
          (unsigned long long)s.malformed, (unsigned long long)s.pending_txs,
          (unsigned long long)s.block_hits, (unsigned long long)looked,
          looked ? 100.0 * (double)s.block_hits / (double)looked : 0.0,
          (unsigned long long)s.evictions,
          (unsigned long long)s.resident_bytes, (unsigned long long)s.bytes);
}
