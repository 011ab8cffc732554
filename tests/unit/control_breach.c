/* Passwords found in breach lists (control/breach.c, issue 11 item 8): the
 * shipped etc/breached-passwords.txt refuses the two examples of the issue
 * with the "breached" rule while a strong passphrase and a random password
 * pass; normalisation folds case, strips digits and symbols at both ends and
 * maps look-alikes back. */
#include "tests/harness.h"
#include "control/breach.h"
#include "control/password.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

/* The rules password_check finds unmet, joined by ','. */
static const char *rules(const char *pw)
{
	static char out[256];
	json_t *unmet = json_array();
	size_t i;
	json_t *u;

	password_check(pw, NULL, NULL, NULL, unmet);
	out[0] = 0;
	json_array_foreach(unmet, i, u) {
		if (i)
			strcat(out, ",");
		strcat(out, json_string_value(json_object_get(u, "rule")));
	}
	json_decref(unmet);
	return out;
}

static const char *norm(const char *s)
{
	static char out[64];
	breach_normalize(s, out, sizeof out);
	return out;
}

TEST(normalises_like_attack_dictionaries)
{
	CHECK_STR(norm("Password123!"), "password");
	CHECK_STR(norm("Azerty123456!"), "azerty");
	CHECK_STR(norm("!!P@ssw0rd2024"), "password");
	CHECK_STR(norm("S0le1l-75"), "soleil");
	CHECK_STR(norm("12345!"), "");
	CHECK_STR(norm("Correct horse 42"), "correct horse");
}

TEST(refuses_the_issue_examples)
{
	CHECK_STR(rules("Password123!"), "breached");
	CHECK_STR(rules("Azerty123456!"), "breached");
	CHECK_STR(rules("P@ssw0rd-2024!"), "breached");
	CHECK_STR(rules("Motdepasse2024!"), "breached");
}

TEST(accepts_strong_passwords)
{
	CHECK_STR(rules("Purple-Lantern-77-river"), "");
	CHECK_STR(rules("Seven words make a decent passphrase indeed"), "");
	char pw[32];
	password_generate(pw, sizeof pw);
	CHECK_STR(rules(pw), "");
}

TEST(weak_and_breached_lists_both)
{
	CHECK_STR(rules("Password1"), "min_length,character_classes,breached");
}

TEST(missing_list_is_an_error)
{
	char err[256];
	CHECK_INT(breach_load("/nonexistent/breached.txt", err, sizeof err), ==, -ENOENT);
	CHECK(strstr(err, "/nonexistent/breached.txt") != NULL);
}

int main(void)
{
	char path[4096], err[256];
	const char *top = getenv("AMPHI_TOP");
	snprintf(path, sizeof path, "%s/etc/breached-passwords.txt", top ? top : ".");
	if (breach_load(path, err, sizeof err) != 0) {
		fprintf(stderr, "cannot load the list: %s\n", err);
		return 1;
	}
	RUN(normalises_like_attack_dictionaries);
	RUN(refuses_the_issue_examples);
	RUN(accepts_strong_passwords);
	RUN(weak_and_breached_lists_both);
	breach_free();
	RUN(missing_list_is_an_error);
	return harness_done();
}
