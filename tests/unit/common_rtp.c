/* RTP header parsing (RFC 3550 §5.1, RFC 8285 extensions), common/rtp.h. */
#include "tests/harness.h"
#include "tests/rtp_fixture.h"

#include <errno.h>

#include "common/rtp.h"

TEST(parses_every_field)
{
	uint8_t p[64];
	size_t n = rtp_fixture_sample(p, 1);
	struct rtp_hdr h;
	const uint8_t *d;
	size_t dl;

	CHECK_INT(rtp_parse(p, n, &h), ==, 0);
	CHECK(h.padding && h.extension && h.marker);
	CHECK_INT(h.cc, ==, 2);
	CHECK_INT(h.pt, ==, 111);
	CHECK_INT(h.seq, ==, 0xfffe);
	CHECK_INT(h.ts, ==, 0x01020304);
	CHECK_INT(h.ssrc, ==, 0xcafebabe);
	CHECK_INT(h.csrc[7], ==, 2);
	CHECK_INT(h.ext_profile, ==, 0xbede);
	CHECK_INT(h.ext_len, ==, 8);
	CHECK_INT(h.header_len, ==, 32);
	CHECK_INT(h.payload_len, ==, 5);
	CHECK_INT(h.pad_len, ==, 3);
	CHECK(memcmp(h.payload, "hello", 5) == 0);
	CHECK_INT(rtp_ext_find(&h, 1, &d, &dl), ==, 0);
	CHECK_INT(dl, ==, 1);
	CHECK_INT(d[0], ==, 0xaa);
	CHECK_INT(rtp_ext_find(&h, 3, &d, &dl), ==, 0);
	CHECK_INT(dl, ==, 3);
	CHECK_INT(d[0], ==, 0x11);
	CHECK_INT(d[2], ==, 0x33);
	CHECK_INT(rtp_ext_find(&h, 2, &d, &dl), ==, -ENOENT);
}

TEST(two_byte_extension)
{
	uint8_t p[] = {
		0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9,
		0x10, 0x00, 0x00, 0x02,
		0x05, 0x00, 0x07, 0x03, 0xa1, 0xa2, 0xa3, 0x00,
		0xff,
	};
	struct rtp_hdr h;
	const uint8_t *d;
	size_t dl;

	CHECK_INT(rtp_parse(p, sizeof p, &h), ==, 0);
	CHECK_INT(rtp_ext_find(&h, 5, &d, &dl), ==, 0);
	CHECK_INT(dl, ==, 0);
	CHECK_INT(rtp_ext_find(&h, 7, &d, &dl), ==, 0);
	CHECK_INT(dl, ==, 3);
	CHECK_INT(d[2], ==, 0xa3);
	p[19] = 0x09;           /* element longer than the block */
	CHECK_INT(rtp_ext_find(&h, 7, &d, &dl), ==, -EINVAL);
}

TEST(refuses_malformed)
{
	uint8_t p[64];
	size_t n = rtp_fixture_sample(p, 1);
	struct rtp_hdr h;

	CHECK_INT(rtp_parse(p, 11, &h), ==, -EINVAL);          /* short */
	CHECK_INT(rtp_parse(p, 20, &h), ==, -EINVAL);          /* cut in ext hdr */
	CHECK_INT(rtp_parse(p, 30, &h), ==, -EINVAL);          /* cut in ext */
	p[n - 1] = 0;
	CHECK_INT(rtp_parse(p, n, &h), ==, -EINVAL);           /* padding 0 */
	p[n - 1] = 9;
	CHECK_INT(rtp_parse(p, n, &h), ==, -EINVAL);           /* padding > payload */
	p[n - 1] = 8;
	CHECK_INT(rtp_parse(p, n, &h), ==, 0);                 /* all payload is padding */
	CHECK_INT(h.payload_len, ==, 0);
	p[0] = (uint8_t)((p[0] & 0x3f) | 0x40);
	CHECK_INT(rtp_parse(p, n, &h), ==, -EINVAL);           /* version 1 */
	n = rtp_fixture_sample(p, 0);
	p[0] = 0x8f;                                           /* 15 CSRCs */
	CHECK_INT(rtp_parse(p, n, &h), ==, -EINVAL);
	n = rtp_fixture_sample(p, 0);
	p[1] = 200;                                            /* an SR on a muxed port */
	CHECK(rtp_is_rtcp(p, n));
	CHECK_INT(rtp_parse(p, n, &h), ==, -EINVAL);
}

TEST(reads_fields)
{
	uint8_t p[64];
	size_t n = rtp_fixture_sample(p, 0);
	struct rtp_hdr h;

	CHECK_INT(rtp_parse(p, n, &h), ==, 0);
	CHECK_INT(rtp_seq(p), ==, h.seq);
	CHECK_INT(rtp_ts(p), ==, h.ts);
	CHECK_INT(rtp_ssrc(p), ==, h.ssrc);
}

TEST(sequence_arithmetic)
{
	CHECK_INT(rtp_seq_diff(65535, 0), ==, 1);
	CHECK_INT(rtp_seq_diff(0, 65535), ==, -1);
	CHECK_INT(rtp_seq_diff(100, 200), ==, 100);
	CHECK_INT(rtp_seq_diff(200, 100), ==, -100);
	CHECK_INT(rtp_seq_diff(65000, 500), ==, 1036);
}

int main(void)
{
	RUN(parses_every_field);
	RUN(two_byte_extension);
	RUN(refuses_malformed);
	RUN(reads_fields);
	RUN(sequence_arithmetic);
	return harness_done();
}
