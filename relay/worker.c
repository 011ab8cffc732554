/* worker: see worker.h. */
#include "relay/worker.h"
#include "relay/command.h"
#include "relay/dtls.h"
#include "relay/fanout.h"
#include "relay/feedback.h"
#include "relay/ingress.h"
#include "relay/pkt.h"
#include "relay/reap.h"
#include "relay/record.h"
#include "common/clock.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* 4096 SQEs: one incoming video packet to 1000 viewers on two workers is
 * ~500 sends per worker per packet; a turn submits whenever the SQ fills. */
#define WORKER_SQ_ENTRIES 4096
#define WORKER_TICK_NS    100000000LL   /* housekeeping period: 100 ms */

int worker_cmd_run(struct worker *w, struct worker_cmd *cmd)
{
	uint64_t one = 1;
	cmd->result = 0;
	sem_init(&cmd->done, 0, 0);
	/* The control thread is the only producer; the queue holds far more
	 * than the one command it has in flight at a time. */
	while (!xcore_ring_push(&w->cmdq, cmd))
		usleep(1000);
	if (write(w->evfd, &one, sizeof one) < 0)
		log_msg(LOG_ERROR, "eventfd write failed", "worker=%u errno=%d", w->idx, errno);
	while (sem_wait(&cmd->done) < 0 && errno == EINTR)
		;
	sem_destroy(&cmd->done);
	return cmd->result;
}

static void cmd_exec(struct worker *w, struct worker_cmd *cmd)
{
	cmd->result = cmd->exec(w, cmd);
	sem_post(&cmd->done);
}

static void arm_eventfd(struct worker *w)
{
	struct io_uring_sqe *sqe = loop_sqe(&w->loop);
	if (!sqe) {
		log_msg(LOG_ERROR, "no SQE for the command doorbell", "worker=%u", w->idx);
		return;
	}
	io_uring_prep_read(sqe, w->evfd, &w->evfd_buf, sizeof w->evfd_buf, 0);
	io_uring_sqe_set_data64(sqe, LOOP_UD(LOOP_EVENTFD, 0));
}

static void on_recv(struct worker *w, const struct io_uring_cqe *cqe)
{
	const struct sockaddr *src;
	socklen_t srclen;
	uint8_t *payload;
	unsigned len;
	int bid, rc;

	rc = loop_recv_parse(&w->loop, cqe, &bid, &w->rx_ns, &src, &srclen, &payload, &len);
	if (rc == 0) {
		ingress_datagram(w, src, payload, len);
	} else if (rc == -EMSGSIZE) {
		w->c.pkts_in++;
		w->c.malformed++;
		log_limited(&w->lim_malformed, LOG_WARN, "oversized datagram", "worker=%u", w->idx);
	} else if (rc != -ENOBUFS) {
		log_limited(&w->lim_malformed, LOG_WARN, "receive failed", "worker=%u err=%d", w->idx, rc);
	}
	loop_recv_release(&w->loop, bid);
	if (!(cqe->flags & IORING_CQE_F_MORE) && !atomic_load(&w->relay->stop))
		loop_recv_arm(&w->loop);
}

static void dispatch(struct worker *w, const struct worker_cqe *d)
{
	struct io_uring_cqe cqe = { .user_data = d->ud, .res = d->res, .flags = d->flags };
	struct worker_cmd *cmd;

	switch (LOOP_UD_TAG(d->ud)) {
	case LOOP_RECV:
		on_recv(w, &cqe);
		break;
	case LOOP_EVENTFD:
		while ((cmd = xcore_ring_pop(&w->cmdq)))
			cmd_exec(w, cmd);
		if (!atomic_load(&w->relay->stop))
			arm_eventfd(w);
		break;
	case LOOP_WAKE:
		xcore_wake_clear(&w->relay->xcore, w->idx);
		ingress_drain(w);
		break;
	default:
		break;
	}
}

static void run(struct worker *w)
{
	struct relay *r = w->relay;

	loop_recv_arm(&w->loop);
	arm_eventfd(w);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		int64_t wait = WORKER_TICK_NS;
		if (w->cc_due_ns) {
			/* Held-back congestion feedback: wake for it (1 ms at least). */
			int64_t left = w->cc_due_ns - amphi_mono_ns();
			wait = left < 1000000 ? 1000000 : left < wait ? left : wait;
		}
		int rc = loop_wait(&w->loop, wait);
		if (rc < 0 && rc != -EBUSY) {
			log_msg(LOG_ERROR, "io_uring wait failed", "worker=%u err=%d", w->idx, rc);
			usleep(10000);
		}
		reap_ring(w);
		/* The array may grow while it is walked (reap_reclaim). */
		for (unsigned i = 0; i < w->ndeferred; i++) {
			struct worker_cqe d = w->deferred[i];
			dispatch(w, &d);
		}
		w->ndeferred = 0;
		ingress_drain(w);
		fanout_flush(w);
		if (w->cc_due_ns && amphi_mono_ns() >= w->cc_due_ns)
			feedback_cc_due(w, amphi_mono_ns());
		if (amphi_mono_ns() >= w->next_tick_ns) {
			int64_t now = amphi_mono_ns();
			record_tick(w, now);
			webrtc_tick(w, now);
			feedback_tick(w, now);
			w->next_tick_ns = now + WORKER_TICK_NS;
		}
	}
	webrtc_worker_close(w);
	/* Stopping: every journal is closed and renamed into spool/ready/. */
	for (unsigned i = 0; i < w->nowned; i++) {
		struct stream *s = w->streams[w->owned[i]];
		record_close(w, s->rec);
		s->rec = NULL;
	}
	record_shutdown(w);
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	if (w->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
			log_msg(LOG_WARN, "cannot pin worker", "worker=%u cpu=%d", w->idx, w->cpu);
	}
	pthread_barrier_wait(&w->relay->started);
	run(w);
	return NULL;
}

void worker_destroy(struct worker *w)
{
	if (!w)
		return;
	webrtc_worker_free(w);   /* before the vgroups its viewers live in */
	for (unsigned slot = 0; slot < w->relay->opts.max_streams && w->streams; slot++) {
		stream_destroy(w->streams[slot]);
		vgroup_destroy(w->vgroups[slot]);
	}
	loop_destroy(&w->loop);
	vindex_free(&w->vidx);
	if (w->sock >= 0)
		close(w->sock);
	if (w->evfd >= 0)
		close(w->evfd);
	xcore_ring_free(&w->cmdq);
	free(w->streams);
	free(w->vgroups);
	free(w->past);
	free(w->owned);
	free(w->vslots);
	free(w->dirty);
	free(w->deferred);
	free(w);
}

static int nth_cpu(unsigned n)
{
	cpu_set_t set;
	unsigned seen = 0;
	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && seen++ == n)
			return c;
	return -1;
}

int worker_create(struct relay *r, unsigned idx, struct worker **out)
{
	struct worker *w = calloc(1, sizeof *w);
	struct sockaddr_in6 a;
	int one = 1, rc, bufsz = 4 << 20;

	if (!w)
		return -ENOMEM;
	w->relay = r;
	w->idx = idx;
	w->sock = w->evfd = -1;
	w->port = r->opts.port_base + idx;
	w->cpu = r->opts.pin ? nth_cpu(idx % (unsigned)sysconf(_SC_NPROCESSORS_ONLN)) : -1;
	w->streams = calloc(r->opts.max_streams, sizeof *w->streams);
	w->vgroups = calloc(r->opts.max_streams, sizeof *w->vgroups);
	w->past = calloc(r->opts.max_streams, sizeof *w->past);
	w->owned = calloc(r->opts.max_streams, sizeof *w->owned);
	w->vslots = calloc(r->opts.max_streams, sizeof *w->vslots);
	w->dirty = calloc(r->opts.max_streams, sizeof *w->dirty);
	if (!w->streams || !w->vgroups || !w->past || !w->owned || !w->vslots || !w->dirty || xcore_ring_init(&w->cmdq, 64) < 0 ||
	    vindex_init(&w->vidx) < 0 || webrtc_worker_init(w) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	w->lim_malformed = (struct log_limit)LOG_LIMIT_INIT(10);
	w->lim_unknown = (struct log_limit)LOG_LIMIT_INIT(10);
	w->lim_srtp = (struct log_limit)LOG_LIMIT_INIT(10);
	w->lim_send = (struct log_limit)LOG_LIMIT_INIT(10);
	w->lim_drop = (struct log_limit)LOG_LIMIT_INIT(10);
	w->lim_unsupported = (struct log_limit)LOG_LIMIT_INIT(60);

	w->sock = socket(r->bind_addr.sin6_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	w->evfd = eventfd(0, EFD_CLOEXEC);
	if (w->sock < 0 || w->evfd < 0) {
		rc = -errno;
		goto fail;
	}
	setsockopt(w->sock, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
	setsockopt(w->sock, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz);
	setsockopt(w->sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* Arrival times for transport-wide feedback, taken before the worker's
	 * own scheduling delays (ingress.c). */
	setsockopt(w->sock, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
	a = r->bind_addr;
	if (a.sin6_family == AF_INET)
		((struct sockaddr_in *)&a)->sin_port = htons((uint16_t)w->port);
	else
		a.sin6_port = htons((uint16_t)w->port);
	if (bind(w->sock, (struct sockaddr *)&a, r->bind_len) < 0) {
		rc = -errno;
		log_msg(LOG_ERROR, "cannot bind the worker's UDP port", "worker=%u port=%u errno=%d",
		        idx, w->port, errno);
		goto fail;
	}
	rc = loop_init(&w->loop, w->sock, r->opts.recv_buffers, r->opts.send_slots, WORKER_SQ_ENTRIES);
	if (rc < 0) {
		log_msg(LOG_ERROR, "cannot set up io_uring", "worker=%u err=%d", idx, rc);
		goto fail;
	}
	*out = w;
	return 0;
fail:
	worker_destroy(w);
	return rc;
}

