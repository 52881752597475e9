/* Progress bar with blocks/s and ETA for long runs. It draws on stderr
 * only when stderr is a terminal, so logs and pipes stay clean. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"

#define BAR_WIDTH 30
#define LINE_WIDTH 120 /* cleared by cx_progress_done */

void cx_progress_init(cx_progress *p, const char *label, uint64_t total,
                      bool quiet) {
  memset(p, 0, sizeof *p);
  p->on = !quiet && total > 0 && isatty(STDERR_FILENO);
  p->label = label;
  p->total = total;
  p->start = cx_cli_now();
  pthread_mutex_init(&p->lock, NULL);
}

/* Draws the line; caller holds the lock. Throttled to ~10 Hz, except the
 * final state. */
static void draw(cx_progress *p) {
  double now = cx_cli_now();
  if (p->done < p->total && now - p->last_draw < 0.1)
    return;
  p->last_draw = now;
  uint64_t done = p->done;
  double el = now - p->start, rate = el > 0 ? (double)done / el : 0;
  double eta = rate > 0 ? (double)(p->total - done) / rate : 0;
  char bar[BAR_WIDTH + 1], sub[64] = "";
  unsigned fill = (unsigned)(BAR_WIDTH * done / p->total);
  for (unsigned i = 0; i < BAR_WIDTH; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  if (p->sub_label)
    snprintf(sub, sizeof sub, "  %llu/%llu %s",
             (unsigned long long)p->sub_done,
             (unsigned long long)p->sub_total, p->sub_label);
  fprintf(stderr, "\r%s [%s] %llu/%llu blocks%s  %.1f blocks/s  ETA %.0fs   ",
          p->label, bar, (unsigned long long)done,
          (unsigned long long)p->total, sub, rate, eta);
  fflush(stderr);
}

void cx_progress_update(cx_progress *p, uint64_t done) {
  if (!p->on)
    return;
  pthread_mutex_lock(&p->lock);
  if (done > p->done)
    p->done = done > p->total ? p->total : done;
  if (p->on)
    draw(p);
  pthread_mutex_unlock(&p->lock);
}

void cx_progress_set_sub(cx_progress *p, const char *label, uint64_t total) {
  pthread_mutex_lock(&p->lock);
  p->sub_label = label;
  p->sub_total = total;
  pthread_mutex_unlock(&p->lock);
}

void cx_progress_update_sub(cx_progress *p, uint64_t sub_done) {
  if (!p->on)
    return;
  pthread_mutex_lock(&p->lock);
  if (sub_done > p->sub_done)
    p->sub_done = sub_done > p->sub_total ? p->sub_total : sub_done;
  if (p->on)
    draw(p);
  pthread_mutex_unlock(&p->lock);
}

void cx_progress_done(cx_progress *p) {
  if (p->on) {
    fprintf(stderr, "\r%*s\r", LINE_WIDTH, "");
    fflush(stderr);
    p->on = false;
  }
  pthread_mutex_destroy(&p->lock);
}
