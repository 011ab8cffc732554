/* Fuzzes the control socket's field parsers that take outside text:
 * base64 keys (relay_base64_decode) and "ip:port" addresses (addr_parse, common/addr.h).
 * Both must reject or accept without reading past the string or the output
 * buffer; an accepted address must format and parse back to itself. */
#include "relay/ctl.h"
#include "relay/addr.h"
#include "relay/relay.h"
#include "common/addr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint8_t key[32];
	struct sockaddr_in6 a, b;
	socklen_t la, lb;
	char buf[80];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	(void)relay_base64_decode(s, key, sizeof key);
	if (addr_parse(s, 0, &a, &la) == 0) {
		relay_addr_format((struct sockaddr *)&a, buf, sizeof buf);
		if (addr_parse(buf, 0, &b, &lb) != 0 || la != lb ||
		    !relay_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b))
			abort();
	}
	free(s);
	return 0;
}
