/* STUN for ICE-lite: the RFC 5769 test vectors (parse, FINGERPRINT,
 * MESSAGE-INTEGRITY, XOR-MAPPED-ADDRESS), the answers an ICE-lite agent gives
 * (success, 400, 401, 420) read back, and the RFC 7983 demux. */
#include "tests/harness.h"
#include "relay/stun.h"
#include "tests/stun_vectors.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>


static size_t request_bytes(uint8_t *buf)
{
	return unhex(sample_request, buf, 200);
}

TEST(crc32_check_value)
{
	CHECK_INT(stun_crc32((const uint8_t *)"123456789", 9), ==, 0xCBF43926u);
	CHECK_INT(stun_crc32(NULL, 0), ==, 0);
}

TEST(rfc5769_request_parses_and_verifies)
{
	uint8_t buf[200];
	struct stun_msg m;
	size_t n = request_bytes(buf);

	CHECK_INT(n, ==, 108);
	CHECK_INT(stun_msg_parse(&m, buf, n), ==, 0);
	CHECK_INT(m.type, ==, STUN_BINDING_REQUEST);
	CHECK(m.has_fingerprint);
	CHECK_INT(m.username_len, ==, 9);
	CHECK_MEM(m.username, "evtj:h6vY", 9);
	CHECK(m.has_priority);
	CHECK_INT(m.priority, ==, 0x6e0001ff);
	CHECK(m.ice_controlled);
	CHECK(!m.ice_controlling);
	CHECK_INT(m.tiebreaker, ==, 0x932ff9b151263b36ull);
	/* header 20, SOFTWARE 20, PRIORITY 8, ICE-CONTROLLED 12, USERNAME 16 */
	CHECK_INT(m.integrity_off, ==, 76);
	CHECK_INT(stun_msg_check_integrity(&m, buf, password, strlen(password)), ==, 0);
	CHECK_INT(stun_msg_check_integrity(&m, buf, "VOkJxbRl1RmTxUk/WvJxBu", 22), ==, -EACCES);

	const uint8_t *uf;
	size_t uflen;
	CHECK_INT(stun_username_local(&m, &uf, &uflen), ==, 0);
	CHECK_INT(uflen, ==, 4);
	CHECK_MEM(uf, "evtj", 4);
	CHECK_INT(stun_binding_check(&m, buf, "evtj", password), ==, 0);
	CHECK_INT(stun_binding_check(&m, buf, "evtX", password), ==, 401);
	CHECK_INT(stun_binding_check(&m, buf, "evt", password), ==, 401);
	CHECK_INT(stun_binding_check(&m, buf, "evtj", "wrong"), ==, 401);
}

TEST(rfc5769_responses_decode)
{
	uint8_t buf[200];
	struct stun_msg m;
	char ip[64];
	size_t n = unhex(sample_ipv4_response, buf, sizeof buf);

	CHECK_INT(n, ==, 80);
	CHECK_INT(stun_msg_parse(&m, buf, n), ==, 0);
	CHECK_INT(m.type, ==, STUN_BINDING_SUCCESS);
	CHECK(m.has_xor_mapped);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&m.xor_mapped;
	CHECK_INT(sin->sin_family, ==, AF_INET);
	CHECK_STR(inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip), "192.0.2.1");
	CHECK_INT(ntohs(sin->sin_port), ==, 32853);
	CHECK_INT(stun_msg_check_integrity(&m, buf, password, strlen(password)), ==, 0);

	n = unhex(sample_ipv6_response, buf, sizeof buf);
	CHECK_INT(n, ==, 92);
	CHECK_INT(stun_msg_parse(&m, buf, n), ==, 0);
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&m.xor_mapped;
	CHECK_INT(sin6->sin6_family, ==, AF_INET6);
	CHECK_STR(inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip), "2001:db8:1234:5678:11:2233:4455:6677");
	CHECK_INT(ntohs(sin6->sin6_port), ==, 32853);
	CHECK_INT(stun_msg_check_integrity(&m, buf, password, strlen(password)), ==, 0);
}

/* Our success response carries the RFC's XOR-MAPPED-ADDRESS bytes for the
 * same transaction and address, and reads back with integrity + fingerprint. */
static void check_success_for(const struct sockaddr *from, const char *vector, size_t xor_len)
{
	uint8_t ref[200], out[STUN_RESPONSE_MAX];
	struct stun_msg m;
	size_t rn = unhex(vector, ref, sizeof ref);
	int n = stun_binding_success_build(out, sizeof out, ref + 8, from, password);

	CHECK_INT(n, ==, 20 + 4 + xor_len + 24 + 8);
	if (n < 0)
		return;
	/* ref: header 20, SOFTWARE 16, then XOR-MAPPED-ADDRESS */
	CHECK_MEM(out + 20, ref + 36, 4 + xor_len);
	CHECK(rn > 36 + 4 + xor_len);
	CHECK_INT(stun_msg_parse(&m, out, (size_t)n), ==, 0);
	CHECK(m.has_fingerprint);
	CHECK_INT(m.type, ==, STUN_BINDING_SUCCESS);
	CHECK_MEM(m.txid, ref + 8, 12);
	CHECK_INT(stun_msg_check_integrity(&m, out, password, strlen(password)), ==, 0);
	CHECK_INT(stun_msg_check_integrity(&m, out, "other", 5), ==, -EACCES);

	/* The integrity, recomputed here with OpenSSL over the RFC 5389 §15.4
	 * input (header length ending at MESSAGE-INTEGRITY), matches. */
	uint8_t copy[200], mac[20];
	unsigned int mlen = 0;
	memcpy(copy, out, m.integrity_off);
	copy[2] = 0;
	copy[3] = (uint8_t)(m.integrity_off + 24 - 20);
	HMAC(EVP_sha1(), password, (int)strlen(password), copy, m.integrity_off, mac, &mlen);
	CHECK_MEM(mac, out + m.integrity_off + 4, 20);
}

TEST(success_response_matches_rfc_addresses)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(32853) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(32853) };
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = htons(32853) };

	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &sin6.sin6_addr);
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &mapped.sin6_addr);
	check_success_for((struct sockaddr *)&sin, sample_ipv4_response, 8);
	check_success_for((struct sockaddr *)&sin6, sample_ipv6_response, 20);
	check_success_for((struct sockaddr *)&mapped, sample_ipv4_response, 8);

	uint8_t out[STUN_RESPONSE_MAX], txid[12] = { 0 };
	CHECK_INT(stun_binding_success_build(out, 40, txid, (struct sockaddr *)&sin, password), ==, -ENOSPC);
	struct sockaddr un = { .sa_family = AF_UNIX };
	CHECK_INT(stun_binding_success_build(out, sizeof out, txid, &un, password), ==, -EAFNOSUPPORT);
}

/* A client request as a browser sends it, answered the ICE-lite way. */
TEST(request_round_trip)
{
	uint8_t req[200], txid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct stun_msg m;
	int n = stun_binding_request_build(req, sizeof req, txid, "AbCd:xyz1", "server-password-1234",
	                                   0x7e7f00ff, 0x0102030405060708ull, true);

	CHECK(n > 0);
	CHECK_INT(stun_msg_parse(&m, req, (size_t)n), ==, 0);
	CHECK(m.use_candidate);
	CHECK(m.ice_controlling);
	CHECK_INT(m.tiebreaker, ==, 0x0102030405060708ull);
	CHECK_INT(m.priority, ==, 0x7e7f00ff);
	CHECK_INT(stun_binding_check(&m, req, "AbCd", "server-password-1234"), ==, 0);
	CHECK_INT(stun_binding_check(&m, req, "AbCd", "server-password-1235"), ==, 401);
	CHECK_INT(stun_binding_check(&m, req, "xyz1", "server-password-1234"), ==, 401);

	/* Every single-bit flip is caught by the parser or the checks. */
	for (int i = 0; i < n * 8; i++) {
		uint8_t bad[200];
		memcpy(bad, req, (size_t)n);
		bad[i / 8] ^= (uint8_t)(1 << (i % 8));
		if (stun_msg_parse(&m, bad, (size_t)n) == 0 &&
		    stun_binding_check(&m, bad, "AbCd", "server-password-1234") == 0) {
			HARNESS_FAIL("bit %d flipped still verifies", i);
			break;
		}
	}
	/* Truncations are refused, never read past. */
	for (int len = 0; len < n; len++)
		if (stun_msg_parse(&m, req, (size_t)len) == 0) {
			HARNESS_FAIL("truncated to %d parses", len);
			break;
		}
}

TEST(error_responses)
{
	uint8_t req[200], out[200], txid[12] = { 9 };
	struct stun_msg m, e;
	int n;

	/* No MESSAGE-INTEGRITY: 400.  Built by hand: header + USERNAME + PRIORITY. */
	n = stun_binding_request_build(req, sizeof req, txid, "AbCd:x", "pw", 1, 2, false);
	CHECK_INT(stun_msg_parse(&m, req, (size_t)n), ==, 0);
	m.integrity_off = 0;
	CHECK_INT(stun_binding_check(&m, req, "AbCd", "pw"), ==, 400);

	n = stun_binding_error_build(out, sizeof out, &m, 401);
	CHECK(n > 0);
	CHECK_INT(stun_msg_parse(&e, out, (size_t)n), ==, 0);
	CHECK_INT(e.type, ==, STUN_BINDING_ERROR);
	CHECK_INT(e.error_code, ==, 401);
	CHECK(e.has_fingerprint);
	CHECK_INT(e.integrity_off, ==, 0);
	CHECK_MEM(e.txid, txid, 12);
	CHECK_INT(stun_binding_error_build(out, sizeof out, &m, 200), ==, -EINVAL);
	CHECK_INT(stun_binding_error_build(out, 30, &m, 400), ==, -ENOSPC);

	/* An unknown comprehension-required attribute (0x0777): 420 listing it. */
	uint8_t u[200];
	memcpy(u, req, 20);
	memcpy(u + 20, "\x07\x77\x00\x01\xAA\x00\x00\x00", 8);
	u[2] = 0;
	u[3] = 8;
	CHECK_INT(stun_msg_parse(&m, u, 28), ==, 0);
	CHECK_INT(m.n_unknown, ==, 1);
	n = stun_binding_error_build(out, sizeof out, &m, 420);
	CHECK_INT(stun_msg_parse(&e, out, (size_t)n), ==, 0);
	CHECK_INT(e.error_code, ==, 420);
	/* header, ERROR-CODE (4 + 4 + "Unknown Attribute" padded), UNKNOWN-ATTRIBUTES */
	size_t ua = 20 + 4 + 24;
	CHECK_INT(out[ua + 1], ==, STUN_ATTR_UNKNOWN_ATTRIBUTES);
	CHECK_INT(out[ua + 4], ==, 0x07);
	CHECK_INT(out[ua + 5], ==, 0x77);
	/* A signed request with it: 420 after authentication. */
	n = stun_binding_request_build(req, sizeof req, txid, "AbCd:x", "pw", 1, 2, false);
	CHECK_INT(stun_msg_parse(&m, req, (size_t)n), ==, 0);
	m.unknown[m.n_unknown++] = 0x0777;
	CHECK_INT(stun_binding_check(&m, req, "AbCd", "pw"), ==, 420);
	/* A success response is not a request. */
	uint8_t vec[200];
	size_t vn = unhex(sample_ipv4_response, vec, sizeof vec);
	CHECK_INT(stun_msg_parse(&m, vec, vn), ==, 0);
	CHECK_INT(stun_binding_check(&m, vec, "evtj", password), ==, 400);
}

TEST(malformed_is_refused)
{
	uint8_t buf[200];
	struct stun_msg m;
	size_t n = request_bytes(buf);

	buf[4] ^= 1;   /* cookie */
	CHECK_INT(stun_msg_parse(&m, buf, n), ==, -EINVAL);
	n = request_bytes(buf);
	buf[30] ^= 1;  /* SOFTWARE byte: fingerprint */
	CHECK_INT(stun_msg_parse(&m, buf, n), ==, -EBADMSG);
	n = request_bytes(buf);
	buf[3] = 0x5c; /* length past the datagram */
	CHECK_INT(stun_msg_parse(&m, buf, n), ==, -EINVAL);
	n = request_bytes(buf);
	buf[23] = 0x40; /* SOFTWARE length past the message */
	CHECK_INT(stun_msg_parse(&m, buf, n), ==, -EINVAL);
	n = request_bytes(buf);
	buf[0] = 0x40; /* top bits set: not STUN */
	CHECK_INT(stun_msg_parse(&m, buf, n), ==, -EINVAL);
	static uint8_t big[STUN_MAX_LEN + 4];
	memcpy(big, buf, 20);
	big[0] = 0;
	CHECK_INT(stun_msg_parse(&m, big, sizeof big), ==, -EMSGSIZE);
	/* An attribute after FINGERPRINT. */
	n = request_bytes(buf);
	memcpy(buf + n, "\x80\x22\x00\x00", 4);
	buf[3] += 4;
	CHECK_INT(stun_msg_parse(&m, buf, n + 4), !=, 0);
}

TEST(demux_rfc7983)
{
	uint8_t b[1];
	struct { uint8_t lo, hi; enum stun_demux d; } r[] = {
		{ 0, 3, STUN_DEMUX_STUN }, { 4, 19, STUN_DEMUX_UNKNOWN },
		{ 20, 63, STUN_DEMUX_DTLS }, { 64, 127, STUN_DEMUX_UNKNOWN },
		{ 128, 191, STUN_DEMUX_RTP }, { 192, 255, STUN_DEMUX_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
		for (int v = r[i].lo; v <= r[i].hi; v++) {
			b[0] = (uint8_t)v;
			if (stun_demux(b, 1) != r[i].d)
				HARNESS_FAIL("byte %d: %s", v, stun_demux_name(stun_demux(b, 1)));
		}
	CHECK_INT(stun_demux(b, 0), ==, STUN_DEMUX_UNKNOWN);
	CHECK_STR(stun_demux_name(STUN_DEMUX_DTLS), "dtls");
	CHECK_STR(stun_demux_name(STUN_DEMUX_RTP), "rtp-rtcp");
}

int main(void)
{
	RUN(crc32_check_value);
	RUN(rfc5769_request_parses_and_verifies);
	RUN(rfc5769_responses_decode);
	RUN(success_response_matches_rfc_addresses);
	RUN(request_round_trip);
	RUN(error_responses);
	RUN(malformed_is_refused);
	RUN(demux_rfc7983);
	return harness_done();
}
