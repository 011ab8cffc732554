/* STUN building (common/stun.h): FINGERPRINT's CRC-32 and MESSAGE-INTEGRITY
 * against RFC 5769's sample request, the writer's sticky errors, a Binding
 * request's layout and limits.  The relay's parser reads these requests in
 * tests/unit/relay_stun.c and relay_ice.c, the bench's checker and an
 * independent implementation's bytes in tests/unit/bench_ice.c. */
#include "tests/harness.h"
#include "common/bytes.h"
#include "common/stun.h"
#include "tests/stun_vectors.h"

#include <errno.h>

static const uint8_t txid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

TEST(rfc5769_integrity_and_fingerprint)
{
	static const struct { const char **hex; size_t len, mi_off; } samples[] = {
		{ &sample_request, 108, 76 },
		{ &sample_ipv4_response, 80, 48 },
		{ &sample_ipv6_response, 92, 60 },
	};
	uint8_t buf[200], mac[STUN_HMAC_LEN];
	size_t n;

	CHECK_INT(stun_crc32((const uint8_t *)"123456789", 9), ==, 0xCBF43926u);
	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		size_t mi = samples[i].mi_off;

		n = unhex(*samples[i].hex, buf, sizeof buf);
		CHECK_INT(n, ==, samples[i].len);
		CHECK_INT(stun_crc32(buf, n - 8) ^ STUN_FINGERPRINT_XOR, ==, rd32(buf + n - 4));
		CHECK_INT(stun_integrity_compute(buf, mi, password, strlen(password), mac), ==, 0);
		CHECK_MEM(mac, buf + mi + 4, STUN_HMAC_LEN);
		CHECK_INT(rd16(buf + 2), ==, n - 20);   /* the message itself is not changed */
	}
	CHECK_INT(stun_integrity_compute(buf, 19, password, strlen(password), mac), ==, -EINVAL);
	CHECK_INT(stun_integrity_compute(buf, STUN_MAX_LEN + 1, password, 1, mac), ==, -EINVAL);
}

TEST(writer_errors_stick)
{
	uint8_t buf[32];
	struct stun_writer w;

	stun_writer_start(&w, buf, 19, STUN_BINDING_REQUEST, txid);
	CHECK(stun_writer_attr(&w, STUN_ATTR_PRIORITY, "abcd", 4) == NULL);
	CHECK_INT(stun_writer_done(&w), ==, -ENOSPC);
	stun_writer_start(&w, buf, sizeof buf, STUN_BINDING_REQUEST, txid);
	CHECK(stun_writer_attr(&w, STUN_ATTR_PRIORITY, "abcd", 4) != NULL);
	CHECK_INT(rd16(buf + 2), ==, 8);
	CHECK(stun_writer_attr(&w, STUN_ATTR_USERNAME, "0123456789", 10) == NULL);   /* 16 > 4 left */
	stun_writer_fingerprint(&w);          /* would fit, but the overflow stuck */
	CHECK_INT(stun_writer_done(&w), ==, -ENOSPC);
}

TEST(binding_request_layout)
{
	uint8_t buf[160], mac[STUN_HMAC_LEN];
	char user[STUN_USERNAME_MAX + 1];
	int n = stun_binding_request_build(buf, sizeof buf, txid, "abcd:efgh", "secret", 0x7effffff, 42, true);

	/* header, USERNAME 4+12, PRIORITY 8, ICE-CONTROLLING 12, USE-CANDIDATE 4, MI 24, FP 8 */
	CHECK_INT(n, ==, 20 + 16 + 8 + 12 + 4 + 24 + 8);
	CHECK_INT(rd16(buf), ==, STUN_BINDING_REQUEST);
	CHECK_INT(rd16(buf + 2), ==, n - 20);
	CHECK_INT(rd32(buf + 4), ==, STUN_MAGIC_COOKIE);
	CHECK_MEM(buf + 8, txid, 12);
	CHECK_INT(rd16(buf + 20), ==, STUN_ATTR_USERNAME);
	CHECK_INT(rd16(buf + 22), ==, 9);
	CHECK_INT(rd32(buf + 40), ==, 0x7effffff);
	CHECK_INT(rd16(buf + 56), ==, STUN_ATTR_USE_CANDIDATE);
	CHECK_INT(rd16(buf + 60), ==, STUN_ATTR_MESSAGE_INTEGRITY);
	CHECK_INT(stun_integrity_compute(buf, 60, "secret", 6, mac), ==, 0);
	CHECK_MEM(mac, buf + 64, STUN_HMAC_LEN);
	CHECK_INT(rd16(buf + n - 8), ==, STUN_ATTR_FINGERPRINT);
	CHECK_INT(stun_crc32(buf, (size_t)n - 8) ^ STUN_FINGERPRINT_XOR, ==, rd32(buf + n - 4));
	for (int cap = 0; cap < n; cap++)
		if (stun_binding_request_build(buf, (size_t)cap, txid, "abcd:efgh", "secret", 1, 2, true) != -ENOSPC)
			HARNESS_FAIL("cap %d: not -ENOSPC", cap);
	memset(user, 'u', sizeof user);
	user[STUN_USERNAME_MAX] = 0;          /* 513 bytes: one too many (RFC 5389 §15.3) */
	CHECK_INT(stun_binding_request_build(buf, sizeof buf, txid, user, "p", 1, 2, false), ==, -EINVAL);
	CHECK_INT(stun_binding_request_build(buf, sizeof buf, txid, "", "p", 1, 2, false), ==, -EINVAL);
}

int main(void)
{
	RUN(rfc5769_integrity_and_fingerprint);
	RUN(writer_errors_stick);
	RUN(binding_request_layout);
	return harness_done();
}
