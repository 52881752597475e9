/* Progress bar with blocks/s and ETA for long runs. It draws on stderr
 * only when stderr is a terminal, so logs and pipes stay clean. */
#include <stdio.h>
#include <unistd.h>

#include "cli_util.h"

#define BAR_WIDTH 30

void cx_progress_init(cx_progress *p, const char *label, uint64_t total,
                      bool quiet) {
  p->on = !quiet && total > 0 && isatty(STDERR_FILENO);
  p->label = label;
  p->total = total;
  p->start = cx_cli_now();
  p->last_draw = 0;
}

void cx_progress_update(cx_progress *p, uint64_t done) {
  if (!p->on)
    return;
  double now = cx_cli_now();
  if (done < p->total && now - p->last_draw < 0.1)
    return;
  p->last_draw = now;
  double el = now - p->start, rate = el > 0 ? (double)done / el : 0;
  double eta = rate > 0 ? (double)(p->total - done) / rate : 0;
  char bar[BAR_WIDTH + 1];
  unsigned fill = (unsigned)(BAR_WIDTH * done / p->total);
  for (unsigned i = 0; i < BAR_WIDTH; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  fprintf(stderr, "\r%s [%s] %llu/%llu blocks  %.1f blocks/s  ETA %.0fs   ",
          p->label, bar, (unsigned long long)done, (unsigned long long)p->total,
          rate, eta);
  fflush(stderr);
}

void cx_progress_done(cx_progress *p) {
  if (!p->on)
    return;
  fprintf(stderr, "\r%*s\r", 100, "");
  fflush(stderr);
  p->on = false;
}
