/* reap: see reap.h. */
#include "relay/reap.h"
#include "relay/record.h"
#include "relay/worker.h"
#include "common/log.h"

#include <stdlib.h>

/* Handles a send or journal completion at once; defers the others. */
static void reap_one(struct worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	switch (LOOP_UD_TAG(ud)) {
	case LOOP_SEND:
		if (cqe->res < 0) {
			w->c.send_errors++;
			log_limited(&w->lim_send, LOG_WARN, "send failed", "worker=%u err=%d", w->idx, cqe->res);
		}
		loop_send_done(&w->loop, (unsigned)LOOP_UD_ID(ud));
		return;
	case LOOP_SEND_GSO:
		if (cqe->res < 0) {
			w->c.send_errors++;
			log_limited(&w->lim_send, LOG_WARN, "GSO send failed", "worker=%u err=%d", w->idx, cqe->res);
		}
		loop_gso_done(&w->loop, (unsigned)LOOP_UD_ID(ud));
		return;
	case LOOP_JOURNAL:
		record_on_completion(w, cqe);
		return;
	}
	if (w->ndeferred == w->deferred_cap) {
		unsigned cap = w->deferred_cap ? w->deferred_cap * 2 : 1024;
		struct worker_cqe *nd = realloc(w->deferred, cap * sizeof *nd);
		if (!nd)
			fatal("out of memory for completions", "worker=%u", w->idx);
		w->deferred = nd;
		w->deferred_cap = cap;
	}
	w->deferred[w->ndeferred++] = (struct worker_cqe){ ud, cqe->res, cqe->flags };
}

void reap_ring(struct worker *w)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	io_uring_for_each_cqe(&w->loop.ring, head, cqe) {
		reap_one(w, cqe);
		n++;
	}
	io_uring_cq_advance(&w->loop.ring, n);
}

void reap_reclaim(struct worker *w)
{
	io_uring_submit(&w->loop.ring);
	reap_ring(w);
}
