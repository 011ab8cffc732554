/* relay/twcc: a publisher's arrivals by transport-wide sequence number and
 * the feedback that reports them (read back with common/rtcp's reader):
 * wrap-around, losses, reordering, late packets, a jump past the window,
 * and packets without the extension. */
#include "tests/harness.h"
#include "relay/twcc.h"
#include "common/rtcp.h"

#include <errno.h>

/* An RTP packet with one one-byte extension element (id 3, 2 bytes: seq). */
static size_t pkt(uint8_t *b, uint16_t tseq, uint8_t id)
{
	static const uint8_t h[] = { 0x90, 96, 0, 1, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0xbe, 0xde, 0, 1 };
	memcpy(b, h, sizeof h);
	b[16] = (uint8_t)(id << 4 | 1);
	b[17] = (uint8_t)(tseq >> 8);
	b[18] = (uint8_t)tseq;
	b[19] = 0;
	memset(b + 20, 0xaa, 20);
	return 40;
}

/* Reads the feedback in b into at[]; returns the packet status count. */
static unsigned readback(const uint8_t *b, int len, uint16_t *base, int64_t *at, size_t max)
{
	struct rtcp_twcc fb = { .arrival_us = at };
	struct rtcp_iter it;
	struct rtcp_pkt p;

	rtcp_iter_init(&it, b, (size_t)len);
	if (rtcp_next(&it, &p) != 1 || rtcp_twcc_read(&p, &fb, max) != 0)
		return 0;
	*base = fb.base_seq;
	return fb.n;
}

TEST(reports_arrivals_across_the_wrap)
{
	struct twcc *t;
	uint8_t b[64], fbuf[1200];
	int64_t at[16];
	uint16_t base = 0;
	int len;

	CHECK_INT(twcc_create(15, &t), ==, -EINVAL);
	CHECK_INT(twcc_create(3, &t), ==, 0);
	CHECK_INT(twcc_feedback(t, 1, fbuf, sizeof fbuf), ==, 0);        /* nothing yet */
	CHECK(!twcc_pending(t));
	CHECK(!twcc_packet(t, b, pkt(b, 7, 4), 1000));                   /* another extension id */
	CHECK(twcc_packet(t, b, pkt(b, 65534, 3), 1000000));
	CHECK(twcc_packet(t, b, pkt(b, 65535, 3), 1001000));
	CHECK(twcc_packet(t, b, pkt(b, 1, 3), 1003000));                 /* 0 is missing */
	CHECK(twcc_pending(t));
	len = twcc_feedback(t, 1, fbuf, sizeof fbuf);
	CHECK(!twcc_pending(t));
	CHECK_INT(len, >, 20);
	CHECK_INT(readback(fbuf, len, &base, at, 16), ==, 4);
	CHECK_INT(base, ==, 65534);
	CHECK_INT(at[0], ==, 1000000);
	CHECK_INT(at[1], ==, 1001000);
	CHECK_INT(at[2], ==, RTCP_TWCC_NOT_RECEIVED);
	CHECK_INT(at[3], ==, 1003000);
	CHECK_INT(twcc_feedback(t, 1, fbuf, sizeof fbuf), ==, 0);        /* all reported */
	/* 0 arrives after the feedback called it lost: not reported again */
	CHECK(twcc_packet(t, b, pkt(b, 0, 3), 1004000));
	CHECK_INT(t->late, ==, 1);
	CHECK_INT(twcc_feedback(t, 1, fbuf, sizeof fbuf), ==, 0);
	/* reordered inside one interval: both reported with their own times */
	CHECK(twcc_packet(t, b, pkt(b, 3, 3), 1005000));
	CHECK(twcc_packet(t, b, pkt(b, 2, 3), 1005500));
	len = twcc_feedback(t, 1, fbuf, sizeof fbuf);
	CHECK_INT(readback(fbuf, len, &base, at, 16), ==, 2);
	CHECK_INT(base, ==, 2);
	CHECK_INT(at[0], ==, 1005500);
	CHECK_INT(at[1], ==, 1005000);
	twcc_destroy(t);
}

TEST(a_jump_past_the_window_reports_the_last_window)
{
	struct twcc *t;
	uint8_t b[64], fbuf[1200];
	int64_t at[TWCC_WINDOW];
	uint16_t base = 0;
	unsigned total = 0;
	int len, rounds = 0;

	CHECK_INT(twcc_create(3, &t), ==, 0);
	CHECK(twcc_packet(t, b, pkt(b, 100, 3), 1000));
	CHECK(twcc_packet(t, b, pkt(b, 100 + 3000, 3), 2000));
	while ((len = twcc_feedback(t, 1, fbuf, sizeof fbuf)) > 0 && rounds++ < 10) {
		unsigned n = readback(fbuf, len, &base, at, TWCC_WINDOW);
		CHECK_INT(n, >, 0);
		if (!total)
			CHECK_INT(base, ==, (uint16_t)(100 + 3000 - TWCC_WINDOW + 1));
		total += n;
	}
	CHECK_INT(len, ==, 0);
	CHECK_INT(total, ==, TWCC_WINDOW);
	CHECK_INT(at[(total - 1) % TWCC_WINDOW], ==, 2000);
	twcc_destroy(t);
}

int main(void)
{
	RUN(reports_arrivals_across_the_wrap);
	RUN(a_jump_past_the_window_reports_the_last_window);
	return harness_done();
}
