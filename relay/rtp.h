/* rtp: RTP header parsing and in-place rewriting (RFC 3550 §5.1, header
 * extensions RFC 8285).
 *
 * rtp_parse validates a packet from the network and describes it without
 * copying: the pointers in struct rtp_hdr point into the caller's buffer and
 * are valid as long as it is.  The rtp_set_* helpers rewrite fields of a
 * packet that rtp_parse accepted (the fan-out gives each viewer its own
 * SSRC, sequence numbers, timestamps and payload type); they never change
 * the packet's length. */
#ifndef AMPHI_RELAY_RTP_H
#define AMPHI_RELAY_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* 0, or -EINVAL when len bytes are not a valid RTP packet (version 2, the
 * CSRCs, extension and padding fit, padding count not zero).  A second byte
 * of 192..223 (marker set, payload type 64..95) is refused: that is RTCP on
 * an rtcp-mux port (RFC 5761 §4). */
int rtp_parse(const uint8_t *pkt, size_t len, struct rtp_hdr *out);

/* RFC 5761 §4 / RFC 7983: is this datagram (first byte 128..191) RTCP rather
 * than RTP?  Looks at the second byte only: 192..223 is RTCP. */
bool rtp_is_rtcp(const uint8_t *pkt, size_t len);

/* One RFC 8285 header extension element by id (1..14 one-byte, 1..255
 * two-byte).  0 with *data and *len set, -ENOENT when absent, -EINVAL when the
 * extension block is malformed. */
int rtp_ext_find(const struct rtp_hdr *h, uint8_t id, const uint8_t **data, size_t *len);

/* Copies the RTP packet in (len bytes) into out with its header extension
 * replaced by a single RFC 8285 one-byte element: id 1..14 and 1..16 bytes
 * of val (a WebRTC viewer's sdes:mid), or by none at all when id is 0.  The
 * CSRCs, payload and padding are kept.  Returns the length written, or
 * -EINVAL (rtp_parse refuses in, or a bad element) / -ENOSPC (cap). */
int rtp_copy_one_ext(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                     uint8_t id, const void *val, size_t vlen);

/* Field access on a packet rtp_parse accepted. */
uint16_t rtp_seq(const uint8_t *pkt);
uint32_t rtp_ts(const uint8_t *pkt);
uint32_t rtp_ssrc(const uint8_t *pkt);
void rtp_set_seq(uint8_t *pkt, uint16_t seq);
void rtp_set_ts(uint8_t *pkt, uint32_t ts);
void rtp_set_ssrc(uint8_t *pkt, uint32_t ssrc);
/* Keeps the marker bit. */
void rtp_set_pt(uint8_t *pkt, uint8_t pt);
void rtp_set_marker(uint8_t *pkt, bool marker);

/* Signed distance b - a between 16-bit sequence numbers (RFC 3550 A.1
 * arithmetic): positive when b is newer. */
int32_t rtp_seq_diff(uint16_t a, uint16_t b);

#endif
