/* clock: the one notion of "now" every daemon uses.
 *
 * Wall time is CLOCK_REALTIME shifted by AMPHI_TIME_OFFSET=<seconds> (an
 * integer, may be negative), read once on first use: tests restart a daemon
 * with an offset to jump months ahead (DESIGN.md §4).  Monotonic time is for
 * intervals and timeouts only and is never shifted. */
#ifndef AMPHI_CLOCK_H
#define AMPHI_CLOCK_H

#include <stdint.h>

/* Reads and validates AMPHI_TIME_OFFSET.  Daemons call it at start so a bad
 * value is a clear start-up error; 0 or -EINVAL (the offset is then 0). */
int amphi_clock_init(void);
int64_t amphi_clock_offset(void);   /* seconds added to the wall clock */

int64_t amphi_now(void);            /* shifted wall time, seconds since the epoch */
int64_t amphi_now_ns(void);         /* shifted wall time, nanoseconds since the epoch */
int64_t amphi_mono_ns(void);        /* CLOCK_MONOTONIC, nanoseconds */

/* Formats t (seconds since the epoch, UTC) as 2026-11-23T14:11:48Z into buf
 * (at least 21 bytes); returns buf. */
const char *amphi_time_iso(int64_t t, char *buf, unsigned len);
/* Parses "2026-11-23T14:11:48Z" (or "+hh:mm" offsets, or a date alone) into
 * seconds since the epoch; 0 or -EINVAL. */
int amphi_time_parse(const char *s, int64_t *out);

#endif
