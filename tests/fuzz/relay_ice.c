/* Fuzz target: the ICE-lite table's STUN path (relay/ice.c), what any host
 * can send to a worker's port.  Input: [u8 source][u8 seconds][datagram];
 * the table holds the RFC 5769 sample credentials (ufrag "evtj") so seeds
 * from that RFC reach the success path.  Every answer must parse back. */
#include "relay/ice.h"
#include "relay/stun.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ice_table *t;
	static int64_t now;
	static int users[2];
	struct sockaddr_in6 from = { .sin6_family = AF_INET6 };
	uint8_t out[256];
	struct stun_msg m;
	void *user;

	if (!t) {
		t = ice_table_create(2, 0);
		if (!t || ice_peer_add(t, "evtj", "VOkJxbRl1RmTxUk/WvJxBt", &users[0], 0) ||
		    ice_peer_add(t, "h6vY", "VOkJxbRl1RmTxUk/WvJxBu", &users[1], 0))
			abort();
	}
	if (size < 2)
		return 0;
	from.sin6_port = htons((uint16_t)(1000 + (data[0] & 3)));
	from.sin6_addr.s6_addr[15] = (uint8_t)(data[0] >> 2);
	now += (int64_t)data[1] * 1000000;   /* milliseconds: consent rarely lapses */
	int n = ice_table_stun(t, data + 2, size - 2, (struct sockaddr *)&from, now, out, sizeof out, &user);
	if (n < 0 || (n > 0 && stun_msg_parse(&m, out, (size_t)n) != 0))
		abort();
	if (user && user != &users[0] && user != &users[1])
		abort();
	(void)ice_table_lookup_addr(t, (struct sockaddr *)&from);
	if (ice_table_expire(t, now, NULL, NULL)) {   /* re-register whoever lapsed */
		(void)ice_peer_add(t, "evtj", "VOkJxbRl1RmTxUk/WvJxBt", &users[0], now);
		(void)ice_peer_add(t, "h6vY", "VOkJxbRl1RmTxUk/WvJxBu", &users[1], now);
	}
	return 0;
}
