/* duration: see duration.h. */
#include "common/duration.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Units in the order they must appear; months/years count calendar months. */
static const struct unit {
	const char *name;
	int64_t seconds;   /* 0: calendar unit */
	int64_t months;
} units[] = {
	{ "y", 0, 12 }, { "mo", 0, 1 }, { "w", 7 * 86400, 0 }, { "d", 86400, 0 },
	{ "h", 3600, 0 }, { "m", 60, 0 }, { "s", 1, 0 },
};
#define NUNITS (sizeof units / sizeof units[0])
#define DURATION_MAX_VALUE 1000000000LL   /* per term: far beyond any retention */

int duration_parse(const char *s, struct duration *out)
{
	struct duration d = { 0, 0, false };
	size_t next_unit = 0;
	const char *p = s;

	if (strcmp(s, "never") == 0) {
		d.never = true;
		*out = d;
		return 0;
	}
	if (strcmp(s, "0") == 0) {
		*out = d;
		return 0;
	}
	if (*p == '\0')
		return -EINVAL;
	while (*p) {
		int64_t v = 0;
		size_t u;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p++ - '0');
			if (v > DURATION_MAX_VALUE)
				return -EINVAL;
		}
		for (u = next_unit; u < NUNITS; u++) {
			size_t n = strlen(units[u].name);
			/* "m" must not swallow the "m" of "mo". */
			if (strncmp(p, units[u].name, n) == 0 &&
			    !(units[u].name[0] == 'm' && n == 1 && p[1] == 'o'))
				break;
		}
		if (u == NUNITS)
			return -EINVAL;
		p += strlen(units[u].name);
		d.months += v * units[u].months;
		d.seconds += v * units[u].seconds;
		next_unit = u + 1;
	}
	*out = d;
	return 0;
}

static int days_in_month(int year, int month0)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month0 == 1 ? 28 + leap : days[month0];
}

static int64_t add_months(int64_t t, int64_t months)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int64_t m;
	int dim;

	if (!gmtime_r(&tt, &tm))
		return t;
	m = (int64_t)tm.tm_year * 12 + tm.tm_mon + months;
	tm.tm_year = (int)(m >= 0 ? m / 12 : (m - 11) / 12);
	tm.tm_mon = (int)(m - (int64_t)tm.tm_year * 12);
	dim = days_in_month(tm.tm_year + 1900, tm.tm_mon);
	if (tm.tm_mday > dim)
		tm.tm_mday = dim;
	return (int64_t)timegm(&tm);
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

int64_t duration_add(int64_t t, const struct duration *d)
{
	if (d->never)
		return INT64_MAX;
	if (d->months)
		t = add_months(t, d->months);
	return sat_add(t, d->seconds);
}

int64_t duration_sub(int64_t t, const struct duration *d)
{
	if (d->never)
		return INT64_MIN;
	if (d->months)
		t = add_months(t, -d->months);
	return sat_add(t, -d->seconds);
}

const char *duration_format(const struct duration *d, char *buf, size_t len)
{
	int64_t months = d->months, secs = d->seconds;
	size_t o = 0;

	if (d->never) {
		snprintf(buf, len, "never");
		return buf;
	}
	if (months == 0 && secs == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	buf[0] = '\0';
	for (size_t u = 0; u < NUNITS; u++) {
		int64_t v;

		if (units[u].months) {
			v = months / units[u].months;
			months -= v * units[u].months;
		} else {
			if (units[u].seconds == 7 * 86400)
				continue;   /* weeks are read, never written: "14d" */
			v = secs / units[u].seconds;
			secs -= v * units[u].seconds;
		}
		if (v && o < len) {
			int r = snprintf(buf + o, len - o, "%lld%s", (long long)v, units[u].name);
			o += r > 0 ? (size_t)r : 0;
		}
	}
	return buf;
}

int duration_cmp_at(int64_t start, const struct duration *a, const struct duration *b)
{
	int64_t ea = duration_add(start, a), eb = duration_add(start, b);

	return ea < eb ? -1 : ea > eb;
}
