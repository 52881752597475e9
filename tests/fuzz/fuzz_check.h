/* Assertions for the libFuzzer harnesses.
 *
 * A harness must turn every broken property into a crash libFuzzer can
 * record (with the input saved as crash-<sha1>), so FUZZ_CHECK prints the
 * failed condition and aborts. This is the only place in the tree where an
 * abort on a wrong result is wanted: the code under test must never abort
 * on input, the harness must abort when the code under test misbehaves.
 */
#ifndef CX_FUZZ_CHECK_H
#define CX_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__,      \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#endif /* CX_FUZZ_CHECK_H */
