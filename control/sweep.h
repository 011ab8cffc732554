/* sweep: amphi-control's periodic retention sweep (DESIGN.md §9).
 *
 * The end of a webinar applies the end-of-session deletions at once
 * (webinars_purge inside the end's transaction), but a retention period other
 * than 0 comes due later, with no request to trigger it.  One thread wakes
 * every `interval` seconds and runs webinars_purge on a pooled connection, so
 * such data goes at most one interval after its deadline (60 s by default,
 * `retention_sweep` in etc/control.conf).
 *
 * Ownership: main.c starts it after the database is open and stops it before
 * closing the database; sweep_stop joins the thread (a sweep in progress
 * finishes first: it is one short transaction per webinar). */
#ifndef AMPHI_CONTROL_SWEEP_H
#define AMPHI_CONTROL_SWEEP_H

#include <stdint.h>

struct control;
struct sweep;

/* NULL on failure (errno set). */
struct sweep *sweep_start(struct control *app, int64_t interval_s);
void sweep_stop(struct sweep *s);

#endif
