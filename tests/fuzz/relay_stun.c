/* Fuzz target: STUN parsing and the ICE-lite answer path (relay/stun.c),
 * the bytes any host on the internet can send to a worker's port.  Whatever
 * parses is checked, answered, and the answer must parse back. */
#include "relay/stun.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m, back;
	uint8_t out[256];
	const uint8_t *uf;
	size_t uflen;

	(void)stun_demux(data, size);
	if (stun_msg_parse(&m, data, size) != 0)
		return 0;
	(void)stun_username_local(&m, &uf, &uflen);
	int verdict = stun_binding_check(&m, data, "evtj", "VOkJxbRl1RmTxUk/WvJxBt");
	int n;
	if (verdict == 0) {
		struct sockaddr_in6 from = { .sin6_family = AF_INET6, .sin6_port = htons(5000) };
		from.sin6_addr.s6_addr[15] = 1;
		n = stun_binding_success_build(out, sizeof out, m.txid, (struct sockaddr *)&from,
		                               "VOkJxbRl1RmTxUk/WvJxBt");
	} else {
		n = stun_binding_error_build(out, sizeof out, &m, verdict);
	}
	if (n < 0 || stun_msg_parse(&back, out, (size_t)n) != 0 || memcmp(back.txid, m.txid, 12) != 0)
		abort();
	return 0;
}
