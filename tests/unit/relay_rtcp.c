/* RTCP: compound walk, SR/RR/SDES/BYE readers, SR rewrite for viewers, NACK
 * expansion and the PLI/FIR/NACK/REMB builders (RFC 3550, 4585, 5104). */
#include "tests/harness.h"

#include <errno.h>

#include "relay/rtcp.h"

/* SR (2 report blocks) + SDES (CNAME "amphi@test" and a NOTE) + BYE with a
 * reason, as a publisher sends them. */
static size_t compound(uint8_t *b)
{
	static const uint8_t pkt[] = {
		/* SR, RC=2, length 6 + 12 = 18 words */
		0x82, 200, 0x00, 18,
		0x11, 0x22, 0x33, 0x44,                         /* sender */
		0xe9, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00, /* NTP */
		0x00, 0x01, 0x00, 0x00,                         /* RTP ts */
		0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x27, 0x10, /* 100 pkts, 10000 B */
		0xaa, 0xaa, 0xaa, 0xaa, 0x40, 0xff, 0xff, 0xfe, /* lost 25%, -2 */
		0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x10,
		0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x01, 0x00,
		0xbb, 0xbb, 0xbb, 0xbb, 0x00, 0x00, 0x00, 0x07,
		0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		/* SDES, SC=1: SSRC, CNAME(10), NOTE(2), end + pad: 4+12+4+1 -> 24 */
		0x81, 202, 0x00, 6,
		0x11, 0x22, 0x33, 0x44,
		0x01, 10, 'a', 'm', 'p', 'h', 'i', '@', 't', 'e', 's', 't',
		0x07, 2, 'h', 'i',
		0x00, 0x00, 0x00, 0x00,
		/* BYE, SC=1, reason "bye" */
		0x81, 203, 0x00, 2,
		0x11, 0x22, 0x33, 0x44,
		3, 'b', 'y', 'e',
	};

	memcpy(b, pkt, sizeof pkt);
	return sizeof pkt;
}

TEST(walks_a_compound_packet)
{
	uint8_t b[256];
	size_t n = compound(b);
	struct rtcp_iter it;
	struct rtcp_pkt p;
	struct rtcp_sr sr;
	struct rtcp_report rb;
	char cname[256];
	uint32_t ssrc;

	CHECK_INT(rtcp_validate(b, n), ==, 3);
	rtcp_iter_init(&it, b, n);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.type, ==, RTCP_SR);
	CHECK_INT(p.count, ==, 2);
	CHECK_INT(p.len, ==, 76);
	CHECK_INT(rtcp_sr_read(&p, &sr), ==, 0);
	CHECK_INT(sr.ssrc, ==, 0x11223344);
	CHECK_INT(sr.ntp_sec, ==, 0xe9000001);
	CHECK_INT(sr.ntp_frac, ==, 0x80000000);
	CHECK_INT(sr.rtp_ts, ==, 0x10000);
	CHECK_INT(sr.packets, ==, 100);
	CHECK_INT(sr.octets, ==, 10000);
	CHECK_INT(rtcp_report_read(&p, 0, &rb), ==, 0);
	CHECK_INT(rb.ssrc, ==, 0xaaaaaaaa);
	CHECK_INT(rb.fraction_lost, ==, 0x40);
	CHECK_INT(rb.cumulative_lost, ==, -2);
	CHECK_INT(rb.highest_seq, ==, 0x10005);
	CHECK_INT(rb.jitter, ==, 16);
	CHECK_INT(rb.lsr, ==, 0x12345678);
	CHECK_INT(rb.dlsr, ==, 256);
	CHECK_INT(rtcp_report_read(&p, 1, &rb), ==, 0);
	CHECK_INT(rb.cumulative_lost, ==, 7);
	CHECK_INT(rb.highest_seq, ==, 0xffff);
	CHECK_INT(rtcp_report_read(&p, 2, &rb), ==, -EINVAL);

	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.type, ==, RTCP_SDES);
	CHECK_INT(rtcp_sdes_cname(&p, 0, &ssrc, cname), ==, 0);
	CHECK_INT(ssrc, ==, 0x11223344);
	CHECK_STR(cname, "amphi@test");
	CHECK_INT(rtcp_sdes_cname(&p, 1, &ssrc, cname), ==, -EINVAL);

	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.type, ==, RTCP_BYE);
	CHECK_INT(rtcp_bye_ssrc(&p, 0, &ssrc), ==, 0);
	CHECK_INT(ssrc, ==, 0x11223344);
	CHECK_INT(rtcp_next(&it, &p), ==, 0);
}

TEST(refuses_malformed)
{
	uint8_t b[256];
	size_t n = compound(b);
	struct rtcp_iter it;
	struct rtcp_pkt p;
	char cname[256];
	uint32_t ssrc;
	struct rtcp_report rb;
	struct rtcp_sr sr;

	CHECK_INT(rtcp_validate(b, n - 1), ==, -EINVAL);       /* BYE cut */
	CHECK_INT(rtcp_validate(b, 3), ==, -EINVAL);
	b[3] = 19;                                              /* SR too long */
	CHECK_INT(rtcp_validate(b, 76), ==, -EINVAL);
	b[3] = 18;
	b[0] = 0x42;                                            /* version 1 */
	CHECK_INT(rtcp_validate(b, n), ==, -EINVAL);
	b[0] = 0x8f;                                            /* RC=15 > body */
	rtcp_iter_init(&it, b, n);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(rtcp_report_read(&p, 3, &rb), ==, -EINVAL);
	CHECK_INT(rtcp_sr_read(&p, &sr), ==, -EINVAL);
	n = compound(b);
	b[76 + 4 + 4 + 1] = 60;                                 /* CNAME past its chunk */
	rtcp_iter_init(&it, b, n);
	rtcp_next(&it, &p);
	rtcp_next(&it, &p);
	CHECK_INT(rtcp_sdes_cname(&p, 0, &ssrc, cname), ==, -EINVAL);
	n = compound(b);
	b[n - 12] |= 0x20;                                      /* BYE padded... */
	b[n - 1] = 0;                                           /* ...by 0 bytes */
	CHECK_INT(rtcp_validate(b, n), ==, -EINVAL);
	b[n - 1] = 4;                                           /* 4 bytes: ok */
	CHECK_INT(rtcp_validate(b, n), ==, 3);
}

TEST(sr_rewritten_for_a_viewer)
{
	uint8_t b[256];
	size_t n = compound(b), len = 76;
	struct rtcp_iter it;
	struct rtcp_pkt p;
	struct rtcp_sr sr;

	(void)n;
	CHECK_INT(rtcp_sr_rewrite(b, &len, 0x99999999, 0xffff0001), ==, 0);
	CHECK_INT(len, ==, 28);
	rtcp_iter_init(&it, b, len);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.count, ==, 0);
	CHECK_INT(rtcp_sr_read(&p, &sr), ==, 0);
	CHECK_INT(sr.ssrc, ==, 0x99999999);
	CHECK_INT(sr.rtp_ts, ==, 0x00000001);   /* 0x10000 + 0xffff0001 wraps */
	CHECK_INT(sr.ntp_sec, ==, 0xe9000001);  /* lip-sync data untouched */
	CHECK_INT(sr.packets, ==, 100);
	CHECK_INT(rtcp_next(&it, &p), ==, 0);
	len = 27;
	CHECK_INT(rtcp_sr_rewrite(b, &len, 1, 0), ==, -EINVAL);
	len = 28;
	b[1] = RTCP_RR;
	CHECK_INT(rtcp_sr_rewrite(b, &len, 1, 0), ==, -EINVAL);
}

TEST(nack_build_and_expand)
{
	uint8_t b[256];
	uint16_t lost[] = { 65534, 65535, 0, 14, 15, 100 }, got[32];
	struct rtcp_iter it;
	struct rtcp_pkt p;
	uint32_t sender, media;
	int len;

	len = rtcp_build_nack(b, sizeof b, 0xa, 0xb, lost, 6);
	/* 65534 with 65535, 0, 14 (d=16); 15 opens a new PID; then 100 */
	CHECK_INT(len, ==, 12 + 3 * 4);
	rtcp_iter_init(&it, b, (size_t)len);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.type, ==, RTCP_RTPFB);
	CHECK_INT(p.count, ==, RTCP_FMT_NACK);
	CHECK_INT(rtcp_fb_read(&p, &sender, &media), ==, 0);
	CHECK_INT(sender, ==, 0xa);
	CHECK_INT(media, ==, 0xb);
	CHECK_INT(rtcp_nack_expand(&p, got, 32), ==, 6);
	CHECK_MEM(got, lost, sizeof lost);
	CHECK_INT(rtcp_nack_expand(&p, got, 2), ==, 6);         /* count, 2 written */
	CHECK_INT(rtcp_build_nack(b, 20, 0xa, 0xb, lost, 6), ==, -ENOSPC);
	CHECK_INT(rtcp_build_nack(b, sizeof b, 0xa, 0xb, lost, 0), ==, -EINVAL);

	/* RFC 4585 §6.2.1 by hand: PID 1000, BLP 0x8001 -> 1000, 1001, 1016 */
	static const uint8_t hand[] = { 0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2,
	                                0x03, 0xe8, 0x80, 0x01 };
	rtcp_iter_init(&it, hand, sizeof hand);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(rtcp_nack_expand(&p, got, 32), ==, 3);
	CHECK_INT(got[0], ==, 1000);
	CHECK_INT(got[1], ==, 1001);
	CHECK_INT(got[2], ==, 1016);
}

TEST(pli_fir_remb_rr_round_trip)
{
	uint8_t b[256];
	uint32_t ssrcs[2] = { 0x1111, 0x2222 }, out[4], sender, media, s;
	uint64_t rate;
	uint8_t seq;
	size_t n = 0;
	int r;
	struct rtcp_iter it;
	struct rtcp_pkt p;

	r = rtcp_build_rr(b, sizeof b, 0x77);
	CHECK_INT(r, ==, 8); n += (size_t)r;
	r = rtcp_build_pli(b + n, sizeof b - n, 0x77, 0x1111);
	CHECK_INT(r, ==, 12); n += (size_t)r;
	r = rtcp_build_fir(b + n, sizeof b - n, 0x77, 0x2222, 9);
	CHECK_INT(r, ==, 20); n += (size_t)r;
	r = rtcp_build_remb(b + n, sizeof b - n, 0x77, 1500000, ssrcs, 2);
	CHECK_INT(r, ==, 28); n += (size_t)r;
	CHECK_INT(rtcp_validate(b, n), ==, 4);

	rtcp_iter_init(&it, b, n);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.type, ==, RTCP_RR);
	CHECK_INT(rtcp_sender_ssrc(&p, &s), ==, 0);
	CHECK_INT(s, ==, 0x77);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.type, ==, RTCP_PSFB);
	CHECK_INT(p.count, ==, RTCP_FMT_PLI);
	CHECK_INT(rtcp_fb_read(&p, &sender, &media), ==, 0);
	CHECK_INT(media, ==, 0x1111);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.count, ==, RTCP_FMT_FIR);
	CHECK_INT(rtcp_fir_count(&p), ==, 1);
	CHECK_INT(rtcp_fir_read(&p, 0, &s, &seq), ==, 0);
	CHECK_INT(s, ==, 0x2222);
	CHECK_INT(seq, ==, 9);
	CHECK_INT(rtcp_fir_read(&p, 1, &s, &seq), ==, -EINVAL);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.count, ==, RTCP_FMT_AFB);
	CHECK_INT(rtcp_remb_read(&p, &rate, out, 4), ==, 2);
	/* 1.5 Mbit/s needs exponent 3: 187500 << 3 exactly */
	CHECK_INT(rate, ==, 1500000);
	CHECK_INT(out[1], ==, 0x2222);
	CHECK_INT(rtcp_next(&it, &p), ==, 0);

	CHECK_INT(rtcp_build_pli(b, 11, 1, 2), ==, -ENOSPC);
	CHECK_INT(rtcp_build_fir(b, 19, 1, 2, 0), ==, -ENOSPC);
	CHECK_INT(rtcp_build_remb(b, 23, 1, 5, ssrcs, 1), ==, -ENOSPC);
}

int main(void)
{
	RUN(walks_a_compound_packet);
	RUN(refuses_malformed);
	RUN(sr_rewritten_for_a_viewer);
	RUN(nack_build_and_expand);
	RUN(pli_fir_remb_rr_round_trip);
	return harness_done();
}
