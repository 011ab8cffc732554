/* rtp: in-place rewriting of RTP headers for the fan-out (the reading side,
 * struct rtp_hdr and rtp_parse, is common/rtp.h).
 *
 * The rtp_set_* helpers rewrite fields of a packet that rtp_parse accepted
 * (the fan-out gives each viewer its own SSRC, sequence numbers, timestamps
 * and payload type); they never change the packet's length.
 * rtp_copy_one_ext makes a WebRTC viewer's copy with its own extension. */
#ifndef AMPHI_RELAY_RTP_H
#define AMPHI_RELAY_RTP_H

#include "common/rtp.h"

/* Copies the RTP packet in (len bytes) into out with its header extension
 * replaced by a single RFC 8285 one-byte element: id 1..14 and 1..16 bytes
 * of val (a WebRTC viewer's sdes:mid), or by none at all when id is 0.  The
 * CSRCs, payload and padding are kept.  Returns the length written, or
 * -EINVAL (rtp_parse refuses in, or a bad element) / -ENOSPC (cap). */
int rtp_copy_one_ext(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                     uint8_t id, const void *val, size_t vlen);

/* RFC 4588 §4: turns the retransmission in pkt (len bytes, as rtp_parse
 * accepts it) back into the packet it repairs, in place: the original
 * sequence number (the first two payload bytes) into the header, payload
 * type pt and SSRC ssrc (the original's, from the negotiation: apt, and the
 * track's media SSRC), the payload moved up over them and the padding cut.
 * Header extensions, CSRCs, marker and timestamp stay.  Returns the new
 * length, or -EINVAL when pkt is not RTP or carries no original payload (a
 * sender's padding-only bandwidth probe on the RTX SSRC). */
int rtp_rtx_restore(uint8_t *pkt, size_t len, uint8_t pt, uint32_t ssrc);

/* RFC 4588 §4, the other way: turns pkt (len bytes, as rtp_parse accepts
 * it, in a buffer of cap bytes) into its retransmission, in place: the
 * original sequence number (OSN) as the first two payload bytes, then the
 * original payload and padding; payload type pt, SSRC ssrc and sequence
 * number seq of the retransmission stream.  Header extensions, CSRCs,
 * marker and timestamp stay, so rtp_rtx_restore gives the packet back
 * (without its padding).  Returns the new length (len + 2), or -EINVAL
 * (not RTP) / -ENOSPC (cap). */
int rtp_rtx_wrap(uint8_t *pkt, size_t len, size_t cap, uint8_t pt, uint32_t ssrc, uint16_t seq);

void rtp_set_seq(uint8_t *pkt, uint16_t seq);
void rtp_set_ts(uint8_t *pkt, uint32_t ts);
void rtp_set_ssrc(uint8_t *pkt, uint32_t ssrc);
/* Keeps the marker bit. */
void rtp_set_pt(uint8_t *pkt, uint8_t pt);
void rtp_set_marker(uint8_t *pkt, bool marker);

#endif
