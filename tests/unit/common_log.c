/* Log: line format, levels, rate limiting, quoting (stderr captured in a pipe). */
#include "tests/harness.h"
#include "common/log.h"

#include <fcntl.h>
#include <regex.h>
#include <unistd.h>

static int pipefd[2], saved_stderr;

static void capture_start(void)
{
	CHECK(pipe2(pipefd, O_NONBLOCK) == 0);
	saved_stderr = dup(2);
	dup2(pipefd[1], 2);
}

static char *capture_end(void)
{
	static char buf[8192];
	ssize_t n;

	dup2(saved_stderr, 2);
	close(saved_stderr);
	close(pipefd[1]);
	n = read(pipefd[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	return buf;
}

static int matches(const char *re, const char *s)
{
	regex_t r;
	int ok;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB | REG_NEWLINE))
		return 0;
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

TEST(line_format)
{
	char *out;

	capture_start();
	log_msg(LOG_INFO, "stream created", "id=%d port=%u", 7, 40000u);
	log_msg(LOG_WARN, "no fields", NULL);
	out = capture_end();
	CHECK(matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z info test "
	              "stream created id=7 port=40000\n", out));
	CHECK(matches("Z warn test no fields\n$", out));
}

TEST(levels_filter)
{
	char *out;

	capture_start();
	log_set_level(LOG_WARN);
	log_msg(LOG_INFO, "hidden", NULL);
	log_msg(LOG_ERROR, "shown", NULL);
	log_set_level(LOG_INFO);
	out = capture_end();
	CHECK(strstr(out, "hidden") == NULL);
	CHECK(strstr(out, "error test shown") != NULL);
	enum log_level l;
	CHECK_INT(log_level_parse("DEBUG", &l), ==, 0);
	CHECK_INT(l, ==, LOG_DEBUG);
	CHECK_INT(log_level_parse("loud", &l), <, 0);
}

TEST(rate_limit_counts_suppressed)
{
	struct log_limit lim = LOG_LIMIT_INIT(0);
	char *out;

	lim.interval_ns = 50 * 1000000LL;
	capture_start();
	for (int i = 0; i < 100; i++)
		log_limited(&lim, LOG_WARN, "bad packet", "src=%s", "127.0.0.1:5000");
	usleep(60000);
	log_limited(&lim, LOG_WARN, "bad packet", "src=%s", "127.0.0.1:5000");
	out = capture_end();
	CHECK(matches("bad packet src=127.0.0.1:5000\n.*bad packet src=127.0.0.1:5000 suppressed=99\n$", out));
	CHECK_INT(lim.suppressed, ==, 0);
}

TEST(long_lines_are_cut)
{
	char big[5000];
	char *out;

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	capture_start();
	log_msg(LOG_INFO, "long", "v=%s", big);
	out = capture_end();
	CHECK_INT(strlen(out), ==, 2048);
	CHECK(matches("a\\.\\.\\.\n$", out));
}

TEST(quoting)
{
	char buf[64];

	CHECK_STR(log_quote(buf, sizeof buf, "plain"), "plain");
	CHECK_STR(log_quote(buf, sizeof buf, "two words"), "\"two words\"");
	CHECK_STR(log_quote(buf, sizeof buf, "q\"b\\\n"), "\"q\\\"b\\\\\\x0a\"");
	CHECK_STR(log_quote(buf, sizeof buf, ""), "\"\"");
}

int main(void)
{
	log_init("test");
	RUN(line_format);
	RUN(levels_filter);
	RUN(rate_limit_counts_suppressed);
	RUN(long_lines_are_cut);
	RUN(quoting);
	return harness_done();
}
