/* amphi-bench's WHEP client pieces (bench/whep.h): URLs, HTTP responses,
 * the offer it writes and the answers it reads, on an answer laid out as
 * amphi-control's control/sdp.c writes one (and refusals of broken ones).
 * That amphi-control accepts the offer and that the answer carries what a
 * viewer needs is proven end to end by tests/integration/webrtc_load.sh. */
#include "tests/harness.h"
#include "bench/whep.h"

#include <errno.h>

static const char answer[] =
	"v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	"a=group:BUNDLE 0 1\r\na=ice-lite\r\na=msid-semantic: WMS webinar-7\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
	"a=ice-ufrag:rLx9\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
	"a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n"
	"a=setup:passive\r\n"
	"a=candidate:1 1 udp 2130706431 127.0.0.1 40001 typ host\r\n"
	"a=candidate:2 1 udp 2130706175 ::1 40001 typ host\r\n"
	"a=end-of-candidates\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
	"a=msid:webinar-7 audio\r\na=ssrc:1111 cname:amphi\r\na=ssrc:1111 msid:webinar-7 audio\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
	"a=ice-ufrag:rLx9\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
	"a=candidate:1 1 udp 2130706431 127.0.0.1 40001 typ host\r\n"
	"a=sendonly\r\na=rtpmap:96 VP8/90000\r\n"
	"a=ssrc:4294967295 cname:amphi\r\n"
	"m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n"
	"a=candidate:9 1 udp 1 10.9.9.9 9 typ host\r\na=inactive\r\n";

TEST(urls)
{
	struct whep_url u;

	CHECK_INT(whep_url_parse("http://127.0.0.1:8080/whep/12", &u), ==, 0);
	CHECK_STR(u.host, "127.0.0.1");
	CHECK_STR(u.port, "8080");
	CHECK_STR(u.path, "/whep/12");
	CHECK_INT(whep_url_parse("http://[::1]:81/w", &u), ==, 0);
	CHECK_STR(u.host, "::1");
	CHECK_STR(u.port, "81");
	CHECK_INT(whep_url_parse("http://localhost/whep/x", &u), ==, 0);
	CHECK_STR(u.port, "80");
	CHECK_INT(whep_url_parse("https://example.org/whep/1", &u), ==, -EPROTONOSUPPORT);
	CHECK_INT(whep_url_parse("ftp://x/y", &u), ==, -EPROTONOSUPPORT);
	CHECK_INT(whep_url_parse("127.0.0.1:8080/whep", &u), ==, -EINVAL);
	CHECK_INT(whep_url_parse("http://127.0.0.1:80x/w", &u), ==, -EINVAL);
	CHECK_INT(whep_url_parse("http://host", &u), ==, -EINVAL);
	CHECK_INT(whep_url_parse("http://:80/w", &u), ==, -EINVAL);
	CHECK_INT(whep_url_parse("http://[::1/w", &u), ==, -EINVAL);
}

TEST(responses)
{
	static const char ok[] = "HTTP/1.1 201 Created\r\nContent-Type: application/sdp\r\n"
	                         "location:  /whep/7/abcDEF  \r\nContent-Length: 5\r\n\r\nv=0\r\nextra";
	static const char noreason[] = "HTTP/1.0 503\r\nRetry-After: 2\r\n\r\n{}";
	struct http_response r;

	CHECK_INT(http_response_parse(ok, strlen(ok), &r), ==, 0);
	CHECK_INT(r.status, ==, 201);
	CHECK_STR(r.location, "/whep/7/abcDEF");
	CHECK_INT(r.body_len, ==, 5);
	CHECK(!memcmp(r.body, "v=0\r\n", 5));
	CHECK_INT(http_response_parse(noreason, strlen(noreason), &r), ==, 0);
	CHECK_INT(r.status, ==, 503);
	CHECK_INT(r.body_len, ==, 2);
	CHECK_STR(r.location, "");
	/* the body cut short of its Content-Length, headers never ended, not HTTP */
	CHECK_INT(http_response_parse(ok, strlen(ok) - 8, &r), ==, -EMSGSIZE);
	CHECK_INT(http_response_parse(ok, 40, &r), ==, -EINVAL);
	CHECK_INT(http_response_parse("SIP/2.0 200 OK\r\n\r\n", 18, &r), ==, -EINVAL);
	CHECK_INT(http_response_parse("HTTP/1.1 2x1 Created\r\n\r\n", 24, &r), ==, -EINVAL);
	CHECK_INT(http_response_parse("HTTP/1.1 201 OK\r\nContent-Length: -1\r\n\r\n", 39, &r), ==, -EINVAL);
}

TEST(offer_has_what_amphi_requires)
{
	char o[8192];
	int n = whep_offer_build(o, sizeof o, "uFr4g", "0123456789abcdefghijkl", "sha-256 AA:BB");

	CHECK(n > 0);
	CHECK_INT(strlen(o), ==, n);
	CHECK(strstr(o, "a=group:BUNDLE 0 1\r\n") != NULL);
	CHECK(strstr(o, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n") != NULL);
	CHECK(strstr(o, "m=video 9 UDP/TLS/RTP/SAVPF 96 102\r\n") != NULL);
	CHECK(strstr(o, "a=recvonly\r\n") != NULL);
	CHECK(strstr(o, "a=rtcp-mux\r\n") != NULL);
	CHECK(strstr(o, "a=setup:actpass\r\n") != NULL);
	CHECK(strstr(o, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n") != NULL);
	CHECK(strstr(o, "a=fingerprint:sha-256 AA:BB\r\n") != NULL);
	CHECK(strstr(o, "a=ice-ufrag:uFr4g\r\na=ice-pwd:0123456789abcdefghijkl\r\n") != NULL);
	CHECK(strstr(o, "packetization-mode=1") != NULL);
	CHECK_INT(whep_offer_build(o, 100, "u", "p", "f"), ==, -ENOSPC);
}

TEST(answer_read)
{
	struct whep_answer a;
	char err[128] = "";

	CHECK_INT(whep_answer_parse(answer, strlen(answer), &a, err, sizeof err), ==, 0);
	CHECK_STR(a.ufrag, "rLx9");
	CHECK_STR(a.pwd, "0123456789abcdefghijkl");
	CHECK(!strncmp(a.fingerprint, "sha-256 AB:CD:EF:01", 19));
	CHECK_STR(a.host, "127.0.0.1");
	CHECK_INT(a.port, ==, 40001);
	CHECK_INT(a.media, ==, 2);            /* the data channel section was rejected */
	CHECK_INT(a.ssrc[0], ==, 1111);
	CHECK_INT(a.ssrc[1], ==, 4294967295u);
}

/* Each line the viewer needs, taken out, gives a reason naming it. */
TEST(answer_without_what_a_viewer_needs)
{
	static const struct { const char *drop, *reason; } cases[] = {
		{ "a=ice-pwd:", "ice-pwd" },
		{ "a=fingerprint:", "fingerprint" },
		{ "a=candidate:", "candidate" },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char buf[sizeof answer], err[128] = "";
		const char *p = answer;
		size_t n = 0;
		struct whep_answer a;

		while (*p) {   /* copy without the dropped lines */
			const char *eol = strchr(p, '\n');
			size_t ll = (size_t)(eol - p) + 1;

			if (strncmp(p, cases[c].drop, strlen(cases[c].drop)) != 0) {
				memcpy(buf + n, p, ll);
				n += ll;
			}
			p += ll;
		}
		CHECK_INT(whep_answer_parse(buf, n, &a, err, sizeof err), ==, -EINVAL);
		CHECK(strstr(err, cases[c].reason) != NULL);
	}
	{
		struct whep_answer a;
		char err[128] = "";
		static const char rejected[] = "v=0\r\na=ice-ufrag:a\r\na=ice-pwd:b\r\na=fingerprint:sha-256 AA\r\n"
		                               "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"
		                               "a=candidate:1 1 udp 1 127.0.0.1 4 typ host\r\n";

		CHECK_INT(whep_answer_parse(rejected, strlen(rejected), &a, err, sizeof err), ==, -EINVAL);
	}
}

int main(void)
{
	RUN(urls);
	RUN(responses);
	RUN(offer_has_what_amphi_requires);
	RUN(answer_read);
	RUN(answer_without_what_a_viewer_needs);
	return harness_done();
}
