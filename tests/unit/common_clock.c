/* Clock: AMPHI_TIME_OFFSET shifts wall time, never monotonic time. */
#include "tests/harness.h"
#include "common/clock.h"

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The offset is read once per process: each case runs in a child. */
static int in_child_with(const char *offset, int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		if (offset)
			setenv("AMPHI_TIME_OFFSET", offset, 1);
		else
			unsetenv("AMPHI_TIME_OFFSET");
		_exit(fn());
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static int shifted_by_a_year(void)
{
	int64_t real = (int64_t)time(NULL);
	int64_t now = amphi_now();
	int64_t ns = amphi_now_ns() / 1000000000;

	if (amphi_clock_init() != 0)
		return 1;
	if (now - real < 31536000 - 2 || now - real > 31536000 + 2)
		return 2;
	if (ns - now < -1 || ns - now > 1)
		return 3;
	return 0;
}

static int negative_offset(void)
{
	return amphi_now() < (int64_t)time(NULL) - 86400 + 2 ? 0 : 1;
}

static int bad_offset_refused(void)
{
	int64_t real = (int64_t)time(NULL);

	if (amphi_clock_init() != -22)
		return 1;
	return amphi_now() - real <= 2 ? 0 : 2;   /* bad value: no shift */
}

static int mono_not_shifted(void)
{
	struct timespec ts;
	int64_t a, b;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	a = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	b = amphi_mono_ns();
	return b - a >= 0 && b - a < 1000000000 ? 0 : 1;
}

TEST(offset_shifts_wall_clock)
{
	CHECK_INT(in_child_with("31536000", shifted_by_a_year), ==, 0);
	CHECK_INT(in_child_with("-86400", negative_offset), ==, 0);
}

TEST(bad_offset_is_an_error)
{
	CHECK_INT(in_child_with("12mo", bad_offset_refused), ==, 0);
	CHECK_INT(in_child_with("", shifted_by_a_year), !=, 0);   /* empty: no shift at all */
}

TEST(monotonic_ignores_offset)
{
	CHECK_INT(in_child_with("31536000", mono_not_shifted), ==, 0);
}

TEST(iso_round_trip)
{
	char buf[32];
	int64_t t;

	CHECK_INT(amphi_time_parse("2026-11-23T14:11:48Z", &t), ==, 0);
	CHECK_INT(t, ==, 1795443108);
	CHECK_STR(amphi_time_iso(t, buf, sizeof buf), "2026-11-23T14:11:48Z");
	CHECK_INT(amphi_time_parse("2026-11-23T15:11:48+01:00", &t), ==, 0);
	CHECK_INT(t, ==, 1795443108);
	CHECK_INT(amphi_time_parse("2026-11-23", &t), ==, 0);
	CHECK_INT(t, ==, 1795392000);
	CHECK_INT(amphi_time_parse("2026-02-30T00:00:00Z", &t), ==, -22);
	CHECK_INT(amphi_time_parse("2026-11-23T14:11:48Zjunk", &t), ==, -22);
	CHECK_INT(amphi_time_parse("yesterday", &t), ==, -22);
}

int main(void)
{
	RUN(offset_shifts_wall_clock);
	RUN(bad_offset_is_an_error);
	RUN(monotonic_ignores_offset);
	RUN(iso_round_trip);
	return harness_done();
}
