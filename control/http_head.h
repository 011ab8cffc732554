/* http_head: the checks amphi-control makes itself on a request's head (its
 * request line and header fields), on top of libmicrohttpd's parser, before
 * any byte of a body is read (RFC 9110, RFC 9112).
 *
 * libmicrohttpd 0.9.75 frames the request and splits the fields; it lets
 * through, and amphi refuses:
 *   - a request target whose percent-decoding yields a control byte
 *     (%00-%1F, %7F): libmicrohttpd would cut the path at a %00 and route
 *     what is left ("/api/x%00/y" was "/api/x").  400.
 *   - Content-Length together with Transfer-Encoding: a request two parsers
 *     may frame differently (RFC 9112 §6.1, request smuggling).  400.
 *   - several Content-Length fields, or one that is not a decimal number
 *     (RFC 9112 §6.3 item 5).  400.
 *   - a Transfer-Encoding whose last coding is not chunked (§6.3 item 4: 400)
 *     or that names any other coding (§6.1: 501), or one in HTTP/1.0 (§6.1:
 *     the framing is faulty, 400).
 *   - HTTP/1.1 without exactly one Host field (RFC 9112 §3.2).  400.
 *   - a declared Content-Length above the body limit.  413, decided here so
 *     that no "100 Continue" goes out for a body that would be refused (RFC
 *     9110 §10.1.1) and the body is never read.
 *
 * Pure functions over bytes (lengths given, NUL bytes allowed), no state
 * but the caller's struct: http.c feeds them what libmicrohttpd parsed, and
 * the fuzz target tests/fuzz/control_http_head.c feeds them anything. */
#ifndef AMPHI_CONTROL_HTTP_HEAD_H
#define AMPHI_CONTROL_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the fields said so far; fill with http_head_init, then one
 * http_head_field per header field, in any order. */
struct http_head {
	bool http10;             /* the request line said HTTP/1.0 */
	unsigned hosts;          /* Host fields seen */
	unsigned lengths;        /* Content-Length fields seen */
	uint64_t length;         /* the first one's value, when it parsed */
	bool length_bad;         /* a Content-Length that is not 1..19 digits */
	unsigned codings;        /* Transfer-Encoding fields seen */
	bool coding_unchunked;   /* the last coding named is not "chunked" */
	bool coding_other;       /* a coding other than chunked is named */
	bool target_ctl;         /* the target decodes to a control byte (http_head_target_ctl) */
};

/* The verdict of http_head_verdict: status 0 lets the request go on. */
struct http_head_refusal {
	int status;              /* 0, 400, 413 or 501 */
	const char *error;       /* "bad_request", "body_too_large", "not_implemented" (static) */
	const char *detail;      /* one sentence for the client (static) */
};

/* version: the request line's protocol ("HTTP/1.1"), vlen bytes. */
void http_head_init(struct http_head *h, const char *version, size_t vlen);
/* One header field as received: name (any case) and value (without the
 * surrounding whitespace). */
void http_head_field(struct http_head *h, const char *name, size_t nlen, const char *value, size_t vlen);
/* True when target (len bytes, before or after libmicrohttpd's decoding)
 * holds a control byte, raw or as a %XX escape. */
bool http_head_target_ctl(const char *target, size_t len);
/* The first reason to refuse the request in the order of the list above
 * (malformed framing before size), or status 0.  max_body: the body limit. */
struct http_head_refusal http_head_verdict(const struct http_head *h, uint64_t max_body);

#endif
