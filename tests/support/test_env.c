/* test_env.h: test settings from the environment. */
#include "test_env.h"

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t cx_test_seed(const char *suite) {
  const char *env = getenv("CX_TEST_SEED");
  uint64_t seed;
  if (env && *env) {
    seed = strtoull(env, NULL, 10);
  } else {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec;
  }
  fprintf(stderr, "%s: CX_TEST_SEED=%llu\n", suite, (unsigned long long)seed);
  return seed;
}

uint64_t cx_test_iters(uint64_t dflt) {
  const char *env = getenv("CX_TEST_ITERS");
  if (env && *env) {
    uint64_t v = strtoull(env, NULL, 10);
    if (v > 0)
      return v;
  }
  return dflt;
}

/* Directories cx_test_mkdtemp made in this process, removed at exit. */
#define MAX_TMPDIRS 64
static char *g_tmpdirs[MAX_TMPDIRS];
static pid_t g_tmpdirs_pid;
static pthread_mutex_t g_tmpdirs_lock = PTHREAD_MUTEX_INITIALIZER;

static int rm_one(const char *p, const struct stat *st, int flag,
                  struct FTW *f) {
  (void)st;
  (void)f;
  return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void rmtree(const char *path) {
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_tmpdirs(void) {
  if (getpid() != g_tmpdirs_pid)
    return; /* a forked child exiting: the directories are its parent's */
  pthread_mutex_lock(&g_tmpdirs_lock);
  for (int i = 0; i < MAX_TMPDIRS; i++) {
    if (g_tmpdirs[i]) {
      rmtree(g_tmpdirs[i]);
      free(g_tmpdirs[i]);
      g_tmpdirs[i] = NULL;
    }
  }
  pthread_mutex_unlock(&g_tmpdirs_lock);
}

char *cx_test_mkdtemp(const char *tag) {
  const char *base = getenv("TMPDIR");
  if (base == NULL || base[0] == '\0')
    base = "/tmp";
  size_t need = strlen(base) + strlen(tag) + sizeof "/cx--XXXXXX";
  char *path = malloc(need);
  if (path == NULL)
    return NULL;
  snprintf(path, need, "%s/cx-%s-XXXXXX", base, tag);
  if (mkdtemp(path) == NULL) {
    free(path);
    return NULL;
  }
  char *copy = strdup(path);
  pthread_mutex_lock(&g_tmpdirs_lock);
  if (g_tmpdirs_pid != getpid()) {
    /* First directory of this process (or of a forked child, which
     * inherited its parent's list: not its to remove). */
    memset(g_tmpdirs, 0, sizeof g_tmpdirs);
    if (g_tmpdirs_pid == 0)
      atexit(remove_tmpdirs);
    g_tmpdirs_pid = getpid();
  }
  for (int i = 0; copy && i < MAX_TMPDIRS; i++) {
    if (!g_tmpdirs[i]) {
      g_tmpdirs[i] = copy;
      copy = NULL;
    }
  }
  pthread_mutex_unlock(&g_tmpdirs_lock);
  free(copy); /* list full: the caller removes it */
  return path;
}

void cx_test_rmtree(const char *path) {
  if (path == NULL)
    return;
  rmtree(path);
  pthread_mutex_lock(&g_tmpdirs_lock);
  for (int i = 0; getpid() == g_tmpdirs_pid && i < MAX_TMPDIRS; i++) {
    if (g_tmpdirs[i] && strcmp(g_tmpdirs[i], path) == 0) {
      free(g_tmpdirs[i]);
      g_tmpdirs[i] = NULL;
    }
  }
  pthread_mutex_unlock(&g_tmpdirs_lock);
}
