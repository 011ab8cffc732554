/* rtp: RTP header parse/rewrite (see rtp.h). */
#include "relay/rtp.h"

#include <errno.h>
#include <string.h>

#include "common/bytes.h"

bool rtp_is_rtcp(const uint8_t *pkt, size_t len)
{
	return len >= 2 && pkt[1] >= 192 && pkt[1] <= 223;
}

int rtp_parse(const uint8_t *pkt, size_t len, struct rtp_hdr *h)
{
	size_t off;

	if (len < RTP_HEADER_MIN || (pkt[0] >> 6) != 2 || rtp_is_rtcp(pkt, len))
		return -EINVAL;
	memset(h, 0, sizeof *h);
	h->padding = pkt[0] & 0x20;
	h->extension = pkt[0] & 0x10;
	h->cc = pkt[0] & 0x0f;
	h->marker = pkt[1] & 0x80;
	h->pt = pkt[1] & 0x7f;
	h->seq = rd16(pkt + 2);
	h->ts = rd32(pkt + 4);
	h->ssrc = rd32(pkt + 8);
	off = RTP_HEADER_MIN + 4 * (size_t)h->cc;
	if (off > len)
		return -EINVAL;
	h->csrc = pkt + RTP_HEADER_MIN;
	if (h->extension) {
		if (off + 4 > len)
			return -EINVAL;
		h->ext_profile = rd16(pkt + off);
		h->ext_len = 4 * (size_t)rd16(pkt + off + 2);
		h->ext = pkt + off + 4;
		off += 4 + h->ext_len;
		if (off > len)
			return -EINVAL;
	}
	h->header_len = off;
	h->payload = pkt + off;
	h->payload_len = len - off;
	if (h->padding) {
		/* RFC 3550 §5.1: the last octet counts the padding, itself
		 * included, so it is at least 1 and fits in the payload. */
		h->pad_len = pkt[len - 1];
		if (h->pad_len == 0 || h->pad_len > h->payload_len)
			return -EINVAL;
		h->payload_len -= h->pad_len;
	}
	return 0;
}

int rtp_ext_find(const struct rtp_hdr *h, uint8_t id, const uint8_t **data, size_t *len)
{
	const uint8_t *p, *end;
	int two_byte;

	if (!h->extension || id == 0)
		return -ENOENT;
	if (h->ext_profile == 0xBEDE)
		two_byte = 0;
	else if ((h->ext_profile & 0xfff0) == 0x1000)
		two_byte = 1;
	else
		return -ENOENT;         /* a profile this relay does not read */
	p = h->ext;
	end = h->ext + h->ext_len;
	while (p < end) {
		uint8_t eid;
		size_t elen;

		if (*p == 0) {          /* padding between elements */
			p++;
			continue;
		}
		if (!two_byte) {
			eid = *p >> 4;
			elen = (size_t)(*p & 0x0f) + 1;
			if (eid == 15)  /* reserved: stop parsing (RFC 8285 §4.2) */
				return -ENOENT;
			p++;
		} else {
			if (p + 2 > end)
				return -EINVAL;
			eid = p[0];
			elen = p[1];
			p += 2;
		}
		if (elen > (size_t)(end - p))
			return -EINVAL;
		if (eid == id) {
			*data = p;
			*len = elen;
			return 0;
		}
		p += elen;
	}
	return -ENOENT;
}

uint16_t rtp_seq(const uint8_t *pkt) { return rd16(pkt + 2); }
uint32_t rtp_ts(const uint8_t *pkt) { return rd32(pkt + 4); }
uint32_t rtp_ssrc(const uint8_t *pkt) { return rd32(pkt + 8); }
void rtp_set_seq(uint8_t *pkt, uint16_t seq) { wr16(pkt + 2, seq); }
void rtp_set_ts(uint8_t *pkt, uint32_t ts) { wr32(pkt + 4, ts); }
void rtp_set_ssrc(uint8_t *pkt, uint32_t ssrc) { wr32(pkt + 8, ssrc); }

void rtp_set_pt(uint8_t *pkt, uint8_t pt)
{
	pkt[1] = (uint8_t)((pkt[1] & 0x80) | (pt & 0x7f));
}

void rtp_set_marker(uint8_t *pkt, bool marker)
{
	pkt[1] = (uint8_t)((pkt[1] & 0x7f) | (marker ? 0x80 : 0));
}

int32_t rtp_seq_diff(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(b - a);
}

int rtp_copy_one_ext(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                     uint8_t id, const void *val, size_t vlen)
{
	struct rtp_hdr h;
	size_t fixed, ext = 0, rest;

	if (rtp_parse(in, len, &h) < 0)
		return -EINVAL;
	if (id && (id > 14 || vlen < 1 || vlen > 16))
		return -EINVAL;
	fixed = RTP_HEADER_MIN + 4 * (size_t)h.cc;
	rest = len - h.header_len;            /* payload and padding */
	if (id)
		ext = 4 + ((1 + vlen + 3) & ~(size_t)3);
	if (fixed + ext + rest > cap)
		return -ENOSPC;
	memcpy(out, in, fixed);
	if (id) {
		out[0] |= 0x10;
		wr16(out + fixed, 0xBEDE);
		wr16(out + fixed + 2, (uint16_t)((ext - 4) / 4));
		memset(out + fixed + 4, 0, ext - 4);   /* zero bytes pad the block (RFC 8285 §4.2) */
		out[fixed + 4] = (uint8_t)(id << 4 | (vlen - 1));
		memcpy(out + fixed + 5, val, vlen);
	} else {
		out[0] &= (uint8_t)~0x10;
	}
	memmove(out + fixed + ext, in + h.header_len, rest);
	return (int)(fixed + ext + rest);
}
