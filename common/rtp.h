/* rtp: the RTP header as it comes off the wire (RFC 3550 §5.1: CSRCs,
 * padding; header extensions RFC 8285), read the same way by the relay (a
 * WebRTC viewer's copy, relay/rtp.h) and by the recording store (journal
 * records, recstore/reorder.h).
 *
 * rtp_parse validates a packet and describes it without copying: the
 * pointers in struct rtp_hdr point into the caller's buffer and are valid as
 * long as it is.  rtp_parse and the field readers are static inline: the
 * relay runs them once per packet and viewer. */
#ifndef AMPHI_RTP_H
#define AMPHI_RTP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/bytes.h"

#define RTP_HEADER_MIN 12       /* fixed header */
#define RTP_MAX_CSRC 15

struct rtp_hdr {
	bool padding;
	bool extension;
	bool marker;
	uint8_t cc;             /* CSRC count */
	uint8_t pt;             /* payload type, 7 bits */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *csrc;    /* cc big-endian 32-bit words */
	uint16_t ext_profile;   /* 0xBEDE one-byte, 0x100x two-byte (RFC 8285) */
	const uint8_t *ext;     /* extension data after its 4-byte header */
	size_t ext_len;         /* bytes of extension data (multiple of 4) */
	size_t header_len;      /* fixed + CSRCs + extension: payload offset */
	const uint8_t *payload;
	size_t payload_len;     /* without the padding */
	uint8_t pad_len;        /* padding bytes at the end, count included */
};

/* RFC 5761 §4 / RFC 7983: is this datagram (first byte 128..191) RTCP rather
 * than RTP?  Looks at the second byte only: 192..223 is RTCP. */
static inline bool rtp_is_rtcp(const uint8_t *pkt, size_t len)
{
	return len >= 2 && pkt[1] >= 192 && pkt[1] <= 223;
}

/* 0, or -EINVAL when len bytes are not a valid RTP packet (version 2, the
 * CSRCs, extension and padding fit, padding count not zero).  A second byte
 * of 192..223 (marker set, payload type 64..95) is refused: that is RTCP on
 * an rtcp-mux port (RFC 5761 §4). */
static inline int rtp_parse(const uint8_t *pkt, size_t len, struct rtp_hdr *h)
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

/* One RFC 8285 header extension element by id (1..14 one-byte, 1..255
 * two-byte).  0 with *data and *len set, -ENOENT when absent, -EINVAL when the
 * extension block is malformed. */
int rtp_ext_find(const struct rtp_hdr *h, uint8_t id, const uint8_t **data, size_t *len);

/* Field access on a packet rtp_parse accepted. */
static inline uint16_t rtp_seq(const uint8_t *pkt) { return rd16(pkt + 2); }
static inline uint32_t rtp_ts(const uint8_t *pkt) { return rd32(pkt + 4); }
static inline uint32_t rtp_ssrc(const uint8_t *pkt) { return rd32(pkt + 8); }

/* Signed distance b - a between 16-bit sequence numbers (RFC 3550 A.1
 * arithmetic): positive when b is newer. */
static inline int32_t rtp_seq_diff(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(b - a);
}

#endif
