/* cx_replay_watch: see replay_watch.h. */
#include "replay_watch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_NS 250000000L /* 4 redraws a second: at least two */
#define METRICS_CAP (64 * 1024)

struct cx_replay_watch {
  cx_engine *e;
  cx_progress *bar;
  uint64_t height0, sigs0, sigs_base;
  bool have_base;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool stop;
  char *buf;
};

/* Sum of the values of the sample lines of metric `name` (any labels)
 * whose labels contain `must` (NULL: all). */
static uint64_t sample_sum(const char *text, const char *name,
                           const char *must) {
  uint64_t sum = 0;
  size_t n = strlen(name);
  for (const char *l = text; *l;) {
    const char *end = strchr(l, '\n');
    size_t len = end ? (size_t)(end - l) : strlen(l);
    if (len > n && !strncmp(l, name, n) && (l[n] == ' ' || l[n] == '{')) {
      const char *sp = l + len;
      while (sp > l && sp[-1] != ' ')
        sp--;
      const char *hit = must ? strstr(l, must) : l;
      if (sp > l && hit && hit < l + len)
        sum += strtoull(sp, NULL, 10);
    }
    l += len + (end ? 1 : 0);
  }
  return sum;
}

static void poll_once(cx_replay_watch *w) {
  cx_engine_metrics(w->e, w->buf, METRICS_CAP);
  uint64_t h = sample_sum(w->buf, "chainexec_height", NULL);
  uint64_t sigs = sample_sum(w->buf, "chainexec_sched_items_total",
                             "kind=\"verify\"");
  if (!w->have_base) { /* counts before this run (a resumed database) */
    w->sigs_base = sigs;
    w->have_base = true;
  }
  cx_progress_update(w->bar, h > w->height0 ? h : w->height0);
  cx_progress_update_sub(w->bar, w->sigs0 + (sigs - w->sigs_base));
}

static void *watch_main(void *arg) {
  cx_replay_watch *w = arg;
  pthread_mutex_lock(&w->lock);
  while (!w->stop) {
    pthread_mutex_unlock(&w->lock);
    poll_once(w);
    pthread_mutex_lock(&w->lock);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += POLL_NS;
    if (t.tv_nsec >= 1000000000L) {
      t.tv_sec++;
      t.tv_nsec -= 1000000000L;
    }
    if (!w->stop)
      pthread_cond_timedwait(&w->cond, &w->lock, &t);
  }
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

cx_replay_watch *cx_replay_watch_start(cx_engine *e, cx_progress *bar,
                                       uint64_t height0, uint64_t sigs0) {
  if (!bar->on)
    return NULL;
  cx_replay_watch *w = calloc(1, sizeof *w);
  if (!w || !(w->buf = malloc(METRICS_CAP))) {
    free(w);
    return NULL;
  }
  w->e = e;
  w->bar = bar;
  w->height0 = height0;
  w->sigs0 = sigs0;
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->cond, NULL);
  if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->buf);
    free(w);
    return NULL;
  }
  return w;
}

void cx_replay_watch_stop(cx_replay_watch *w) {
  if (!w)
    return;
  pthread_mutex_lock(&w->lock);
  w->stop = true;
  pthread_cond_signal(&w->cond);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->thread, NULL);
  pthread_cond_destroy(&w->cond);
  pthread_mutex_destroy(&w->lock);
  free(w->buf);
  free(w);
}
