/* Fuzz target: RTP header parsing and extension lookup (common/rtp.h), the
 * first thing done to every decrypted packet a publisher sends and to every
 * RTP record of a journal the store ingests.  What parses must add up to
 * its length, carry its CSRCs, extension elements and payload inside the
 * packet, and never be what rtp_is_rtcp calls RTCP. */
#include "common/rtp.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_hdr h;
	const uint8_t *d;
	size_t dl;

	if (rtp_parse(data, size, &h) != 0)
		return 0;
	if (rtp_is_rtcp(data, size) || h.header_len + h.payload_len + h.pad_len != size ||
	    h.csrc + 4 * (size_t)h.cc > h.payload || h.payload + h.payload_len > data + size ||
	    (h.extension && (h.ext < data || h.ext + h.ext_len != h.payload)) ||
	    rtp_seq(data) != h.seq || rtp_ts(data) != h.ts || rtp_ssrc(data) != h.ssrc)
		abort();
	for (unsigned id = 0; id < 256; id++)
		if (rtp_ext_find(&h, (uint8_t)id, &d, &dl) == 0 &&
		    (d < h.ext || d + dl > h.ext + h.ext_len))
			abort();
	return 0;
}
