/* Strategy names and scheduler configuration defaults. */
#include <string.h>

#include "cx_sched.h"

static const char *const cx_strategy_names[] = {"auto", "cpu", "gpu",
                                                "balance"};

int cx_strategy_parse(const char *s, cx_strategy *out) {
  for (int i = 0; s && i < 4; i++)
    if (strcmp(s, cx_strategy_names[i]) == 0) {
      if (out)
        *out = (cx_strategy)i;
      return CX_OK;
    }
  return CX_EINVAL;
}

const char *cx_strategy_name(cx_strategy s) {
  return (unsigned)s < 4 ? cx_strategy_names[s] : "unknown";
}

void cx_sched_config_default(cx_sched_config *c) {
  memset(c, 0, sizeof *c);
  c->strategy = CX_STRATEGY_AUTO;
  c->gpu = NULL;
  c->crosscheck_fraction = 0.02;
  c->max_retries = 1;
  c->seed = 0x6378656375746521ull;
}
