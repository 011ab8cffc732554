/* log: see log.h. */
#include "common/log.h"
#include "common/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048   /* longer lines are cut, ending in "..." */

static const char *log_component = "amphi";
static enum log_level log_min = LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_init(const char *component)
{
	const char *env = getenv("AMPHI_LOG");
	enum log_level lvl;

	log_component = component;
	if (env && *env) {
		if (log_level_parse(env, &lvl) == 0)
			log_min = lvl;
		else
			log_msg(LOG_WARN, "ignoring unknown AMPHI_LOG level", "value=%s", env);
	}
}

void log_set_level(enum log_level min) { log_min = min; }
int log_enabled(enum log_level lvl) { return lvl >= log_min; }

void log_vmsg(enum log_level lvl, const char *msg, const char *kv_fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	struct tm tm;
	int64_t ns;
	time_t secs;
	size_t n;
	int r;

	if (lvl < log_min)
		return;
	ns = amphi_now_ns();
	secs = (time_t)(ns / 1000000000);
	gmtime_r(&secs, &tm);
	n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof line - n, ".%03dZ %s %s %s",
	             (int)(ns % 1000000000 / 1000000), level_names[lvl], log_component, msg);
	n = r < 0 ? n : n + (size_t)r;
	if (kv_fmt && *kv_fmt && n < sizeof line - 1) {
		line[n++] = ' ';
		r = vsnprintf(line + n, sizeof line - n, kv_fmt, ap);
		n = r < 0 ? n - 1 : n + (size_t)r;
	}
	if (n >= sizeof line - 1) {
		n = sizeof line - 1;
		memcpy(line + n - 3, "...", 3);
	}
	line[n++] = '\n';
	/* One write per line: atomic for pipes up to PIPE_BUF, good enough for ttys/files. */
	(void)!write(STDERR_FILENO, line, n);
}

void log_msg(enum log_level lvl, const char *msg, const char *kv_fmt, ...)
{
	va_list ap;

	va_start(ap, kv_fmt);
	log_vmsg(lvl, msg, kv_fmt, ap);
	va_end(ap);
}

void log_limited(struct log_limit *lim, enum log_level lvl, const char *msg,
                 const char *kv_fmt, ...)
{
	char kv[LOG_LINE_MAX / 2];
	int64_t now = amphi_mono_ns();
	va_list ap;

	if (now < lim->next_ns) {
		lim->suppressed++;
		return;
	}
	lim->next_ns = now + lim->interval_ns;
	kv[0] = '\0';
	if (kv_fmt) {
		va_start(ap, kv_fmt);
		vsnprintf(kv, sizeof kv, kv_fmt, ap);
		va_end(ap);
	}
	if (lim->suppressed)
		log_msg(lvl, msg, "%s%ssuppressed=%llu", kv, kv[0] ? " " : "",
		        (unsigned long long)lim->suppressed);
	else
		log_msg(lvl, msg, "%s", kv);
	lim->suppressed = 0;
}

const char *log_quote(char *buf, size_t len, const char *s)
{
	size_t o = 0;
	int plain = *s != '\0';

	if (len == 0)
		return buf;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			plain = 0;
	if (plain) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
#define PUT(c) do { if (o + 1 < len) buf[o++] = (c); } while (0)
	PUT('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			PUT('\\');
			PUT((char)*p);
		} else if (*p < ' ' || *p == 0x7f) {
			char hex[5];
			snprintf(hex, sizeof hex, "\\x%02x", *p);
			for (int i = 0; i < 4; i++)
				PUT(hex[i]);
		} else {
			PUT((char)*p);
		}
	}
	PUT('"');
#undef PUT
	buf[o] = '\0';
	return buf;
}

void fatal(const char *msg, const char *kv_fmt, ...)
{
	va_list ap;

	va_start(ap, kv_fmt);
	log_vmsg(LOG_ERROR, msg, kv_fmt, ap);
	va_end(ap);
	exit(1);
}
