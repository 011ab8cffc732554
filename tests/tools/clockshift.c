/* clockshift: an LD_PRELOAD helper for tests that need the wall clock of one
 * process to jump while it runs (the reaper's clock guard).  CLOCK_REALTIME
 * readings are shifted by the integer number of seconds written in the file
 * named by CLOCKSHIFT_FILE (re-read at every call; missing or empty: 0).
 * The monotonic clock is left alone, which is exactly what a real jump looks
 * like (an administrator's date -s, a bad NTP step). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t id, struct timespec *ts);

static long long shift(void)
{
	const char *path = getenv("CLOCKSHIFT_FILE");
	char buf[32];
	ssize_t n;
	int fd;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int rc;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	rc = real(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += shift();
	return rc;
}
