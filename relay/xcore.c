/* xcore: see xcore.h. */
#include "relay/xcore.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

int xcore_ring_init(struct xcore_ring *r, unsigned capacity)
{
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->mask = capacity - 1;
	r->slots = calloc(capacity, sizeof *r->slots);
	return r->slots ? 0 : -ENOMEM;
}

void xcore_ring_free(struct xcore_ring *r)
{
	free(r->slots);
	r->slots = NULL;
}

bool xcore_ring_push(struct xcore_ring *r, void *item)
{
	unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);
	if (tail - head > r->mask)
		return false;
	r->slots[tail & r->mask] = item;
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

void *xcore_ring_pop(struct xcore_ring *r)
{
	unsigned head = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	void *item;
	if (head == tail)
		return NULL;
	item = r->slots[head & r->mask];
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return item;
}

int xcore_create(struct xcore *x, unsigned n, unsigned capacity)
{
	x->n = n;
	x->rings = calloc((size_t)n * n, sizeof *x->rings);
	x->wake_pending = calloc(n, sizeof *x->wake_pending);
	x->ring_fds = calloc(n, sizeof *x->ring_fds);
	if (!x->rings || !x->wake_pending || !x->ring_fds)
		goto fail;
	for (unsigned i = 0; i < n * n; i++)
		if (i / n != i % n && xcore_ring_init(&x->rings[i], capacity) < 0)
			goto fail;
	for (unsigned i = 0; i < n; i++) {
		atomic_init(&x->wake_pending[i], 0);
		x->ring_fds[i] = -1;
	}
	return 0;
fail:
	xcore_destroy(x);
	return -ENOMEM;
}

void xcore_destroy(struct xcore *x)
{
	if (x->rings)
		for (unsigned i = 0; i < x->n * x->n; i++)
			xcore_ring_free(&x->rings[i]);
	free(x->rings);
	free(x->wake_pending);
	free(x->ring_fds);
	x->rings = NULL;
	x->wake_pending = NULL;
	x->ring_fds = NULL;
}

int xcore_wake(struct xcore *x, struct io_uring *from, unsigned to, unsigned long long tag)
{
	struct io_uring_sqe *sqe;
	/* Orders the caller's pushes before the flag load (store-load: Dekker). */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&x->wake_pending[to], memory_order_relaxed))
		return 0;
	sqe = io_uring_get_sqe(from);
	if (!sqe)
		return -EBUSY;
	if (atomic_exchange(&x->wake_pending[to], 1)) {
		/* Raced with another producer that already posted one. */
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
		return 0;
	}
	io_uring_prep_msg_ring(sqe, x->ring_fds[to], 0, tag, 0);
	io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
	return 0;
}

void xcore_wake_clear(struct xcore *x, unsigned to)
{
	atomic_store(&x->wake_pending[to], 0);
}
