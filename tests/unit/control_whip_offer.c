/* control/whip_offer.c with offers captured from Chromium and libdatachannel
 * (tests/data/sdp/):
 * what webrtc.add is asked (role, ICE credentials, the browser's
 * fingerprint, each served track's payload type and mid, the extension ids),
 * the answer made from a relay reply (its port, fingerprint and SSRCs), the
 * HTTP status and error code of each kind of bad offer, and the relay
 * replies that must be refused.  The HTTP side is webrtc_http.sh. */
#include "tests/harness.h"
#include "tests/sdp_fixture.h"
#include "control/whip_offer.h"

#include <errno.h>

#define UFRAG "Ab3+"
#define PWD "0123456789abcdefghij/+"

/* text without the lines containing what (static buffer). */
static char *drop_lines(const char *text, const char *what)
{
	static char out[20000];
	size_t o = 0;
	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p + 1) : strlen(p);
		if (!memmem(p, n, what, strlen(what))) {
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = 0;
	return out;
}

static const struct whip_relay_peer relay = {
	.host = "127.0.0.1", .port = 40001, .ssrc_audio = 0x1234, .ssrc_video = 0x5678,
	.fingerprint = "sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
	               "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
};

TEST(whip_offer_to_relay_and_answer)
{
	const char *t = sdp_fixture("chromium-sendonly.sdp");
	struct whip_offer o;
	const char *error = NULL;
	char reason[256], out[8192], err[256];

	CHECK_INT(whip_offer_check(t, strlen(t), SDP_ROLE_WHIP, SDP_VIDEO_VP8, UFRAG, PWD, &o, &error,
	                           reason, sizeof reason), ==, 0);
	CHECK_STR(o.mids[0], "0");
	CHECK_STR(o.mids[1], "1");
	json_t *a = whip_offer_relay_args(&o, UFRAG, PWD);
	CHECK_STR(json_string_value(json_object_get(a, "role")), "publisher");
	CHECK_STR(json_string_value(json_object_get(json_object_get(a, "ice"), "ufrag")), UFRAG);
	CHECK_STR(json_string_value(json_object_get(json_object_get(a, "ice"), "pwd")), PWD);
	/* the browser's certificate, for the relay to check its DTLS client */
	CHECK_STR(json_string_value(json_object_get(a, "fingerprint")),
	          "sha-256 19:04:24:AD:A1:9C:13:AD:8B:98:F5:16:00:82:C6:DE:47:E7:5F:B5:85:90:A7:53:75:04:5B:3B:FD:86:CD:5D");
	json_t *tr = json_object_get(a, "tracks");
	CHECK_INT(json_array_size(tr), ==, 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(tr, 0), "kind")), "audio");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(tr, 0), "pt")), ==, 111);
	CHECK_STR(json_string_value(json_object_get(json_array_get(tr, 0), "mid")), "0");
	CHECK_STR(json_string_value(json_object_get(json_array_get(tr, 1), "kind")), "video");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(tr, 1), "pt")), ==, 96);
	CHECK_STR(json_string_value(json_object_get(json_array_get(tr, 1), "mid")), "1");
	json_t *x = json_object_get(a, "extmap");
	CHECK_INT(json_integer_value(json_object_get(x, "mid")), ==, 4);
	CHECK_INT(json_integer_value(json_object_get(x, "transport-cc")), ==, 3);
	CHECK_INT(json_integer_value(json_object_get(x, "abs-send-time")), ==, 2);
	json_decref(a);

	int n = whip_offer_answer(&o, UFRAG, PWD, &relay, "webinar-7", out, sizeof out, err, sizeof err);
	CHECK_INT(n, >, 0);
	CHECK(strstr(out, "a=candidate:1 1 udp 2130706431 127.0.0.1 40001 typ host\r\n") != NULL);
	CHECK(strstr(out, "a=fingerprint:sha-256 AB:CD:EF:01:23") != NULL);
	CHECK(strstr(out, "a=ice-ufrag:" UFRAG "\r\n") != NULL);
	CHECK(strstr(out, "a=recvonly\r\n") != NULL);
	CHECK(strstr(out, "a=ssrc:") == NULL);   /* WHIP: the browser sends, nothing to announce */
	CHECK(strstr(out, "b=") == NULL);        /* no cap set: none written */
	CHECK(strstr(out, "x-google") == NULL);  /* nor a start bitrate */
	whip_offer_free(&o);
}

/* The webinar's max_video_bitrate: on the video m-section of a WHIP answer
 * as b=AS (kbit/s) and b=TIAS (bit/s), and to the relay for REMB when the
 * answer kept goog-remb; without goog-remb in the offer, no REMB. */
TEST(whip_cap_in_answer_and_remb)
{
	const char *t = sdp_fixture("chromium-sendonly.sdp");
	struct whip_offer o;
	const char *error = NULL;
	char reason[256], out[8192], err[256];

	CHECK_INT(whip_offer_check(t, strlen(t), SDP_ROLE_WHIP, SDP_VIDEO_VP8, UFRAG, PWD, &o, &error,
	                           reason, sizeof reason), ==, 0);
	o.max_video_bitrate = 2500000;
	json_t *a = whip_offer_relay_args(&o, UFRAG, PWD);
	CHECK(json_is_true(json_object_get(a, "remb")));
	CHECK_INT(json_integer_value(json_object_get(a, "max_bitrate")), ==, 2500000);
	json_decref(a);
	CHECK_INT(whip_offer_answer(&o, UFRAG, PWD, &relay, "webinar-7", out, sizeof out, err, sizeof err), >, 0);
	const char *video = strstr(out, "m=video");
	CHECK(video != NULL);
	CHECK(strstr(video, "c=IN IP4 0.0.0.0\r\nb=AS:2500\r\nb=TIAS:2500000\r\na=mid:") != NULL);
	CHECK(strstr(out, "b=AS") == strstr(video, "b=AS"));   /* not on the audio section */
	/* Chromium's estimate starts at the cap, not at its 300 kbit/s */
	CHECK(strstr(video, "a=fmtp:96 x-google-start-bitrate=2500\r\n") != NULL);
	CHECK(strstr(out, "x-google") == strstr(video, "x-google"));
	whip_offer_free(&o);

	/* H.264: on the same fmtp line as the codec's own parameters */
	t = sdp_fixture("libdatachannel-sendonly.sdp");
	CHECK_INT(whip_offer_check(t, strlen(t), SDP_ROLE_WHIP, SDP_VIDEO_H264, UFRAG, PWD, &o, &error,
	                           reason, sizeof reason), ==, 0);
	o.max_video_bitrate = 1200000;
	CHECK_INT(whip_offer_answer(&o, UFRAG, PWD, &relay, "webinar-7", out, sizeof out, err, sizeof err), >, 0);
	CHECK(strstr(out, "packetization-mode=1;profile-level-id=42e01f;x-google-start-bitrate=1200\r\n") != NULL);
	whip_offer_free(&o);

	t = drop_lines(sdp_fixture("chromium-sendonly.sdp"), "goog-remb");
	CHECK_INT(whip_offer_check(t, strlen(t), SDP_ROLE_WHIP, SDP_VIDEO_VP8, UFRAG, PWD, &o, &error,
	                           reason, sizeof reason), ==, 0);
	o.max_video_bitrate = 2500000;
	a = whip_offer_relay_args(&o, UFRAG, PWD);
	CHECK(json_object_get(a, "remb") == NULL);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(a, "extmap"), "transport-cc")), ==, 3);
	json_decref(a);
	whip_offer_free(&o);

}

/* libdatachannel (OBS's WHIP output) offers no header extension: webrtc.add
 * is asked for no extension id at all, which the relay reads as "write no
 * sdes:mid" (docs/relay-control.md). */
TEST(libdatachannel_publisher_without_extensions)
{
	const char *t = sdp_fixture("libdatachannel-sendonly.sdp");
	struct whip_offer o;
	const char *error = NULL;
	char reason[256];

	CHECK_INT(whip_offer_check(t, strlen(t), SDP_ROLE_WHIP, SDP_VIDEO_H264, UFRAG, PWD, &o, &error,
	                           reason, sizeof reason), ==, 0);
	json_t *a = whip_offer_relay_args(&o, UFRAG, PWD);
	json_t *tr = json_object_get(a, "tracks");
	CHECK_INT(json_array_size(tr), ==, 2);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(tr, 1), "pt")), ==, 96);
	CHECK_INT(json_object_size(json_object_get(a, "extmap")), ==, 0);
	json_decref(a);
	whip_offer_free(&o);
}

TEST(whep_answer_announces_the_relay_ssrcs)
{
	const char *t = sdp_fixture("chromium-recvonly.sdp");
	struct whip_offer o;
	const char *error = NULL;
	char reason[256], out[8192], err[256];

	CHECK_INT(whip_offer_check(t, strlen(t), SDP_ROLE_WHEP, SDP_VIDEO_H264, UFRAG, PWD, &o, &error,
	                           reason, sizeof reason), ==, 0);
	json_t *a = whip_offer_relay_args(&o, UFRAG, PWD);
	CHECK_STR(json_string_value(json_object_get(a, "role")), "viewer");
	/* this offer has video first: mid 0 is video, with an H.264 payload type */
	json_t *v = json_array_get(json_object_get(a, "tracks"), 0);
	CHECK_STR(json_string_value(json_object_get(v, "kind")), "video");
	CHECK_STR(json_string_value(json_object_get(v, "mid")), "0");
	CHECK_INT(json_integer_value(json_object_get(json_object_get(a, "extmap"), "mid")), ==, 9);
	/* Chromium offers rtx for its H.264 (apt): the relay is told its payload type */
	CHECK(json_is_integer(json_object_get(v, "rtx_pt")));
	int rtx_pt = (int)json_integer_value(json_object_get(v, "rtx_pt"));
	json_decref(a);
	int n = whip_offer_answer(&o, UFRAG, PWD, &relay, "webinar-7", out, sizeof out, err, sizeof err);
	CHECK_INT(n, >, 0);
	CHECK(strstr(out, "a=ssrc:4660 cname:amphi\r\n") != NULL);    /* 0x1234 */
	CHECK(strstr(out, "a=ssrc:22136 msid:webinar-7 amphi-video\r\n") != NULL);   /* 0x5678 */
	CHECK(strstr(out, "a=sendonly\r\n") != NULL);
	/* the relay gave no RTX SSRC: no rtx answered */
	CHECK(!strstr(out, "rtx/90000") && !strstr(out, "ssrc-group"));
	/* with one, rtx is answered and grouped (RFC 4588, RFC 5576 FID) */
	struct whip_relay_peer with_rtx = relay;
	with_rtx.ssrc_video_rtx = 0x9abc;
	n = whip_offer_answer(&o, UFRAG, PWD, &with_rtx, "webinar-7", out, sizeof out, err, sizeof err);
	CHECK_INT(n, >, 0);
	char line[64];
	snprintf(line, sizeof line, "a=rtpmap:%d rtx/90000\r\n", rtx_pt);
	CHECK(strstr(out, line) != NULL);
	CHECK(strstr(out, "a=ssrc-group:FID 22136 39612\r\n") != NULL);
	CHECK(strstr(out, "a=ssrc:39612 cname:amphi\r\n") != NULL);
	/* a relay reply without SSRCs cannot make a WHEP answer */
	struct whip_relay_peer no_ssrc = relay;
	no_ssrc.ssrc_audio = no_ssrc.ssrc_video = 0;
	CHECK_INT(whip_offer_answer(&o, UFRAG, PWD, &no_ssrc, "webinar-7", out, sizeof out, err, sizeof err), <, 0);
	whip_offer_free(&o);
}

TEST(bad_offers_get_status_and_reason)
{
	const char *t = sdp_fixture("chromium-sendonly.sdp");
	struct whip_offer o;
	const char *error = NULL;
	char reason[256];

	CHECK_INT(whip_offer_check("", 0, SDP_ROLE_WHIP, SDP_VIDEO_VP8, UFRAG, PWD, &o, &error, reason,
	                           sizeof reason), ==, 400);
	CHECK_STR(error, "malformed_offer");
	CHECK_INT(whip_offer_check("v=0\r\nbogus\r\n", 12, SDP_ROLE_WHIP, SDP_VIDEO_VP8, UFRAG, PWD, &o, &error,
	                           reason, sizeof reason), ==, 400);
	CHECK_STR(error, "malformed_offer");
	CHECK(strncmp(reason, "line ", 5) == 0);
	char *nob = drop_lines(t, "a=group:BUNDLE");
	CHECK_INT(whip_offer_check(nob, strlen(nob), SDP_ROLE_WHIP, SDP_VIDEO_VP8, UFRAG, PWD, &o, &error,
	                           reason, sizeof reason), ==, 422);
	CHECK_STR(error, "unusable_offer");
	CHECK(strstr(reason, "BUNDLE") != NULL);
	char *nov = drop_lines(t, "VP8");
	CHECK_INT(whip_offer_check(nov, strlen(nov), SDP_ROLE_WHIP, SDP_VIDEO_VP8, UFRAG, PWD, &o, &error,
	                           reason, sizeof reason), ==, 422);
	CHECK_STR(error, "no_common_codec");
	CHECK(strstr(reason, "VP8") != NULL);
	/* the browser sends: nothing for a WHEP viewer to receive */
	CHECK_INT(whip_offer_check(t, strlen(t), SDP_ROLE_WHEP, SDP_VIDEO_VP8, UFRAG, PWD, &o, &error,
	                           reason, sizeof reason), ==, 422);
	CHECK_STR(error, "unusable_offer");
	/* bad local credentials are this process's fault, not the offer's */
	CHECK_INT(whip_offer_check(t, strlen(t), SDP_ROLE_WHIP, SDP_VIDEO_VP8, "x", PWD, &o, &error,
	                           reason, sizeof reason), ==, 500);
}

TEST(relay_replies)
{
	static const char *const bad[] = {
		"{}",
		"{\"host\":\"127.0.0.1\",\"fingerprint\":\"sha-256 AB\"}",                           /* no port */
		"{\"host\":\"127.0.0.1\",\"port\":70000,\"fingerprint\":\"sha-256 AB\"}",
		"{\"host\":\"127.0.0.1\",\"port\":\"40000\",\"fingerprint\":\"sha-256 AB\"}",
		"{\"host\":\"\",\"port\":40000,\"fingerprint\":\"sha-256 AB\"}",
		"{\"host\":\"127.0.0.1\",\"port\":40000}",                                         /* no fingerprint */
		"{\"host\":\"127.0.0.1\",\"port\":40000,\"fingerprint\":\"sha-256 AB\",\"ssrcs\":{\"audio\":-1,\"video\":2}}",
		"{\"host\":\"127.0.0.1\",\"port\":40000,\"fingerprint\":\"sha-256 AB\",\"ssrcs\":{\"audio\":1,\"video\":4294967296}}",
		"{\"host\":\"127.0.0.1\",\"port\":40000,\"fingerprint\":\"sha-256 AB\",\"ssrcs\":{\"audio\":1,\"video\":2},"
		"\"rtx_ssrcs\":{\"video\":0}}",
	};
	struct whip_relay_peer rp;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		json_t *j = json_loads(bad[i], 0, NULL);
		CHECK(j != NULL);
		CHECK_INT(whip_relay_reply_parse(j, &rp), ==, -EPROTO);
		json_decref(j);
	}
	json_t *j = json_loads("{\"peer\":\"p\",\"worker\":1,\"host\":\"127.0.0.1\",\"port\":40001,"
	                       "\"fingerprint\":\"sha-256 AB:CD\",\"ssrcs\":{\"audio\":4294967295,\"video\":7}}", 0, NULL);
	CHECK_INT(whip_relay_reply_parse(j, &rp), ==, 0);
	CHECK_STR(rp.host, "127.0.0.1");
	CHECK_INT(rp.port, ==, 40001);
	CHECK_STR(rp.fingerprint, "sha-256 AB:CD");
	CHECK(rp.ssrc_audio == 4294967295u && rp.ssrc_video == 7 && rp.ssrc_video_rtx == 0);
	json_decref(j);
	j = json_loads("{\"host\":\"127.0.0.1\",\"port\":40001,\"fingerprint\":\"sha-256 AB\","
	               "\"ssrcs\":{\"audio\":1,\"video\":7},\"rtx_ssrcs\":{\"video\":8}}", 0, NULL);
	CHECK_INT(whip_relay_reply_parse(j, &rp), ==, 0);
	CHECK_INT(rp.ssrc_video_rtx, ==, 8);
	json_decref(j);
}

int main(void)
{
	RUN(whip_offer_to_relay_and_answer);
	RUN(whip_cap_in_answer_and_remb);
	RUN(libdatachannel_publisher_without_extensions);
	RUN(whep_answer_announces_the_relay_ssrcs);
	RUN(bad_offers_get_status_and_reason);
	RUN(relay_replies);
	return harness_done();
}
