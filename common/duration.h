/* duration: retention periods as written in etc/retention.conf and flags.
 *
 * "30s", "15m", "12h", "7d", "2w", "12mo", "5y", sums such as "1h30m", "0"
 * and "never".  Months and years are calendar units: adding "1mo" to
 * 31 January gives the last day of February (28 or 29), and "1y" is 12 months,
 * so a 12-month retention ends on the same day of the month a year later.
 * Seconds, minutes, hours, days and weeks are fixed lengths (UTC, no DST). */
#ifndef AMPHI_DURATION_H
#define AMPHI_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct duration {
	int64_t months;    /* calendar months (years are 12) */
	int64_t seconds;   /* fixed-length part */
	bool never;        /* "never": no end; months/seconds are 0 */
};

/* 0, or -EINVAL for anything else than the grammar above (no sign, no
 * spaces inside, each unit once at most, in decreasing order). */
int duration_parse(const char *s, struct duration *out);

/* t + d, t in seconds since the epoch (UTC).  For d.never returns INT64_MAX.
 * The month part is added first, clamping the day to the target month's
 * length, then the seconds.  Saturates instead of overflowing. */
int64_t duration_add(int64_t t, const struct duration *d);

/* t - d with the same calendar rules (used for "older than 13 months"). */
int64_t duration_sub(int64_t t, const struct duration *d);

/* Canonical text: "5y", "1y6mo", "1d2h", "0", "never".  Returns buf. */
const char *duration_format(const struct duration *d, char *buf, size_t len);

/* Orders two durations by their length from a given start time:
 * <0, 0, >0 like strcmp. */
int duration_cmp_at(int64_t start, const struct duration *a, const struct duration *b);

#endif
