/* rtp: RTP header rewriting for the fan-out (see rtp.h). */
#include "relay/rtp.h"

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

int rtp_rtx_restore(uint8_t *pkt, size_t len, uint8_t pt, uint32_t ssrc)
{
	struct rtp_hdr h;
	uint16_t osn;

	if (rtp_parse(pkt, len, &h) < 0 || h.payload_len <= 2)
		return -EINVAL;
	osn = rd16(pkt + h.header_len);
	memmove(pkt + h.header_len, pkt + h.header_len + 2, h.payload_len - 2);
	pkt[0] &= (uint8_t)~0x20;      /* the padding is gone */
	rtp_set_seq(pkt, osn);
	rtp_set_pt(pkt, pt);
	rtp_set_ssrc(pkt, ssrc);
	return (int)(h.header_len + h.payload_len - 2);
}

int rtp_rtx_wrap(uint8_t *pkt, size_t len, size_t cap, uint8_t pt, uint32_t ssrc, uint16_t seq)
{
	struct rtp_hdr h;

	if (rtp_parse(pkt, len, &h) < 0)
		return -EINVAL;
	if (len + 2 > cap)
		return -ENOSPC;
	memmove(pkt + h.header_len + 2, pkt + h.header_len, len - h.header_len);
	wr16(pkt + h.header_len, h.seq);
	rtp_set_seq(pkt, seq);
	rtp_set_pt(pkt, pt);
	rtp_set_ssrc(pkt, ssrc);
	return (int)(len + 2);
}
