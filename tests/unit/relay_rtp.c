/* RTP header rewriting for the fan-out (relay/rtp.h); parsing is
 * tests/unit/common_rtp.c. */
#include "tests/harness.h"
#include "tests/rtp_fixture.h"

#include <errno.h>

#include "relay/rtp.h"

TEST(rewrites_in_place)
{
	uint8_t p[64], before[64];
	size_t n = rtp_fixture_sample(p, 0);
	struct rtp_hdr h;

	memcpy(before, p, n);
	rtp_set_seq(p, 7);
	rtp_set_ts(p, 0xdeadbeef);
	rtp_set_ssrc(p, 0x01010101);
	rtp_set_pt(p, 96);
	CHECK_INT(rtp_parse(p, n, &h), ==, 0);
	CHECK_INT(h.seq, ==, 7);
	CHECK_INT(rtp_seq(p), ==, 7);
	CHECK_INT(h.ts, ==, 0xdeadbeef);
	CHECK_INT(rtp_ts(p), ==, 0xdeadbeef);
	CHECK_INT(h.ssrc, ==, 0x01010101);
	CHECK_INT(rtp_ssrc(p), ==, 0x01010101);
	CHECK_INT(h.pt, ==, 96);
	CHECK(h.marker);        /* kept by rtp_set_pt */
	rtp_set_marker(p, false);
	CHECK_INT(rtp_parse(p, n, &h), ==, 0);
	CHECK(!h.marker);
	CHECK_INT(h.pt, ==, 96);
	/* nothing but those fields moved */
	CHECK(memcmp(p + 12, before + 12, n - 12) == 0);
	CHECK_INT(p[0], ==, before[0]);
}

/* A WebRTC viewer's copy: the publisher's extensions out, one sdes:mid in. */
TEST(copy_with_one_extension)
{
	/* V=2 X=1 CC=1, pt 96; one CSRC; 0xBEDE block of 2 words: id 5 (3 bytes),
	 * id 9 (2 bytes), padding; payload "abcd". */
	static const uint8_t in[] = {
		0x91, 0x60, 0x12, 0x34, 0, 0, 0x10, 0, 0xAA, 0xBB, 0xCC, 0xDD, 0, 0, 0, 7,
		0xBE, 0xDE, 0, 2, 0x52, 1, 2, 3, 0x91, 4, 5, 0,
		'a', 'b', 'c', 'd',
	};
	uint8_t out[64];
	struct rtp_hdr h;
	const uint8_t *d;
	size_t dl;
	int n = rtp_copy_one_ext(in, sizeof in, out, sizeof out, 4, "1", 1);

	CHECK_INT(n, ==, 16 + 8 + 4);   /* header + CSRC, one word of element, payload */
	CHECK_INT(rtp_parse(out, (size_t)n, &h), ==, 0);
	CHECK_INT(h.cc, ==, 1);
	CHECK_INT(h.seq, ==, 0x1234);
	CHECK_INT(h.ssrc, ==, 0xAABBCCDD);
	CHECK_INT(rtp_ext_find(&h, 4, &d, &dl), ==, 0);
	CHECK_INT(dl, ==, 1);
	CHECK_INT(d[0], ==, '1');
	CHECK_INT(rtp_ext_find(&h, 5, &d, &dl), ==, -ENOENT);
	CHECK_INT(rtp_ext_find(&h, 9, &d, &dl), ==, -ENOENT);
	CHECK_MEM(h.payload, "abcd", 4);
	/* No id: no extension at all, X cleared. */
	n = rtp_copy_one_ext(in, sizeof in, out, sizeof out, 0, NULL, 0);
	CHECK_INT(n, ==, 16 + 4);
	CHECK_INT(out[0] & 0x10, ==, 0);
	CHECK_MEM(out + 16, "abcd", 4);
	/* A 16-byte mid takes 5 words; a 17-byte one and id 15 are refused. */
	CHECK_INT(rtp_copy_one_ext(in, sizeof in, out, sizeof out, 1, "0123456789abcdef", 16), ==, 16 + 24 + 4);
	CHECK_INT(rtp_copy_one_ext(in, sizeof in, out, sizeof out, 1, "0123456789abcdefg", 17), ==, -EINVAL);
	CHECK_INT(rtp_copy_one_ext(in, sizeof in, out, sizeof out, 15, "1", 1), ==, -EINVAL);
	CHECK_INT(rtp_copy_one_ext(in, sizeof in, out, 20, 4, "1", 1), ==, -ENOSPC);
	CHECK_INT(rtp_copy_one_ext(in, 10, out, sizeof out, 4, "1", 1), ==, -EINVAL);
}

/* A retransmission written for a viewer (rtp_rtx_wrap) is what the relay
 * itself reads back from a publisher (rtp_rtx_restore): the packet it
 * repairs, but for the padding RFC 4588 lets a restore drop. */
TEST(rtx_round_trip)
{
	for (int padded = 0; padded < 2; padded++) {
		uint8_t orig[64], p[64];
		size_t n = rtp_fixture_sample(orig, padded);
		struct rtp_hdr h, o;
		int m;

		memcpy(p, orig, n);
		m = rtp_rtx_wrap(p, n, sizeof p, 97, 0x5eed0001, 0x0102);
		CHECK_INT(m, ==, (int)n + 2);
		CHECK_INT(rtp_parse(p, (size_t)m, &h), ==, 0);
		CHECK_INT(h.pt, ==, 97);
		CHECK_INT(h.ssrc, ==, 0x5eed0001);
		CHECK_INT(h.seq, ==, 0x0102);
		CHECK_INT(h.ts, ==, 0x01020304);
		CHECK(h.marker);
		CHECK_INT(h.cc, ==, 2);
		CHECK_INT(h.payload_len, ==, 7);          /* OSN + "hello" */
		CHECK_INT(rd16(h.payload), ==, 0xfffe);   /* the OSN */
		CHECK_MEM(h.payload + 2, "hello", 5);
		CHECK_INT(h.pad_len, ==, padded ? 3 : 0);

		m = rtp_rtx_restore(p, (size_t)m, 111, 0xcafebabe);
		CHECK_INT(m, ==, padded ? (int)n - 3 : (int)n);
		CHECK_INT(rtp_parse(p, (size_t)m, &o), ==, 0);
		CHECK_INT(o.seq, ==, 0xfffe);
		CHECK_INT(o.pt, ==, 111);
		CHECK_INT(o.ssrc, ==, 0xcafebabe);
		CHECK(!o.padding);
		/* byte for byte the original, its P bit and padding aside */
		orig[0] &= (uint8_t)~0x20;
		CHECK_MEM(p, orig, (size_t)m);
	}
	uint8_t p[64];
	size_t n = rtp_fixture_sample(p, 0);
	CHECK_INT(rtp_rtx_wrap(p, n, n + 1, 97, 1, 1), ==, -ENOSPC);
	CHECK_INT(rtp_rtx_wrap(p, 10, sizeof p, 97, 1, 1), ==, -EINVAL);
}

int main(void)
{
	RUN(rewrites_in_place);
	RUN(copy_with_one_extension);
	RUN(rtx_round_trip);
	return harness_done();
}
