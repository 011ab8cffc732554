/* The CNIL Délibération 2022-100 rules of control/password.c, one case per
 * rule and per accepted shape, plus the generator. */
#include "tests/harness.h"
#include "control/password.h"

#include <jansson.h>

/* Runs the check and returns the unmet rules joined by ','. */
static const char *rules(const char *pw, const char *first, const char *last, const char *email)
{
	static char out[256];
	json_t *unmet = json_array();
	int rc = password_check(pw, first, last, email, unmet);
	out[0] = 0;
	size_t i;
	json_t *u;
	json_array_foreach(unmet, i, u) {
		if (i)
			strcat(out, ",");
		strcat(out, json_string_value(json_object_get(u, "rule")));
		CHECK(json_string_length(json_object_get(u, "message")) > 10);
	}
	if ((rc == 0) != (json_array_size(unmet) == 0))
		strcpy(out, "inconsistent");
	json_decref(unmet);
	return out;
}

TEST(accepts_twelve_with_four_classes)
{
	CHECK_STR(rules("Abcdefgh12!x", NULL, NULL, NULL), "");
	CHECK_STR(rules("Zq9-mR4_tW2.", "Ann", "Lee", "ann@example.org"), "");
}

TEST(rejects_eleven_with_four_classes)
{
	CHECK_STR(rules("Abcdefg12!x", NULL, NULL, NULL), "min_length");
}

TEST(twelve_or_thirteen_need_four_classes)
{
	CHECK_STR(rules("Abcdefgh1234", NULL, NULL, NULL), "character_classes");
	CHECK_STR(rules("Abcdefgh12345", NULL, NULL, NULL), "character_classes");
}

TEST(fourteen_with_three_classes)
{
	CHECK_STR(rules("Abcdefgh123456", NULL, NULL, NULL), "");
	CHECK_STR(rules("abcdefgh-12345", NULL, NULL, NULL), "");
	CHECK_STR(rules("abcdefghijklmn", NULL, NULL, NULL), "character_classes");
	CHECK_STR(rules("abcdefgh123456", NULL, NULL, NULL), "character_classes");
}

TEST(short_and_few_classes_lists_both)
{
	CHECK_STR(rules("abc", NULL, NULL, NULL), "min_length,character_classes");
	CHECK_STR(rules("", NULL, NULL, NULL), "min_length,character_classes");
}

TEST(passphrase_of_seven_words)
{
	CHECK_STR(rules("the cat sat on my warm mat", NULL, NULL, NULL), "");
	CHECK_STR(rules("cat sat on my warm mat", NULL, NULL, NULL), "character_classes,passphrase_words");
	/* one-letter "words" do not count */
	CHECK_STR(rules("a b c d e f g h i", NULL, NULL, NULL), "character_classes,passphrase_words");
}

TEST(name_and_email)
{
	CHECK_STR(rules("Xx-Olga-2026!abc", "Olga", "Petrova", "o.p@example.org"), "contains_name");
	CHECK_STR(rules("Xx-PETROVA-2026!", "Olga", "Petrova", "o.p@example.org"), "contains_name");
	CHECK_STR(rules("Olga-Petrova-20!", "Olga", "Petrova", "o.p@example.org"), "contains_name,contains_name");
	CHECK_STR(rules("Zz9!olga.p@example.org", "Ann", "Lee", "olga.p@example.org"), "contains_email");
	CHECK_STR(rules("Zz9!-OLGA.P-xyz", "Ann", "Lee", "olga.p@example.org"), "contains_email");
	/* names under three characters are too common to forbid */
	CHECK_STR(rules("Lee-Zq9-mR4_tW2.", "Al", "Le", "al@example.org"), "");
}

TEST(bad_bytes)
{
	CHECK_STR(rules("Abcdefgh12!x\x01", NULL, NULL, NULL), "invalid_characters");
	CHECK_STR(rules("Abcdefgh12!x\xff", NULL, NULL, NULL), "invalid_characters");
	char big[PASSWORD_MAX_BYTES + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK_STR(rules(big, NULL, NULL, NULL), "max_length");
}

TEST(utf8_counts_characters)
{
	/* 11 characters in 14 bytes: still too short */
	CHECK_STR(rules("Ééé12!abcdE", NULL, NULL, NULL), "min_length");
	/* non-ASCII letters count as special characters */
	CHECK_STR(rules("Abcdefgh12é4", NULL, NULL, NULL), "");
}

TEST(generated_passwords_pass)
{
	for (int i = 0; i < 200; i++) {
		char pw[32];
		password_generate(pw, sizeof pw);
		CHECK_INT(strlen(pw), ==, 20);
		CHECK_STR(rules(pw, NULL, NULL, NULL), "");
	}
	char a[32], b[32];
	password_generate(a, sizeof a);
	password_generate(b, sizeof b);
	CHECK(strcmp(a, b) != 0);
}

int main(void)
{
	RUN(accepts_twelve_with_four_classes);
	RUN(rejects_eleven_with_four_classes);
	RUN(twelve_or_thirteen_need_four_classes);
	RUN(fourteen_with_three_classes);
	RUN(short_and_few_classes_lists_both);
	RUN(passphrase_of_seven_words);
	RUN(name_and_email);
	RUN(bad_bytes);
	RUN(utf8_counts_characters);
	RUN(generated_passwords_pass);
	return harness_done();
}
