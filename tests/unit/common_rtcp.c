/* RTCP read by every daemon (common/rtcp.h): the compound walk, sender
 * reports both ways, NTP <-> Unix time.  The relay's own readers and
 * builders: tests/unit/relay_rtcp.c. */
#include "tests/harness.h"
#include "common/rtcp.h"

#include <errno.h>

/* SR (one report block) + RR (none) + an unknown type 210, 4 bytes padded. */
static size_t compound(uint8_t *b)
{
	static const uint8_t pkt[] = {
		0x81, 200, 0x00, 12,
		0x11, 0x22, 0x33, 0x44,
		0xe9, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00,
		0x00, 0x01, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x27, 0x10,
		0xaa, 0xaa, 0xaa, 0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x80, 201, 0x00, 1,
		0x55, 0x66, 0x77, 0x88,
		0xa0, 210, 0x00, 2,
		0x01, 0x02, 0x03, 0x04,
		0x00, 0x00, 0x00, 0x04,
	};

	memcpy(b, pkt, sizeof pkt);
	return sizeof pkt;
}

TEST(walks_a_compound_packet)
{
	uint8_t b[128];
	size_t n = compound(b);
	struct rtcp_iter it;
	struct rtcp_pkt p;
	struct rtcp_sr sr;

	CHECK_INT(rtcp_validate(b, n), ==, 3);
	rtcp_iter_init(&it, b, n);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.type, ==, RTCP_SR);
	CHECK_INT(p.count, ==, 1);
	CHECK_INT(p.len, ==, 52);
	CHECK_INT(rtcp_sr_read(&p, &sr), ==, 0);
	CHECK_INT(sr.ssrc, ==, 0x11223344);
	CHECK_INT(sr.ntp_sec, ==, 0xe9000001);
	CHECK_INT(sr.ntp_frac, ==, 0x80000000);
	CHECK_INT(sr.rtp_ts, ==, 0x10000);
	CHECK_INT(sr.packets, ==, 100);
	CHECK_INT(sr.octets, ==, 10000);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.type, ==, RTCP_RR);
	CHECK_INT(rtcp_sr_read(&p, &sr), ==, -EINVAL);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.type, ==, 210);
	CHECK_INT(p.len, ==, 12);
	CHECK_INT(p.body_len, ==, 4);          /* padding excluded */
	CHECK_INT(rtcp_next(&it, &p), ==, 0);
}

TEST(refuses_malformed)
{
	uint8_t b[128];
	size_t n = compound(b);
	struct rtcp_iter it;
	struct rtcp_pkt p;
	struct rtcp_sr sr;

	CHECK_INT(rtcp_validate(b, n - 1), ==, -EINVAL);       /* last packet cut */
	CHECK_INT(rtcp_validate(b, 3), ==, -EINVAL);
	b[n - 1] = 9;                                           /* padding past the body */
	CHECK_INT(rtcp_validate(b, n), ==, -EINVAL);
	b[n - 1] = 0;                                           /* padding of 0 */
	CHECK_INT(rtcp_validate(b, n), ==, -EINVAL);
	n = compound(b);
	b[0] = 0x41;                                            /* version 1 */
	CHECK_INT(rtcp_validate(b, n), ==, -EINVAL);
	b[0] = 0x83;                                            /* 3 report blocks: no room */
	rtcp_iter_init(&it, b, n);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(rtcp_sr_read(&p, &sr), ==, -EINVAL);
}

TEST(sr_builds_and_reads_back)
{
	const struct rtcp_sr in = { 0xcafebabe, 0xeb000000, 0x12345678, 90000, 7, 9000 };
	struct rtcp_sr out;
	struct rtcp_iter it;
	struct rtcp_pkt p;
	uint8_t b[28];

	CHECK_INT(rtcp_sr_build(b, 27, &in), ==, -ENOSPC);
	CHECK_INT(rtcp_sr_build(b, sizeof b, &in), ==, 28);
	CHECK_INT(rtcp_validate(b, 28), ==, 1);
	rtcp_iter_init(&it, b, 28);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.count, ==, 0);
	CHECK_INT(rtcp_sr_read(&p, &out), ==, 0);
	CHECK(memcmp(&in, &out, sizeof in) == 0);
}

TEST(ntp_time)
{
	uint32_t sec, frac;
	int64_t ns = -1;

	rtcp_ntp_from_unix_ns(0, &sec, &frac);
	CHECK_INT(sec, ==, 2208988800u);
	CHECK_INT(frac, ==, 0);
	rtcp_ntp_from_unix_ns(1700000000500000000LL, &sec, &frac);
	CHECK_INT(sec, ==, 1700000000u + 2208988800u);
	CHECK_INT(frac, ==, 0x80000000u);
	CHECK_INT(rtcp_ntp_to_unix_ns(sec, frac, &ns), ==, 0);
	CHECK_INT(ns, ==, 1700000000500000000LL);
	/* A nanosecond is about 4.3 fraction units: round trips lose at most one. */
	rtcp_ntp_from_unix_ns(1795000000123456789LL, &sec, &frac);
	CHECK_INT(rtcp_ntp_to_unix_ns(sec, frac, &ns), ==, 0);
	CHECK_INT(1795000000123456789LL - ns, >=, 0);
	CHECK_INT(1795000000123456789LL - ns, <=, 1);
	ns = 42;
	CHECK_INT(rtcp_ntp_to_unix_ns(2208988799u, 0, &ns), ==, -ERANGE);   /* 1969 */
	CHECK_INT(ns, ==, 42);
	CHECK_INT(rtcp_ntp_to_unix_ns(0xe9000001u, 0, &ns), ==, 0);
	CHECK_INT(ns, ==, (int64_t)(0xe9000001u - 2208988800u) * 1000000000);
}

/* Transport-wide feedback worked out by hand from the draft's §3.1:
 * reference 1 (64 ms), deltas 3 and 1 ticks (small), one loss, then 300
 * ticks (large): one two-bit status vector chunk, padded to 28 bytes. */
TEST(twcc_builds_the_drafts_bytes)
{
	static const uint8_t want[] = {
		0xaf, 205, 0x00, 6,  0, 0, 0, 1,  0, 0, 0, 2,
		0x00, 100, 0x00, 4,  0x00, 0x00, 0x01, 5,
		0xd1, 0x80, 3, 1,  0x01, 0x2c, 0, 2,
	};
	int64_t at[4] = { 64750, RTCP_TWCC_NOT_RECEIVED, 65000, 140000 };
	struct rtcp_twcc fb = { .sender = 1, .media = 2, .base_seq = 100, .fb_count = 5, .n = 4, .arrival_us = at };
	uint8_t b[64];
	unsigned covered = 0;

	CHECK_INT(rtcp_twcc_build(b, sizeof b, &fb, &covered), ==, 28);
	CHECK_INT(covered, ==, 4);
	CHECK_MEM(b, want, sizeof want);
	CHECK_INT(rtcp_validate(b, 28), ==, 1);
}

/* Runs of losses (run-length chunks), one-bit vectors, reordering (negative
 * deltas) and a jump past the 16-bit delta range, read back. */
TEST(twcc_round_trip)
{
	enum { N = 300 };
	int64_t at[N], back[N];
	struct rtcp_twcc fb = { .sender = 7, .media = 9, .base_seq = 65500, .fb_count = 255, .n = N, .arrival_us = at };
	struct rtcp_twcc rd = { .arrival_us = back };
	struct rtcp_iter it;
	struct rtcp_pkt p;
	uint8_t b[1500];
	unsigned covered = 0;
	int len;

	for (unsigned i = 0; i < N; i++)
		at[i] = 1000000000LL + i * 1000 + (i % 5) * 100;
	for (unsigned i = 20; i < 60; i++)
		at[i] = RTCP_TWCC_NOT_RECEIVED;     /* a run of 40 losses */
	at[70] = at[69] - 5000;                 /* arrived before the one sent earlier */
	at[80] = at[79] + 100000;               /* 100 ms gap: a large delta */
	for (unsigned i = 81; i < N; i++)
		at[i] += 100000;
	for (unsigned i = 250; i < N; i++)
		at[i] += 9000000;               /* 9 s: past the 16-bit delta range */
	len = rtcp_twcc_build(b, sizeof b, &fb, &covered);
	CHECK_INT(len, >, 20);
	CHECK_INT(len % 4, ==, 0);
	CHECK_INT(covered, ==, 250);
	rtcp_iter_init(&it, b, (size_t)len);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(rtcp_twcc_read(&p, &rd, N), ==, 0);
	CHECK_INT(rd.sender, ==, 7);
	CHECK_INT(rd.media, ==, 9);
	CHECK_INT(rd.base_seq, ==, 65500);
	CHECK_INT(rd.fb_count, ==, 255);
	CHECK_INT(rd.n, ==, 250);
	for (unsigned i = 0; i < 250; i++) {
		/* the reference is 64 ms aligned: read times are the same modulo that */
		int64_t want = at[i] < 0 ? at[i] : at[i] / 250 * 250;
		if (back[i] != want) {
			CHECK_INT(back[i], ==, want);
			break;
		}
	}
	/* the rest in the next packet */
	fb.base_seq = (uint16_t)(fb.base_seq + covered);
	fb.arrival_us = at + covered;
	fb.n = N - covered;
	CHECK_INT(rtcp_twcc_build(b, sizeof b, &fb, &covered), >, 20);
	CHECK_INT(covered, ==, N - 250);
	/* a small buffer cuts at a chunk: fewer packets, still well-formed */
	fb.base_seq = 65500;
	fb.arrival_us = at;
	fb.n = N;
	len = rtcp_twcc_build(b, 40, &fb, &covered);
	CHECK_INT(len, <=, 40);
	CHECK_INT(covered, <, 250);
	CHECK_INT(covered, >, 0);
	rtcp_iter_init(&it, b, (size_t)len);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(rtcp_twcc_read(&p, &rd, N), ==, 0);
	CHECK_INT(rd.n, ==, covered);
}

TEST(twcc_refuses)
{
	int64_t lost[3] = { -1, -1, -1 }, at[1] = { 5000 };
	struct rtcp_twcc fb = { .n = 3, .arrival_us = lost }, rd = { 0 };
	struct rtcp_iter it;
	struct rtcp_pkt p;
	uint8_t b[64];
	unsigned covered;
	int len;

	CHECK_INT(rtcp_twcc_build(b, sizeof b, &fb, &covered), ==, -EINVAL);   /* nothing received */
	fb.n = 0;
	CHECK_INT(rtcp_twcc_build(b, sizeof b, &fb, &covered), ==, -EINVAL);
	fb.n = 1;
	fb.arrival_us = at;
	CHECK_INT(rtcp_twcc_build(b, 20, &fb, &covered), ==, -ENOSPC);
	len = rtcp_twcc_build(b, sizeof b, &fb, &covered);
	CHECK_INT(len, ==, 24);
	b[15] = 2;                                  /* two packets: the second has no chunk symbol... */
	rtcp_iter_init(&it, b, (size_t)len);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(rtcp_twcc_read(&p, &rd, 0), ==, -EINVAL);
	b[15] = 1;
	b[20] = 0x60;                               /* run-length chunk of the reserved symbol 3 */
	CHECK_INT(rtcp_twcc_read(&p, &rd, 0), ==, -EINVAL);
	b[20] = 0x40;                               /* one large delta: 2 bytes, only 1 before the padding */
	CHECK_INT(rtcp_twcc_read(&p, &rd, 0), ==, -EINVAL);
}

int main(void)
{
	RUN(walks_a_compound_packet);
	RUN(refuses_malformed);
	RUN(sr_builds_and_reads_back);
	RUN(ntp_time);
	RUN(twcc_builds_the_drafts_bytes);
	RUN(twcc_round_trip);
	RUN(twcc_refuses);
	return harness_done();
}
