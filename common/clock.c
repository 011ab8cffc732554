/* clock: see clock.h. */
#include "common/clock.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t clock_offset;
static int clock_offset_err;
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;

static void clock_read_offset(void)
{
	const char *s = getenv("AMPHI_TIME_OFFSET");
	char *end;
	long long v;

	if (!s || !*s)
		return;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || end == s) {
		clock_offset_err = -EINVAL;
		return;
	}
	clock_offset = v;
}

int amphi_clock_init(void)
{
	pthread_once(&clock_once, clock_read_offset);
	return clock_offset_err;
}

int64_t amphi_clock_offset(void)
{
	pthread_once(&clock_once, clock_read_offset);
	return clock_offset;
}

int64_t amphi_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + amphi_clock_offset() * 1000000000;
}

int64_t amphi_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec + amphi_clock_offset();
}

int64_t amphi_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *amphi_time_iso(int64_t t, char *buf, unsigned len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

int amphi_time_parse(const char *s, int64_t *out)
{
	struct tm tm;
	const char *p;
	int64_t t;

	memset(&tm, 0, sizeof tm);
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return -EINVAL;
	if (*p == 'T' || *p == ' ') {
		p = strptime(p + 1, "%H:%M:%S", &tm);
		if (!p)
			return -EINVAL;
	}
	{
		struct tm check = tm, back;
		time_t tt = timegm(&check);

		/* timegm normalises 2026-02-30 into March: refuse dates that moved. */
		if (!gmtime_r(&tt, &back) || back.tm_mday != tm.tm_mday || back.tm_mon != tm.tm_mon)
			return -EINVAL;
		t = (int64_t)tt;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm, n = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 || hh > 23 || mm > 59)
			return -EINVAL;
		t -= (*p == '+' ? 1 : -1) * (int64_t)(hh * 3600 + mm * 60);
		p += 6;
	}
	if (*p != '\0')
		return -EINVAL;
	*out = t;
	return 0;
}
