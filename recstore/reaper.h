/* reaper: deletes what the retention policy says must go (DESIGN.md §6, §9).
 *
 * A thread of its own wakes every interval and
 *   1. finishes deletions a crash interrupted (tombstones whose blob or
 *      entry is still there: rec_store_finish),
 *   2. walks the expiry index up to now and deletes each expired recording
 *      that is not under legal hold (tombstone first, then the blob, then the
 *      entry; the tombstone step re-checks the time inside its transaction).
 * Expired recordings are already invisible before this runs; the reaper only
 * reclaims them, within one interval.
 *
 * Clock guard: each tick compares how far the wall clock (amphi_now_ns) moved
 * with how far the monotonic clock moved.  A difference above max_clock_jump
 * (either way) pauses the reaper with an error log line, repeated every
 * minute, until rec_reaper_resume (control command "reaper-resume"): nothing
 * is deleted on a clock nobody has checked. */
#ifndef AMPHI_RECSTORE_REAPER_H
#define AMPHI_RECSTORE_REAPER_H

#include <stdbool.h>
#include <stdint.h>

#include "recstore/store.h"

struct rec_reaper_opts {
	int64_t interval_ms;       /* between passes; expired blobs go within this (default 1000) */
	int64_t max_clock_jump_s;  /* wall vs monotonic drift that pauses the reaper (default 30) */
	unsigned batch;            /* deletions per pass at most (default 256) */
};

struct rec_reaper;

/* Starts the thread and makes it the store's waker (rec_store_set_waker): a
 * change through the store that may make a recording deletable at once (a
 * hold lifted, an expiry moved, publish) runs a pass without waiting for the
 * interval.  st must outlive the reaper. */
int rec_reaper_start(struct rec_store *st, const struct rec_reaper_opts *opts, struct rec_reaper **out);
/* Clears the store's waker, stops and joins the thread, frees r. */
void rec_reaper_stop(struct rec_reaper *r);

/* One pass now, on the caller's thread (also what the thread runs).  Returns
 * the number of recordings deleted, or -errno.  Ignores the pause. */
int rec_reaper_pass(struct rec_store *st, unsigned batch);

bool rec_reaper_paused(struct rec_reaper *r);
/* Clears a clock-jump pause and takes the clocks as they are now. */
void rec_reaper_resume(struct rec_reaper *r);

#endif
