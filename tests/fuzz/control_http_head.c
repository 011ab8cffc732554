/* libFuzzer target: the request-head checks amphi-control makes itself
 * (control/http_head.h) on whatever a client sends.  The input is a request
 * head: its first line gives the target and the version ("GET /x HTTP/1.1"),
 * every further line a header field "name: value" (split at the first
 * colon, surrounding blanks trimmed as libmicrohttpd does).  Nothing may
 * crash, and the verdict must hold to its own rules: a refusal names its
 * error, and no request the checks refuse for its framing slips through. */
#include "control/http_head.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *find(const char *p, const char *end, char c)
{
	const char *q = memchr(p, c, (size_t)(end - p));
	return q ? q : end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const char *eol = find(p, end, '\n');
	const char *sp1 = find(p, eol, ' ');
	const char *target = sp1 < eol ? sp1 + 1 : eol;
	const char *sp2 = find(target, eol, ' ');
	const char *version = sp2 < eol ? sp2 + 1 : eol;
	struct http_head h;
	struct http_head_refusal r;

	http_head_init(&h, version, (size_t)(eol - version));
	h.target_ctl = http_head_target_ctl(target, (size_t)(sp2 - target));
	for (p = eol < end ? eol + 1 : end; p < end;) {
		const char *le = find(p, end, '\n');
		const char *colon = find(p, le, ':');
		const char *v = colon < le ? colon + 1 : le, *ve = le;

		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
			ve--;
		http_head_field(&h, p, (size_t)(colon - p), v, (size_t)(ve - v));
		p = le < end ? le + 1 : end;
	}
	r = http_head_verdict(&h, 4096);
	if (r.status != 0 && (!r.error || !r.detail))
		abort();
	if (r.status == 0 && (h.target_ctl || h.lengths > 1 || h.length_bad || (h.lengths && h.codings) ||
	                      (h.lengths && h.length > 4096) || (!h.http10 && h.hosts != 1)))
		abort();
	return 0;
}
