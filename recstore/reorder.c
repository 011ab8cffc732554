/* reorder: RTP parsing, unwrapping and the reorder buffer, see reorder.h. */
#include "recstore/reorder.h"
#include "common/rtp.h"

#include <errno.h>
#include <string.h>

int rec_rtp_parse(const uint8_t *p, size_t len, struct rec_rtp *out)
{
	struct rtp_hdr h;

	if (rtp_parse(p, len, &h) < 0)
		return -EBADMSG;
	out->marker = h.marker;
	out->pt = h.pt;
	out->seq = h.seq;
	out->ts = h.ts;
	out->ssrc = h.ssrc;
	out->payload = h.payload;
	out->len = h.payload_len;
	return 0;
}

int64_t rec_ts_unwrap_peek(const struct rec_ts_unwrap *u, uint32_t ts)
{
	if (!u->init)
		return ts;
	return u->ext + (int32_t)(ts - u->last);
}

int64_t rec_ts_unwrap(struct rec_ts_unwrap *u, uint32_t ts)
{
	u->ext = rec_ts_unwrap_peek(u, ts);
	u->last = ts;
	u->init = true;
	return u->ext;
}

void rec_reorder_init(struct rec_reorder *r, unsigned window)
{
	memset(r, 0, sizeof *r);
	if (window == 0)
		window = 1;
	if (window >= REC_REORDER_SLOTS)
		window = REC_REORDER_SLOTS - 1;
	r->window = window;
}

int rec_reorder_push(struct rec_reorder *r, const struct rec_rtp *rtp)
{
	uint64_t ext;

	if (!r->started) {
		/* Start well above zero so packets slightly older than the
		 * first one still get a valid (if late) extended number. */
		ext = (1ULL << 32) | rtp->seq;
		r->started = true;
		r->next = ext;
		r->highest = ext;
	} else {
		ext = r->highest + (int16_t)(rtp->seq - (uint16_t)r->highest);
	}
	if (ext < r->next) {
		r->late++;
		return -EALREADY;
	}
	if (ext - r->next >= REC_REORDER_SLOTS) {
		/* A jump beyond the slots (a sender restart, a long outage).
		 * Packets still held must come out first: the caller flushes
		 * and pushes again; with nothing held, restart from here. */
		for (uint64_t q = r->next; q <= r->highest; q++) {
			const struct rec_reorder_slot *o = &r->slot[q & (REC_REORDER_SLOTS - 1)];
			if (o->used && o->ext_seq == q)
				return -ENOBUFS;
		}
		r->lost += ext - r->next;
		r->gap = true;
		r->next = ext;
	}
	if (ext > r->highest)
		r->highest = ext;
	struct rec_reorder_slot *s = &r->slot[ext & (REC_REORDER_SLOTS - 1)];
	if (s->used) {   /* next <= ext < next + SLOTS: only the same packet */
		r->duplicate++;
		return -EALREADY;
	}
	s->used = true;
	s->ext_seq = ext;
	s->rtp = *rtp;
	return 0;
}

int rec_reorder_pop(struct rec_reorder *r, bool flush, struct rec_rtp *out, bool *lost)
{
	if (!r->started)
		return 0;
	while (r->next <= r->highest) {
		struct rec_reorder_slot *s = &r->slot[r->next & (REC_REORDER_SLOTS - 1)];
		if (s->used && s->ext_seq == r->next) {
			*out = s->rtp;
			*lost = r->gap;
			s->used = false;
			r->gap = false;
			r->next++;
			return 1;
		}
		if (!flush && r->highest - r->next < r->window)
			return 0;   /* still within the jitter window: wait */
		r->next++;
		r->lost++;
		r->gap = true;
	}
	return 0;
}
