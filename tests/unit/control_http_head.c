/* The request-head checks amphi-control makes itself (control/http_head.h):
 * framing two parsers could read differently, control bytes in the target,
 * Host, and a declared body above the limit, each with the status RFC
 * 9110/9112 asks for; what a browser or curl sends passes. */
#include "tests/harness.h"
#include "control/http_head.h"

struct field {
	const char *name, *value;
};

/* The verdict for a request of version with the given fields (NULL-ended)
 * and target, with a 4096-byte body limit. */
static struct http_head_refusal verdict(const char *version, const char *target, const struct field *f)
{
	struct http_head h;

	http_head_init(&h, version, strlen(version));
	h.target_ctl = http_head_target_ctl(target, strlen(target));
	for (; f && f->name; f++)
		http_head_field(&h, f->name, strlen(f->name), f->value, strlen(f->value));
	return http_head_verdict(&h, 4096);
}

#define HOST { "Host", "127.0.0.1:8080" }

TEST(ordinary_requests_pass)
{
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, { NULL, NULL } }).status, ==, 0);
	CHECK_INT(verdict("HTTP/1.1", "/api/login", (struct field[]){ HOST, { "content-length", "4096" },
	                                                              { "Expect", "100-continue" }, { NULL, NULL } }).status, ==, 0);
	CHECK_INT(verdict("HTTP/1.1", "/api/x", (struct field[]){ HOST, { "Transfer-Encoding", "Chunked" },
	                                                          { NULL, NULL } }).status, ==, 0);
	CHECK_INT(verdict("HTTP/1.0", "/healthz", NULL).status, ==, 0);
	CHECK_INT(verdict("HTTP/1.1", "/a%20b/%C3%A9?q=%2F", (struct field[]){ HOST, { NULL, NULL } }).status, ==, 0);
}

TEST(body_above_limit_413)
{
	struct http_head_refusal r = verdict("HTTP/1.1", "/api/login",
	                                     (struct field[]){ HOST, { "Content-Length", "4097" }, { NULL, NULL } });
	CHECK_INT(r.status, ==, 413);
	CHECK_STR(r.error, "body_too_large");
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, { "Content-Length", "9999999999999999999" },
	                                                     { NULL, NULL } }).status, ==, 413);
}

TEST(framing_400)
{
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, { "Content-Length", "5" },
	                                                     { "Transfer-Encoding", "chunked" }, { NULL, NULL } }).status, ==, 400);
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, { "Content-Length", "5" },
	                                                     { "Content-Length", "5" }, { NULL, NULL } }).status, ==, 400);
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, { "Content-Length", "5, 5" }, { NULL, NULL } }).status, ==, 400);
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, { "Content-Length", "-1" }, { NULL, NULL } }).status, ==, 400);
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, { "Content-Length", "" }, { NULL, NULL } }).status, ==, 400);
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, { "Content-Length", "12345678901234567890" },
	                                                     { NULL, NULL } }).status, ==, 400);
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, { "Transfer-Encoding", "chunked, gzip" },
	                                                     { NULL, NULL } }).status, ==, 400);
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, { "Transfer-Encoding", " , " }, { NULL, NULL } }).status, ==, 400);
	CHECK_INT(verdict("HTTP/1.0", "/", (struct field[]){ { "Transfer-Encoding", "chunked" }, { NULL, NULL } }).status, ==, 400);
}

TEST(unknown_coding_501)
{
	struct http_head_refusal r = verdict("HTTP/1.1", "/", (struct field[]){ HOST, { "Transfer-Encoding", "gzip" },
	                                                                         { "Transfer-Encoding", "chunked" }, { NULL, NULL } });
	CHECK_INT(r.status, ==, 501);
	CHECK_STR(r.error, "not_implemented");
}

TEST(host_400)
{
	CHECK_INT(verdict("HTTP/1.1", "/", NULL).status, ==, 400);
	CHECK_INT(verdict("HTTP/1.1", "/", (struct field[]){ HOST, HOST, { NULL, NULL } }).status, ==, 400);
	CHECK_INT(verdict("HTTP/1.0", "/", (struct field[]){ HOST, HOST, { NULL, NULL } }).status, ==, 400);
}

TEST(control_bytes_in_target_400)
{
	static const char *const bad[] = { "/api/webinars%00/1", "/x%0a", "/x%0D", "/x%1f", "/x%7F", "/x?q=%00",
	                                   "/x\ty", "/x\x7f" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct http_head_refusal r = verdict("HTTP/1.1", bad[i], (struct field[]){ HOST, { NULL, NULL } });
		if (r.status != 400)
			printf("  %s: %d\n", bad[i], r.status);
		CHECK_INT(r.status, ==, 400);
	}
	/* A NUL byte inside the given length counts too. */
	CHECK(http_head_target_ctl("/a\0b", 4));
	/* Not an escape: '%' without two hex digits, or cut by the end. */
	CHECK(!http_head_target_ctl("/100%", 5));
	CHECK(!http_head_target_ctl("/x%0", 4));
	CHECK(!http_head_target_ctl("/x%zz0a", 7));
	CHECK(!http_head_target_ctl("/%20%7e%80", 10));
}

int main(void)
{
	RUN(ordinary_requests_pass);
	RUN(body_above_limit_413);
	RUN(framing_400);
	RUN(unknown_coding_501);
	RUN(host_400);
	RUN(control_bytes_in_target_400);
	return harness_done();
}
