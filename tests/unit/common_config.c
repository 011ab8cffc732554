/* Config: the documented format, typed getters, errors naming file:line:key. */
#include "tests/harness.h"
#include "common/config.h"
#include "common/duration.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static struct config *parse(const char *text, char *err, size_t errlen)
{
	return config_parse("relay.conf", text, strlen(text), err, errlen);
}

TEST(sections_values_comments)
{
	char err[256] = "";
	const char *s;
	long long n;
	bool b;
	struct duration d;
	struct config *cfg = parse(
		"# top comment\n"
		"name = top level\n"
		"[relay]\n"
		"  workers = 4   # trailing comment\n"
		"bind=127.0.0.1\n"
		"; another comment\n"
		"record = yes\n"
		"title = \"quoted # not a comment \\\"x\\\"\"\n"
		"url = http://h/#frag\n"
		"[retention]\r\n"
		"recording = 12mo\r\n", err, sizeof err);

	CHECK(cfg != NULL);
	if (!cfg) {
		printf("  %s\n", err);
		return;
	}
	config_get_str(cfg, "", "name", NULL, &s);
	CHECK_STR(s, "top level");
	CHECK_INT(config_get_int(cfg, "relay", "workers", 1, 1, 256, &n), ==, 0);
	CHECK_INT(n, ==, 4);
	config_get_str(cfg, "relay", "bind", NULL, &s);
	CHECK_STR(s, "127.0.0.1");
	CHECK_INT(config_get_bool(cfg, "relay", "record", false, &b), ==, 0);
	CHECK(b);
	config_get_str(cfg, "relay", "title", NULL, &s);
	CHECK_STR(s, "quoted # not a comment \"x\"");
	config_get_str(cfg, "relay", "url", NULL, &s);
	CHECK_STR(s, "http://h/#frag");
	CHECK_INT(config_get_duration(cfg, "retention", "recording", "1y", &d), ==, 0);
	CHECK_INT(d.months, ==, 12);
	CHECK_INT(config_get_int(cfg, "relay", "absent", 7, 0, 10, &n), ==, 0);
	CHECK_INT(n, ==, 7);
	CHECK_STR(config_section_at(cfg, 1), "relay");
	CHECK_STR(config_key_at(cfg, "relay", 1, &s), "bind");
	CHECK(config_key_at(cfg, "relay", 5, NULL) == NULL);
	config_free(cfg);
}

TEST(typed_errors_name_file_line_key)
{
	char err[256];
	long long n = 5;
	bool b;
	struct duration d;
	struct config *cfg = parse("[relay]\nworkers = many\nport = 70000\nrecord = maybe\nkeep = 12 months\n",
	                           err, sizeof err);

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	CHECK_INT(config_get_int(cfg, "relay", "workers", 1, 1, 64, &n), ==, -EINVAL);
	CHECK_STR(config_error(cfg), "relay.conf:2: [relay] workers: expected an integer, got 'many'");
	CHECK_INT(n, ==, 5);
	CHECK_INT(config_get_int(cfg, "relay", "port", 1, 1, 65535, &n), ==, -EINVAL);
	CHECK_STR(config_error(cfg), "relay.conf:3: [relay] port: 70000 is outside 1..65535");
	CHECK_INT(config_get_bool(cfg, "relay", "record", false, &b), ==, -EINVAL);
	CHECK_STR(config_error(cfg), "relay.conf:4: [relay] record: expected yes or no, got 'maybe'");
	CHECK_INT(config_get_duration(cfg, "relay", "keep", "1y", &d), ==, -EINVAL);
	CHECK(strstr(config_error(cfg), "relay.conf:5: [relay] keep: expected a duration") != NULL);
	config_free(cfg);
}

TEST(syntax_errors_name_the_line)
{
	static const struct { const char *text, *err; } cases[] = {
		{ "[relay\n", "relay.conf:1: malformed section header" },
		{ "a = 1\njust words\n", "relay.conf:2: expected 'key = value'" },
		{ "= 1\n", "relay.conf:1: empty key" },
		{ "[r]\na = 1\na = 2\n", "relay.conf:3: key 'a' repeated in [r]" },
		{ "x = \"open\n", "relay.conf:1: key 'x': malformed quoted value" },
		{ "x = \"a\" b\n", "relay.conf:1: key 'x': malformed quoted value" },
		{ "bad key = 1\n", "relay.conf:1: bad character in key name" },
		{ "[a b]\n", "relay.conf:1: bad character in section name" },
		{ "[a] b\n", "relay.conf:1: text after section header" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config *cfg = parse(cases[i].text, err, sizeof err);
		CHECK(cfg == NULL);
		config_free(cfg);
		CHECK_STR(err, cases[i].err);
	}
}

TEST(unknown_keys_and_overrides)
{
	static const char *const known[] = { "workers", "bind", NULL };
	char err[256];
	const char *s;
	struct config *cfg = parse("[relay]\nworkers = 2\nwrokers = 3\n", err, sizeof err);

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	CHECK_INT(config_check_keys(cfg, "relay", known), ==, -EINVAL);
	CHECK_STR(config_error(cfg), "relay.conf:3: [relay] unknown key 'wrokers'");
	CHECK_INT(config_set(cfg, "relay", "bind", "0.0.0.0"), ==, 0);
	config_get_str(cfg, "relay", "bind", NULL, &s);
	CHECK_STR(s, "0.0.0.0");
	CHECK_INT(config_set(cfg, "relay", "workers", "x"), ==, 0);
	long long n;
	CHECK_INT(config_get_int(cfg, "relay", "workers", 1, 1, 8, &n), ==, -EINVAL);
	CHECK_STR(config_error(cfg), "command line: [relay] workers: expected an integer, got 'x'");
	config_free(cfg);
}

TEST(load_from_file)
{
	char path[] = "/tmp/amphi-config-XXXXXX", err[256];
	int fd = mkstemp(path);
	struct config *cfg;
	const char *s;

	CHECK(fd >= 0);
	CHECK(write(fd, "[a]\nb = c\n", 10) == 10);
	close(fd);
	cfg = config_load(path, err, sizeof err);
	CHECK(cfg != NULL);
	if (cfg) {
		config_get_str(cfg, "a", "b", NULL, &s);
		CHECK_STR(s, "c");
		config_free(cfg);
	}
	unlink(path);
	CHECK(config_load(path, err, sizeof err) == NULL);
	CHECK(strstr(err, "No such file") != NULL);
}

int main(void)
{
	RUN(sections_values_comments);
	RUN(typed_errors_name_file_line_key);
	RUN(syntax_errors_name_the_line);
	RUN(unknown_keys_and_overrides);
	RUN(load_from_file);
	return harness_done();
}
