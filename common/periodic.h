/* periodic: a thread that runs one callback every interval, can be woken for
 * a run at once, and stops promptly.  The shape of every background chore in
 * amphi: control's stream ticker (http.c), retention sweep (sweep.c) and
 * WebRTC session sweeper (whip.c), the store's reaper (recstore/reaper.c).
 *
 * The interval counts from the end of one run to the start of the next, on
 * CLOCK_MONOTONIC (amphi_mono_ns's clock): a wall clock step neither delays
 * nor hurries a run.  Runs never overlap: the callback is called on the
 * periodic's own thread only.  The thread blocks every signal, so a daemon's
 * sigwait in main gets them all.
 *
 * Ownership: periodic_start hands back the handle; periodic_stop frees it.
 * The callback's argument is borrowed and must outlive periodic_stop. */
#ifndef AMPHI_PERIODIC_H
#define AMPHI_PERIODIC_H

#include <stdint.h>

struct periodic;

/* Called on the periodic's thread, with no lock of the periodic's held (so
 * it may call periodic_wake). */
typedef void periodic_fn(void *arg);

/* Starts the thread; the first run comes one interval later (periodic_wake
 * right after start makes it at once).  interval_ns > 0.  0 or -errno
 * (-EINVAL, -ENOMEM, pthread_create's -EAGAIN). */
int periodic_start(int64_t interval_ns, periodic_fn *fn, void *arg, struct periodic **out);

/* Asks for a run as soon as the thread is free: at once if it is waiting,
 * right after the current run otherwise.  Wakes before that run coalesce
 * into it.  Any thread, any time before periodic_stop. */
void periodic_wake(struct periodic *p);

/* Stops and joins the thread: a run in progress finishes, no run starts
 * after.  Frees p (NULL is a no-op).  Not from the callback. */
void periodic_stop(struct periodic *p);

#endif
