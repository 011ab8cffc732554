/* rxstats: see rxstats.h. */
#include "relay/rxstats.h"

#include <errno.h>
#include <string.h>

#define MAX_DROPOUT 3000    /* RFC 3550 A.1: a jump ahead up to this is packets lost */
#define MAX_MISORDER 100    /* a step back up to this is a late packet */

static void start(struct rxstats *r, uint32_t ssrc, uint16_t seq)
{
	uint32_t lsr = r->lsr;
	int64_t lsr_ns = r->ssrc == ssrc ? r->lsr_ns : 0;

	memset(r, 0, sizeof *r);
	r->ssrc = ssrc;
	r->max_seq = seq;
	r->base_seq = seq;
	r->bad_seq = UINT32_MAX;
	r->seen = ~0ULL;
	r->lsr = lsr;
	r->lsr_ns = lsr_ns;
}

/* The oldest sequence number still missing in the window becomes the one
 * watched, from now. */
static void rescan(struct rxstats *r, int64_t now)
{
	r->gap_ns = 0;
	for (unsigned i = 63; i > 0; i--) {
		if (!(r->seen >> i & 1)) {
			r->gap_seq = (uint16_t)(r->max_seq - i);
			r->gap_ns = now ? now : 1;
			return;
		}
	}
}

bool rxstats_gap_due(struct rxstats *r, int64_t now, int64_t wait)
{
	uint16_t back;

	if (!r->gap_ns || now - r->gap_ns < wait)
		return false;
	back = (uint16_t)(r->max_seq - r->gap_seq);
	if (back < 64 && r->seen >> back & 1) {
		rescan(r, now);       /* it came: the next one missing is watched */
		return false;
	}
	r->seen = ~0ULL;
	r->gap_ns = 0;
	return true;
}

void rxstats_packet(struct rxstats *r, uint32_t ssrc, uint16_t seq, uint32_t ts, uint32_t clock_rate,
                    int64_t arrival_ns)
{
	uint16_t delta = (uint16_t)(seq - r->max_seq);
	/* Arrival in RTP clock units, modulo 2^32 like the timestamps. */
	uint32_t at = (uint32_t)((uint64_t)(arrival_ns / 1000000000) * clock_rate +
	                         (uint64_t)(arrival_ns % 1000000000) * clock_rate / 1000000000);
	uint32_t transit = at - ts;
	int32_t d;

	if (!ssrc)
		return;
	if (ssrc != r->ssrc) {
		start(r, ssrc, seq);
	} else if (delta < MAX_DROPOUT) {
		if (seq < r->max_seq)
			r->cycles += 65536;
		if (delta > 1 && !r->gap_ns) {
			r->gap_seq = (uint16_t)(r->max_seq + 1);
			r->gap_ns = arrival_ns ? arrival_ns : 1;
		}
		r->seen = delta >= 64 ? 0 : r->seen << delta;
		r->seen |= 1;
		r->max_seq = seq;
	} else if (delta > 65536 - 64) {
		/* late or repaired: no longer missing */
		r->seen |= 1ULL << (uint16_t)(r->max_seq - seq);
		if (r->gap_ns && seq == r->gap_seq)
			rescan(r, arrival_ns);
	} else if (delta <= 65536 - MAX_MISORDER) {
		/* A big jump: believed when the next packet follows it. */
		if (seq != r->bad_seq) {
			r->bad_seq = (uint16_t)(seq + 1);
			return;
		}
		start(r, ssrc, seq);
	}
	/* else a duplicate or a late packet: counted, nothing moves */
	if (r->received++ && clock_rate) {
		d = (int32_t)(transit - r->transit);
		if (d < 0)
			d = -d;
		r->jitter += (uint32_t)d - ((r->jitter + 8) >> 4);
	}
	r->transit = transit;
}

void rxstats_sr(struct rxstats *r, uint32_t ntp_sec, uint32_t ntp_frac, int64_t now_ns)
{
	r->lsr = ntp_sec << 16 | ntp_frac >> 16;
	r->lsr_ns = now_ns ? now_ns : 1;
}

int rxstats_block(struct rxstats *r, int64_t now_ns, struct rtcp_report *b)
{
	uint32_t ext = r->cycles + r->max_seq;
	int64_t expected = (int64_t)ext - r->base_seq + 1;
	int64_t exp_int = expected - r->expected_prior, rec_int = (int64_t)r->received - r->received_prior;
	int64_t lost_int = exp_int - rec_int;

	if (!r->ssrc || !r->received)
		return -ENOENT;
	r->expected_prior = (uint32_t)expected;
	r->received_prior = r->received;
	b->ssrc = r->ssrc;
	b->fraction_lost = exp_int <= 0 || lost_int <= 0 ? 0 : (uint8_t)(lost_int * 256 / exp_int > 255 ? 255
	                                                                  : lost_int * 256 / exp_int);
	b->cumulative_lost = (int32_t)(expected - r->received);
	b->highest_seq = ext;
	b->jitter = r->jitter >> 4;
	b->lsr = r->lsr_ns ? r->lsr : 0;
	/* RFC 3550 §6.4.1: the delay since that SR, in 1/65536 s. */
	b->dlsr = r->lsr_ns ? (uint32_t)((now_ns - r->lsr_ns) * 65536 / 1000000000) : 0;
	return 0;
}
