/* sha1_mb: every job's digest equals OpenSSL's one-shot SHA1() of the same
 * bytes, for lengths around each padding edge, jobs continuing from a state
 * (as HMAC's are) or from the start, and batch sizes on both sides of the
 * 16-lane path; and the FIPS 180-4 example "abc" on both paths. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "tests/harness.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "relay/sha1_mb.h"

enum { MAXLEN = 3000, JOBS = 70 };

static const uint32_t sha1_init[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };

static unsigned rnd(unsigned n)
{
	unsigned v;

	RAND_bytes((uint8_t *)&v, sizeof v);
	return v % n;
}

/* A job over buf's bytes after its first `done`, continuing from the state
 * OpenSSL reaches over those. */
static void job_make(struct sha1_mb_job *j, const uint8_t *buf, uint32_t done, uint32_t len)
{
	SHA_CTX c;

	SHA1_Init(&c);
	SHA1_Update(&c, buf, done);
	j->msg = buf + done;
	j->len = len;
	j->done = done;
	j->h[0] = c.h0; j->h[1] = c.h1; j->h[2] = c.h2; j->h[3] = c.h3; j->h[4] = c.h4;
}

TEST(fips_abc)
{
	static const uint8_t want[20] = { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
	                                  0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d };
	struct sha1_mb_job j[JOBS];

	for (unsigned n = 1; n <= 20; n += 19) {
		for (unsigned i = 0; i < n; i++) {
			j[i] = (struct sha1_mb_job){ .msg = (const uint8_t *)"abc", .len = 3 };
			memcpy(j[i].h, sha1_init, sizeof sha1_init);
		}
		sha1_mb_run(j, n);
		for (unsigned i = 0; i < n; i++)
			CHECK_MEM(j[i].md, want, 20);
	}
}

/* Every length 0..130 (each padding case: one tail block or two), then
 * random lengths up to 3000, in batches of every size up to JOBS. */
TEST(matches_openssl)
{
	static uint8_t buf[JOBS][64 + MAXLEN];
	struct sha1_mb_job j[JOBS];
	unsigned bad = 0, total = 0, len = 0;

	RAND_bytes(&buf[0][0], sizeof buf);
	for (unsigned n = 1; n <= JOBS; n++) {
		for (unsigned i = 0; i < n; i++) {
			uint32_t l = len <= 130 ? len++ : rnd(MAXLEN + 1);
			job_make(&j[i], buf[i], rnd(2) ? 64 : 0, l);
		}
		sha1_mb_run(j, n);
		for (unsigned i = 0; i < n; i++, total++) {
			uint8_t md[20];

			SHA1(buf[i], j[i].done + j[i].len, md);
			if (memcmp(md, j[i].md, 20) != 0 && !bad++)
				HARNESS_FAIL("batch %u job %u: len %u after %u differs", n, i, j[i].len, j[i].done);
		}
	}
	CHECK_INT(bad, ==, 0);
	CHECK_INT(total, ==, JOBS * (JOBS + 1) / 2);
	printf("  %u digests, %u lanes on this CPU\n", total, sha1_mb_lanes());
}

int main(void)
{
	RUN(fips_abc);
	RUN(matches_openssl);
	return harness_done();
}
