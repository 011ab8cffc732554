/* Durations: grammar, calendar arithmetic around month ends and leap years. */
#include "tests/harness.h"
#include "common/clock.h"
#include "common/duration.h"

static int64_t at(const char *iso)
{
	int64_t t = 0;
	if (amphi_time_parse(iso, &t) != 0)
		HARNESS_FAIL("cannot parse %s", iso);
	return t;
}

static const char *plus(const char *iso, const char *dur)
{
	static char buf[32];
	struct duration d;

	if (duration_parse(dur, &d) != 0)
		return "parse error";
	return amphi_time_iso(duration_add(at(iso), &d), buf, sizeof buf);
}

TEST(parses_each_unit)
{
	struct duration d;

	CHECK_INT(duration_parse("30s", &d), ==, 0);
	CHECK_INT(d.seconds, ==, 30);
	CHECK_INT(duration_parse("15m", &d), ==, 0);
	CHECK_INT(d.seconds, ==, 900);
	CHECK_INT(duration_parse("12h", &d), ==, 0);
	CHECK_INT(d.seconds, ==, 43200);
	CHECK_INT(duration_parse("7d", &d), ==, 0);
	CHECK_INT(d.seconds, ==, 604800);
	CHECK_INT(duration_parse("2w", &d), ==, 0);
	CHECK_INT(d.seconds, ==, 1209600);
	CHECK_INT(duration_parse("12mo", &d), ==, 0);
	CHECK_INT(d.months, ==, 12);
	CHECK_INT(d.seconds, ==, 0);
	CHECK_INT(duration_parse("5y", &d), ==, 0);
	CHECK_INT(d.months, ==, 60);
	CHECK_INT(duration_parse("1h30m", &d), ==, 0);
	CHECK_INT(d.seconds, ==, 5400);
	CHECK_INT(duration_parse("1y6mo2d", &d), ==, 0);
	CHECK_INT(d.months, ==, 18);
	CHECK_INT(d.seconds, ==, 2 * 86400);
	CHECK_INT(duration_parse("0", &d), ==, 0);
	CHECK(!d.never && d.months == 0 && d.seconds == 0);
	CHECK_INT(duration_parse("never", &d), ==, 0);
	CHECK(d.never);
}

TEST(rejects_malformed)
{
	static const char *const bad[] = {
		"", "s", "12", "-5s", "5 s", "5x", "1m1h", "1s1s", "5mos", "1.5h", " 5s", "5s ",
		"99999999999999999999s", "12 mo", "never!", "NaN",
	};
	struct duration d = { 7, 7, false };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (duration_parse(bad[i], &d) == 0)
			HARNESS_FAIL("accepted '%s'", bad[i]);
	CHECK_INT(d.months, ==, 7);   /* untouched on failure */
}

TEST(month_ends_clamp)
{
	CHECK_STR(plus("2026-01-31T10:00:00Z", "1mo"), "2026-02-28T10:00:00Z");
	CHECK_STR(plus("2028-01-31T10:00:00Z", "1mo"), "2028-02-29T10:00:00Z");   /* leap */
	CHECK_STR(plus("2026-03-31T00:00:00Z", "1mo"), "2026-04-30T00:00:00Z");
	CHECK_STR(plus("2026-08-31T23:59:59Z", "6mo"), "2027-02-28T23:59:59Z");
	CHECK_STR(plus("2026-12-15T12:00:00Z", "1mo"), "2027-01-15T12:00:00Z");
}

TEST(years_and_leap_days)
{
	CHECK_STR(plus("2028-02-29T08:00:00Z", "1y"), "2029-02-28T08:00:00Z");
	CHECK_STR(plus("2028-02-29T08:00:00Z", "4y"), "2032-02-29T08:00:00Z");
	CHECK_STR(plus("2026-11-23T14:00:00Z", "12mo"), "2027-11-23T14:00:00Z");
	CHECK_STR(plus("2026-11-23T14:00:00Z", "5y"), "2031-11-23T14:00:00Z");
	CHECK_STR(plus("2099-12-31T00:00:00Z", "1y"), "2100-12-31T00:00:00Z");
	CHECK_STR(plus("2100-02-28T00:00:00Z", "1d"), "2100-03-01T00:00:00Z");  /* 2100 is not leap */
	CHECK_STR(plus("2026-11-23T14:00:00Z", "1y6mo"), "2028-05-23T14:00:00Z");
}

TEST(fixed_units_and_subtraction)
{
	struct duration d;

	CHECK_STR(plus("2026-11-23T23:59:30Z", "30s"), "2026-11-24T00:00:00Z");
	CHECK_STR(plus("2026-12-31T23:45:00Z", "15m"), "2027-01-01T00:00:00Z");
	CHECK_INT(duration_parse("13mo", &d), ==, 0);
	CHECK_INT(duration_sub(at("2027-12-23T00:00:00Z"), &d), ==, at("2026-11-23T00:00:00Z"));
	CHECK_INT(duration_sub(at("2026-03-31T00:00:00Z"), &(struct duration){ 1, 0, false }),
	          ==, at("2026-02-28T00:00:00Z"));
}

TEST(never_saturates)
{
	struct duration d;

	CHECK_INT(duration_parse("never", &d), ==, 0);
	CHECK_INT(duration_add(at("2026-01-01T00:00:00Z"), &d), ==, INT64_MAX);
	CHECK_INT(duration_add(INT64_MAX - 5, &(struct duration){ 0, 10, false }), ==, INT64_MAX);
}

TEST(formats_canonically)
{
	static const char *const in[] = { "30s", "15m", "12h", "7d", "2w", "12mo", "5y", "1h30m",
	                                  "90m", "18mo", "0", "never", "8d" };
	static const char *const out[] = { "30s", "15m", "12h", "7d", "14d", "1y", "5y", "1h30m",
	                                   "1h30m", "1y6mo", "0", "never", "8d" };
	char buf[64];
	struct duration d;

	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		CHECK_INT(duration_parse(in[i], &d), ==, 0);
		CHECK_STR(duration_format(&d, buf, sizeof buf), out[i]);
	}
}

TEST(compares_from_a_start)
{
	struct duration a, b;

	duration_parse("12mo", &a);
	duration_parse("365d", &b);
	/* from 2028-01-01 a year has 366 days: 12 months is longer than 365 days */
	CHECK_INT(duration_cmp_at(at("2028-01-01T00:00:00Z"), &a, &b), >, 0);
	CHECK_INT(duration_cmp_at(at("2026-01-01T00:00:00Z"), &a, &b), ==, 0);
}

/* duration_sub as a cutoff (retention_cutoff): every start at or before it
 * is due (never early), and one second after it is not, but where a
 * month-end clamp makes the deadline earlier than that. */
TEST(subtraction_is_a_safe_cutoff)
{
	static const char *const cases[][3] = {   /* now, period, exact at the cutoff */
		{ "2027-02-28T10:00:00Z", "1mo", "no" },   /* 29-31 January end on 28 February */
		{ "2027-03-31T00:00:00Z", "1mo", "no" },    /* from 28 February: 28 February 00:00:01 was due on 28 March */
		{ "2027-03-15T06:00:00Z", "1mo", "yes" },
		{ "2027-11-23T14:00:00Z", "12mo", "yes" },
		{ "2028-03-29T00:00:00Z", "1y1mo", "no" },   /* 2027 has no 29 February */
		{ "2028-04-23T09:00:00Z", "1y1mo", "yes" },
		{ "2026-12-08T00:00:00Z", "15m", "yes" },
		{ "2026-12-08T00:00:00Z", "0", "yes" },
	};
	struct duration d;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t now = at(cases[i][0]), c;

		CHECK_INT(duration_parse(cases[i][1], &d), ==, 0);
		c = duration_sub(now, &d);
		for (int64_t t = c - 5 * 86400; t <= c; t += (c - t > 7200 ? 1800 : 1))
			if (duration_add(t, &d) > now)
				HARNESS_FAIL("%s at %s: start %lld before the cutoff is not due", cases[i][1],
				             cases[i][0], (long long)t);
		if (strcmp(cases[i][2], "yes") == 0 && duration_add(c + 1, &d) <= now)
			HARNESS_FAIL("%s at %s: the cutoff is late", cases[i][1], cases[i][0]);
	}
}

int main(void)
{
	RUN(parses_each_unit);
	RUN(rejects_malformed);
	RUN(month_ends_clamp);
	RUN(years_and_leap_days);
	RUN(fixed_units_and_subtraction);
	RUN(never_saturates);
	RUN(formats_canonically);
	RUN(compares_from_a_start);
	RUN(subtraction_is_a_safe_cutoff);
	return harness_done();
}
