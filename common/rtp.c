/* rtp: RFC 8285 extension lookup (the rest is inline, see rtp.h). */
#include "common/rtp.h"

int rtp_ext_find(const struct rtp_hdr *h, uint8_t id, const uint8_t **data, size_t *len)
{
	const uint8_t *p, *end;
	int two_byte;

	if (!h->extension || id == 0)
		return -ENOENT;
	if (h->ext_profile == 0xBEDE)
		two_byte = 0;
	else if ((h->ext_profile & 0xfff0) == 0x1000)
		two_byte = 1;
	else
		return -ENOENT;         /* a profile this relay does not read */
	p = h->ext;
	end = h->ext + h->ext_len;
	while (p < end) {
		uint8_t eid;
		size_t elen;

		if (*p == 0) {          /* padding between elements */
			p++;
			continue;
		}
		if (!two_byte) {
			eid = *p >> 4;
			elen = (size_t)(*p & 0x0f) + 1;
			if (eid == 15)  /* reserved: stop parsing (RFC 8285 §4.2) */
				return -ENOENT;
			p++;
		} else {
			if (p + 2 > end)
				return -EINVAL;
			eid = p[0];
			elen = p[1];
			p += 2;
		}
		if (elen > (size_t)(end - p))
			return -EINVAL;
		if (eid == id) {
			*data = p;
			*len = elen;
			return 0;
		}
		p += elen;
	}
	return -ENOENT;
}
