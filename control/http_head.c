/* http_head: see http_head.h. */
#include "control/http_head.h"

#include <string.h>
#include <strings.h>

static bool name_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

void http_head_init(struct http_head *h, const char *version, size_t vlen)
{
	memset(h, 0, sizeof *h);
	h->http10 = vlen == 8 && memcmp(version, "HTTP/1.0", 8) == 0;
}

/* RFC 9110 §8.6: 1*DIGIT.  19 digits always fit in 64 bits. */
static void content_length(struct http_head *h, const char *v, size_t n)
{
	uint64_t x = 0;

	h->lengths++;
	if (n == 0 || n > 19) {
		h->length_bad = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9') {
			h->length_bad = true;
			return;
		}
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (h->lengths == 1)
		h->length = x;
}

/* RFC 9112 §6.1: Transfer-Encoding = #transfer-coding; the fields of a
 * request form one list in order, and only its last coding counts. */
static void transfer_encoding(struct http_head *h, const char *v, size_t n)
{
	size_t i = 0;
	bool named = false;

	h->codings++;
	while (i < n) {
		size_t s, e;

		while (i < n && (is_ows(v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_ows(v[e - 1]))
			e--;
		if (e == s)
			continue;
		named = true;
		h->coding_unchunked = !(e - s == 7 && strncasecmp(v + s, "chunked", 7) == 0);
		if (h->coding_unchunked)
			h->coding_other = true;
	}
	if (!named)
		h->coding_unchunked = true;   /* an empty field names no framing */
}

void http_head_field(struct http_head *h, const char *name, size_t nlen, const char *value, size_t vlen)
{
	if (name_is(name, nlen, "Host"))
		h->hosts++;
	else if (name_is(name, nlen, "Content-Length"))
		content_length(h, value, vlen);
	else if (name_is(name, nlen, "Transfer-Encoding"))
		transfer_encoding(h, value, vlen);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

bool http_head_target_ctl(const char *target, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)target[i];

		if (is_ctl(c))
			return true;
		if (c == '%' && i + 2 < len && hexval(target[i + 1]) >= 0 && hexval(target[i + 2]) >= 0 &&
		    is_ctl((unsigned char)(hexval(target[i + 1]) * 16 + hexval(target[i + 2]))))
			return true;
	}
	return false;
}

static struct http_head_refusal refuse(int status, const char *detail)
{
	const char *error = status == 413 ? "body_too_large" : status == 501 ? "not_implemented" : "bad_request";

	return (struct http_head_refusal){ status, error, detail };
}

struct http_head_refusal http_head_verdict(const struct http_head *h, uint64_t max_body)
{
	if (h->target_ctl)
		return refuse(400, "the request target holds a control character");
	if (h->lengths && h->codings)
		return refuse(400, "Content-Length and Transfer-Encoding together");
	if (h->lengths > 1)
		return refuse(400, "several Content-Length fields");
	if (h->length_bad)
		return refuse(400, "Content-Length is not a decimal number");
	if (h->codings && h->http10)
		return refuse(400, "Transfer-Encoding in an HTTP/1.0 request");
	if (h->codings && h->coding_unchunked)
		return refuse(400, "the last transfer coding is not chunked");
	if (h->coding_other)
		return refuse(501, "only the chunked transfer coding is understood");
	if (!h->http10 && h->hosts != 1)
		return refuse(400, h->hosts ? "several Host fields" : "an HTTP/1.1 request without Host");
	if (h->http10 && h->hosts > 1)
		return refuse(400, "several Host fields");
	if (h->lengths && h->length > max_body)
		return refuse(413, "the declared body exceeds the limit");
	return (struct http_head_refusal){ 0, NULL, NULL };
}
