/* relay: the process-wide state of amphi-relay and who owns which part.
 *
 *   main thread     parses options, starts the workers (start.h) and the
 *                   control thread, waits for SIGTERM/SIGINT, then stops them
 *   workers         one per core (worker.h): own their socket, io_uring,
 *                   the streams they own and the viewers placed on them
 *   control thread  (ctl.h) owns the registry of streams and viewers and
 *                   talks to workers only through their command queues
 *
 * After relay_start() returns, everything in struct relay is read-only except
 * `stop` and the xcore rings. */
#ifndef RELAY_RELAY_H
#define RELAY_RELAY_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "relay/opts.h"
#include "relay/xcore.h"

struct worker;
struct dtls_ctx;

/* A WebRTC peer a worker removed on its own (consent expired, DTLS failed
 * or closed), reported to the control thread (gone.h) so its registry
 * follows. */
struct relay_gone {
	unsigned slot;
	uint32_t gen;
	unsigned worker;
	unsigned role;                   /* enum webrtc_role */
	char id[64];
};
#define RELAY_GONE_MAX 4096

struct relay {
	struct relay_opts opts;
	unsigned nworkers;
	struct worker **workers;
	struct xcore xcore;
	struct sockaddr_in6 bind_addr;   /* IPv4 or IPv6, port 0 */
	socklen_t bind_len;
	atomic_bool stop;
	pthread_barrier_t started;       /* workers and the starter meet once all sockets are bound */
	struct dtls_ctx *dtls;           /* the process's certificate, shared read-only by the workers */
	/* Peers the workers removed on their own, for the control thread (gone.h). */
	pthread_mutex_t gone_lock;
	struct relay_gone *gone;         /* [RELAY_GONE_MAX] */
	unsigned ngone;
	uint64_t gone_lost;
};

#endif
