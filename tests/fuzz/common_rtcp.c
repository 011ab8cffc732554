/* Fuzz target: the compound RTCP walk and sender reports (common/rtcp.h),
 * which see publishers' decrypted RTCP in the relay and the SRs a journal
 * recorded in the store.  Every packet found lies inside the input; an SR
 * that reads is built again and must read back the same, and its NTP time
 * converted to Unix time and back must come out the same to the nanosecond
 * it can carry. */
#include "common/rtcp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtcp_iter it;
	struct rtcp_pkt p;
	struct rtcp_sr sr, back;
	uint8_t buf[28];
	int n = 0, r;

	rtcp_iter_init(&it, data, size);
	while ((r = rtcp_next(&it, &p)) > 0) {
		int64_t ns;
		uint32_t sec, frac;

		n++;
		if (p.data < data || p.data + p.len > data + size || p.body_len + 4 > p.len)
			abort();
		if (rtcp_sr_read(&p, &sr) != 0)
			continue;
		if (rtcp_sr_build(buf, sizeof buf, &sr) != 28 || rtcp_validate(buf, 28) != 1)
			abort();
		{
			struct rtcp_iter i2;
			struct rtcp_pkt p2;
			rtcp_iter_init(&i2, buf, 28);
			if (rtcp_next(&i2, &p2) != 1 || rtcp_sr_read(&p2, &back) != 0 ||
			    memcmp(&sr, &back, sizeof sr) != 0)
				abort();
		}
		if (rtcp_ntp_to_unix_ns(sr.ntp_sec, sr.ntp_frac, &ns) == 0) {
			int64_t again;
			rtcp_ntp_from_unix_ns(ns, &sec, &frac);
			if (sec != sr.ntp_sec || rtcp_ntp_to_unix_ns(sec, frac, &again) != 0 ||
			    again > ns || ns - again > 1)
				abort();
		}
	}
	if (rtcp_validate(data, size) != (r < 0 ? r : n))
		abort();
	return 0;
}
