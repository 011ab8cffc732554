/* Fuzz target: "ip:port" text (addr_parse, common/addr.h), which comes from
 * control-socket requests and configuration files.  It must reject or accept
 * without reading past the string; an accepted address must have the family
 * its length says, a port in range, and text written back from it must parse
 * to the same address.  Whatever parses as a plain address also parses as a
 * listen address, to the same result. */
#include "common/addr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s, unsigned flags)
{
	struct sockaddr_in6 a, b;
	socklen_t la = 0, lb = 0;
	char host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 16];
	unsigned port;

	if (addr_parse(s, flags, &a, &la) != 0)
		return;
	if (la == sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a;
		if (in->sin_family != AF_INET || !inet_ntop(AF_INET, &in->sin_addr, host, sizeof host))
			abort();
		port = ntohs(in->sin_port);
		snprintf(text, sizeof text, "%s:%u", host, port);
	} else if (la == sizeof(struct sockaddr_in6)) {
		if (a.sin6_family != AF_INET6 || !inet_ntop(AF_INET6, &a.sin6_addr, host, sizeof host))
			abort();
		port = ntohs(a.sin6_port);
		snprintf(text, sizeof text, "[%s]:%u", host, port);
	} else {
		abort();
	}
	if ((port == 0 && !(flags & ADDR_LISTEN)) || addr_parse(text, flags, &b, &lb) != 0 || la != lb ||
	    memcmp(&a, &b, sizeof a) != 0)
		abort();
	if (!(flags & ADDR_LISTEN) &&
	    (addr_parse(s, ADDR_LISTEN, &b, &lb) != 0 || la != lb || memcmp(&a, &b, sizeof a) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	check(s, 0);
	check(s, ADDR_LISTEN);
	free(s);
	return 0;
}
