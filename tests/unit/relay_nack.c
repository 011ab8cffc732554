/* relay/nack: the relay's gaps in a publisher's sequence numbers and when it
 * asks for them (RFC 4585 generic NACK, sent by feedback.c with
 * rtcp_build_nack and read back here with rtcp_nack_expand): the reorder
 * window, retries spaced by the round trip, giving up, the horizon, the wrap,
 * a new SSRC, and an RFC 4588 retransmission restored (relay/rtp.c). */
#include "tests/harness.h"
#include "relay/nack.h"
#include "relay/rtcp.h"
#include "relay/rtp.h"

#define MS 1000000LL

TEST(waits_the_reorder_window_then_asks)
{
	struct nack *n;
	uint16_t seqs[NACK_MISS_MAX];
	uint32_t ssrc = 0;

	CHECK_INT(nack_create(1u << 1, 512, &n), ==, 0);
	CHECK_INT(nack_packet(n, 0, 7, 100, 0), ==, NACK_OFF);   /* track 0 not negotiated */
	CHECK_INT(nack_packet(n, 1, 7, 100, 0), ==, NACK_NEW);
	CHECK_INT(nack_packet(n, 1, 7, 103, 1 * MS), ==, NACK_NEW);   /* 101, 102 missing */
	CHECK(!nack_pending(n, 5 * MS));
	CHECK_INT(nack_packet(n, 1, 7, 101, 2 * MS), ==, NACK_REORDERED);
	CHECK(nack_pending(n, 6 * MS));
	CHECK_INT(nack_due(n, 1, 6 * MS, seqs, NACK_MISS_MAX, &ssrc), ==, 1);
	CHECK_INT(seqs[0], ==, 102);
	CHECK_INT(ssrc, ==, 7);
	/* asked again only after the round trip estimate */
	CHECK_INT(nack_due(n, 1, 20 * MS, seqs, NACK_MISS_MAX, &ssrc), ==, 0);
	CHECK_INT(nack_packet(n, 1, 7, 102, 16 * MS), ==, NACK_REPAIRED);
	CHECK_INT(nack_packet(n, 1, 7, 102, 17 * MS), ==, NACK_OLD);   /* a duplicate */
	CHECK(!nack_pending(n, 1000 * MS));
	CHECK_INT(n->c.requested, ==, 1);
	CHECK_INT(n->c.repaired, ==, 1);
	CHECK_INT(n->c.given_up, ==, 0);
	/* the 10 ms sample pulls the 50 ms start down by an eighth */
	CHECK_INT(n->srtt_ns, ==, NACK_RTT_INIT_NS - (NACK_RTT_INIT_NS - 10 * MS) / 8);
	nack_destroy(n);
}

TEST(retries_then_gives_up)
{
	struct nack *n;
	uint16_t seqs[NACK_MISS_MAX];
	uint32_t ssrc;
	int64_t t = 0;
	unsigned asked = 0;

	CHECK_INT(nack_create(1, 512, &n), ==, 0);
	nack_packet(n, 0, 9, 65534, 0);
	nack_packet(n, 0, 9, 1, 0);      /* 65535 and 0 missing, across the wrap */
	for (t = 0; t < 1000 * MS; t += MS)
		if (nack_pending(n, t))
			asked += (unsigned)nack_due(n, 0, t, seqs, NACK_MISS_MAX, &ssrc);
	CHECK_INT(asked, ==, 2 * NACK_TRIES);
	CHECK_INT(n->c.given_up, ==, 2);
	CHECK_INT(nack_lost_take(n, 0), ==, 2);   /* reported once */
	CHECK_INT(nack_lost_take(n, 0), ==, 0);
	CHECK_INT(n->t[0].n, ==, 0);
	CHECK_INT(nack_packet(n, 0, 9, 0, t), ==, NACK_OLD);   /* too late: not a repair */
	nack_destroy(n);
}

TEST(never_asks_past_the_horizon_or_across_an_outage)
{
	struct nack *n;
	uint16_t seqs[NACK_MISS_MAX];
	uint32_t ssrc;

	CHECK_INT(nack_create(1, 16, &n), ==, 0);
	nack_packet(n, 0, 1, 10, 0);
	nack_packet(n, 0, 1, 12, 0);     /* 11 missing */
	nack_packet(n, 0, 1, 30, 0);     /* 13..29 missing; 11 now 19 behind */
	CHECK_INT(nack_due(n, 0, 10 * MS, seqs, NACK_MISS_MAX, &ssrc), ==, 15);
	CHECK_INT(seqs[0], ==, 15);      /* 11, 13, 14 are 16+ behind 30 */
	CHECK_INT(n->c.given_up, ==, 3);
	nack_packet(n, 0, 1, 30 + NACK_MISS_MAX + 2, 20 * MS);   /* an outage: nothing asked */
	CHECK_INT(n->c.given_up, ==, 3 + NACK_MISS_MAX + 1);
	CHECK_INT(nack_lost_take(n, 0), ==, 3 + NACK_MISS_MAX + 1);
	/* a new SSRC (publisher restart) forgets the old gaps, not lost:
	 * the restarted publisher begins with a keyframe */
	nack_packet(n, 0, 1, 30 + NACK_MISS_MAX + 4, 25 * MS);   /* one more missing */
	nack_packet(n, 0, 2, 5, 30 * MS);
	CHECK_INT(n->t[0].n, ==, 0);
	CHECK_INT(nack_lost_take(n, 0), ==, 0);
	CHECK(!nack_pending(n, 2000 * MS));
	nack_destroy(n);
}

TEST(the_nack_sent_reads_back)
{
	uint8_t b[256];
	uint16_t in[] = { 102, 103, 110, 200 }, out[8];
	struct rtcp_iter it;
	struct rtcp_pkt p;
	int len = rtcp_build_nack(b, sizeof b, 1, 7, in, 4);

	CHECK_INT(len, ==, 12 + 4 * 2);
	rtcp_iter_init(&it, b, (size_t)len);
	CHECK_INT(rtcp_next(&it, &p), ==, 1);
	CHECK_INT(rtcp_nack_expand(&p, out, 8), ==, 4);
	CHECK(!memcmp(in, out, sizeof in));
}

TEST(rtx_restores_the_original)
{
	/* RTX: PT 97, SSRC 0xabcd, seq 5; payload OSN 0x1234 + "media"; 2
	 * bytes of padding */
	uint8_t b[] = { 0xa0, 0x80 | 97, 0, 5, 0, 0, 1, 0, 0, 0, 0xab, 0xcd,
	                0x12, 0x34, 'm', 'e', 'd', 'i', 'a', 0, 2 };
	uint8_t probe[] = { 0xa0, 97, 0, 6, 0, 0, 1, 0, 0, 0, 0xab, 0xcd, 0, 0, 0, 4 };
	struct rtp_hdr h;

	CHECK_INT(rtp_rtx_restore(b, sizeof b, 96, 0x11223344), ==, 12 + 5);
	CHECK_INT(rtp_parse(b, 12 + 5, &h), ==, 0);
	CHECK_INT(h.seq, ==, 0x1234);
	CHECK_INT(h.pt, ==, 96);
	CHECK(h.marker);
	CHECK_INT(h.ssrc, ==, 0x11223344);
	CHECK_INT(h.ts, ==, 256);
	CHECK(!h.padding);
	CHECK(!memcmp(h.payload, "media", 5));
	CHECK_INT(rtp_rtx_restore(probe, sizeof probe, 96, 1), ==, -EINVAL);   /* padding only */
}

int main(void)
{
	RUN(waits_the_reorder_window_then_asks);
	RUN(retries_then_gives_up);
	RUN(never_asks_past_the_horizon_or_across_an_outage);
	RUN(the_nack_sent_reads_back);
	RUN(rtx_restores_the_original);
	return harness_done();
}
