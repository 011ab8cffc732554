/* start: see start.h. */
#include "relay/start.h"
#include "relay/dtls.h"
#include "relay/gone.h"
#include "relay/pkt.h"
#include "relay/worker.h"
#include "common/addr.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int relay_start(struct relay *r)
{
	char host[80];
	int rc;

	snprintf(host, sizeof host, strchr(r->opts.bind, ':') ? "[%s]:1" : "%s:1", r->opts.bind);
	if (addr_parse(host, 0, &r->bind_addr, &r->bind_len) < 0) {
		log_msg(LOG_ERROR, "bad bind address", "bind=%s", r->opts.bind);
		return -EINVAL;
	}
	r->nworkers = r->opts.workers;
	atomic_init(&r->stop, false);
	pthread_mutex_init(&r->gone_lock, NULL);
	r->gone = calloc(RELAY_GONE_MAX, sizeof *r->gone);
	r->dtls = dtls_ctx_create(&(struct dtls_opts){ .handshake_timeout_ms = r->opts.handshake_timeout_ms });
	if (!r->dtls) {
		log_msg(LOG_ERROR, "cannot make the DTLS certificate", NULL);
		return -EIO;
	}
	r->workers = calloc(r->nworkers, sizeof *r->workers);
	if (!r->gone || !r->workers || xcore_create(&r->xcore, r->nworkers, r->opts.xcore_ring) < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < r->nworkers; i++) {
		rc = worker_create(r, i, &r->workers[i]);
		if (rc < 0) {
			for (unsigned j = 0; j < i; j++)
				worker_destroy(r->workers[j]);
			free(r->workers);
			r->workers = NULL;
			xcore_destroy(&r->xcore);
			return rc;
		}
		r->xcore.ring_fds[i] = r->workers[i]->loop.ring.ring_fd;
	}
	pthread_barrier_init(&r->started, NULL, r->nworkers + 1);
	for (unsigned i = 0; i < r->nworkers; i++)
		if (pthread_create(&r->workers[i]->thread, NULL, worker_main, r->workers[i]) != 0)
			fatal("cannot start a worker thread", "worker=%u", i);
	pthread_barrier_wait(&r->started);
	for (unsigned i = 0; i < r->nworkers; i++)
		log_msg(LOG_INFO, "worker started", "worker=%u port=%u cpu=%d", i, r->workers[i]->port,
		        r->workers[i]->cpu);
	return 0;
}

void relay_stop(struct relay *r)
{
	uint64_t one = 1;
	if (!r->workers)
		return;
	atomic_store(&r->stop, true);
	for (unsigned i = 0; i < r->nworkers; i++)
		if (write(r->workers[i]->evfd, &one, sizeof one) < 0)
			log_msg(LOG_WARN, "eventfd write failed", "worker=%u", i);
	for (unsigned i = 0; i < r->nworkers; i++)
		pthread_join(r->workers[i]->thread, NULL);
	/* Packets still queued between workers hold references: free them. */
	for (unsigned from = 0; from < r->nworkers; from++)
		for (unsigned to = 0; to < r->nworkers; to++) {
			struct relay_pkt *pkt;
			if (from == to)
				continue;
			while ((pkt = xcore_ring_pop(xcore_ring_at(&r->xcore, from, to))))
				relay_pkt_unref(pkt);
		}
	for (unsigned i = 0; i < r->nworkers; i++)
		worker_destroy(r->workers[i]);
	free(r->workers);
	r->workers = NULL;
	xcore_destroy(&r->xcore);
	pthread_barrier_destroy(&r->started);
	dtls_ctx_destroy(r->dtls);
	r->dtls = NULL;
	free(r->gone);
	r->gone = NULL;
}
