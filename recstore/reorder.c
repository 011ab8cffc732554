/* reorder: RTP parsing, unwrapping and the reorder buffer, see reorder.h. */
#include "recstore/reorder.h"

#include <errno.h>
#include <string.h>

int rec_rtp_parse(const uint8_t *p, size_t len, struct rec_rtp *out)
{
	size_t off, end = len;

	if (len < 12 || (p[0] & 0xc0) != 0x80)
		return -EBADMSG;
	off = 12 + 4 * (size_t)(p[0] & 0x0f);
	if (p[0] & 0x10) {                         /* header extension, §5.3.1 */
		if (off + 4 > len)
			return -EBADMSG;
		off += 4 + 4 * (size_t)(p[off + 2] << 8 | p[off + 3]);
	}
	if (off > len)
		return -EBADMSG;
	if (p[0] & 0x20) {                         /* padding: last byte counts it */
		size_t pad = p[len - 1];
		if (pad == 0 || pad > len - off)
			return -EBADMSG;
		end = len - pad;
	}
	out->marker = (p[1] & 0x80) != 0;
	out->pt = p[1] & 0x7f;
	out->seq = (uint16_t)(p[2] << 8 | p[3]);
	out->ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	out->ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	out->payload = p + off;
	out->len = end - off;
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
