/* The replay progress watcher: while cx_engine_execute_blocks() runs (one
 * call covers up to 32 blocks, so the main thread cannot redraw between
 * them), a thread reads the engine's metrics four times a second
 * (cx_engine_metrics() is safe from another thread while blocks run) and
 * moves the bar to the committed height and the signatures verified so
 * far, so the bar moves every block and, within a long block, as its
 * signatures are checked. Nothing starts when the bar is off. */
#ifndef CX_REPLAY_WATCH_H
#define CX_REPLAY_WATCH_H

#include "cli.h"

typedef struct cx_replay_watch cx_replay_watch;

/* Starts watching e for bar (NULL when the bar is off or the thread cannot
 * start: the bar then moves between calls only). `height0` and `sigs0`:
 * the committed height and the signatures the bar counts as done now. */
cx_replay_watch *cx_replay_watch_start(cx_engine *e, cx_progress *bar,
                                       uint64_t height0, uint64_t sigs0);

/* Stops and joins the thread; NULL is a no-op. */
void cx_replay_watch_stop(cx_replay_watch *w);

#endif /* CX_REPLAY_WATCH_H */
