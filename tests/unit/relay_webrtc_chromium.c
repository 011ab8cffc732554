/* relay/stun.c and relay/dtls.c against a real browser: headless Chromium
 * (tests/data/webrtc/chromium-publish.js) publishes its fake camera and
 * microphone to a UDP socket this test owns, demultiplexed per RFC 7983 as a
 * relay worker would.  Chromium's connectivity checks are answered by
 * stun.c (and latch its address), its DTLS client handshakes with dtls.c
 * (its certificate checked against the offer's a=fingerprint, ours against
 * the answer's), and libsrtp keyed with dtls_conn_srtp_keys() decrypts the
 * SRTP and SRTCP it sends: every packet authenticates, from the SSRCs its
 * offer announced.  Prints the time from answer to DTLS connected.
 * Skipped (77) when chromium, node or playwright-core is missing. */
#include "tests/harness.h"
#include "tests/node_peer.h"
#include "relay/dtls.h"
#include "relay/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <srtp2/srtp.h>

#include "common/clock.h"

#define UFRAG "rlay"
#define PWD "q5Gm0sKvX2bN8wYt1Lr4Zc9e"

static struct node_peer node;

/* The worker's side of one peer. */
struct peer {
	int fd;
	struct sockaddr_in latched;   /* set by the first valid check, moved by nominations */
	int have_addr;
	struct dtls_conn *dtls;
	char remote_fp[200];
	srtp_t srtp_in;
	struct dtls_srtp_keys keys;
	int checks_ok, checks_bad, nominated;
	int dtls_dropped_unlatched;
	int rtp_ok, rtp_bad, rtcp_ok, rtcp_bad;
	uint32_t ssrcs_seen[8];
	int n_ssrcs_seen;
	int64_t connected_ns;
};

static void send_to_peer(void *arg, const uint8_t *d, size_t len)
{
	struct peer *p = arg;
	sendto(p->fd, d, len, 0, (struct sockaddr *)&p->latched, sizeof p->latched);
}

static void on_stun(struct peer *p, const uint8_t *b, size_t n, const struct sockaddr_in *from)
{
	struct stun_msg m;
	uint8_t out[256];
	const uint8_t *uf;
	size_t ul;
	int r;

	if (stun_msg_parse(&m, b, n) != 0 || m.type != STUN_BINDING_REQUEST)
		return;
	int verdict = stun_username_local(&m, &uf, &ul) != 0 || ul != strlen(UFRAG) || memcmp(uf, UFRAG, ul)
	              ? 401 : stun_binding_check(&m, b, UFRAG, PWD);
	if (verdict == 0) {
		p->checks_ok++;
		if (!p->have_addr || m.use_candidate) {
			p->latched = *from;
			p->have_addr = 1;
		}
		p->nominated |= m.use_candidate;
		r = stun_binding_success_build(out, sizeof out, m.txid, (const struct sockaddr *)from, PWD);
	} else {
		p->checks_bad++;
		r = stun_binding_error_build(out, sizeof out, &m, verdict);
	}
	if (r > 0)
		sendto(p->fd, out, (size_t)r, 0, (const struct sockaddr *)from, sizeof *from);
}

static void on_dtls(struct peer *p, struct dtls_ctx *ctx, const uint8_t *b, size_t n,
                    const struct sockaddr_in *from, int64_t answered_ns)
{
	if (!p->have_addr || from->sin_addr.s_addr != p->latched.sin_addr.s_addr ||
	    from->sin_port != p->latched.sin_port) {
		p->dtls_dropped_unlatched++;
		return;
	}
	if (!p->dtls)
		p->dtls = dtls_conn_create(ctx, p->remote_fp, send_to_peer, p, amphi_mono_ns());
	if (!p->dtls)
		return;
	if (dtls_conn_input(p->dtls, b, n, amphi_mono_ns()) != 1)
		return;
	p->connected_ns = amphi_mono_ns() - answered_ns;
	if (dtls_conn_srtp_keys(p->dtls, &p->keys) != 0)
		return;
	srtp_policy_t pol;
	memset(&pol, 0, sizeof pol);
	if (p->keys.profile == DTLS_SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&pol.rtp);
		srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	}
	pol.ssrc.type = ssrc_any_inbound;
	pol.key = p->keys.client;   /* what the browser (DTLS client) sends */
	pol.window_size = 1024;
	pol.allow_repeat_tx = 0;
	if (srtp_create(&p->srtp_in, &pol) != srtp_err_status_ok)
		p->srtp_in = NULL;
}

static void on_rtp(struct peer *p, uint8_t *b, size_t n)
{
	int len = (int)n;
	if (!p->srtp_in || n < 12)
		return;
	if (b[1] >= 192 && b[1] <= 223) {   /* RTCP packet types 192..223 (RFC 5761 §4) */
		if (srtp_unprotect_rtcp(p->srtp_in, b, &len) == srtp_err_status_ok)
			p->rtcp_ok++;
		else
			p->rtcp_bad++;
		return;
	}
	if (srtp_unprotect(p->srtp_in, b, &len) != srtp_err_status_ok) {
		p->rtp_bad++;
		return;
	}
	p->rtp_ok++;
	uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
	for (int i = 0; i < p->n_ssrcs_seen; i++)
		if (p->ssrcs_seen[i] == ssrc)
			return;
	if (p->n_ssrcs_seen < 8)
		p->ssrcs_seen[p->n_ssrcs_seen++] = ssrc;
}

/* The first a=fingerprint value of the offer and its a=ssrc numbers. */
static void offer_facts(const char *sdp, char *fp, size_t cap, uint32_t *ssrcs, int *n_ssrcs)
{
	const char *f = strstr(sdp, "a=fingerprint:");
	fp[0] = 0;
	if (f) {
		f += 14;
		size_t n = strcspn(f, "\r\n");
		if (n < cap) {
			memcpy(fp, f, n);
			fp[n] = 0;
		}
	}
	*n_ssrcs = 0;
	for (const char *s = sdp; (s = strstr(s, "a=ssrc:")) && *n_ssrcs < 16; s += 7) {
		uint32_t v = (uint32_t)strtoul(s + 7, NULL, 10);
		int dup = 0;
		for (int i = 0; i < *n_ssrcs; i++)
			dup |= ssrcs[i] == v;
		if (!dup)
			ssrcs[(*n_ssrcs)++] = v;
	}
}

TEST(chromium_publishes_through_stun_and_dtls)
{
	struct peer p;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	char state[32] = "";
	uint32_t offer_ssrcs[16];
	int n_offer_ssrcs = 0;

	memset(&p, 0, sizeof p);
	p.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (bind(p.fd, (struct sockaddr *)&a, sizeof a) || getsockname(p.fd, (struct sockaddr *)&a, &al))
		SKIP("no loopback UDP socket: %s", strerror(errno));
	struct dtls_ctx *ctx = dtls_ctx_create(NULL);
	CHECK(ctx != NULL);
	if (!ctx)
		return;
	node_peer_start(&node, "tests/data/webrtc/chromium-publish.js");
	node_peer_send(&node, json_pack("{s:s,s:s,s:s,s:s,s:i}", "ufrag", UFRAG, "pwd", PWD,
	                                "fingerprint", dtls_ctx_fingerprint(ctx), "address", "127.0.0.1",
	                                "port", ntohs(a.sin_port)));
	json_t *o = node_peer_next(&node, 30000);
	if (!o) {
		HARNESS_FAIL("the browser script wrote no offer");
		return;
	}
	const char *offer = json_string_value(json_object_get(o, "offer"));
	CHECK(offer != NULL);
	if (offer)
		offer_facts(offer, p.remote_fp, sizeof p.remote_fp, offer_ssrcs, &n_offer_ssrcs);
	json_decref(o);
	CHECK(!strncmp(p.remote_fp, "sha-256 ", 8));
	CHECK_INT(n_offer_ssrcs, >=, 2);
	int64_t answered = amphi_mono_ns(), end = answered + 20 * 1000000000LL;

	while (amphi_mono_ns() < end && !(p.rtp_ok >= 150 && !strcmp(state, "connected")) && !node.eof) {
		struct pollfd pf[2] = { { p.fd, POLLIN, 0 }, { node.out, POLLIN, 0 } };
		poll(pf, 2, 20);
		for (json_t *ev; (ev = node_peer_next(&node, 0)); json_decref(ev)) {
			const char *st = json_string_value(json_object_get(ev, "state"));
			const char *er = json_string_value(json_object_get(ev, "error"));
			if (st)
				snprintf(state, sizeof state, "%s", st);
			if (er)
				HARNESS_FAIL("browser: %s", er);
		}
		for (;;) {
			uint8_t b[2048];
			struct sockaddr_in from;
			socklen_t fl = sizeof from;
			ssize_t n = recvfrom(p.fd, b, sizeof b, 0, (struct sockaddr *)&from, &fl);
			if (n <= 0)
				break;
			switch (stun_demux(b, (size_t)n)) {
			case STUN_DEMUX_STUN: on_stun(&p, b, (size_t)n, &from); break;
			case STUN_DEMUX_DTLS: on_dtls(&p, ctx, b, (size_t)n, &from, answered); break;
			case STUN_DEMUX_RTP: on_rtp(&p, b, (size_t)n); break;
			case STUN_DEMUX_UNKNOWN: break;
			}
		}
		if (p.dtls)
			dtls_conn_tick(p.dtls, amphi_mono_ns());
	}

	printf("  checks ok=%d bad=%d nominated=%d, dtls %s %s in %.0f ms, srtp ok=%d bad=%d, srtcp ok=%d bad=%d, browser %s\n",
	       p.checks_ok, p.checks_bad, p.nominated, p.dtls ? dtls_state_name(dtls_conn_state(p.dtls)) : "none",
	       p.srtp_in ? dtls_srtp_profile_name(p.keys.profile) : "-", (double)p.connected_ns / 1e6,
	       p.rtp_ok, p.rtp_bad, p.rtcp_ok, p.rtcp_bad, state);
	CHECK_INT(p.checks_ok, >, 0);
	CHECK_INT(p.checks_bad, ==, 0);
	CHECK(p.nominated);
	CHECK(p.dtls && dtls_conn_state(p.dtls) == DTLS_CONNECTED);
	CHECK_INT(p.keys.profile, ==, DTLS_SRTP_AEAD_AES_128_GCM);   /* preferred, and Chromium offers it */
	CHECK_STR(state, "connected");
	CHECK_INT(p.rtp_ok, >=, 150);
	CHECK_INT(p.rtp_bad, ==, 0);
	CHECK_INT(p.rtcp_bad, ==, 0);
	CHECK_INT(p.n_ssrcs_seen, >=, 2);   /* audio and video */
	for (int i = 0; i < p.n_ssrcs_seen; i++) {
		int known = 0;
		for (int k = 0; k < n_offer_ssrcs; k++)
			known |= p.ssrcs_seen[i] == offer_ssrcs[k];
		if (!known)
			HARNESS_FAIL("SSRC %u was not in the offer", p.ssrcs_seen[i]);
	}
	if (p.srtp_in)
		srtp_dealloc(p.srtp_in);
	dtls_conn_destroy(p.dtls);
	explicit_bzero(&p.keys, sizeof p.keys);
	dtls_ctx_destroy(ctx);
	close(p.fd);
}

int main(void)
{
	if (srtp_init() != srtp_err_status_ok)
		SKIP("libsrtp does not initialize");
	alarm(120);   /* a hung browser fails the test rather than the runner's timeout */
	RUN(chromium_publishes_through_stun_and_dtls);
	node_peer_stop(&node);
	return harness_done();
}
