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

int main(void)
{
	RUN(walks_a_compound_packet);
	RUN(refuses_malformed);
	RUN(sr_builds_and_reads_back);
	RUN(ntp_time);
	return harness_done();
}
