/* sweep: amphi-control's retention sweep (DESIGN.md §9, docs/privacy.md).
 *
 * One thread wakes every `interval` seconds (`retention_sweep` in
 * etc/control.conf, 60 s by default) and, on a pooled connection:
 *   - ends the webinars nobody ended ([webinar_unended]): one still
 *     scheduled `retention` after its start time (or its last change, when
 *     later: one created with a past start time is not ended at once); one
 *     live with no media
 *     packet reaching the relay for `live_idle` (the relay's `stats`, read
 *     once a run: pkts_in of its stream standing still; a relay that does not
 *     answer counts as no media) — so their end-of-webinar deletions happen;
 *   - applies the end-of-webinar deletions with a non-zero period
 *     (webinars_purge);
 *   - applies every other rule of the policy (expiry.h).
 * So data goes at most one interval after its deadline.  sweep_start runs
 * one sweep before it returns: what came due while the daemon was down goes
 * before the first request.
 *
 * What "now" is.  Deadlines are computed from the times stored with the
 * data (wall clock, shifted by AMPHI_TIME_OFFSET) and compared with the wall
 * clock read at start, advanced by CLOCK_BOOTTIME since (it counts a
 * suspended machine's sleep and never jumps).  While the wall clock agrees
 * with that within 2 s it is followed (slow corrections are taken in);
 * when it jumps either way the sweep logs it once and uses the earlier of the
 * two: no jump can make data due before its time by the policy, and after a
 * jump deletions may come late by the jump, until the next start (which
 * takes the wall clock again).  Live-idle times are BOOTTIME only; a restart
 * starts them afresh (an idle webinar is then ended live_idle after the
 * start, never sooner).
 *
 * Ownership: main.c starts it once the database and the live-webinar state
 * exist, before the HTTP server, and stops it after the server; sweep_stop
 * joins the thread (a run in progress finishes first: short transactions). */
#ifndef AMPHI_CONTROL_SWEEP_H
#define AMPHI_CONTROL_SWEEP_H

#include <stdint.h>

struct control;
struct sweep;

/* NULL on failure (errno set). */
struct sweep *sweep_start(struct control *app, int64_t interval_s);
void sweep_stop(struct sweep *s);

#endif
