/* twcc: see twcc.h. */
#include "relay/twcc.h"
#include "common/rtcp.h"
#include "common/rtp.h"

#include <errno.h>
#include <stdlib.h>

int twcc_create(uint8_t ext_id, struct twcc **out)
{
	struct twcc *t;

	if (ext_id < 1 || ext_id > 14)
		return -EINVAL;
	t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->ext_id = ext_id;
	*out = t;
	return 0;
}

void twcc_destroy(struct twcc *t)
{
	free(t);
}

static int64_t *slot(struct twcc *t, int64_t seq)
{
	return &t->arrival_us[(uint64_t)seq & (TWCC_WINDOW - 1)];
}

bool twcc_packet(struct twcc *t, const uint8_t *rtp, size_t len, int64_t now_us)
{
	struct rtp_hdr h;
	const uint8_t *d;
	size_t n;
	int64_t seq;

	if (rtp_parse(rtp, len, &h) < 0 || !h.extension || rtp_ext_find(&h, t->ext_id, &d, &n) < 0 || n != 2)
		return false;
	t->media_ssrc = rtp_ssrc(rtp);
	if (!t->started) {
		t->started = true;
		t->next = t->high = (uint16_t)(d[0] << 8 | d[1]);
		*slot(t, t->high) = now_us;
		return true;
	}
	/* Unwrapped against the highest seen: the nearest extended number. */
	seq = t->high + rtp_seq_diff((uint16_t)t->high, (uint16_t)(d[0] << 8 | d[1]));
	if (seq < t->next) {
		t->late++;
		return true;
	}
	if (seq > t->high) {
		/* The numbers skipped are not received (yet). */
		for (int64_t s = seq - 1; s > t->high && s > seq - TWCC_WINDOW; s--)
			*slot(t, s) = RTCP_TWCC_NOT_RECEIVED;
		t->high = seq;
		if (t->high - t->next >= TWCC_WINDOW)
			t->next = t->high - TWCC_WINDOW + 1;   /* older ones are never reported */
		*slot(t, seq) = now_us;
	} else if (*slot(t, seq) == RTCP_TWCC_NOT_RECEIVED) {
		*slot(t, seq) = now_us;                    /* reordered within the window */
	}
	return true;
}

int twcc_feedback(struct twcc *t, uint32_t sender, uint8_t *buf, size_t cap)
{
	int64_t at[TWCC_WINDOW];
	struct rtcp_twcc fb;
	unsigned n, covered;
	int len;

	if (!t->started || t->next > t->high)
		return 0;
	n = (unsigned)(t->high - t->next + 1);
	for (unsigned i = 0; i < n; i++)
		at[i] = *slot(t, t->next + i);
	fb = (struct rtcp_twcc){ .sender = sender, .media = t->media_ssrc, .base_seq = (uint16_t)t->next,
	                         .fb_count = t->fb_count, .n = n, .arrival_us = at };
	len = rtcp_twcc_build(buf, cap, &fb, &covered);
	if (len < 0)
		return len;
	t->next += covered;
	t->fb_count++;
	return len;
}
