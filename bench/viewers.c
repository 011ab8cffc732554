/* viewers: see viewers.h. */
#include "bench/viewers.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>

#include <openssl/rand.h>

#include "bench/ice_client.h"
#include "bench/keys.h"

#include "common/bytes.h"
#include "common/stun.h"

/* SEQ_WINDOW: how far behind the highest sequence number a packet can
 * arrive and still be told apart from a repeat (older ones count as new):
 * 1024 packets is 10 s of a 1 Mbit/s stream in 1200-byte packets, far more
 * than any reordering on loopback; 256 bytes per viewer for two SSRCs. */
enum { BATCH = 32, DGRAM_MAX = 2048, SEQ_WINDOW = 1024 };

struct viewer {
	int fd;
	uint16_t port;
	srtp_t srtp;            /* NULL in count mode */
	uint64_t datagrams;
	uint64_t decrypted;
	/* WebRTC consent freshness; interval_ms 0: off (SDES) */
	unsigned interval_ms;
	char username[80];      /* "<relay ufrag>:<own ufrag>" */
	char pwd[72];           /* the relay's ice-pwd: signs requests and answers */
	uint8_t txid[ICE_CLIENT_TXID_LEN];  /* of the check in flight */
	uint64_t next_check_ns;
	uint64_t unique;        /* RTP datagrams, each sequence number once */
	uint64_t duplicates;    /* RTP datagrams whose sequence number it already had */
	/* RFC 3550 A.1 sequence accounting for up to two SSRCs (audio, video):
	 * extended sequence numbers, and which of the last SEQ_WINDOW arrived
	 * (bit e % SEQ_WINDOW for extended number e) to tell a repeat */
	struct seqs {
		uint32_t ssrc;
		uint16_t base, max;
		uint32_t cycles;
		bool used;
		uint64_t seen[SEQ_WINDOW / 64];
	} seq[2];
};

struct viewers {
	unsigned n;
	struct viewer *v;
	int ep;
	pthread_t thread;
	atomic_bool stop;
	atomic_bool quiet;      /* no new consent checks: the last answers are coming in */
	unsigned stride;        /* decrypt every stride-th packet; 0: none */
	int unstamped;          /* the payloads carry no send time */
	/* written by the receiver thread only, read after the join */
	uint64_t datagrams, unique, duplicates, decrypted, auth_fail, replayed, rtcp;
	uint64_t consent_sent, consent_ok, consent_bad, other;
	uint64_t next_sweep_ns; /* when the consent schedule is next looked at */
	uint32_t *samples;
	size_t nsamples, max_samples;
	uint8_t (*bufs)[DGRAM_MAX];
};

int viewers_open(struct viewers **out, unsigned n, size_t max_samples)
{
	struct viewers *vs = calloc(1, sizeof *vs);
	int r = -ENOMEM;

	if (!vs)
		return -ENOMEM;
	vs->n = n;
	vs->v = calloc(n, sizeof *vs->v);
	vs->samples = calloc(max_samples ? max_samples : 1, sizeof *vs->samples);
	vs->bufs = calloc(BATCH, sizeof *vs->bufs);
	vs->max_samples = max_samples;
	vs->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!vs->v || !vs->samples || !vs->bufs || vs->ep < 0)
		goto fail;
	for (unsigned i = 0; i < n; i++)
		vs->v[i].fd = -1;
	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
		                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof sa;
		int buf = 1 << 20;
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			r = -errno;
			goto fail;
		}
		vs->v[i].fd = fd;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
		    getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
		    epoll_ctl(vs->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			r = -errno;
			goto fail;
		}
		vs->v[i].port = ntohs(sa.sin_port);
	}
	*out = vs;
	return 0;
fail:
	viewers_close(vs);
	return r;
}

uint16_t viewers_port(const struct viewers *vs, unsigned i)
{
	return vs->v[i].port;
}

int viewers_fd(const struct viewers *vs, unsigned i)
{
	return vs->v[i].fd;
}

int viewers_connect(struct viewers *vs, unsigned i, const struct sockaddr *to, socklen_t len)
{
	return connect(vs->v[i].fd, to, len) < 0 ? -errno : 0;
}

int viewers_set_consent(struct viewers *vs, unsigned i, const char *username, const char *pwd,
                        unsigned interval_ms)
{
	struct viewer *v = &vs->v[i];

	if (strlen(username) >= sizeof v->username || strlen(pwd) >= sizeof v->pwd)
		return -EINVAL;
	strcpy(v->username, username);
	strcpy(v->pwd, pwd);
	v->interval_ms = interval_ms;
	return 0;
}

void viewers_set_stamped(struct viewers *vs, int stamped)
{
	vs->unstamped = !stamped;
}

int viewers_set_key(struct viewers *vs, unsigned i, int gcm, const uint8_t *key)
{
	if (vs->v[i].srtp)
		srtp_dealloc(vs->v[i].srtp);
	vs->v[i].srtp = NULL;
	return keys_session(&vs->v[i].srtp, gcm, key, 0);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* RFC 7675: a check is due every interval ±20 %, so that a thousand
 * viewers do not send theirs in the same millisecond. */
static uint64_t consent_next(const struct viewer *v, uint64_t now)
{
	uint16_t r;

	RAND_bytes((uint8_t *)&r, sizeof r);
	return now + (uint64_t)v->interval_ms * 1000000u / 10 * (8 + 4 * (uint64_t)r / 65536);
}

static void consent_answer(struct viewers *vs, struct viewer *v, const uint8_t *p, size_t len)
{
	struct ice_client_answer a;

	if (!v->interval_ms)
		vs->other++;
	else if (ice_client_answer_check(p, len, v->txid, v->pwd, &a) == 0 && a.error_code == 0)
		vs->consent_ok++;
	else
		vs->consent_bad++;
}

/* Sends the consent checks that are due (looked at every 100 ms). */
static void consent_sweep(struct viewers *vs, uint64_t now)
{
	uint8_t req[ICE_CLIENT_REQUEST_MAX];

	if (now < vs->next_sweep_ns || atomic_load(&vs->quiet))
		return;
	vs->next_sweep_ns = now + 100000000u;
	for (unsigned i = 0; i < vs->n; i++) {
		struct viewer *v = &vs->v[i];
		int len;

		if (!v->interval_ms || now < v->next_check_ns)
			continue;
		v->next_check_ns = consent_next(v, now);
		RAND_bytes(v->txid, sizeof v->txid);
		len = stun_binding_request_build(req, sizeof req, v->txid, v->username, v->pwd,
		                                 ice_client_priority(65535), 0, false);
		if (len > 0 && send(v->fd, req, (size_t)len, MSG_DONTWAIT) == len)
			vs->consent_sent++;
	}
}

static void seq_mark(struct seqs *s, uint64_t ext)
{
	s->seen[ext % SEQ_WINDOW / 64] |= 1ull << (ext % 64);
}

static bool seq_marked(const struct seqs *s, uint64_t ext)
{
	return s->seen[ext % SEQ_WINDOW / 64] >> (ext % 64) & 1;
}

/* The highest sequence number seen per SSRC, with wraps (RFC 3550 A.1,
 * without its probation: the relay is a known source), and whether this
 * packet's extended sequence number is new: false for a repeat. */
static bool seq_note(struct viewer *v, const uint8_t *p, size_t len)
{
	uint32_t ssrc;
	uint16_t sq;

	if (len < 12)
		return true;
	ssrc = rd32(p + 8);
	sq = (uint16_t)(p[2] << 8 | p[3]);
	for (int k = 0; k < 2; k++) {
		struct seqs *s = &v->seq[k];
		uint64_t top, ext;
		uint16_t d;

		if (!s->used) {
			*s = (struct seqs){ .ssrc = ssrc, .base = sq, .max = sq, .used = true };
			seq_mark(s, sq);
			return true;
		}
		if (s->ssrc != ssrc)
			continue;
		top = (uint64_t)s->cycles + s->max;
		d = (uint16_t)(sq - s->max);
		if (d == 0)
			return false;
		if (d < 0x8000) {       /* ahead: forget what falls out of the window */
			for (uint64_t e = top + 1; e <= top + d && e <= top + SEQ_WINDOW; e++)
				s->seen[e % SEQ_WINDOW / 64] &= ~(1ull << (e % 64));
			if (sq < s->max)
				s->cycles += 65536;
			s->max = sq;
			seq_mark(s, top + d);
			return true;
		}
		d = (uint16_t)(s->max - sq);    /* behind: late, or a repeat */
		if (d >= SEQ_WINDOW || d > top)
			return true;
		ext = top - d;
		if (seq_marked(s, ext))
			return false;
		seq_mark(s, ext);
		return true;
	}
	return true;
}

static uint64_t seq_expected(const struct viewer *v)
{
	uint64_t n = 0;

	for (int k = 0; k < 2; k++)
		if (v->seq[k].used)
			n += (uint64_t)v->seq[k].cycles + v->seq[k].max - v->seq[k].base + 1;
	return n;
}

uint64_t viewers_received(const struct viewers *vs, unsigned i)
{
	return vs->v[i].unique;
}

double viewers_loss(const struct viewers *vs, unsigned i, uint64_t expected)
{
	if (!expected)
		expected = seq_expected(&vs->v[i]);
	return expected ? 1.0 - (double)vs->v[i].unique / (double)expected : 1;
}

static void on_packet(struct viewers *vs, struct viewer *v, uint8_t *p, size_t len)
{
	int n = (int)len;
	size_t hl;
	srtp_err_status_t st;

	if (len && p[0] < 4) {
		consent_answer(vs, v, p, len);
		return;
	}
	if (len && (p[0] < 128 || p[0] > 191)) {
		vs->other++;    /* RFC 7983: DTLS or unknown, not media */
		return;
	}
	if (len >= 2 && p[1] >= 192 && p[1] <= 223) {
		vs->rtcp++;     /* RFC 5761: RTCP from the relay, not media */
		return;
	}
	vs->datagrams++;
	if (seq_note(v, p, len)) {
		v->unique++;
		vs->unique++;
	} else {
		v->duplicates++;
		vs->duplicates++;
	}
	if (!vs->stride || v->datagrams++ % vs->stride)
		return;
	st = srtp_unprotect(v->srtp, p, &n);
	if (st == srtp_err_status_replay_fail || st == srtp_err_status_replay_old) {
		vs->replayed++;
		return;
	}
	if (st != srtp_err_status_ok) {
		vs->auth_fail++;
		return;
	}
	vs->decrypted++;
	v->decrypted++;
	hl = 12 + 4 * (size_t)(p[0] & 0x0f);
	if ((p[0] & 0x10) && (size_t)n >= hl + 4)
		hl += 4 + 4 * (size_t)(p[hl + 2] << 8 | p[hl + 3]);
	if (!vs->unstamped && (size_t)n >= hl + VIEWERS_STAMP_LEN && vs->nsamples < vs->max_samples) {
		uint64_t sent = rd64(p + hl), now = mono_ns();

		if (now >= sent)
			vs->samples[vs->nsamples++] = (uint32_t)((now - sent) / 1000);
	}
}

static void *receiver(void *arg)
{
	struct viewers *vs = arg;
	struct epoll_event evs[64];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];

	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = vs->bufs[i];
		iov[i].iov_len = DGRAM_MAX;
		memset(&msgs[i], 0, sizeof msgs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load(&vs->stop)) {
		int ne = epoll_wait(vs->ep, evs, 64, 50);

		consent_sweep(vs, mono_ns());

		for (int e = 0; e < ne; e++) {
			struct viewer *v = &vs->v[evs[e].data.u32];
			int got;

			while ((got = recvmmsg(v->fd, msgs, BATCH, MSG_DONTWAIT, NULL)) > 0)
				for (int k = 0; k < got; k++)
					on_packet(vs, v, vs->bufs[k], msgs[k].msg_len);
		}
	}
	return NULL;
}

int viewers_start(struct viewers *vs, unsigned stride)
{
	vs->stride = stride;
	/* whatever an earlier phase left in the socket buffers (the raw
	 * ceiling's plain datagrams) is not part of this one */
	for (unsigned i = 0; i < vs->n; i++)
		while (recv(vs->v[i].fd, vs->bufs[0], DGRAM_MAX, MSG_DONTWAIT) >= 0)
			;
	vs->datagrams = vs->unique = vs->duplicates = 0;
	vs->decrypted = vs->auth_fail = vs->replayed = vs->rtcp = 0;
	vs->consent_sent = vs->consent_ok = vs->consent_bad = vs->other = 0;
	vs->nsamples = 0;
	vs->next_sweep_ns = 0;
	for (unsigned i = 0; i < vs->n; i++) {
		if (vs->v[i].interval_ms)
			vs->v[i].next_check_ns = consent_next(&vs->v[i], mono_ns());
		if (stride && !vs->v[i].srtp)
			return -EINVAL;
		vs->v[i].decrypted = vs->v[i].datagrams = 0;
		vs->v[i].unique = vs->v[i].duplicates = 0;
		memset(vs->v[i].seq, 0, sizeof vs->v[i].seq);
	}
	atomic_store(&vs->stop, false);
	atomic_store(&vs->quiet, false);
	return -pthread_create(&vs->thread, NULL, receiver, vs);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

uint32_t viewers_percentile(uint32_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_u32);
	/* nearest rank */
	i = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (i == 0)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

void viewers_stop(struct viewers *vs, struct viewers_result *r)
{
	/* WebRTC: the answers to the last consent checks arrive within a loaded
	 * machine's scheduling delay; wait for them before counting */
	atomic_store(&vs->quiet, true);
	for (unsigned i = 0; i < vs->n; i++)
		if (vs->v[i].interval_ms) {
			struct timespec ts = { 0, 200000000 };

			nanosleep(&ts, NULL);
			break;
		}
	atomic_store(&vs->stop, true);
	pthread_join(vs->thread, NULL);
	memset(r, 0, sizeof *r);
	r->datagrams = vs->datagrams;
	r->unique = vs->unique;
	r->duplicates = vs->duplicates;
	r->decrypted = vs->decrypted;
	r->auth_fail = vs->auth_fail;
	r->replayed = vs->replayed;
	r->rtcp = vs->rtcp;
	r->consent_sent = vs->consent_sent;
	r->consent_ok = vs->consent_ok;
	r->consent_bad = vs->consent_bad;
	r->other = vs->other;
	r->min_per_viewer = vs->n ? UINT64_MAX : 0;
	for (unsigned i = 0; i < vs->n; i++) {
		if (vs->v[i].unique < r->min_per_viewer)
			r->min_per_viewer = vs->v[i].unique;
		if (vs->v[i].unique > r->max_per_viewer)
			r->max_per_viewer = vs->v[i].unique;
		r->expected_by_seq += seq_expected(&vs->v[i]);
	}
	r->samples = vs->nsamples;
	r->p50_us = viewers_percentile(vs->samples, vs->nsamples, 50);
	r->p99_us = viewers_percentile(vs->samples, vs->nsamples, 99);
	r->max_us = vs->nsamples ? vs->samples[vs->nsamples - 1] : 0;
}

void viewers_close(struct viewers *vs)
{
	if (!vs)
		return;
	for (unsigned i = 0; vs->v && i < vs->n; i++) {
		if (vs->v[i].fd >= 0)
			close(vs->v[i].fd);
		if (vs->v[i].srtp)
			srtp_dealloc(vs->v[i].srtp);
	}
	if (vs->ep >= 0)
		close(vs->ep);
	free(vs->v);
	free(vs->samples);
	free(vs->bufs);
	free(vs);
}
