/* Fuzz target: what amphi-bench reads from a WHEP endpoint (bench/whep.c):
 * the HTTP response, the SDP answer in its body, and the URL it is given.
 * Whatever the bytes, the parsers return, and what they accept is
 * consistent (a body inside the buffer, a port where a host is). */
#include "bench/whep.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct http_response r;
	struct whep_answer a;
	struct whep_url u;
	char err[128], *z;

	if (http_response_parse(s, size, &r) == 0 &&
	    (r.body < s || r.body + r.body_len > s + size || r.status < 100 || r.status > 599))
		abort();
	if (whep_answer_parse(s, size, &a, err, sizeof err) == 0 && (!a.port || !a.host[0] || !a.media))
		abort();
	if (!(z = malloc(size + 1)))
		return 0;
	memcpy(z, data, size);
	z[size] = 0;
	if (whep_url_parse(z, &u) == 0 && (u.path[0] != '/' || !u.host[0] || !u.port[0]))
		abort();
	free(z);
	return 0;
}
