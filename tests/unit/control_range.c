/* The Range header of GET /api/recordings/{id}/media (control/range.h,
 * RFC 9110 §14): single ranges, suffixes, ends past the size, unsatisfiable
 * sets, what is ignored (other units, garbage, several ranges). */
#include "tests/harness.h"
#include "control/range.h"

static enum range_verdict v(const char *h, uint64_t size, uint64_t *f, uint64_t *c)
{
	return range_parse(h, h ? strlen(h) : 0, size, f, c);
}

TEST(single_ranges)
{
	uint64_t f, c;

	CHECK_INT(v("bytes=0-99", 1000, &f, &c), ==, RANGE_PART);
	CHECK_INT(f, ==, 0);
	CHECK_INT(c, ==, 100);
	CHECK_INT(v("bytes=100-", 1000, &f, &c), ==, RANGE_PART);
	CHECK_INT(f, ==, 100);
	CHECK_INT(c, ==, 900);
	CHECK_INT(v("bytes=990-5000", 1000, &f, &c), ==, RANGE_PART);   /* cut at the end */
	CHECK_INT(f, ==, 990);
	CHECK_INT(c, ==, 10);
	CHECK_INT(v("bytes=999-999", 1000, &f, &c), ==, RANGE_PART);
	CHECK_INT(c, ==, 1);
	CHECK_INT(v(" Bytes = 5-6 ", 1000, &f, &c), ==, RANGE_PART);    /* case, OWS */
	CHECK_INT(f, ==, 5);
	CHECK_INT(c, ==, 2);
	CHECK_INT(v("bytes=0-18446744073709551615", 1000, &f, &c), ==, RANGE_PART);
	CHECK_INT(c, ==, 1000);
}

TEST(suffixes)
{
	uint64_t f, c;

	CHECK_INT(v("bytes=-100", 1000, &f, &c), ==, RANGE_PART);
	CHECK_INT(f, ==, 900);
	CHECK_INT(c, ==, 100);
	CHECK_INT(v("bytes=-5000", 1000, &f, &c), ==, RANGE_PART);   /* the whole file, as a 206 */
	CHECK_INT(f, ==, 0);
	CHECK_INT(c, ==, 1000);
	CHECK_INT(v("bytes=-0", 1000, &f, &c), ==, RANGE_UNSATISFIABLE);
}

TEST(unsatisfiable)
{
	uint64_t f, c;

	CHECK_INT(v("bytes=1000-", 1000, &f, &c), ==, RANGE_UNSATISFIABLE);
	CHECK_INT(v("bytes=2000-3000", 1000, &f, &c), ==, RANGE_UNSATISFIABLE);
	CHECK_INT(v("bytes=0-0", 0, &f, &c), ==, RANGE_UNSATISFIABLE);
	CHECK_INT(v("bytes=-10", 0, &f, &c), ==, RANGE_UNSATISFIABLE);
	CHECK_INT(v("bytes=2000-,3000-", 1000, &f, &c), ==, RANGE_UNSATISFIABLE);
	CHECK_INT(f, ==, 0);
	CHECK_INT(c, ==, 1000);
}

TEST(ignored)
{
	static const char *const whole[] = {
		"items=0-9", "bytes", "bytes=", "bytes=,", "bytes=a-b", "bytes=9-0", "bytes=0-9x",
		"bytes=--1", "bytes=0-99999999999999999999", "bytes 0-9", "bytes=0-9;", "bytes=0-9,20-29",
		"bytes=0-9,2000-", "bytes=0-9,x",
	};
	uint64_t f, c;

	CHECK_INT(v(NULL, 1000, &f, &c), ==, RANGE_WHOLE);
	for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
		CHECK_INT(v(whole[i], 1000, &f, &c), ==, RANGE_WHOLE);
		CHECK_INT(f, ==, 0);
		CHECK_INT(c, ==, 1000);
	}
	CHECK_INT(range_parse("bytes=0-9\0", 10, 1000, &f, &c), ==, RANGE_WHOLE);   /* a NUL in the value */
	CHECK_INT(v("bytes=, 0-9 ,", 1000, &f, &c), ==, RANGE_PART);               /* empty list elements */
}

int main(void)
{
	RUN(single_ranges);
	RUN(suffixes);
	RUN(unsatisfiable);
	RUN(ignored);
	return harness_done();
}
