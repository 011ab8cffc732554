/* relay/rxstats: the report blocks of the relay's RRs to a WebRTC publisher
 * (RFC 3550 §6.4.1, A.1, A.3, A.8), written with rtcp_build_rr_reports and
 * read back with rtcp_report_read: loss and the fraction since the last
 * block, the wrap of the sequence number, LSR/DLSR, jitter, a new SSRC. */
#include "tests/harness.h"
#include "relay/rxstats.h"
#include "relay/rtcp.h"

#include <errno.h>

#define MS 1000000LL

TEST(loss_wrap_and_fraction)
{
	struct rxstats r = { 0 };
	struct rtcp_report b;

	CHECK_INT(rxstats_block(&r, 0, &b), ==, -ENOENT);
	/* 65530 .. 65535, 0 .. 9 with 3 and 4 lost, 20 ms apart at 90 kHz */
	for (unsigned i = 0; i < 16; i++) {
		uint16_t seq = (uint16_t)(65530 + i);
		if (seq == 3 || seq == 4)
			continue;
		rxstats_packet(&r, 0xabc, seq, 1800 * i, 90000, 1000 * MS + 20 * MS * i);
	}
	CHECK_INT(rxstats_block(&r, 2000 * MS, &b), ==, 0);
	CHECK_INT(b.ssrc, ==, 0xabc);
	CHECK_INT(b.highest_seq, ==, 65536 + 9);
	CHECK_INT(b.cumulative_lost, ==, 2);
	CHECK_INT(b.fraction_lost, ==, 2 * 256 / 16);
	CHECK_INT(b.jitter, ==, 0);          /* evenly spaced */
	CHECK_INT(b.lsr, ==, 0);             /* no SR yet */
	CHECK_INT(b.dlsr, ==, 0);
	/* a late packet (3) arrives: nothing lost since the last block */
	rxstats_packet(&r, 0xabc, 3, 1800 * 9, 90000, 1400 * MS);
	rxstats_packet(&r, 0xabc, 10, 1800 * 16, 90000, 1420 * MS);
	CHECK_INT(rxstats_block(&r, 2000 * MS, &b), ==, 0);
	CHECK_INT(b.cumulative_lost, ==, 1);
	CHECK_INT(b.fraction_lost, ==, 0);
	CHECK_INT(b.highest_seq, ==, 65536 + 10);
}

TEST(lsr_dlsr_jitter_and_a_new_ssrc)
{
	struct rxstats r = { 0 };
	struct rtcp_report b, back;
	uint8_t buf[64];
	struct rtcp_iter it;
	struct rtcp_pkt p;

	rxstats_packet(&r, 7, 100, 0, 90000, 1000 * MS);
	/* 10 ms late against its timestamp: |D| = 900 units, J = 900/16 */
	rxstats_packet(&r, 7, 101, 900, 90000, 1020 * MS);
	rxstats_sr(&r, 0x11223344, 0x55667788, 3000 * MS);
	CHECK_INT(rxstats_block(&r, 3500 * MS, &b), ==, 0);
	CHECK_INT(b.jitter, ==, 900 / 16);
	CHECK_INT(b.lsr, ==, 0x33445566);
	CHECK_INT(b.dlsr, ==, 32768);        /* 0.5 s in 1/65536 s */
	CHECK_INT(rtcp_build_rr_reports(buf, sizeof buf, 0x99, &b, 1), ==, 32);
	CHECK_INT(rtcp_build_rr_reports(buf, 31, 0x99, &b, 1), ==, -ENOSPC);
	rtcp_iter_init(&it, buf, 32);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(p.type, ==, RTCP_RR);
	CHECK_INT(p.count, ==, 1);
	CHECK_INT(rtcp_report_read(&p, 0, &back), ==, 0);
	CHECK_INT(back.ssrc, ==, 7);
	CHECK_INT(back.highest_seq, ==, 101);
	CHECK_INT(back.lsr, ==, 0x33445566);
	CHECK_INT(back.dlsr, ==, 32768);
	CHECK_INT(back.jitter, ==, 900 / 16);
	/* the publisher restarted: a new SSRC starts over, its LSR unknown */
	rxstats_packet(&r, 8, 5000, 0, 90000, 4000 * MS);
	CHECK_INT(rxstats_block(&r, 4100 * MS, &b), ==, 0);
	CHECK_INT(b.ssrc, ==, 8);
	CHECK_INT(b.highest_seq, ==, 5000);
	CHECK_INT(b.cumulative_lost, ==, 0);
	CHECK_INT(b.lsr, ==, 0);
	/* a jump of 10000 is believed only when the next packet follows it */
	rxstats_packet(&r, 8, 15000, 0, 90000, 4200 * MS);
	CHECK_INT(rxstats_block(&r, 4300 * MS, &b), ==, 0);
	CHECK_INT(b.highest_seq, ==, 5000);
	rxstats_packet(&r, 8, 15001, 0, 90000, 4220 * MS);
	CHECK_INT(rxstats_block(&r, 4300 * MS, &b), ==, 0);
	CHECK_INT(b.highest_seq, ==, 15001);
	CHECK_INT(b.cumulative_lost, ==, 0);
}

/* A loss not repaired within the wait asks for a keyframe once; a late or
 * repaired packet does not; after the keyframe request earlier losses are
 * answered. */
TEST(unrepaired_losses_are_due_once)
{
	struct rxstats r = { 0 };
	int64_t t = 1000 * MS;

	rxstats_packet(&r, 5, 10, 0, 90000, t);
	rxstats_packet(&r, 5, 11, 0, 90000, t);
	CHECK(!rxstats_gap_due(&r, t + 1000 * MS, 250 * MS));   /* no loss */
	/* 12 and 13 missing; 12 is repaired at 100 ms */
	rxstats_packet(&r, 5, 14, 0, 90000, t);
	CHECK(!rxstats_gap_due(&r, t + 100 * MS, 250 * MS));
	rxstats_packet(&r, 5, 12, 0, 90000, t + 100 * MS);
	/* 13 is now watched from 100 ms */
	CHECK(!rxstats_gap_due(&r, t + 300 * MS, 250 * MS));
	CHECK(rxstats_gap_due(&r, t + 350 * MS, 250 * MS));
	CHECK(!rxstats_gap_due(&r, t + 900 * MS, 250 * MS));    /* answered */
	/* a loss repaired after its wait but before it was looked at */
	rxstats_packet(&r, 5, 16, 0, 90000, t + 1000 * MS);
	rxstats_packet(&r, 5, 15, 0, 90000, t + 1400 * MS);
	CHECK(!rxstats_gap_due(&r, t + 1500 * MS, 250 * MS));
	/* one that slides out of the 64 watched, never arriving */
	rxstats_packet(&r, 5, 18, 0, 90000, t + 2000 * MS);
	for (uint16_t q = 19; q < 200; q++)
		rxstats_packet(&r, 5, q, 0, 90000, t + 2000 * MS);
	CHECK(rxstats_gap_due(&r, t + 2300 * MS, 250 * MS));
	CHECK(!rxstats_gap_due(&r, t + 2600 * MS, 250 * MS));
}

int main(void)
{
	RUN(loss_wrap_and_fraction);
	RUN(lsr_dlsr_jitter_and_a_new_ssrc);
	RUN(unrepaired_losses_are_due_once);
	return harness_done();
}
