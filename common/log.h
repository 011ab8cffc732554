/* log: one line per event on stderr, "ts level component msg key=value ...".
 *
 * Every daemon calls log_init() once at start with its component name; any
 * thread may then log.  A line is formatted in a stack buffer and written with
 * one write(2), so lines from different threads never interleave.
 * No personal data in logs (DESIGN.md §10): callers log ids, not names/emails. */
#ifndef AMPHI_LOG_H
#define AMPHI_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* component: short name ("relay", "recstore", ...), not copied: keep it static.
 * The minimum level comes from AMPHI_LOG (debug|info|warn|error), default info. */
void log_init(const char *component);
void log_set_level(enum log_level min);
int log_level_parse(const char *s, enum log_level *out);   /* 0 or -EINVAL */
int log_enabled(enum log_level lvl);

/* msg is a short fixed phrase; kv_fmt (may be NULL) formats "key=value ..."
 * pairs.  Values with spaces must be quoted by the caller (log_quote helps). */
void log_msg(enum log_level lvl, const char *msg, const char *kv_fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level lvl, const char *msg, const char *kv_fmt, va_list ap);

/* A rate limit for one cause (a malformed packet, an unknown source...): the
 * first event logs at once, later ones at most once per interval, with the
 * number suppressed in between appended as suppressed=N.  One per cause,
 * owned by whoever owns the cause (a worker: no locking). */
struct log_limit {
	int64_t interval_ns;   /* minimum gap between two lines */
	int64_t next_ns;       /* monotonic time before which lines are suppressed */
	uint64_t suppressed;   /* events swallowed since the last line */
};
#define LOG_LIMIT_INIT(seconds) { (int64_t)(seconds) * 1000000000LL, 0, 0 }

void log_limited(struct log_limit *lim, enum log_level lvl, const char *msg,
                 const char *kv_fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes s into buf as a log value: as is when it has no space, quote or
 * control character, otherwise in double quotes with \" \\ and \xNN escapes.
 * Returns buf (truncated to len-1 characters at most). */
const char *log_quote(char *buf, size_t len, const char *s);

/* Logs at error level and exits 1.  Start-up and broken invariants only. */
void fatal(const char *msg, const char *kv_fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#endif
