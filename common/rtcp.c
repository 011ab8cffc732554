/* rtcp: compound walk, sender reports, NTP time (see rtcp.h). */
#include "common/rtcp.h"

#include <errno.h>

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
