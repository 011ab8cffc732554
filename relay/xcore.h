/* xcore: messages between cores without locks.
 *
 * One single-producer single-consumer ring per ordered pair of workers
 * (rings[from][to]) carries relay_pkt pointers; the producer owns the
 * reference it pushes until the consumer pops it.  A worker sleeping in its
 * io_uring is woken by an IORING_OP_MSG_RING completion that the producer
 * posts on its own ring; wake_pending keeps that to one message per wake-up:
 *
 *   producer: push (release), then if exchange(wake_pending[to], 1) was 0,
 *             post MSG_RING to the consumer's ring
 *   consumer: on the wake completion store(wake_pending, 0), then drain
 *
 * Any push the consumer misses while the flag is still set is drained after
 * the store, because the store comes before the drain.
 * The same ring type carries control commands from the control thread to a
 * worker (woken by an eventfd instead: the control thread has no ring). */
#ifndef RELAY_XCORE_H
#define RELAY_XCORE_H

#include <stdatomic.h>
#include <stdbool.h>

struct xcore_ring {
	_Alignas(64) atomic_uint head;   /* next slot to pop: written by the consumer */
	_Alignas(64) atomic_uint tail;   /* next slot to push: written by the producer */
	_Alignas(64) unsigned mask;      /* capacity - 1 (capacity is a power of two) */
	void **slots;
};

int xcore_ring_init(struct xcore_ring *r, unsigned capacity);   /* 0 or -ENOMEM */
void xcore_ring_free(struct xcore_ring *r);
bool xcore_ring_push(struct xcore_ring *r, void *item);        /* false when full */
void *xcore_ring_pop(struct xcore_ring *r);                    /* NULL when empty */

struct io_uring;

struct xcore {
	unsigned n;                  /* workers */
	struct xcore_ring *rings;    /* n * n rings, rings[from * n + to]; the diagonal is unused */
	atomic_int *wake_pending;    /* per consumer: a wake-up is on its way */
	int *ring_fds;               /* per worker: its io_uring fd, the MSG_RING target */
};

int xcore_create(struct xcore *x, unsigned n, unsigned capacity);
void xcore_destroy(struct xcore *x);
static inline struct xcore_ring *xcore_ring_at(struct xcore *x, unsigned from, unsigned to)
{
	return &x->rings[from * x->n + to];
}
/* Posts (on the producer's ring `from`) a wake-up for worker `to` unless one
 * is pending.  0, or -EBUSY when the submission queue is full (the caller
 * submits and retries). */
int xcore_wake(struct xcore *x, struct io_uring *from, unsigned to, unsigned long long tag);
/* Consumer side of a wake-up: call before draining. */
void xcore_wake_clear(struct xcore *x, unsigned to);

#endif
