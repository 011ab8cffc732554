/* Fuzz target: the compound RTCP walk and sender reports (common/rtcp.h),
 * which see publishers' decrypted RTCP in the relay and the SRs a journal
 * recorded in the store.  Every packet found lies inside the input; an SR
 * that reads is built again and must read back the same, and its NTP time
 * converted to Unix time and back must come out the same to the nanosecond
 * it can carry.  A transport-wide feedback packet that reads is built again
 * from its arrival times and must read back the same (times within the
 * positive half of the 24-bit reference range). */
#include "common/rtcp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void twcc_again(const struct rtcp_pkt *p)
{
	static int64_t at[1024], back[1024];
	static uint8_t buf[4096];
	struct rtcp_twcc fb = { .arrival_us = at }, rd = { .arrival_us = back };
	struct rtcp_iter it;
	struct rtcp_pkt p2;
	unsigned covered, received = 0;
	int len;

	if (rtcp_twcc_read(p, &fb, 1024) != 0 || fb.n == 0 || fb.n > 1024)
		return;
	for (unsigned i = 0; i < fb.n; i++) {
		if (at[i] == RTCP_TWCC_NOT_RECEIVED)
			continue;
		if (at[i] < 0 || at[i] >= (1LL << 23) * 64000)
			return;
		received++;
	}
	if (!received)
		return;
	len = rtcp_twcc_build(buf, sizeof buf, &fb, &covered);
	if (len < 20 || covered != fb.n || rtcp_validate(buf, (size_t)len) != 1)
		abort();
	rtcp_iter_init(&it, buf, (size_t)len);
	if (rtcp_next(&it, &p2) != 1 || rtcp_twcc_read(&p2, &rd, 1024) != 0 || rd.n != fb.n ||
	    rd.base_seq != fb.base_seq || rd.fb_count != fb.fb_count || rd.media != fb.media ||
	    memcmp(at, back, fb.n * sizeof *at) != 0)
		abort();
}

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
		twcc_again(&p);
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
