/* relay: the process-wide state of amphi-relay and who owns which part.
 *
 *   main thread     parses options, starts the workers and the control
 *                   thread, waits for SIGTERM/SIGINT, then stops them
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
 * or closed), reported to the control thread so its registry follows. */
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
	/* Workers push, the control thread takes; a mutex because it is rare
	 * (never per packet).  Beyond RELAY_GONE_MAX pending reports the oldest
	 * stay and the new are counted lost: webrtc.remove still answers right. */
	pthread_mutex_t gone_lock;
	struct relay_gone *gone;         /* [RELAY_GONE_MAX] */
	unsigned ngone;
	uint64_t gone_lost;
};

/* Creates and starts every worker; 0 or -errno with a logged reason. */
int relay_start(struct relay *r);
/* Asks every worker to stop, joins them, frees them (closing journals). */
void relay_stop(struct relay *r);

/* Worker side: report a peer gone.  Control side: take up to cap reports. */
void relay_gone_push(struct relay *r, const struct relay_gone *g);
unsigned relay_gone_take(struct relay *r, struct relay_gone *out, unsigned cap);

/* A socket address as "1.2.3.4:5" or "[::1]:5" (what addr_parse reads, common/addr.h),
 * into buf (at least 64 bytes). */
const char *relay_addr_format(const struct sockaddr *sa, char *buf, size_t len);
bool relay_addr_equal(const struct sockaddr *a, const struct sockaddr *b);

#endif
