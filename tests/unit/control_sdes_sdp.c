/* sdes_sdp: the SDES viewer's body (every rule, every error at once) and the
 * receiver SDP ffmpeg and ffplay read (VP8, H.264 with packetization-mode=1,
 * a kind left out, rtcp-mux, IPv6). */
#include "tests/harness.h"
#include "control/sdes_sdp.h"

#include <errno.h>

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		printf("  bad test JSON: %s\n", e.text);
	return j;
}

static int has_field(json_t *errors, const char *field)
{
	size_t i;
	json_t *e;

	json_array_foreach(errors, i, e)
		if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
			return 1;
	return 0;
}

/* Parses text with default address "127.0.0.1"; the errors in *errs. */
static int target(const char *text, struct sdes_target *t, json_t **errs)
{
	json_t *b = parse(text);
	int r;

	*errs = json_array();
	r = sdes_target_parse(b, "127.0.0.1", t, *errs);
	json_decref(b);
	return r;
}

static const struct sdes_track tracks[2] = {
	{ false, "opus", 111, 0x11223344u, 48000, 2 },
	{ true, "VP8", 96, 0x55667788u, 90000, 0 },
};

TEST(target_defaults_to_the_requester)
{
	struct sdes_target t;
	json_t *errs;

	CHECK_INT(target("{\"audio_port\":50000,\"video_port\":50002}", &t, &errs), ==, 0);
	CHECK_STR(t.address, "127.0.0.1");
	CHECK(!t.ipv6 && !t.rtcp_mux);
	CHECK_INT(t.audio_port, ==, 50000);
	CHECK_INT(t.video_port, ==, 50002);
	json_decref(errs);
	CHECK_INT(target("{\"address\":\"::1\",\"video_port\":6000,\"rtcp_mux\":true}", &t, &errs), ==, 0);
	CHECK_STR(t.address, "::1");
	CHECK(t.ipv6 && t.rtcp_mux);
	CHECK_INT(t.audio_port, ==, 0);
	json_decref(errs);
}

TEST(target_every_error_at_once)
{
	struct sdes_target t;
	json_t *errs;

	CHECK_INT(target("{\"address\":\"example.org\",\"audio_port\":53,\"video_port\":\"x\",\"rtcp_mux\":1,"
	                 "\"extra\":0}", &t, &errs), ==, -EINVAL);
	CHECK(has_field(errs, "address"));
	CHECK(has_field(errs, "audio_port"));
	CHECK(has_field(errs, "video_port"));
	CHECK(has_field(errs, "rtcp_mux"));
	CHECK(has_field(errs, "extra"));
	json_decref(errs);
}

TEST(target_address_kinds)
{
	static const char *const refused[] = { "0.0.0.0", "224.0.0.1", "239.1.2.3", "255.255.255.255", "::",
	                                       "ff02::1", "1.2.3", "127.0.0.1:5000" };
	struct sdes_target t;
	json_t *errs;
	char body[128];

	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		snprintf(body, sizeof body, "{\"address\":\"%s\",\"video_port\":5000}", refused[i]);
		CHECK_INT(target(body, &t, &errs), ==, -EINVAL);
		CHECK(has_field(errs, "address"));
		json_decref(errs);
	}
	CHECK_INT(target("{\"address\":\"192.0.2.7\",\"video_port\":5000}", &t, &errs), ==, 0);
	json_decref(errs);
}

TEST(target_ports)
{
	struct sdes_target t;
	json_t *errs;

	CHECK_INT(target("{}", &t, &errs), ==, -EINVAL);            /* nothing to receive */
	json_decref(errs);
	/* a null port is an absent one: still nothing (the fuzz target found it accepted) */
	CHECK_INT(target("{\"video_port\":null}", &t, &errs), ==, -EINVAL);
	json_decref(errs);
	CHECK_INT(target("{\"audio_port\":null,\"video_port\":null}", &t, &errs), ==, -EINVAL);
	json_decref(errs);
	CHECK_INT(target("{\"video_port\":1023}", &t, &errs), ==, -EINVAL);
	json_decref(errs);
	CHECK_INT(target("{\"video_port\":1024}", &t, &errs), ==, 0);
	json_decref(errs);
	CHECK_INT(target("{\"video_port\":65535}", &t, &errs), ==, -EINVAL);   /* RTCP at 65536 */
	json_decref(errs);
	CHECK_INT(target("{\"video_port\":65535,\"rtcp_mux\":true}", &t, &errs), ==, 0);
	json_decref(errs);
	CHECK_INT(target("{\"audio_port\":5000,\"video_port\":5001}", &t, &errs), ==, -EINVAL);
	json_decref(errs);
	CHECK_INT(target("{\"audio_port\":5001,\"video_port\":5000}", &t, &errs), ==, -EINVAL);
	json_decref(errs);
	CHECK_INT(target("{\"audio_port\":5000,\"video_port\":5001,\"rtcp_mux\":true}", &t, &errs), ==, 0);
	json_decref(errs);
	CHECK_INT(target("{\"audio_port\":5000,\"video_port\":5000,\"rtcp_mux\":true}", &t, &errs), ==, -EINVAL);
	json_decref(errs);
}

TEST(sdp_vp8_both_kinds)
{
	struct sdes_target t = { "127.0.0.1", false, 50000, 50002, false };
	char out[2048];
	int n = sdes_sdp_write(&t, tracks, 2, "AES_CM_128_HMAC_SHA1_80", "S0VZ", "webinar-7", out, sizeof out);

	CHECK(n > 0);
	CHECK_INT((int)strlen(out), ==, n);
	CHECK_STR(out, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=webinar-7\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	          "m=audio 50000 RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\na=recvonly\r\n"
	          "a=ssrc:287454020 cname:amphi\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:S0VZ\r\n"
	          "m=video 50002 RTP/SAVP 96\r\na=rtpmap:96 VP8/90000\r\na=recvonly\r\n"
	          "a=ssrc:1432778632 cname:amphi\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:S0VZ\r\n");
}

TEST(sdp_h264_video_only_mux_ipv6)
{
	static const struct sdes_track h264[2] = {
		{ false, "opus", 111, 1, 48000, 2 },
		{ true, "H264", 102, 2, 90000, 0 },
	};
	struct sdes_target t = { "::1", true, 0, 6000, true };
	char out[2048];
	int n = sdes_sdp_write(&t, h264, 2, "AES_CM_128_HMAC_SHA1_80", "S0VZ", "w", out, sizeof out);

	CHECK(n > 0);
	CHECK(strstr(out, "c=IN IP6 ::1\r\n") != NULL);
	CHECK(strstr(out, "m=audio") == NULL);
	CHECK(strstr(out, "m=video 6000 RTP/SAVP 102\r\na=rtcp-mux\r\na=rtpmap:102 H264/90000\r\n"
	                  "a=fmtp:102 packetization-mode=1\r\n") != NULL);
}

TEST(sdp_limits)
{
	struct sdes_target none = { "127.0.0.1", false, 0, 0, false };
	struct sdes_target t = { "127.0.0.1", false, 50000, 50002, false };
	char out[2048];

	CHECK_INT(sdes_sdp_write(&none, tracks, 2, "AES_CM_128_HMAC_SHA1_80", "S0VZ", "w", out, sizeof out), ==, -EINVAL);
	CHECK_INT(sdes_sdp_write(&t, tracks, 2, "AES_CM_128_HMAC_SHA1_80", "S0VZ", "w", out, 100), ==, -ENOSPC);
	CHECK_INT(sdes_sdp_write(&t, tracks, 2, "AES_CM_128_HMAC_SHA1_80", "S0VZ", "w", out, 0), ==, -ENOSPC);
}

int main(void)
{
	RUN(target_defaults_to_the_requester);
	RUN(target_every_error_at_once);
	RUN(target_address_kinds);
	RUN(target_ports);
	RUN(sdp_vp8_both_kinds);
	RUN(sdp_h264_video_only_mux_ipv6);
	RUN(sdp_limits);
	return harness_done();
}
