/* Random signature and message batches for the hybrid suites, with the
 * CPU-only answers (cx_verify_batch, cx_sha256_batch) to compare with.
 * Invalid signatures of several kinds are mixed in on purpose. */
#ifndef TEST_HYBRID_FIXTURE_H
#define TEST_HYBRID_FIXTURE_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cx_test.h"
#include "sha256.h"
#include "signer.h"
#include "verify.h"

typedef struct hy_batch {
  size_t n;
  uint8_t (*pub)[33], (*dig)[32], (*sig)[64];
  const uint8_t **pp, **pd, **ps;
  uint8_t *expect; /* CPU verdicts */
  /* SHA-256 inputs: message i is msg + moff[i], mlen[i] bytes. */
  uint8_t *msg;
  size_t *moff, *mlen;
  const uint8_t **pm;
  uint8_t (*dexpect)[32];
} hy_batch;

/* n items, about one in `bad_every` invalid (0: none invalid). */
static inline void hy_batch_make(hy_batch *b, const cx_signer *signer,
                                 const cx_verifier *v, cx_rng *rng, size_t n,
                                 unsigned bad_every) {
  memset(b, 0, sizeof *b);
  b->n = n;
  size_t m = n ? n : 1;
  b->pub = calloc(m, 33);
  b->dig = calloc(m, 32);
  b->sig = calloc(m, 64);
  b->pp = calloc(m, sizeof *b->pp);
  b->pd = calloc(m, sizeof *b->pd);
  b->ps = calloc(m, sizeof *b->ps);
  b->expect = calloc(m, 1);
  b->moff = calloc(m, sizeof *b->moff);
  b->mlen = calloc(m, sizeof *b->mlen);
  b->pm = calloc(m, sizeof *b->pm);
  b->dexpect = calloc(m, 32);
  b->msg = calloc(m * 200 + 1, 1);
  cr_assert(b->pub && b->dig && b->sig && b->pp && b->pd && b->ps &&
            b->expect && b->moff && b->mlen && b->pm && b->dexpect && b->msg);
  uint8_t sk[32];
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    cx_signer_keypair(signer, cx_rng_below(rng, 16), sk, b->pub[i]);
    cx_rng_bytes(rng, b->dig[i], 32);
    cr_assert(cx_signer_sign(signer, sk, b->dig[i], b->sig[i]));
    if (bad_every && cx_rng_below(rng, bad_every) == 0) {
      switch (cx_rng_below(rng, 5)) {
      case 0: b->sig[i][cx_rng_below(rng, 64)] ^= 0x10; break;
      case 1: b->dig[i][cx_rng_below(rng, 32)] ^= 0x01; break;
      case 2: b->pub[i][0] = 0x05; break;                 /* bad prefix */
      case 3: memset(b->sig[i], 0, 32); break;            /* r = 0 */
      default: memset(b->sig[i] + 32, 0xff, 32); break;   /* s >= n */
      }
    }
    b->pp[i] = b->pub[i];
    b->pd[i] = b->dig[i];
    b->ps[i] = b->sig[i];
    b->mlen[i] = (size_t)cx_rng_below(rng, 200);
    b->moff[i] = off;
    cx_rng_bytes(rng, b->msg + off, b->mlen[i]);
    b->pm[i] = b->msg + off;
    off += b->mlen[i];
  }
  cx_verify_batch(v, n, b->pp, b->pd, b->ps, b->expect);
  cx_sha256_batch(n, b->pm, b->mlen, b->dexpect);
}

static inline size_t hy_batch_invalid(const hy_batch *b) {
  size_t k = 0;
  for (size_t i = 0; i < b->n; i++)
    k += b->expect[i] == 0;
  return k;
}

static inline void hy_batch_free(hy_batch *b) {
  free(b->pub); free(b->dig); free(b->sig);
  free(b->pp); free(b->pd); free(b->ps);
  free(b->expect); free(b->moff); free(b->mlen); free(b->pm);
  free(b->dexpect); free(b->msg);
}

#endif /* TEST_HYBRID_FIXTURE_H */
