/* rtp_fixture: one RTP packet with every optional part of RFC 3550 §5.1 and
 * an RFC 8285 one-byte extension, for the parser's test
 * (tests/unit/common_rtp.c) and the fan-out's rewriting test
 * (tests/unit/relay_rtp.c), which must agree on the same bytes. */
#ifndef AMPHI_TESTS_RTP_FIXTURE_H
#define AMPHI_TESTS_RTP_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* V=2, X=1, CC=2, M=1, PT=111, seq 0xfffe, ts 0x01020304, SSRC 0xcafebabe,
 * two CSRCs, a one-byte extension (id 1 len 1, padding, id 3 len 3), payload
 * "hello" and, when padded, 3 bytes of padding.  p needs 40 bytes. */
static inline size_t rtp_fixture_sample(uint8_t *p, int padded)
{
	static const uint8_t hdr[] = {
		0x92, 0xef, 0xff, 0xfe, 0x01, 0x02, 0x03, 0x04, 0xca, 0xfe, 0xba, 0xbe,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0xbe, 0xde, 0x00, 0x02,
		0x10, 0xaa, 0x00, 0x32, 0x11, 0x22, 0x33, 0x00,
		'h', 'e', 'l', 'l', 'o',
	};
	size_t n = sizeof hdr;

	memcpy(p, hdr, n);
	if (padded) {
		p[0] |= 0x20;
		p[n++] = 0; p[n++] = 0; p[n++] = 3;
	}
	return n;
}

#endif
