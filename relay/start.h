/* start: brings amphi-relay's workers up and down (the main thread's part of
 * relay.h).
 *
 * relay_start() binds every worker's socket, makes its io_uring and the
 * xcore rings, starts the threads and returns once all are running;
 * relay_stop() stops and joins them and frees everything they owned,
 * packets still queued between workers included.  Main thread only, once
 * each, the control thread stopped before relay_stop(). */
#ifndef RELAY_START_H
#define RELAY_START_H

struct relay;

/* Creates and starts every worker; 0 or -errno with a logged reason. */
int relay_start(struct relay *r);
/* Asks every worker to stop, joins them, frees them (closing journals). */
void relay_stop(struct relay *r);

#endif
