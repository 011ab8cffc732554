/* rtcp: compound walk, sender reports, NTP time (see rtcp.h). */
#include "common/rtcp.h"

#include <errno.h>
#include <string.h>

#include "common/bytes.h"

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->off = 0;
}

int rtcp_next(struct rtcp_iter *it, struct rtcp_pkt *p)
{
	const uint8_t *h;
	size_t left, plen, pad = 0;

	if (it->off == it->len)
		return 0;
	left = it->len - it->off;
	h = it->buf + it->off;
	if (left < 4 || (h[0] >> 6) != 2)
		return -EINVAL;
	plen = 4 * ((size_t)rd16(h + 2) + 1);
	if (plen > left)
		return -EINVAL;
	if (h[0] & 0x20) {
		/* RFC 3550 §6.4.1: the last octet counts the padding. */
		pad = h[plen - 1];
		if (pad == 0 || pad > plen - 4)
			return -EINVAL;
	}
	p->type = h[1];
	p->count = h[0] & 0x1f;
	p->data = h;
	p->len = plen;
	p->body_len = plen - 4 - pad;
	it->off += plen;
	return 1;
}

int rtcp_validate(const uint8_t *buf, size_t len)
{
	struct rtcp_iter it;
	struct rtcp_pkt p;
	int n = 0, r;

	rtcp_iter_init(&it, buf, len);
	while ((r = rtcp_next(&it, &p)) > 0)
		n++;
	return r < 0 ? r : n;
}

int rtcp_sr_read(const struct rtcp_pkt *p, struct rtcp_sr *sr)
{
	const uint8_t *b = p->data + 4;

	if (p->type != RTCP_SR || p->body_len < 24 + 24 * (size_t)p->count)
		return -EINVAL;
	sr->ssrc = rd32(b);
	sr->ntp_sec = rd32(b + 4);
	sr->ntp_frac = rd32(b + 8);
	sr->rtp_ts = rd32(b + 12);
	sr->packets = rd32(b + 16);
	sr->octets = rd32(b + 20);
	return 0;
}

int rtcp_sr_build(uint8_t *buf, size_t cap, const struct rtcp_sr *sr)
{
	if (cap < 28)
		return -ENOSPC;
	buf[0] = 0x80;          /* V=2, no padding, RC=0 */
	buf[1] = RTCP_SR;
	wr16(buf + 2, 6);       /* length in words, minus one */
	wr32(buf + 4, sr->ssrc);
	wr32(buf + 8, sr->ntp_sec);
	wr32(buf + 12, sr->ntp_frac);
	wr32(buf + 16, sr->rtp_ts);
	wr32(buf + 20, sr->packets);
	wr32(buf + 24, sr->octets);
	return 28;
}

int rtcp_ntp_to_unix_ns(uint32_t sec, uint32_t frac, int64_t *unix_ns)
{
	if (sec < RTCP_NTP_UNIX_OFFSET)
		return -ERANGE;
	*unix_ns = (int64_t)(sec - RTCP_NTP_UNIX_OFFSET) * 1000000000 +
	           (int64_t)(((uint64_t)frac * 1000000000) >> 32);
	return 0;
}

void rtcp_ntp_from_unix_ns(int64_t unix_ns, uint32_t *sec, uint32_t *frac)
{
	*sec = (uint32_t)((uint64_t)(unix_ns / 1000000000) + RTCP_NTP_UNIX_OFFSET);
	*frac = (uint32_t)(((uint64_t)(unix_ns % 1000000000) << 32) / 1000000000);
}

/* --- transport-wide congestion control feedback --------------------------- */

#define TWCC_HEADER 20              /* common header, two SSRCs, base, count, reference, fb count */
#define TWCC_MAX_PKTS 1024          /* packets described by one feedback packet we build */
#define TWCC_TICK_US 250            /* receive delta unit */
#define TWCC_REF_US 64000           /* reference time unit */

/* Packet status symbols (§3.1.1). */
enum { SYM_NONE = 0, SYM_SMALL = 1, SYM_LARGE = 2 };

/* The chunk starting at sym[i] of k: writes it at c, returns the symbols it
 * covers (a vector chunk may describe a few past k: readers stop at the
 * packet status count). */
static unsigned twcc_chunk(const uint8_t *sym, unsigned i, unsigned k, uint8_t *c)
{
	unsigned run = 1, left = k - i, n;
	bool one_bit = true;

	while (run < left && run < 8191 && sym[i + run] == sym[i])
		run++;
	if (run >= 14 || run == left) {
		wr16(c, (uint16_t)(sym[i] << 13 | run));            /* T=0: run length */
		return run;
	}
	for (n = 0; n < 14 && n < left; n++)
		one_bit &= sym[i + n] != SYM_LARGE;
	if (one_bit) {
		uint16_t v = 0x8000;                                 /* T=1, S=0: 14 one-bit symbols */
		for (unsigned j = 0; j < n; j++)
			v |= (uint16_t)(sym[i + j] << (13 - j));
		wr16(c, v);
		return n;
	}
	n = left < 7 ? left : 7;
	{
		uint16_t v = 0xc000;                                 /* T=1, S=1: 7 two-bit symbols */
		for (unsigned j = 0; j < n; j++)
			v |= (uint16_t)(sym[i + j] << (12 - 2 * j));
		wr16(c, v);
	}
	return n;
}

int rtcp_twcc_build(uint8_t *buf, size_t cap, const struct rtcp_twcc *fb, unsigned *covered)
{
	uint8_t sym[TWCC_MAX_PKTS];
	int16_t delta[TWCC_MAX_PKTS];
	uint8_t deltas[2 * TWCC_MAX_PKTS];
	unsigned m = fb->n < TWCC_MAX_PKTS ? fb->n : TWCC_MAX_PKTS, k, i, first = m, done, dbytes = 0;
	int64_t ref, prev;
	size_t off = TWCC_HEADER, total, pad;

	if (fb->n == 0 || fb->n > 65535)
		return -EINVAL;
	if (cap < TWCC_HEADER + 4)
		return -ENOSPC;
	for (i = 0; i < m && first == m; i++)
		if (fb->arrival_us[i] >= 0)
			first = i;
	if (first == m)
		return -EINVAL;
	ref = fb->arrival_us[first] / TWCC_REF_US;
	prev = ref * (TWCC_REF_US / TWCC_TICK_US);
	for (k = 0; k < m; k++) {
		int64_t t, d;
		if (fb->arrival_us[k] < 0) {
			sym[k] = SYM_NONE;
			continue;
		}
		t = fb->arrival_us[k] / TWCC_TICK_US;
		d = t - prev;
		if (d < INT16_MIN || d > INT16_MAX)
			break;              /* the next feedback packet starts here */
		sym[k] = d >= 0 && d <= 255 ? SYM_SMALL : SYM_LARGE;
		delta[k] = (int16_t)d;
		prev = t;
	}
	/* Chunks while they and their deltas fit in cap. */
	for (i = 0, done = 0; i < k;) {
		uint8_t c[2];
		unsigned n = twcc_chunk(sym, i, k, c), used = n < k - i ? n : k - i, db = 0;
		for (unsigned j = i; j < i + used; j++)
			db += sym[j] == SYM_SMALL ? 1 : sym[j] == SYM_LARGE ? 2 : 0;
		if (((off + 2 + dbytes + db + 3) & ~(size_t)3) > cap)
			break;
		memcpy(buf + off, c, 2);
		off += 2;
		for (unsigned j = i; j < i + used; j++) {
			if (sym[j] == SYM_SMALL) {
				deltas[dbytes++] = (uint8_t)delta[j];
			} else if (sym[j] == SYM_LARGE) {
				wr16(deltas + dbytes, (uint16_t)delta[j]);
				dbytes += 2;
			}
		}
		i += used;
		done = i;
	}
	if (done <= first)
		return -ENOSPC;         /* not even the first received packet fits */
	memcpy(buf + off, deltas, dbytes);
	total = off + dbytes;
	pad = total % 4 ? 4 - total % 4 : 0;
	memset(buf + total, 0, pad);
	if (pad)
		buf[total + pad - 1] = (uint8_t)pad;   /* RFC 3550 §6.4.1 padding */
	total += pad;
	buf[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | RTCP_FMT_TWCC);
	buf[1] = RTCP_RTPFB;
	wr16(buf + 2, (uint16_t)(total / 4 - 1));
	wr32(buf + 4, fb->sender);
	wr32(buf + 8, fb->media);
	wr16(buf + 12, fb->base_seq);
	wr16(buf + 14, (uint16_t)done);
	buf[16] = (uint8_t)(ref >> 16);
	buf[17] = (uint8_t)(ref >> 8);
	buf[18] = (uint8_t)ref;
	buf[19] = fb->fb_count;
	*covered = done;
	return (int)total;
}

/* Walks the packet status chunks symbol by symbol. */
struct twcc_cur {
	const uint8_t *c, *end;
	uint16_t v;
	unsigned left, idx;         /* symbols left in chunk v, next symbol's index in it */
};

/* The next symbol (0..2), or -EINVAL past the end or on a reserved one. */
static int twcc_sym(struct twcc_cur *k)
{
	unsigned s;

	while (!k->left) {          /* an empty run describes nothing: the next chunk */
		if (k->end - k->c < 2)
			return -EINVAL;
		k->v = rd16(k->c);
		k->c += 2;
		k->idx = 0;
		k->left = !(k->v & 0x8000) ? k->v & 0x1fffu : !(k->v & 0x4000) ? 14 : 7;
	}
	k->left--;
	if (!(k->v & 0x8000))
		s = (k->v >> 13) & 3;
	else if (!(k->v & 0x4000))
		s = (k->v >> (13 - k->idx)) & 1;
	else
		s = (k->v >> (12 - 2 * k->idx)) & 3;
	k->idx++;
	return s == 3 ? -EINVAL : (int)s;
}

int rtcp_twcc_read(const struct rtcp_pkt *p, struct rtcp_twcc *fb, size_t max)
{
	const uint8_t *b = p->data + 4, *end = p->data + 4 + p->body_len, *d;
	struct twcc_cur k;
	unsigned n, i;
	int64_t t;
	int s;

	if (p->type != RTCP_RTPFB || p->count != RTCP_FMT_TWCC || p->body_len < TWCC_HEADER - 4)
		return -EINVAL;
	fb->sender = rd32(b);
	fb->media = rd32(b + 4);
	fb->base_seq = rd16(b + 8);
	n = rd16(b + 10);
	fb->fb_count = b[15];
	fb->n = n;
	/* The deltas start after the last chunk: walk the chunks once to find it. */
	k = (struct twcc_cur){ .c = b + 16, .end = end };
	for (i = 0; i < n; i++)
		if (twcc_sym(&k) < 0)
			return -EINVAL;
	d = k.c;
	k = (struct twcc_cur){ .c = b + 16, .end = end };
	/* 24-bit signed reference time (§3.1), in 250 µs ticks. */
	t = (int64_t)((int32_t)((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8) >> 8) *
	    (TWCC_REF_US / TWCC_TICK_US);
	for (i = 0; i < n; i++) {
		int64_t us = RTCP_TWCC_NOT_RECEIVED;
		s = twcc_sym(&k);
		if (s == SYM_SMALL) {
			if (end - d < 1)
				return -EINVAL;
			t += *d++;
			us = t * TWCC_TICK_US;
		} else if (s == SYM_LARGE) {
			if (end - d < 2)
				return -EINVAL;
			t += (int16_t)rd16(d);
			d += 2;
			us = t * TWCC_TICK_US;
		}
		if (i < max && fb->arrival_us)
			fb->arrival_us[i] = us;
	}
	return 0;
}
