/* Fuzz target: RTP header rewriting (relay/rtp.c) on what rtp_parse accepts
 * (common/rtp.h, fuzzed alone by common_rtp).  Whatever parses is rewritten
 * the way the fan-out does and must parse back alike,
 * and copied with its extension replaced as for a WebRTC viewer
 * (rtp_copy_one_ext): the copy must parse, carry exactly that element, and
 * the same payload.  Restored as an RFC 4588 retransmission
 * (rtp_rtx_restore): refused exactly when no original payload is there,
 * else it must parse with the OSN as its sequence number and the rest of
 * the payload, unpadded.  Written as one (rtp_rtx_wrap, as for a viewer
 * that negotiated rtx) it must parse with the OSN first and restore into
 * the packet, unpadded. */
#include "relay/rtp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_hdr h, back;
	const uint8_t *d;
	size_t dl;
	uint8_t *copy;

	(void)rtp_is_rtcp(data, size);
	if (rtp_parse(data, size, &h) != 0)
		return 0;
	if (h.header_len + h.payload_len + h.pad_len != size)
		abort();
	for (unsigned id = 0; id < 256; id++)
		if (rtp_ext_find(&h, (uint8_t)id, &d, &dl) == 0 &&
		    (d < h.ext || d + dl > h.ext + h.ext_len))
			abort();
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	rtp_set_seq(copy, (uint16_t)(h.seq + 1));
	rtp_set_ts(copy, h.ts + 3000);
	rtp_set_ssrc(copy, ~h.ssrc);
	rtp_set_pt(copy, (uint8_t)(h.pt ^ 1));
	if (rtp_parse(copy, size, &back) == 0) {
		if (back.seq != (uint16_t)(h.seq + 1) || back.ssrc != ~h.ssrc ||
		    back.marker != h.marker || back.header_len != h.header_len ||
		    back.payload_len != h.payload_len)
			abort();
	} else if (!rtp_is_rtcp(copy, size)) {
		abort();        /* only the PT flip into 64..95 may make it RTCP */
	}
	free(copy);

	uint8_t out[2048];
	struct rtp_hdr o;
	int n = size + 24 <= sizeof out ? rtp_copy_one_ext(data, size, out, sizeof out, 3, "mid1", 4) : -1;
	if (size + 24 <= sizeof out) {
		if (n < 0 || rtp_parse(out, (size_t)n, &o) != 0 || o.payload_len != h.payload_len ||
		    memcmp(o.payload, h.payload, h.payload_len) || o.pad_len != h.pad_len ||
		    rtp_ext_find(&o, 3, &d, &dl) != 0 || dl != 4 || memcmp(d, "mid1", 4))
			abort();
		n = rtp_copy_one_ext(data, size, out, sizeof out, 0, NULL, 0);
		if (n < 0 || rtp_parse(out, (size_t)n, &o) != 0 || o.extension || o.payload_len != h.payload_len)
			abort();
	}

	if (size <= sizeof out) {
		memcpy(out, data, size);
		n = rtp_rtx_restore(out, size, 96, 0x01020304);
		if ((n < 0) != (h.payload_len <= 2))
			abort();
		if (n >= 0 && (rtp_parse(out, (size_t)n, &o) != 0 || o.pt != 96 || o.ssrc != 0x01020304 ||
		               o.seq != rd16(h.payload) || o.padding || o.payload_len != h.payload_len - 2 ||
		               memcmp(o.payload, h.payload + 2, o.payload_len) || o.ts != h.ts ||
		               o.marker != h.marker || o.header_len != h.header_len))
			abort();
	}

	if (size + 2 <= sizeof out) {
		memcpy(out, data, size);
		n = rtp_rtx_wrap(out, size, sizeof out, 97, 0x05060708, 77);
		if (n != (int)size + 2 || rtp_parse(out, (size_t)n, &o) != 0 || o.pt != 97 ||
		    o.ssrc != 0x05060708 || o.seq != 77 || o.payload_len != h.payload_len + 2 ||
		    rd16(o.payload) != h.seq || memcmp(o.payload + 2, h.payload, h.payload_len) ||
		    o.pad_len != h.pad_len)
			abort();
		/* an empty original payload restores to nothing: a probe's shape */
		n = rtp_rtx_restore(out, (size_t)n, h.pt, h.ssrc);
		if (!h.payload_len ? n != -EINVAL
		                   : n != (int)(h.header_len + h.payload_len) ||
		                     memcmp(out + 1, data + 1, (size_t)n - 1) || (out[0] | (data[0] & 0x20)) != data[0])
			abort();
	}
	return 0;
}
