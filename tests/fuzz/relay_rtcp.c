/* Fuzz target: compound RTCP walking and every typed reader (relay/rtcp.c),
 * which see viewers' and publishers' decrypted RTCP.  Every packet found is
 * run through the reader for its type; SRs are rewritten and must walk again. */
#include "relay/rtcp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtcp_iter it;
	struct rtcp_pkt p;
	uint16_t seqs[64];
	uint32_t ssrcs[8], a, b;
	uint64_t rate;
	char cname[256];
	uint8_t buf[2048], seq;
	struct rtcp_sr sr;
	struct rtcp_report rb;
	int r;

	(void)rtcp_validate(data, size);
	rtcp_iter_init(&it, data, size);
	while ((r = rtcp_next(&it, &p)) > 0) {
		if (p.data + p.len > data + size || p.body_len + 4 > p.len)
			abort();
		(void)rtcp_sender_ssrc(&p, &a);
		for (unsigned i = 0; i < 32; i++) {
			(void)rtcp_report_read(&p, i, &rb);
			(void)rtcp_sdes_cname(&p, i, &a, cname);
			(void)rtcp_bye_ssrc(&p, i, &a);
			(void)rtcp_fir_read(&p, i, &a, &seq);
		}
		(void)rtcp_fb_read(&p, &a, &b);
		r = rtcp_nack_expand(&p, seqs, 64);
		if (r > 0) {
			int n = rtcp_build_nack(buf, sizeof buf, 1, 2, seqs,
			                        (size_t)(r < 64 ? r : 64));
			if (n > 0 && rtcp_validate(buf, (size_t)n) != 1)
				abort();
		}
		(void)rtcp_remb_read(&p, &rate, ssrcs, 8);
		if (rtcp_sr_read(&p, &sr) == 0 && p.len <= sizeof buf) {
			size_t len = p.len;

			memcpy(buf, p.data, len);
			if (rtcp_sr_rewrite(buf, &len, 5, 7) != 0 || len != 28 ||
			    rtcp_validate(buf, len) != 1)
				abort();
		}
	}
	return 0;
}
