/* addr: see addr.h. */
#include "common/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int addr_make(const char *host, long port, unsigned flags, struct sockaddr_in6 *out, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)out;
	bool listen = flags & ADDR_LISTEN;

	memset(out, 0, sizeof *out);
	if (!host || port < (listen ? 0 : 1) || port > 65535)
		return -EINVAL;
	if (listen && (!*host || strcmp(host, "*") == 0)) {
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_ANY);
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof *in4;
		return 0;
	}
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof *in4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &out->sin6_addr) == 1) {
		out->sin6_family = AF_INET6;
		out->sin6_port = htons((uint16_t)port);
		*len = sizeof *out;
		return 0;
	}
	memset(out, 0, sizeof *out);
	return -EINVAL;
}

int addr_parse(const char *s, unsigned flags, struct sockaddr_in6 *out, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];   /* the longest literal either family has */
	const char *colon, *h = s;
	size_t hl;
	char *end;
	long port;

	memset(out, 0, sizeof *out);
	if (!s)
		return -EINVAL;
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if ((hl == 0 && !(flags & ADDR_LISTEN)) || hl >= sizeof host)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1)
		return -EINVAL;
	return addr_make(host, port, flags, out, len);
}
