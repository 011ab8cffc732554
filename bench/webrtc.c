/* webrtc: see webrtc.h. */
#include "bench/webrtc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "bench/ice_client.h"
#include "bench/keys.h"
#include "common/stun.h"

#define STUN_RTO_NS 200000000   /* a lost check is resent after 200 ms (loopback RTT is µs) */
#define DTLS_RTO_MS 400         /* the first DTLS retransmission; the relay may defer a ClientHello */

/* Per-peer progress, private to one webrtc_connect() call. */
struct hs {
	struct dtls_client *dtls;
	uint8_t txid[ICE_CLIENT_TXID_LEN];
	uint64_t tiebreaker;
	char username[80];
	int64_t start_ns, deadline_ns, stun_next_ns;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void webrtc_ice_chars(char *out, size_t len)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t r[128];

	if (len > sizeof r)
		len = sizeof r;
	RAND_bytes(r, (int)len);
	for (size_t i = 0; i < len; i++)
		out[i] = set[r[i] & 63];
	out[len] = 0;
}

static void stun_send(struct webrtc_peer *p, struct hs *h, int fd, int64_t now, struct webrtc_result *r)
{
	uint8_t req[ICE_CLIENT_REQUEST_MAX];
	int len = stun_binding_request_build(req, sizeof req, h->txid, h->username, p->relay_pwd,
	                                     ice_client_priority(65535), h->tiebreaker, true);

	if (len > 0)
		(void)send(fd, req, (size_t)len, MSG_DONTWAIT);
	r->stun_sent++;
	h->stun_next_ns = now + STUN_RTO_NS;
}

static void peer_fail(struct webrtc_peer *p, struct hs *h, int err)
{
	p->state = WEBRTC_FAILED;
	p->error = err;
	dtls_client_destroy(h->dtls);
	h->dtls = NULL;
}

static void peer_start(struct webrtc_peer *p, struct hs *h, int fd, int64_t now,
                       const struct webrtc_opts *o, struct webrtc_result *r)
{
	if (!p->relay_ufrag[0]) {           /* never registered (a refused WHEP POST) */
		p->state = WEBRTC_FAILED;
		p->error = -ENOTCONN;
		return;
	}
	p->state = WEBRTC_STUN;
	h->start_ns = now;
	h->deadline_ns = now + (int64_t)o->timeout_ms * 1000000;
	RAND_bytes(h->txid, sizeof h->txid);
	RAND_bytes((uint8_t *)&h->tiebreaker, sizeof h->tiebreaker);
	snprintf(h->username, sizeof h->username, "%s:%s", p->relay_ufrag, p->own_ufrag);
	stun_send(p, h, fd, now, r);
}

/* The handshake of viewer i completed: its keys go to the receiver. */
static void peer_connected(struct viewers *vs, unsigned i, struct webrtc_peer *p, struct hs *h,
                           int64_t now, const struct webrtc_opts *o, struct webrtc_result *r)
{
	uint8_t server[30], client[30];
	int gcm = -1;

	dtls_client_keys(h->dtls, &gcm, server, client);
	if (gcm != o->gcm)
		r->wrong_profile++;
	if (viewers_set_key(vs, i, gcm, server) < 0 ||
	    viewers_set_consent(vs, i, h->username, p->relay_pwd, o->consent_ms) < 0) {
		peer_fail(p, h, -EINVAL);
	} else {
		p->state = WEBRTC_CONNECTED;
		p->handshake_us = (uint32_t)((now - h->start_ns) / 1000);
		dtls_client_destroy(h->dtls);   /* no data channel: DTLS has nothing more to do */
		h->dtls = NULL;
	}
	OPENSSL_cleanse(server, sizeof server);
	OPENSSL_cleanse(client, sizeof client);
}

/* One datagram for viewer i during the handshake. */
static void peer_input(struct viewers *vs, unsigned i, struct webrtc_peer *p, struct hs *h,
                       struct dtls_client_ctx *ctx, const uint8_t *buf, size_t len, int64_t now,
                       const struct webrtc_opts *o, struct webrtc_result *r)
{
	if (len && buf[0] < 4 && p->state == WEBRTC_STUN) {
		struct ice_client_answer a;
		int rc = ice_client_answer_check(buf, len, h->txid, p->relay_pwd, &a);

		if (rc < 0)
			return;                 /* not the answer to this check */
		if (a.error_code) {
			r->stun_errors++;
			peer_fail(p, h, a.error_code);
			return;
		}
		p->state = WEBRTC_DTLS;
		h->dtls = dtls_client_create(ctx, p->fingerprint, viewers_fd(vs, i), DTLS_RTO_MS);
		if (!h->dtls || dtls_client_start(h->dtls, now) < 0)
			peer_fail(p, h, -EPROTO);
	} else if (len && buf[0] >= 20 && buf[0] <= 63 && p->state == WEBRTC_DTLS) {
		int rc = dtls_client_input(h->dtls, buf, len, now);

		if (rc == 1)
			peer_connected(vs, i, p, h, now, o, r);
		else if (rc < 0)
			peer_fail(p, h, rc);
	}
	/* anything else (a late STUN answer, early media) waits for the receiver */
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int webrtc_connect(struct viewers *vs, struct dtls_client_ctx *ctx, struct webrtc_peer *peers,
                   unsigned n, const struct webrtc_opts *oin, struct webrtc_result *r)
{
	struct webrtc_opts o = *oin;
	struct hs *hs = calloc(n ? n : 1, sizeof *hs);
	uint32_t *times = calloc(n ? n : 1, sizeof *times);
	uint8_t buf[2048];
	unsigned next = 0, active = 0, finished = 0;
	int64_t t0 = now_ns();
	int ep = epoll_create1(EPOLL_CLOEXEC), rc = 0;

	memset(r, 0, sizeof *r);
	if (!o.window)
		o.window = 16;
	if (!o.timeout_ms)
		o.timeout_ms = 10000;
	if (!o.consent_ms)
		o.consent_ms = 5000;
	if (!hs || !times || ep < 0) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		peers[i].state = WEBRTC_IDLE;
		peers[i].error = 0;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, viewers_fd(vs, i), &ev) < 0) {
			rc = -errno;
			goto out;
		}
	}
	while (finished < n) {
		struct epoll_event evs[64];
		int64_t now = now_ns(), wake = now + 20000000;
		int ne;

		while (active < o.window && next < n) {
			peer_start(&peers[next], &hs[next], viewers_fd(vs, next), now, &o, r);
			next++;
			active++;
		}
		/* timers: STUN retransmission, DTLS retransmission, the peer's limit */
		for (unsigned i = 0; i < next; i++) {
			struct webrtc_peer *p = &peers[i];
			struct hs *h = &hs[i];

			if (p->state != WEBRTC_STUN && p->state != WEBRTC_DTLS)
				continue;
			if (now >= h->deadline_ns) {
				peer_fail(p, h, -ETIMEDOUT);
				continue;
			}
			if (p->state == WEBRTC_STUN && now >= h->stun_next_ns)
				stun_send(p, h, viewers_fd(vs, i), now, r);
			if (p->state == WEBRTC_DTLS)
				dtls_client_tick(h->dtls, now);
			if (p->state == WEBRTC_STUN && h->stun_next_ns < wake)
				wake = h->stun_next_ns;
			if (p->state == WEBRTC_DTLS && dtls_client_deadline(h->dtls) > 0 &&
			    dtls_client_deadline(h->dtls) < wake)
				wake = dtls_client_deadline(h->dtls);
		}
		ne = epoll_wait(ep, evs, 64, wake > now ? (int)((wake - now) / 1000000) + 1 : 0);
		now = now_ns();
		for (int e = 0; e < ne; e++) {
			unsigned i = evs[e].data.u32;
			ssize_t got;

			while ((got = recv(viewers_fd(vs, i), buf, sizeof buf, MSG_DONTWAIT)) >= 0)
				if (peers[i].state == WEBRTC_STUN || peers[i].state == WEBRTC_DTLS)
					peer_input(vs, i, &peers[i], &hs[i], ctx, buf, (size_t)got, now, &o, r);
		}
		/* count who finished this turn */
		active = 0;
		finished = 0;
		for (unsigned i = 0; i < next; i++) {
			if (peers[i].state == WEBRTC_STUN || peers[i].state == WEBRTC_DTLS)
				active++;
			else
				finished++;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (peers[i].state == WEBRTC_CONNECTED) {
			times[r->connected++] = peers[i].handshake_us;
		} else {
			uint8_t junk[KEYS_MAX];

			/* no key from the relay: whatever comes cannot authenticate */
			RAND_bytes(junk, sizeof junk);
			viewers_set_key(vs, i, o.gcm, junk);
			r->failed++;
		}
	}
	r->wall_s = (double)(now_ns() - t0) / 1e9;
	qsort(times, r->connected, sizeof *times, cmp_u32);
	r->p50_us = viewers_percentile(times, r->connected, 50);
	r->p99_us = viewers_percentile(times, r->connected, 99);
	r->max_us = r->connected ? times[r->connected - 1] : 0;
out:
	for (unsigned i = 0; hs && i < n; i++)
		dtls_client_destroy(hs[i].dtls);
	if (ep >= 0)
		close(ep);
	free(hs);
	free(times);
	return rc;
}
