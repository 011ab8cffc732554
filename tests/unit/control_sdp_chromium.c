/* The SDP answers of control/sdp.c given to a real headless Chromium
 * (tests/data/sdp/answer-check.js through playwright-core): for WHIP
 * (camera + microphone, also with simulcast encodings) and WHEP
 * (recvonly video + audio), with VP8 and H.264, Chromium accepts each answer,
 * negotiates the direction, payload type and H.264 profile the answer chose,
 * raises the WHEP tracks under the announced msid stream, and sends its ICE
 * connectivity checks (STUN Binding requests whose USERNAME starts with the
 * answer's ufrag) to the host candidate the answer announced.
 * Skipped (77) when chromium, node or playwright-core is missing:
 * `tools/deps --npm` installs them. */
#include "tests/harness.h"
#include "tests/node_peer.h"
#include "control/sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "common/clock.h"

static struct node_peer node;
static int udp_fd;
static uint16_t udp_port;
static char seen_ufrags[8][8];
static int n_seen;

/* Drains the UDP socket, remembering the ufrag of every STUN Binding
 * request (RFC 5389: type 0x0001, cookie, USERNAME 0x0006 "ours:theirs"). */
static void collect_checks(void)
{
	uint8_t b[1500];
	ssize_t n;
	while ((n = recv(udp_fd, b, sizeof b, 0)) >= 20) {
		if (b[0] != 0 || b[1] != 1 || b[4] != 0x21 || b[5] != 0x12 || b[6] != 0xa4 || b[7] != 0x42)
			continue;
		for (size_t off = 20; off + 4 <= (size_t)n;) {
			unsigned type = (unsigned)(b[off] << 8 | b[off + 1]), len = (unsigned)(b[off + 2] << 8 | b[off + 3]);
			if (off + 4 + len > (size_t)n)
				break;
			if (type == 6) {
				const uint8_t *c = memchr(b + off + 4, ':', len);
				size_t ul = c ? (size_t)(c - (b + off + 4)) : 0;
				int known = 0;
				for (int i = 0; i < n_seen; i++)
					known |= strlen(seen_ufrags[i]) == ul && !memcmp(seen_ufrags[i], b + off + 4, ul);
				if (c && !known && ul < 8 && n_seen < 8) {
					memcpy(seen_ufrags[n_seen], b + off + 4, ul);
					seen_ufrags[n_seen++][ul] = 0;
				}
			}
			off += 4 + ((len + 3) & ~3u);
		}
	}
}

struct scenario {
	const char *mode;
	enum sdp_role role;
	enum sdp_video codec;
	const char *ufrag;
};

static void run(const struct scenario *s)
{
	char mode_json[64], err[256], answer[8192];
	struct sdp_choice ch[SDP_MAX_MEDIA];
	struct sdp_candidate cand = { "127.0.0.1", udp_port };

	snprintf(mode_json, sizeof mode_json, "%s", s->mode);
	node_peer_send(&node, json_pack("{s:s}", "mode", mode_json));
	json_t *r = node_peer_next(&node, 30000);
	const char *offer_text = json_string_value(json_object_get(r, "offer"));
	CHECK(offer_text != NULL);
	if (!offer_text) {
		printf("  browser: %s\n", r ? json_dumps(r, 0) : "no reply");
		json_decref(r);
		return;
	}
	struct sdp_offer *o = sdp_offer_parse(offer_text, strlen(offer_text), err, sizeof err);
	CHECK(o != NULL);
	struct sdp_answer_params p = {
		.role = s->role, .codec = s->codec, .ice_ufrag = s->ufrag,
		.ice_pwd = "n8Yd2+/qV0pGZ7sL1kQWcE3m",
		/* any well-formed value: no DTLS handshake happens here */
		.fingerprint = "sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
		               "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
		.candidates = &cand, .n_candidates = 1, .session_id = 77,
		.audio_track = { 0x11111111, "amphi-audio" }, .video_track = { 0x22222222, "amphi-video" },
		.cname = "amphi-relay", .stream_id = "webinar-42",
	};
	int n = o ? sdp_answer_build(o, &p, answer, sizeof answer, ch, err, sizeof err) : -1;
	CHECK_INT(n, >, 0);
	json_decref(r);
	if (n <= 0) {
		printf("  answer: %s\n", err);
		sdp_offer_free(o);
		return;
	}
	node_peer_send(&node, json_pack("{s:s}", "answer", answer));
	r = node_peer_next(&node, 30000);
	CHECK(r && json_is_true(json_object_get(r, "ok")));
	if (!r || !json_is_true(json_object_get(r, "ok"))) {
		printf("  browser refused: %s\n", r ? json_string_value(json_object_get(r, "error")) : "no reply");
		json_decref(r);
		sdp_offer_free(o);
		return;
	}
	CHECK_STR(json_string_value(json_object_get(r, "signalingState")), "stable");
	json_t *ts = json_object_get(r, "transceivers");
	CHECK_INT(json_array_size(ts), ==, 2);
	const char *want_dir = s->role == SDP_ROLE_WHIP ? "sendonly" : "recvonly";
	for (size_t i = 0; i < json_array_size(ts) && i < o->n_media; i++) {
		json_t *t = json_array_get(ts, i);
		const char *kind = json_string_value(json_object_get(t, "kind"));
		CHECK_STR(json_string_value(json_object_get(t, "currentDirection")), want_dir);
		CHECK_STR(json_string_value(json_object_get(t, "mid")), o->media[i].mid);
		/* A sender's parameters list what it will send, the answer's choice
		 * first; a receiver's list everything it is ready to receive
		 * (all it offered), so there the chosen one must be among them. */
		json_t *cs = json_object_get(t, "codecs"), *c0 = NULL;
		for (size_t k = 0; k < json_array_size(cs); k++) {
			json_t *c = json_array_get(cs, k);
			if (json_integer_value(json_object_get(c, "payloadType")) == ch[i].pt) {
				c0 = c;
				break;
			}
		}
		CHECK(c0 != NULL);
		if (s->role == SDP_ROLE_WHIP)
			CHECK(c0 == json_array_get(cs, 0));
		const char *mime = json_string_value(json_object_get(c0, "mimeType"));
		const char *fmtp = json_string_value(json_object_get(c0, "sdpFmtpLine"));
		if (kind && !strcmp(kind, "audio")) {
			CHECK_STR(mime, "audio/opus");
		} else if (s->codec == SDP_VIDEO_VP8) {
			CHECK_STR(mime, "video/VP8");
		} else {
			CHECK_STR(mime, "video/H264");
			CHECK(fmtp && strstr(fmtp, "packetization-mode=1") && strstr(fmtp, "profile-level-id=42e01f"));
		}
	}
	if (s->role == SDP_ROLE_WHEP) {
		json_t *tr = json_object_get(r, "tracks");
		CHECK_INT(json_array_size(tr), ==, 2);
		for (size_t i = 0; i < json_array_size(tr); i++)
			CHECK_STR(json_string_value(json_object_get(json_array_get(tr, i), "stream")), "webinar-42");
	}
	json_decref(r);
	sdp_offer_free(o);
}

static const struct scenario scenarios[] = {
	{ "sendonly", SDP_ROLE_WHIP, SDP_VIDEO_VP8, "whp1" },
	{ "sendonly", SDP_ROLE_WHIP, SDP_VIDEO_H264, "whp2" },
	{ "simulcast", SDP_ROLE_WHIP, SDP_VIDEO_VP8, "whp3" },
	{ "recvonly", SDP_ROLE_WHEP, SDP_VIDEO_VP8, "whe1" },
	{ "recvonly", SDP_ROLE_WHEP, SDP_VIDEO_H264, "whe2" },
};

TEST(chromium_accepts_answers)
{
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		int before = harness_case_failed;
		harness_case_failed = 0;
		run(&scenarios[i]);
		if (harness_case_failed)
			printf("  ^ scenario %s %s %s\n", scenarios[i].mode,
			       scenarios[i].role == SDP_ROLE_WHIP ? "whip" : "whep",
			       scenarios[i].codec == SDP_VIDEO_VP8 ? "vp8" : "h264");
		harness_case_failed |= before;
	}
}

TEST(chromium_sends_checks_to_the_candidate)
{
	size_t want = sizeof scenarios / sizeof scenarios[0];
	int64_t end = amphi_mono_ns() + 5000000000LL;
	while ((size_t)n_seen < want && amphi_mono_ns() < end) {
		struct pollfd pf = { udp_fd, POLLIN, 0 };
		poll(&pf, 1, 100);
		collect_checks();
	}
	for (size_t i = 0; i < want; i++) {
		int found = 0;
		for (int k = 0; k < n_seen; k++)
			found |= !strcmp(seen_ufrags[k], scenarios[i].ufrag);
		if (!found)
			HARNESS_FAIL("no STUN check for ufrag %s", scenarios[i].ufrag);
	}
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;

	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (bind(udp_fd, (struct sockaddr *)&a, sizeof a) || getsockname(udp_fd, (struct sockaddr *)&a, &al))
		SKIP("no loopback UDP socket: %s", strerror(errno));
	udp_port = ntohs(a.sin_port);
	node_peer_start(&node, "tests/data/sdp/answer-check.js");
	alarm(120);   /* a hung browser fails the test rather than the runner's timeout */
	RUN(chromium_accepts_answers);
	RUN(chromium_sends_checks_to_the_candidate);
	node_peer_stop(&node);
	return harness_done();
}
