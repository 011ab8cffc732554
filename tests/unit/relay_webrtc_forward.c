/* A WHIP-to-WHEP rehearsal of relay/ice + relay/stun + relay/dtls with a
 * real browser, both directions of DTLS-SRTP: one headless Chromium page
 * (tests/data/webrtc/chromium-loop.js) opens a viewer (recvonly) and a
 * publisher (camera + microphone) to one UDP port this test owns, as one
 * relay worker would.  The ICE-lite table answers both peers' checks and
 * routes by latched address; each peer's DTLS handshake yields its keys; the
 * publisher's SRTP is decrypted with its client keys and re-encrypted for
 * the viewer with the viewer's server keys (the viewer's RTCP -- PLI, NACK,
 * transport-cc -- goes back the same way).  The viewer's Chromium must decode
 * video frames and receive audio; the time from the publisher's DTLS
 * handshake to the viewer's first decoded frame is printed.
 * Skipped (77) when chromium, node or playwright-core is missing. */
#include "tests/harness.h"
#include "tests/node_peer.h"
#include "relay/dtls.h"
#include "relay/ice.h"
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

static struct node_peer node;
static int udp_fd;

struct peer {
	const char *who, *ufrag, *pwd;
	char remote_fp[200];       /* the offer's a=fingerprint */
	struct dtls_conn *dtls;
	struct dtls_srtp_keys keys;
	srtp_t in, out;            /* browser -> relay (client keys), relay -> browser (server keys) */
	int64_t connected_ns;      /* monotonic time of the completed handshake */
	char state[32];            /* the browser's connectionState */
	int rtp_in, rtp_bad, rtcp_in, rtcp_bad, forwarded;
};

static struct peer pub = { .who = "pub", .ufrag = "pubr", .pwd = "Pq5Gm0sKvX2bN8wYt1Lr4Z" };
static struct peer view = { .who = "view", .ufrag = "view", .pwd = "Vq5Gm0sKvX2bN8wYt1Lr4Z" };
static struct ice_table *ice;

static void send_to(struct peer *p, const uint8_t *d, size_t len)
{
	struct sockaddr_storage a;
	if (ice_peer_addr(ice, p->ufrag, &a) == 0)
		sendto(udp_fd, d, len, 0, (struct sockaddr *)&a,
		       a.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
}

static void dtls_send(void *arg, const uint8_t *d, size_t len)
{
	send_to(arg, d, len);
}

static srtp_t session(const struct dtls_srtp_keys *k, const uint8_t *master, int outbound)
{
	srtp_policy_t pol;
	srtp_t s = NULL;
	memset(&pol, 0, sizeof pol);
	if (k->profile == DTLS_SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&pol.rtp);
		srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	}
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = (unsigned char *)master;
	pol.window_size = 1024;
	return srtp_create(&s, &pol) == srtp_err_status_ok ? s : NULL;
}

static void on_dtls(struct dtls_ctx *ctx, struct peer *p, const uint8_t *b, size_t n)
{
	if (!p->remote_fp[0])
		return;   /* its offer has not been read yet */
	if (!p->dtls)
		p->dtls = dtls_conn_create(ctx, p->remote_fp, dtls_send, p, amphi_mono_ns());
	if (!p->dtls || dtls_conn_input(p->dtls, b, n, amphi_mono_ns()) != 1)
		return;
	p->connected_ns = amphi_mono_ns();
	if (dtls_conn_srtp_keys(p->dtls, &p->keys) == 0) {
		p->in = session(&p->keys, p->keys.client, 0);
		p->out = session(&p->keys, p->keys.server, 1);
	}
}

/* Decrypt from p, re-encrypt for the other peer, send. */
static void on_srtp(struct peer *p, uint8_t *b, size_t n)
{
	struct peer *to = p == &pub ? &view : &pub;
	int len = (int)n, rtcp = n >= 2 && b[1] >= 192 && b[1] <= 223;
	uint8_t fwd[2048 + 64];

	if (!p->in || n < 12 || n > 2048)
		return;
	if (rtcp ? srtp_unprotect_rtcp(p->in, b, &len) : srtp_unprotect(p->in, b, &len)) {
		(*(rtcp ? &p->rtcp_bad : &p->rtp_bad))++;
		return;
	}
	(*(rtcp ? &p->rtcp_in : &p->rtp_in))++;
	if (!to->out)
		return;
	memcpy(fwd, b, (size_t)len);
	if (rtcp ? srtp_protect_rtcp(to->out, fwd, &len) : srtp_protect(to->out, fwd, &len))
		return;
	send_to(to, fwd, (size_t)len);
	p->forwarded++;
}

static void fingerprint_of(const char *sdp, char *fp, size_t cap)
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
}

TEST(chromium_views_what_chromium_publishes)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	long frames = 0, audio = 0;
	int64_t first_frame_ns = 0;

	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (bind(udp_fd, (struct sockaddr *)&a, sizeof a) || getsockname(udp_fd, (struct sockaddr *)&a, &al))
		SKIP("no loopback UDP socket: %s", strerror(errno));
	struct dtls_ctx *ctx = dtls_ctx_create(NULL);
	ice = ice_table_create(4, 0);
	CHECK(ctx && ice);
	if (!ctx || !ice)
		return;
	int64_t t0 = amphi_mono_ns();
	CHECK_INT(ice_peer_add(ice, pub.ufrag, pub.pwd, &pub, t0), ==, 0);
	CHECK_INT(ice_peer_add(ice, view.ufrag, view.pwd, &view, t0), ==, 0);
	node_peer_start(&node, "tests/data/webrtc/chromium-loop.js");
	node_peer_send(&node, json_pack("{s:s,s:i,s:s,s:{s:s,s:s},s:{s:s,s:s}}", "address", "127.0.0.1",
	                                "port", ntohs(a.sin_port), "fingerprint", dtls_ctx_fingerprint(ctx),
	                                "view", "ufrag", view.ufrag, "pwd", view.pwd,
	                                "pub", "ufrag", pub.ufrag, "pwd", pub.pwd));

	int64_t end = amphi_mono_ns() + 30 * 1000000000LL;
	while (amphi_mono_ns() < end && !(frames >= 60 && audio >= 50) && !node.eof) {
		struct pollfd pf[2] = { { udp_fd, POLLIN, 0 }, { node.out, POLLIN, 0 } };
		poll(pf, 2, 20);
		for (json_t *ev; (ev = node_peer_next(&node, 0)); json_decref(ev)) {
			const char *who = json_string_value(json_object_get(ev, "who"));
			struct peer *p = who && !strcmp(who, "pub") ? &pub : who ? &view : NULL;
			const char *offer = json_string_value(json_object_get(ev, "offer"));
			const char *st = json_string_value(json_object_get(ev, "state"));
			const char *er = json_string_value(json_object_get(ev, "error"));
			if (p && offer)
				fingerprint_of(offer, p->remote_fp, sizeof p->remote_fp);
			if (p && st)
				snprintf(p->state, sizeof p->state, "%s", st);
			if (er)
				HARNESS_FAIL("browser: %s", er);
			if (json_object_get(ev, "frames")) {
				frames = (long)json_integer_value(json_object_get(ev, "frames"));
				audio = (long)json_integer_value(json_object_get(ev, "audio"));
				if (frames > 0 && !first_frame_ns)
					first_frame_ns = amphi_mono_ns();
			}
		}
		for (;;) {
			uint8_t b[2048], out[256];
			struct sockaddr_in from;
			socklen_t fl = sizeof from;
			ssize_t n = recvfrom(udp_fd, b, sizeof b, 0, (struct sockaddr *)&from, &fl);
			if (n <= 0)
				break;
			void *user = NULL;
			switch (stun_demux(b, (size_t)n)) {
			case STUN_DEMUX_STUN: {
				int r = ice_table_stun(ice, b, (size_t)n, (struct sockaddr *)&from, amphi_mono_ns(),
				                       out, sizeof out, &user);
				if (r > 0)
					sendto(udp_fd, out, (size_t)r, 0, (struct sockaddr *)&from, fl);
				break;
			}
			case STUN_DEMUX_DTLS:
				if ((user = ice_table_lookup_addr(ice, (struct sockaddr *)&from)))
					on_dtls(ctx, user, b, (size_t)n);
				break;
			case STUN_DEMUX_RTP:
				if ((user = ice_table_lookup_addr(ice, (struct sockaddr *)&from)))
					on_srtp(user, b, (size_t)n);
				break;
			case STUN_DEMUX_UNKNOWN:
				break;
			}
		}
		int64_t now = amphi_mono_ns();
		if (pub.dtls)
			dtls_conn_tick(pub.dtls, now);
		if (view.dtls)
			dtls_conn_tick(view.dtls, now);
		CHECK_INT(ice_table_expire(ice, now, NULL, NULL), ==, 0);
	}

	double ttff = first_frame_ns && pub.connected_ns ? (double)(first_frame_ns - pub.connected_ns) / 1e6 : -1;
	printf("  pub: %s, rtp in=%d bad=%d, rtcp in=%d bad=%d, forwarded=%d\n", pub.state,
	       pub.rtp_in, pub.rtp_bad, pub.rtcp_in, pub.rtcp_bad, pub.forwarded);
	printf("  view: %s, rtcp in=%d bad=%d, forwarded=%d; frames decoded %ld, audio packets %ld\n",
	       view.state, view.rtcp_in, view.rtcp_bad, view.forwarded, frames, audio);
	printf("  time from the publisher's DTLS handshake to the viewer's first decoded frame: %.0f ms "
	       "(stats polled every 100 ms)\n", ttff);
	CHECK_STR(pub.state, "connected");
	CHECK_STR(view.state, "connected");
	CHECK(pub.dtls && dtls_conn_state(pub.dtls) == DTLS_CONNECTED);
	CHECK(view.dtls && dtls_conn_state(view.dtls) == DTLS_CONNECTED);
	CHECK_INT(frames, >=, 60);
	CHECK_INT(audio, >=, 50);
	CHECK_INT(pub.rtp_bad + pub.rtcp_bad + view.rtp_bad + view.rtcp_bad, ==, 0);
	CHECK_INT(view.rtcp_in, >, 0);   /* the viewer's feedback went back to the publisher */

	struct peer *ps[2] = { &pub, &view };
	for (int i = 0; i < 2; i++) {
		if (ps[i]->in)
			srtp_dealloc(ps[i]->in);
		if (ps[i]->out)
			srtp_dealloc(ps[i]->out);
		dtls_conn_destroy(ps[i]->dtls);
		explicit_bzero(&ps[i]->keys, sizeof ps[i]->keys);
	}
	ice_table_destroy(ice);
	dtls_ctx_destroy(ctx);
}

int main(void)
{
	if (srtp_init() != srtp_err_status_ok)
		SKIP("libsrtp does not initialize");
	alarm(120);   /* a hung browser fails the test rather than the runner's timeout */
	RUN(chromium_views_what_chromium_publishes);
	node_peer_stop(&node);
	close(udp_fd);
	return harness_done();
}
