/* reap: a worker's completions taken off its io_uring.
 *
 * Sends (plain and GSO) and journal writes are handled as soon as they are
 * reaped, so a worker short of send slots can get them back in the middle of
 * a turn; receives, wake-ups and commands are kept in the worker's deferred
 * array (worker.h) for its run loop to dispatch after the reap.  Worker
 * thread only. */
#ifndef RELAY_REAP_H
#define RELAY_REAP_H

struct worker;

/* Every completion ready now: sends and journal writes handled, the rest
 * appended to w->deferred (which may grow: a walk over it must reread its
 * length). */
void reap_ring(struct worker *w);
/* Out of send slots mid-turn: submits what is queued, then reap_ring(). */
void reap_reclaim(struct worker *w);

#endif
