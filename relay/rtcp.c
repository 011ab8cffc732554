/* rtcp: the relay's RTCP readers, SR rewrite, feedback builders (rtcp.h). */
#include "relay/rtcp.h"

#include <errno.h>
#include <string.h>

#include "common/bytes.h"

int rtcp_sender_ssrc(const struct rtcp_pkt *p, uint32_t *ssrc)
{
	if (p->body_len < 4 || p->type == RTCP_SDES)
		return -EINVAL;
	*ssrc = rd32(p->data + 4);
	return 0;
}

/* Offset of the first report block in the body, or 0 for a wrong type. */
static size_t reports_at(const struct rtcp_pkt *p)
{
	return p->type == RTCP_SR ? 24 : p->type == RTCP_RR ? 4 : 0;
}

int rtcp_report_read(const struct rtcp_pkt *p, unsigned i, struct rtcp_report *rb)
{
	size_t at = reports_at(p);
	const uint8_t *b;
	uint32_t lost;

	if (!at || i >= p->count || p->body_len < at + 24 * (size_t)p->count)
		return -EINVAL;
	b = p->data + 4 + at + 24 * (size_t)i;
	rb->ssrc = rd32(b);
	rb->fraction_lost = b[4];
	lost = rd32(b + 4) & 0xffffff;
	if (lost & 0x800000)
		lost |= 0xff000000u;
	rb->cumulative_lost = (int32_t)lost;
	rb->highest_seq = rd32(b + 8);
	rb->jitter = rd32(b + 12);
	rb->lsr = rd32(b + 16);
	rb->dlsr = rd32(b + 20);
	return 0;
}

int rtcp_sr_rewrite(uint8_t *pkt, size_t *len, uint32_t ssrc, uint32_t ts_delta)
{
	struct rtcp_iter it;
	struct rtcp_pkt p;

	rtcp_iter_init(&it, pkt, *len);
	if (rtcp_next(&it, &p) != 1 || p.len != *len || p.type != RTCP_SR ||
	    p.body_len < 24)
		return -EINVAL;
	pkt[0] = 0x80;          /* V=2, no padding, RC=0 */
	wr16(pkt + 2, 6);       /* 28 bytes: header, SSRC, sender info */
	wr32(pkt + 4, ssrc);
	wr32(pkt + 16, rd32(pkt + 16) + ts_delta);
	*len = 28;
	return 0;
}

int rtcp_sdes_cname(const struct rtcp_pkt *p, unsigned i, uint32_t *ssrc, char cname[256])
{
	const uint8_t *b = p->data + 4;
	size_t off = 0, blen = p->body_len;

	if (p->type != RTCP_SDES || i >= p->count)
		return -EINVAL;
	for (unsigned c = 0; c <= i; c++) {
		int found = 0;

		if (off + 4 > blen)
			return -EINVAL;
		if (c == i)
			*ssrc = rd32(b + off);
		off += 4;
		for (;;) {
			uint8_t t, l;

			if (off >= blen)
				return -EINVAL;    /* no terminating null item */
			t = b[off];
			if (t == 0) {
				/* end of chunk: pad to the next 32-bit word */
				off = (off + 4) & ~(size_t)3;
				if (off > blen)
					return -EINVAL;
				break;
			}
			if (off + 2 > blen)
				return -EINVAL;
			l = b[off + 1];
			if (off + 2 + l > blen)
				return -EINVAL;
			if (c == i && t == 1 && !found) {   /* CNAME */
				memcpy(cname, b + off + 2, l);
				cname[l] = 0;
				found = 1;
			}
			off += 2 + (size_t)l;
		}
		if (c == i)
			return found ? 0 : -ENOENT;
	}
	return -EINVAL;
}

int rtcp_bye_ssrc(const struct rtcp_pkt *p, unsigned i, uint32_t *ssrc)
{
	if (p->type != RTCP_BYE || i >= p->count || p->body_len < 4 * (size_t)p->count)
		return -EINVAL;
	*ssrc = rd32(p->data + 4 + 4 * (size_t)i);
	return 0;
}

int rtcp_fb_read(const struct rtcp_pkt *p, uint32_t *sender, uint32_t *media)
{
	if ((p->type != RTCP_RTPFB && p->type != RTCP_PSFB) || p->body_len < 8)
		return -EINVAL;
	*sender = rd32(p->data + 4);
	*media = rd32(p->data + 8);
	return 0;
}

int rtcp_nack_expand(const struct rtcp_pkt *p, uint16_t *seqs, size_t max)
{
	const uint8_t *fci = p->data + 12;
	size_t n = 0, entries;

	if (p->type != RTCP_RTPFB || p->count != RTCP_FMT_NACK || p->body_len < 8 ||
	    (p->body_len - 8) % 4)
		return -EINVAL;
	entries = (p->body_len - 8) / 4;
	for (size_t e = 0; e < entries; e++) {
		uint16_t pid = rd16(fci + 4 * e), blp = rd16(fci + 4 * e + 2);

		if (n < max)
			seqs[n] = pid;
		n++;
		for (unsigned bit = 0; bit < 16; bit++)
			if (blp & (1u << bit)) {
				if (n < max)
					seqs[n] = (uint16_t)(pid + bit + 1);
				n++;
			}
	}
	return (int)n;
}

unsigned rtcp_fir_count(const struct rtcp_pkt *p)
{
	if (p->type != RTCP_PSFB || p->count != RTCP_FMT_FIR || p->body_len < 8)
		return 0;
	return (unsigned)((p->body_len - 8) / 8);
}

int rtcp_fir_read(const struct rtcp_pkt *p, unsigned i, uint32_t *ssrc, uint8_t *seq)
{
	const uint8_t *e;

	if (i >= rtcp_fir_count(p))
		return -EINVAL;
	e = p->data + 12 + 8 * (size_t)i;
	*ssrc = rd32(e);
	*seq = e[4];
	return 0;
}

int rtcp_remb_read(const struct rtcp_pkt *p, uint64_t *bitrate, uint32_t *ssrcs, size_t max)
{
	const uint8_t *f = p->data + 12;
	unsigned num, exp;
	uint64_t mant;

	if (p->type != RTCP_PSFB || p->count != RTCP_FMT_AFB || p->body_len < 8)
		return -EINVAL;
	if (p->body_len < 16 || memcmp(f, "REMB", 4) != 0)
		return -ENOENT;
	num = f[4];
	exp = f[5] >> 2;
	mant = (uint64_t)(f[5] & 3) << 16 | (uint64_t)f[6] << 8 | f[7];
	if (p->body_len < 16 + 4 * (size_t)num)
		return -EINVAL;
	/* an 18-bit mantissa shifted by up to 63: saturate past 64 bits */
	*bitrate = exp > 46 && mant ? UINT64_MAX : mant << exp;
	for (unsigned i = 0; i < num && i < max; i++)
		ssrcs[i] = rd32(f + 8 + 4 * i);
	return (int)num;
}

/* Common header + sender + media SSRC of a feedback packet of `words` 32-bit
 * words after the header. */
static void fb_header(uint8_t *b, uint8_t fmt, uint8_t type, size_t words,
                      uint32_t sender, uint32_t media)
{
	b[0] = (uint8_t)(0x80 | fmt);
	b[1] = type;
	wr16(b + 2, (uint16_t)words);
	wr32(b + 4, sender);
	wr32(b + 8, media);
}

int rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media)
{
	if (cap < 12)
		return -ENOSPC;
	fb_header(buf, RTCP_FMT_PLI, RTCP_PSFB, 2, sender, media);
	return 12;
}

int rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media, uint8_t seq)
{
	if (cap < 20)
		return -ENOSPC;
	/* RFC 5104 §4.3.1.2: the media source SSRC field is 0, the target
	 * travels in the FCI entry. */
	fb_header(buf, RTCP_FMT_FIR, RTCP_PSFB, 4, sender, 0);
	wr32(buf + 12, media);
	buf[16] = seq;
	buf[17] = buf[18] = buf[19] = 0;
	return 20;
}

int rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media,
                    const uint16_t *seqs, size_t n)
{
	size_t entries = 0, off = 12;

	if (n == 0)
		return -EINVAL;
	/* Two passes over the same packing rule: count, then write.  A
	 * sequence number joins the open entry when it is 1..16 after its
	 * PID, otherwise it opens a new entry. */
	for (int pass = 0; pass < 2; pass++) {
		uint16_t pid = seqs[0], blp = 0;

		entries = 1;
		off = 12;
		for (size_t i = 1; i <= n; i++) {
			int32_t d = i < n ? (int16_t)(uint16_t)(seqs[i] - pid) : -1;

			if (i < n && d == 0)
				continue;
			if (i < n && d >= 1 && d <= 16) {
				blp = (uint16_t)(blp | 1u << (d - 1));
				continue;
			}
			if (pass) {
				wr16(buf + off, pid);
				wr16(buf + off + 2, blp);
			}
			off += 4;
			if (i < n) {
				pid = seqs[i];
				blp = 0;
				entries++;
			}
		}
		if (!pass && (off > cap || entries > 0xfff0))
			return -ENOSPC;
	}
	fb_header(buf, RTCP_FMT_NACK, RTCP_RTPFB, 2 + entries, sender, media);
	return (int)off;
}

int rtcp_build_remb(uint8_t *buf, size_t cap, uint32_t sender, uint64_t bitrate,
                    const uint32_t *ssrcs, size_t n)
{
	size_t len = 20 + 4 * n;
	unsigned exp = 0;

	if (n > 255)
		return -EINVAL;
	if (cap < len)
		return -ENOSPC;
	while (bitrate >> exp >= (1u << 18))
		exp++;
	fb_header(buf, RTCP_FMT_AFB, RTCP_PSFB, len / 4 - 1, sender, 0);
	memcpy(buf + 12, "REMB", 4);
	buf[16] = (uint8_t)n;
	buf[17] = (uint8_t)(exp << 2 | (bitrate >> exp >> 16 & 3));
	buf[18] = (uint8_t)(bitrate >> exp >> 8);
	buf[19] = (uint8_t)(bitrate >> exp);
	for (size_t i = 0; i < n; i++)
		wr32(buf + 20 + 4 * i, ssrcs[i]);
	return (int)len;
}

int rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t sender)
{
	if (cap < 8)
		return -ENOSPC;
	buf[0] = 0x80;
	buf[1] = RTCP_RR;
	wr16(buf + 2, 1);
	wr32(buf + 4, sender);
	return 8;
}

int rtcp_build_rr_reports(uint8_t *buf, size_t cap, uint32_t sender, const struct rtcp_report *rb, size_t n)
{
	size_t len = 8 + 24 * n;

	if (n > 31)
		return -EINVAL;
	if (cap < len)
		return -ENOSPC;
	rtcp_build_rr(buf, cap, sender);
	buf[0] = (uint8_t)(0x80 | n);
	wr16(buf + 2, (uint16_t)(len / 4 - 1));
	for (size_t i = 0; i < n; i++) {
		uint8_t *b = buf + 8 + 24 * i;
		int32_t lost = rb[i].cumulative_lost > 0x7fffff ? 0x7fffff
		             : rb[i].cumulative_lost < -0x800000 ? -0x800000 : rb[i].cumulative_lost;
		wr32(b, rb[i].ssrc);
		wr32(b + 4, (uint32_t)rb[i].fraction_lost << 24 | ((uint32_t)lost & 0xffffff));
		wr32(b + 8, rb[i].highest_seq);
		wr32(b + 12, rb[i].jitter);
		wr32(b + 16, rb[i].lsr);
		wr32(b + 20, rb[i].dlsr);
	}
	return (int)len;
}
