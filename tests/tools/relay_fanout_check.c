/* relay_fanout_check: a publisher and N viewers around a running amphi-relay
 * (tests/integration/relay_fanout.sh).
 *
 *   relay_fanout_check --control SOCK [--viewers N] [--seconds S]
 *                      [--bitrate BPS] [--packet-size BYTES] [--suite gcm|cm]
 *                      [--feedback] [--burst N] [--restart]
 *
 * Creates a stream and N viewers through the control socket, each viewer
 * with its own random key and its own UDP socket; publishes RTP at the given
 * bitrate, protected with libsrtp; every viewer decrypts what it receives with
 * libsrtp (the reference implementation, independent of the relay's EVP
 * transform) and checks the plaintext against what was sent.  At the end it
 * reads the relay's stats and prints one JSON object:
 *   sent, viewers, received (total), min_received, max_received,
 *   auth_failures, payload_mismatches, relay_pkts_in, relay_pkts_out,
 *   relay_drops, relay_send_errors
 * --burst N sends N packets back to back every N packet intervals (a video
 * frame's packets leave an encoder together), default 1 (evenly paced).
 * --restart: halfway through, the publisher starts again from a new socket
 * (new source port) with a new SSRC, sequence and timestamp base, as a
 * restarted encoder does; viewers must see one continuous stream.
 * Every viewer checks that its packets keep one SSRC and consecutive sequence
 * numbers ("discontinuities" counts breaks; "relay_publisher_restarts").
 * With --feedback the publisher also sends a sender report every 50 packets
 * and reads what the relay sends back to it; viewers 0..9 pretend to lose
 * every 20th packet and ask for it with a NACK, and every viewer sends a PLI
 * once a second.  Added keys: sr_sent, min_sr_received, nacks_sent,
 * retransmits_received, plis_sent, plis_at_publisher, relay_sr_forwarded,
 * relay_nacks, relay_retransmits, relay_keyframe_sent, relay_keyframe_suppressed.
 * --latch: viewers are added with "latch": true and no address; each sends
 * one SRTCP receiver report (its own key) from its socket to its egress
 * port, which must make the relay send there.  Before viewer 0's report, an
 * impostor socket sends one under a wrong key to the same port (it must get
 * nothing), and one more latching viewer never sends (the relay must send it
 * nothing).  The publisher starts a second after the reports.  Added key:
 * impostor_received.
 * Exit 0 when it ran (the test script judges the numbers), 1 on setup errors. */
#include "common/bytes.h"
#include "common/ctl.h"
#include "common/rtcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <srtp2/srtp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SSRC 0x5EED1234u
#define PT   96

struct viewer {
	int fd;
	srtp_t srtp, srtp_out;           /* media from the relay; our RTCP to it */
	struct sockaddr_in relay;         /* the viewer's egress port: RTCP goes there */
	uint8_t *seen;                    /* lossy viewers: 65536 flags, seq received once */
	uint64_t received, auth_failures, mismatches, sr_received, retransmits, discontinuities;
	uint32_t ssrc0;
	uint16_t last_seq;
	int64_t next_pli_ns;
};

static const char *sock_path;
static unsigned nviewers = 1000, seconds = 5, bitrate = 1000000, pkt_size = 1200, burst = 1;
static bool gcm = true, feedback, restart, latch;
static uint64_t sr_sent, plis_at_publisher, nacks_sent, plis_sent;
static atomic_bool sending_done;
static uint64_t sent;

static void die(const char *what)
{
	fprintf(stderr, "relay_fanout_check: %s\n", what);
	exit(1);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void b64(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = 0;
}

static size_t key_len(void) { return gcm ? 28 : 30; }
static const char *suite_name(void) { return gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80"; }

static srtp_t make_srtp(const uint8_t *key, bool inbound)
{
	srtp_policy_t p;
	srtp_t s;
	memset(&p, 0, sizeof p);
	if (gcm) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	}
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.key = (unsigned char *)key;
	p.window_size = 1024;
	if (srtp_create(&s, &p) != srtp_err_status_ok)
		die("srtp_create failed");
	return s;
}

/* The payload of packet seq: a pattern the viewers can check byte by byte. */
static void fill_payload(uint8_t *p, size_t n, uint32_t idx)
{
	wr32(p, idx);
	for (size_t i = 4; i < n; i++)
		p[i] = (uint8_t)(idx * 31 + i * 7);
}

/* Sends an RR + one feedback packet from viewer w to the relay. */
static void viewer_rtcp(struct viewer *w, uint32_t me, const uint8_t *fb, int fblen)
{
	uint8_t buf[256];
	int len = 8 + fblen;
	buf[0] = 0x80; buf[1] = 201; buf[2] = 0; buf[3] = 1;   /* empty RR */
	wr32(buf + 4, me);
	memcpy(buf + 8, fb, (size_t)fblen);
	if (srtp_protect_rtcp(w->srtp_out, buf, &len) == srtp_err_status_ok &&
	    sendto(w->fd, buf, (size_t)len, 0, (struct sockaddr *)&w->relay, sizeof w->relay) != len)
		perror("viewer RTCP send");
}

/* The SSRC the relay announced for the stream's video (stream.create's
 * "ssrcs"): what viewers receive and name in their feedback. */
static uint32_t out_ssrc;

static void send_nack(struct viewer *w, uint32_t me, uint16_t seq)
{
	uint8_t fb[16] = { 0x81, 205, 0, 3 };   /* RTPFB FMT 1, 3 words */
	wr32(fb + 4, me);
	wr32(fb + 8, out_ssrc);
	fb[12] = seq >> 8; fb[13] = seq & 0xff; fb[14] = 0; fb[15] = 0;
	viewer_rtcp(w, me, fb, 16);
	nacks_sent++;
}

static void send_pli(struct viewer *w, uint32_t me)
{
	uint8_t fb[12] = { 0x81, 206, 0, 2 };   /* PSFB FMT 1 */
	wr32(fb + 4, me);
	wr32(fb + 8, out_ssrc);
	viewer_rtcp(w, me, fb, 12);
	plis_sent++;
}

static json_t *call(json_t *req)
{
	char err[256];
	json_t *resp = ctl_call(sock_path, req, 5000, err, sizeof err);
	json_decref(req);
	if (!resp) {
		fprintf(stderr, "control call failed: %s\n", err);
		exit(1);
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "relay refused: %s\n", json_string_value(json_object_get(resp, "error")));
		exit(1);
	}
	return resp;
}

struct pub {
	int fd;
	srtp_t srtp, srtp_in;   /* our media out; the relay's RTCP (PLI) in */
};

/* What the relay sent the publisher: counts the PLIs. */
static void publisher_read(struct pub *p)
{
	uint8_t buf[2048];
	ssize_t r;
	while ((r = recv(p->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
		int len = (int)r, off = 0;
		if (srtp_unprotect_rtcp(p->srtp_in, buf, &len) != srtp_err_status_ok)
			continue;
		while (off + 4 <= len) {
			int plen = ((buf[off + 2] << 8 | buf[off + 3]) + 1) * 4;
			if (buf[off + 1] == 206 && (buf[off] & 31) == 1)
				plis_at_publisher++;
			off += plen;
		}
	}
}

static void *publisher(void *arg)
{
	struct pub *p = arg;
	size_t payload = pkt_size - 12 - (gcm ? 16 : 10);
	uint64_t total = (uint64_t)bitrate / 8 / pkt_size * seconds;
	int64_t gap = (int64_t)(1e9 * pkt_size * 8 / bitrate), t0 = mono_ns();
	uint8_t buf[2048];
	uint32_t ssrc = SSRC, ts_base = 0;
	uint16_t seq_base = 1000;
	uint64_t i0 = 0;

	for (uint64_t i = 0; i < total; i++) {
		int64_t due = t0 + (int64_t)(i / burst * burst) * gap, now = mono_ns();
		int len = (int)(12 + payload);
		uint16_t seq;
		uint32_t ts;
		if (restart && i == total / 2) {
			/* A restarted encoder: new socket, SSRC, sequence and timestamp base. */
			struct sockaddr_in to;
			socklen_t tl = sizeof to;
			getpeername(p->fd, (struct sockaddr *)&to, &tl);
			close(p->fd);
			p->fd = socket(AF_INET, SOCK_DGRAM, 0);
			if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&to, tl) < 0)
				die("cannot reconnect the publisher");
			ssrc = SSRC ^ 0x00ff00ffu;
			seq_base = 40000;
			ts_base = 123456789u;
			i0 = i;
		}
		seq = (uint16_t)(seq_base + (i - i0));
		ts = ts_base + (uint32_t)((i - i0) * 3000);
		if (due > now) {
			struct timespec d = { 0, due - now };
			nanosleep(&d, NULL);
		}
		buf[0] = 0x80;
		buf[1] = PT | (i % 10 == 9 ? 0x80 : 0);
		buf[2] = seq >> 8;
		buf[3] = seq & 0xff;
		buf[4] = ts >> 24; buf[5] = ts >> 16; buf[6] = ts >> 8; buf[7] = ts;
		wr32(buf + 8, ssrc);
		fill_payload(buf + 12, payload, (uint32_t)i);
		if (srtp_protect(p->srtp, buf, &len) != srtp_err_status_ok)
			die("srtp_protect failed");
		if (send(p->fd, buf, (size_t)len, 0) != len)
			perror("publisher send");
		sent++;
		if (feedback && i % 50 == 0) {
			/* SR, room left for the SRTCP trailer. */
			struct rtcp_sr info = { .ssrc = ssrc, .ntp_sec = 0xe0000000u + (uint32_t)i,
			                        .rtp_ts = ts, .packets = (uint32_t)sent };
			uint8_t sr[64];
			int slen = rtcp_sr_build(sr, sizeof sr, &info);
			if (srtp_protect_rtcp(p->srtp, sr, &slen) == srtp_err_status_ok &&
			    send(p->fd, sr, (size_t)slen, 0) == slen)
				sr_sent++;
		}
		if (feedback)
			publisher_read(p);
	}
	for (int k = 0; feedback && k < 10; k++) {
		struct timespec d = { 0, 50000000 };
		nanosleep(&d, NULL);
		publisher_read(p);
	}
	atomic_store(&sending_done, true);
	/* The relay's keyframe warm-up of viewers given by address goes on up to
	 * 5.5 s after the last was added (relay/feedback.h, FEEDBACK_WARMUP_*):
	 * keep reading until it is over, so every PLI the relay counts is one
	 * this publisher sees. */
	while (feedback && mono_ns() < t0 + 6000000000LL) {
		struct timespec d = { 0, 50000000 };
		nanosleep(&d, NULL);
		publisher_read(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' }, { "viewers", required_argument, NULL, 'v' },
		{ "seconds", required_argument, NULL, 's' }, { "bitrate", required_argument, NULL, 'b' },
		{ "packet-size", required_argument, NULL, 'p' }, { "suite", required_argument, NULL, 'S' },
		{ "feedback", no_argument, NULL, 'f' }, { "burst", required_argument, NULL, 'B' },
		{ "restart", no_argument, NULL, 'R' }, { "latch", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 }
	};
	struct viewer *v;
	struct pub pub;
	struct rlimit rl;
	uint8_t key[32];
	char k64[64], addr[64];
	struct sockaddr_in sa;
	socklen_t sl;
	pthread_t th;
	int ep, c, impostor = -1;
	long impostor_received = -1;
	json_t *resp, *st;
	uint64_t total = 0, minr = UINT64_MAX, maxr = 0, fails = 0, mism = 0, minsr = UINT64_MAX, retx = 0, disc = 0;
	int64_t quiet_since = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': sock_path = optarg; break;
		case 'v': nviewers = (unsigned)atoi(optarg); break;
		case 's': seconds = (unsigned)atoi(optarg); break;
		case 'b': bitrate = (unsigned)atoi(optarg); break;
		case 'p': pkt_size = (unsigned)atoi(optarg); break;
		case 'S': gcm = !strcmp(optarg, "gcm"); break;
		case 'f': feedback = true; break;
		case 'R': restart = true; break;
		case 'L': latch = true; break;
		case 'B': burst = (unsigned)atoi(optarg); break;
		default: die("usage: see the comment at the top of tests/tools/relay_fanout_check.c");
		}
	}
	if (!sock_path || nviewers == 0 || pkt_size < 100 || pkt_size > 1400 || bitrate < 8000 || burst < 1)
		die("bad arguments");
	rl.rlim_cur = rl.rlim_max = nviewers + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < nviewers + 64) {
		rl.rlim_cur = nviewers + 64 > rl.rlim_max ? rl.rlim_max : nviewers + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (srtp_init() != srtp_err_status_ok)
		die("srtp_init failed");

	getrandom(key, key_len(), 0);
	b64(key, key_len(), k64);
	resp = call(json_pack("{s:s,s:s,s:[{s:s,s:s,s:i,s:i}],s:{s:s,s:s}}", "cmd", "stream.create",
	                      "id", "fanout", "tracks", "kind", "video", "codec", "VP8", "pt", PT,
	                      "clock_rate", 90000, "ingest", "suite", suite_name(), "key", k64));
	out_ssrc = (uint32_t)json_integer_value(json_object_get(json_object_get(resp, "ssrcs"), "video"));
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, json_string_value(json_object_get(json_object_get(resp, "ingest"), "host")), &sa.sin_addr);
	sa.sin_port = htons((uint16_t)json_integer_value(json_object_get(json_object_get(resp, "ingest"), "port")));
	json_decref(resp);
	pub.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (connect(pub.fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("cannot connect the publisher socket");
	pub.srtp = make_srtp(key, false);
	pub.srtp_in = make_srtp(key, true);

	v = calloc(nviewers, sizeof *v);
	ep = epoll_create1(0);
	for (unsigned i = 0; i < nviewers; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		int rcvbuf = 1 << 20;
		memset(&sa, 0, sizeof sa);
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		v[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (v[i].fd < 0)
			die("out of sockets (raise the open-file limit)");
		setsockopt(v[i].fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
		if (bind(v[i].fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			die("cannot bind a viewer socket");
		sl = sizeof sa;
		getsockname(v[i].fd, (struct sockaddr *)&sa, &sl);
		snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
		getrandom(key, key_len(), 0);
		b64(key, key_len(), k64);
		v[i].srtp = make_srtp(key, true);
		v[i].srtp_out = make_srtp(key, false);
		if (feedback && i < 10)
			v[i].seen = calloc(65536, 1);
		char id[32];
		snprintf(id, sizeof id, "v%u", i);
		if (latch)
			resp = call(json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "cmd", "viewer.add", "stream", "fanout",
			                      "id", id, "suite", suite_name(), "key", k64, "latch", 1, "rtcp_mux", 1));
		else
			resp = call(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "cmd", "viewer.add", "stream", "fanout",
			                      "id", id, "suite", suite_name(), "key", k64, "addr", addr, "rtcp_mux", 1));
		memset(&v[i].relay, 0, sizeof v[i].relay);
		v[i].relay.sin_family = AF_INET;
		inet_pton(AF_INET, json_string_value(json_object_get(json_object_get(resp, "egress"), "host")),
		          &v[i].relay.sin_addr);
		v[i].relay.sin_port = htons((uint16_t)json_integer_value(
		    json_object_get(json_object_get(resp, "egress"), "port")));
		v[i].next_pli_ns = mono_ns() + 1000000000LL + (int64_t)i * 1000000;
		json_decref(resp);
		epoll_ctl(ep, EPOLL_CTL_ADD, v[i].fd, &ev);
		if (latch && i == 0) {
			/* The impostor: a wrong key, to viewer 0's egress port. */
			struct viewer imp = { .relay = v[0].relay };
			uint8_t wrong[32];
			imp.fd = impostor = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
			getrandom(wrong, key_len(), 0);
			imp.srtp_out = make_srtp(wrong, false);
			viewer_rtcp(&imp, 0x666, (const uint8_t *)"", 0);
			srtp_dealloc(imp.srtp_out);
		}
		if (latch)
			viewer_rtcp(&v[i], 0x1000 + i, (const uint8_t *)"", 0);
	}
	if (latch) {
		getrandom(key, key_len(), 0);
		b64(key, key_len(), k64);
		json_decref(call(json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "cmd", "viewer.add", "stream", "fanout",
		                           "id", "silent", "suite", suite_name(), "key", k64, "latch", 1)));
		sleep(1);
	}
	explicit_bzero(key, sizeof key);

	pthread_create(&th, NULL, publisher, &pub);
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 100);
		if (n <= 0) {
			if (atomic_load(&sending_done)) {
				if (!quiet_since)
					quiet_since = mono_ns();
				else if (mono_ns() - quiet_since > 500000000LL)
					break;
			}
			continue;
		}
		quiet_since = 0;
		for (int e = 0; e < n; e++) {
			unsigned vi = evs[e].data.u32;
			struct viewer *w = &v[vi];
			uint8_t buf[2048], expect[2048];
			ssize_t r;
			while ((r = recv(w->fd, buf, sizeof buf, 0)) > 0) {
				int len = (int)r;
				uint16_t seq;
				if (r >= 2 && buf[1] >= 192 && buf[1] <= 223) {
					if (srtp_unprotect_rtcp(w->srtp, buf, &len) != srtp_err_status_ok)
						w->auth_failures++;
					else if (buf[1] == 200)
						w->sr_received++;
					continue;
				}
				seq = (uint16_t)(r >= 4 ? buf[2] << 8 | buf[3] : 0);
				if (w->seen && seq % 20 == 0 && !w->seen[seq]) {
					/* Pretend it was lost: never decrypted, asked again. */
					w->seen[seq] = 1;
					send_nack(w, 0x1000 + vi, seq);
					continue;
				}
				if (srtp_unprotect(w->srtp, buf, &len) != srtp_err_status_ok) {
					w->auth_failures++;
					continue;
				}
				if (len < 16) {
					w->mismatches++;
					continue;
				}
				fill_payload(expect, (size_t)len - 12,
				             (uint32_t)buf[12] << 24 | buf[13] << 16 | buf[14] << 8 | buf[15]);
				if ((buf[1] & 0x7f) != PT || memcmp(buf + 12, expect, (size_t)len - 12)) {
					w->mismatches++;
				} else {
					uint32_t ss = (uint32_t)buf[8] << 24 | buf[9] << 16 | buf[10] << 8 | buf[11];
					if (ss != out_ssrc)
						w->discontinuities++;   /* not the SSRC stream.create announced */
					if (!w->received)
						w->ssrc0 = ss;
					else if (!w->seen && (ss != w->ssrc0 || seq != (uint16_t)(w->last_seq + 1)))
						w->discontinuities++;
					w->last_seq = seq;
					w->received++;
					if (w->seen && seq % 20 == 0)
						w->retransmits++;
				}
			}
			if (feedback && mono_ns() >= w->next_pli_ns && !atomic_load(&sending_done)) {
				send_pli(w, 0x1000 + vi);
				w->next_pli_ns += 1000000000LL;
			}
		}
	}
	pthread_join(th, NULL);
	if (impostor >= 0) {
		uint8_t buf[2048];
		impostor_received = 0;
		while (recv(impostor, buf, sizeof buf, MSG_DONTWAIT) >= 0)
			impostor_received++;
		close(impostor);
	}

	for (unsigned i = 0; i < nviewers; i++) {
		total += v[i].received;
		fails += v[i].auth_failures;
		mism += v[i].mismatches;
		if (v[i].received < minr)
			minr = v[i].received;
		if (v[i].received > maxr)
			maxr = v[i].received;
		if (v[i].sr_received < minsr)
			minsr = v[i].sr_received;
		retx += v[i].retransmits;
		disc += v[i].discontinuities;
	}
	st = call(json_pack("{s:s}", "cmd", "stats"));
	{
		json_t *s0 = json_array_get(json_object_get(st, "streams"), 0);
		printf("{\"sent\":%llu,\"viewers\":%u,\"received\":%llu,\"min_received\":%llu,"
		       "\"max_received\":%llu,\"auth_failures\":%llu,\"payload_mismatches\":%llu,"
		       "\"relay_pkts_in\":%lld,\"relay_pkts_out\":%lld,\"relay_drops\":%lld,"
		       "\"relay_send_errors\":%lld,\"sr_sent\":%llu,\"min_sr_received\":%llu,"
		       "\"nacks_sent\":%llu,\"retransmits_received\":%llu,\"plis_sent\":%llu,"
		       "\"plis_at_publisher\":%llu,\"relay_sr_forwarded\":%lld,\"relay_nacks\":%lld,"
		       "\"relay_retransmits\":%lld,\"relay_keyframe_sent\":%lld,"
		       "\"relay_keyframe_suppressed\":%lld,\"discontinuities\":%llu,"
		       "\"relay_publisher_restarts\":%lld,\"impostor_received\":%ld}\n",
		       (unsigned long long)sent, nviewers, (unsigned long long)total,
		       (unsigned long long)minr, (unsigned long long)maxr, (unsigned long long)fails,
		       (unsigned long long)mism,
		       (long long)json_integer_value(json_object_get(s0, "pkts_in")),
		       (long long)json_integer_value(json_object_get(s0, "pkts_out")),
		       (long long)json_integer_value(json_object_get(s0, "drops")),
		       (long long)json_integer_value(json_object_get(s0, "send_errors")),
		       (unsigned long long)sr_sent, (unsigned long long)minsr,
		       (unsigned long long)nacks_sent, (unsigned long long)retx,
		       (unsigned long long)plis_sent, (unsigned long long)plis_at_publisher,
		       (long long)json_integer_value(json_object_get(s0, "sr_forwarded")),
		       (long long)json_integer_value(json_object_get(s0, "nacks")),
		       (long long)json_integer_value(json_object_get(s0, "retransmits")),
		       (long long)json_integer_value(json_object_get(s0, "keyframe_sent")),
		       (long long)json_integer_value(json_object_get(s0, "keyframe_suppressed")),
		       (unsigned long long)disc,
		       (long long)json_integer_value(json_object_get(s0, "publisher_restarts")), impostor_received);
	}
	json_decref(st);
	json_decref(call(json_pack("{s:s,s:s}", "cmd", "stream.delete", "id", "fanout")));
	for (unsigned i = 0; i < nviewers; i++) {
		srtp_dealloc(v[i].srtp);
		srtp_dealloc(v[i].srtp_out);
		free(v[i].seen);
		close(v[i].fd);
	}
	srtp_dealloc(pub.srtp);
	srtp_dealloc(pub.srtp_in);
	free(v);
	return 0;
}
