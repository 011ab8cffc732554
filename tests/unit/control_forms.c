/* Body validation of the live-webinar endpoints: every field's rule, every
 * error reported at once, nothing accepted that the store would regret. */
#include "tests/harness.h"
#include "control/forms.h"

#include <errno.h>

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_ALLOW_NUL, &e);

	if (!j)
		printf("  bad test JSON: %s\n", e.text);
	return j;
}

/* True when errors has an entry for field. */
static int has_field(json_t *errors, const char *field)
{
	size_t i;
	json_t *e;

	json_array_foreach(errors, i, e)
		if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
			return 1;
	return 0;
}

#define REG_OK "\"first_name\":\"Zoé\",\"last_name\":\"Martin\",\"email\":\"Zoe.Martin@Example.org\"," \
               "\"job_title\":\"CTO\",\"organization\":\"ACME\""

TEST(registration_valid)
{
	json_t *b = parse("{" REG_OK ",\"phone\":\"+33 1 23 45 67 89\",\"consent\":true,\"age_15_or_older\":true}");
	json_t *errs = json_array();
	struct registration_form f;

	CHECK_INT(forms_registration_parse(b, &f, errs), ==, 0);
	CHECK_INT(json_array_size(errs), ==, 0);
	CHECK_STR(f.first_name, "Zoé");
	CHECK_STR(f.email, "Zoe.Martin@Example.org");
	CHECK_STR(f.email_key, "zoe.martin@example.org");
	CHECK_STR(f.phone, "+33 1 23 45 67 89");
	json_decref(b);
	json_decref(errs);
}

TEST(registration_phone_optional)
{
	json_t *b = parse("{" REG_OK ",\"consent\":true,\"age_15_or_older\":true}");
	json_t *b2 = parse("{" REG_OK ",\"phone\":\"\",\"consent\":true,\"age_15_or_older\":true}");
	json_t *errs = json_array();
	struct registration_form f;

	CHECK_INT(forms_registration_parse(b, &f, errs), ==, 0);
	CHECK(f.phone == NULL);
	CHECK_INT(forms_registration_parse(b2, &f, errs), ==, 0);
	CHECK(f.phone == NULL);
	CHECK_INT(json_array_size(errs), ==, 0);
	json_decref(b);
	json_decref(b2);
	json_decref(errs);
}

TEST(registration_age_and_consent_version)
{
	struct registration_form f;
	json_t *errs = json_array();
	const char *v = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char body[512];
	json_t *b;

	b = parse("{" REG_OK ",\"consent\":true,\"age_15_or_older\":false}");
	CHECK_INT(forms_registration_parse(b, &f, errs), ==, -EINVAL);
	CHECK(has_field(errs, "age_15_or_older"));
	json_decref(b);
	json_array_clear(errs);
	snprintf(body, sizeof body, "{" REG_OK ",\"consent\":true,\"age_15_or_older\":true,\"consent_version\":\"%s\"}", v);
	b = parse(body);
	CHECK_INT(forms_registration_parse(b, &f, errs), ==, 0);
	CHECK_STR(f.consent_version, v);
	json_decref(b);
	/* upper case, short, not hex: refused, not compared */
	const char *bad[] = { "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "abc",
	                      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_array_clear(errs);
		snprintf(body, sizeof body, "{" REG_OK ",\"consent\":true,\"age_15_or_older\":true,\"consent_version\":\"%s\"}", bad[i]);
		b = parse(body);
		CHECK_INT(forms_registration_parse(b, &f, errs), ==, -EINVAL);
		CHECK(has_field(errs, "consent_version"));
		json_decref(b);
	}
	json_decref(errs);
}

TEST(registration_consent_must_be_true)
{
#define AGE ",\"age_15_or_older\":true"
	const char *bodies[] = { "{" REG_OK AGE "}", "{" REG_OK AGE ",\"consent\":false}",
	                         "{" REG_OK AGE ",\"consent\":\"yes\"}", "{" REG_OK AGE ",\"consent\":1}" };
#undef AGE

	for (size_t i = 0; i < 4; i++) {
		json_t *b = parse(bodies[i]);
		json_t *errs = json_array();
		struct registration_form f;

		CHECK_INT(forms_registration_parse(b, &f, errs), ==, -EINVAL);
		CHECK_INT(json_array_size(errs), ==, 1);
		CHECK(has_field(errs, "consent"));
		json_decref(b);
		json_decref(errs);
	}
}

/* PATCH /api/me by a participant: some identity fields, a phone cleared,
 * never the address, every error at once. */
TEST(registration_patch)
{
	struct registration_patch_form f;
	json_t *errs = json_array();
	json_t *b = parse("{\"last_name\":\"Martin-Leroy\",\"phone\":null}");

	CHECK_INT(forms_registration_patch_parse(b, &f, errs), ==, 0);
	CHECK_STR(f.last_name, "Martin-Leroy");
	CHECK(f.first_name == NULL && f.phone == NULL && f.phone_clear);
	json_decref(b);
	b = parse("{\"phone\":\"+33 6 12 34 56 78\"}");
	CHECK_INT(forms_registration_patch_parse(b, &f, errs), ==, 0);
	CHECK(f.phone && !f.phone_clear);
	CHECK_INT(json_array_size(errs), ==, 0);
	json_decref(b);
	b = parse("{\"email\":\"z@example.org\",\"first_name\":\" \",\"last_name\":null,"
	          "\"phone\":\"call me\",\"consent\":true}");
	CHECK_INT(forms_registration_patch_parse(b, &f, errs), ==, -EINVAL);
	CHECK(has_field(errs, "email") && has_field(errs, "first_name") && has_field(errs, "last_name"));
	CHECK(has_field(errs, "phone") && has_field(errs, "consent"));
	json_decref(b);
	json_array_clear(errs);
	b = parse("{}");
	CHECK_INT(forms_registration_patch_parse(b, &f, errs), ==, -EINVAL);
	json_decref(b);
	json_decref(errs);
}

TEST(registration_every_error_at_once)
{
	json_t *b = parse("{\"first_name\":\"\",\"last_name\":12,\"email\":\"not-an-email\","
	                  "\"organization\":\"A\\u0007B\",\"phone\":\"call me\",\"consent\":true,\"age_15_or_older\":true,\"age\":3}");
	json_t *errs = json_array();
	struct registration_form f;

	CHECK_INT(forms_registration_parse(b, &f, errs), ==, -EINVAL);
	CHECK(has_field(errs, "first_name"));
	CHECK(has_field(errs, "last_name"));
	CHECK(has_field(errs, "email"));
	CHECK(has_field(errs, "job_title"));      /* missing */
	CHECK(has_field(errs, "organization"));   /* control character */
	CHECK(has_field(errs, "phone"));
	CHECK(has_field(errs, "age"));            /* unknown */
	CHECK_INT(json_array_size(errs), ==, 7);
	json_decref(b);
	json_decref(errs);
}

TEST(registration_lengths_in_characters)
{
	char name[4 * FORMS_NAME_MAX + 200], body[5000];
	json_t *b, *errs = json_array();
	struct registration_form f;

	/* 100 two-byte characters fit, 101 do not. */
	name[0] = '\0';
	for (int i = 0; i < FORMS_NAME_MAX; i++)
		strcat(name, "é");
	snprintf(body, sizeof body, "{" REG_OK ",\"consent\":true,\"age_15_or_older\":true}");
	snprintf(body, sizeof body, "{\"first_name\":\"%s\",\"last_name\":\"M\",\"email\":\"a@b.c\","
	         "\"job_title\":\"j\",\"organization\":\"o\",\"consent\":true,\"age_15_or_older\":true}", name);
	b = parse(body);
	CHECK_INT(forms_registration_parse(b, &f, errs), ==, 0);
	json_decref(b);
	strcat(name, "é");
	snprintf(body, sizeof body, "{\"first_name\":\"%s\",\"last_name\":\"M\",\"email\":\"a@b.c\","
	         "\"job_title\":\"j\",\"organization\":\"o\",\"consent\":true,\"age_15_or_older\":true}", name);
	b = parse(body);
	CHECK_INT(forms_registration_parse(b, &f, errs), ==, -EINVAL);
	CHECK(has_field(errs, "first_name"));
	json_decref(b);
	json_decref(errs);
}

TEST(registration_not_an_object)
{
	json_t *b = parse("[1,2]");
	json_t *errs = json_array();
	struct registration_form f;

	CHECK_INT(forms_registration_parse(b, &f, errs), ==, -EINVAL);
	CHECK_INT(json_array_size(errs), ==, 1);
	json_decref(b);
	json_decref(errs);
}

TEST(email_rules)
{
	CHECK(forms_email_valid("admin@localhost"));
	CHECK(forms_email_valid("first.last+tag@sub.example.co.uk"));
	CHECK(forms_email_valid("o'brien@example.ie"));
	CHECK(!forms_email_valid("plain"));
	CHECK(!forms_email_valid("@example.org"));
	CHECK(!forms_email_valid("a@"));
	CHECK(!forms_email_valid("a..b@example.org"));
	CHECK(!forms_email_valid(".a@example.org"));
	CHECK(!forms_email_valid("a.@example.org"));
	CHECK(!forms_email_valid("a@-example.org"));
	CHECK(!forms_email_valid("a@example-.org"));
	CHECK(!forms_email_valid("a@example..org"));
	CHECK(!forms_email_valid("a@example.org."));
	CHECK(!forms_email_valid("a b@example.org"));
	CHECK(!forms_email_valid("a@exa mple.org"));
	CHECK(!forms_email_valid("zoé@example.org"));
}

TEST(phone_rules)
{
	CHECK(forms_phone_valid("+33 1 23 45 67 89"));
	CHECK(forms_phone_valid("(555) 123-4567"));
	CHECK(forms_phone_valid("01.23.45.67.89"));
	CHECK(!forms_phone_valid("12345"));                 /* too few digits */
	CHECK(!forms_phone_valid("+1234567890123456"));     /* 16 digits */
	CHECK(!forms_phone_valid("555-CALL-NOW"));
	CHECK(!forms_phone_valid("++33123456789"));
}

TEST(webinar_create_defaults)
{
	json_t *b = parse("{\"title\":\"Launch\",\"start_time\":\"2026-12-01T09:30:00Z\"}");
	json_t *errs = json_array();
	struct webinar_form f;

	CHECK_INT(forms_webinar_parse(b, true, &f, errs), ==, 0);
	CHECK_STR(f.title, "Launch");
	CHECK_STR(f.description, "");
	CHECK_INT(f.starts_at, ==, 1796117400);
	CHECK_INT(f.visibility, ==, FORMS_VIS_REGISTRATION);
	CHECK_INT(f.codec, ==, FORMS_CODEC_VP8);
	CHECK(!f.recording);
	CHECK_INT(f.set, ==, FORMS_W_TITLE | FORMS_W_START);
	json_decref(b);
	json_decref(errs);
}

TEST(webinar_create_full_and_bad)
{
	json_t *b = parse("{\"title\":\"T\",\"description\":\"line 1\\nline 2\",\"start_time\":\"2026-12-01\","
	                  "\"visibility\":\"public\",\"recording\":true,\"video_codec\":\"h264\"}");
	json_t *bad = parse("{\"title\":\"  \",\"start_time\":\"tomorrow\",\"visibility\":\"secret\","
	                    "\"recording\":\"yes\",\"video_codec\":\"av1\"}");
	json_t *errs = json_array();
	struct webinar_form f;

	CHECK_INT(forms_webinar_parse(b, true, &f, errs), ==, 0);
	CHECK_INT(f.visibility, ==, FORMS_VIS_PUBLIC);
	CHECK_INT(f.codec, ==, FORMS_CODEC_H264);
	CHECK(f.recording);
	CHECK_STR(f.description, "line 1\nline 2");
	CHECK_INT(forms_webinar_parse(bad, true, &f, errs), ==, -EINVAL);
	CHECK_INT(json_array_size(errs), ==, 5);
	json_decref(b);
	json_decref(bad);
	json_decref(errs);
}

TEST(webinar_patch)
{
	json_t *b = parse("{\"recording\":false}");
	json_t *empty = parse("{}");
	json_t *errs = json_array();
	struct webinar_form f;

	CHECK_INT(forms_webinar_parse(b, false, &f, errs), ==, 0);
	CHECK_INT(f.set, ==, FORMS_W_RECORDING);
	CHECK_INT(forms_webinar_parse(empty, false, &f, errs), ==, -EINVAL);
	CHECK_INT(forms_webinar_parse(empty, true, &f, errs), ==, -EINVAL);
	json_decref(b);
	json_decref(empty);
	json_decref(errs);
}

TEST(text_limits)
{
	char body[8192];
	const char *text;
	json_t *b, *errs = json_array();
	int n = snprintf(body, sizeof body, "{\"text\":\"");

	for (int i = 0; i < FORMS_CHAT_MAX; i++)
		body[n++] = 'x';
	strcpy(body + n, "\"}");
	b = parse(body);
	CHECK_INT(forms_text_parse(b, FORMS_CHAT_MAX, &text, errs), ==, 0);
	CHECK_INT(strlen(text), ==, FORMS_CHAT_MAX);
	CHECK_INT(forms_text_parse(b, FORMS_QUESTION_MAX, &text, errs), ==, -EINVAL);
	json_decref(b);
	b = parse("{\"text\":\"two\\nlines\"}");
	CHECK_INT(forms_text_parse(b, FORMS_CHAT_MAX, &text, errs), ==, 0);
	json_decref(b);
	b = parse("{\"text\":\"esc\\u001b[2J\"}");
	CHECK_INT(forms_text_parse(b, FORMS_CHAT_MAX, &text, errs), ==, -EINVAL);
	json_decref(b);
	b = parse("{\"text\":\"nul\\u0000inside\"}");
	CHECK_INT(forms_text_parse(b, FORMS_CHAT_MAX, &text, errs), ==, -EINVAL);
	json_decref(b);
	json_decref(errs);
}

TEST(poll_rules)
{
	json_t *ok = parse("{\"question\":\"Coffee?\",\"options\":[\"yes\",\"no\"],\"results\":\"closed\"}");
	json_t *dup = parse("{\"question\":\"Q\",\"options\":[\"a\",\"a\"]}");
	json_t *one = parse("{\"question\":\"Q\",\"options\":[\"a\"]}");
	json_t *vis = parse("{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"results\":\"sometimes\"}");
	json_t *errs = json_array();
	struct poll_form f;

	CHECK_INT(forms_poll_parse(ok, &f, errs), ==, 0);
	CHECK_INT(f.n_options, ==, 2);
	CHECK_STR(f.options[1], "no");
	CHECK_INT(f.results, ==, FORMS_RESULTS_CLOSED);
	CHECK_INT(forms_poll_parse(dup, &f, errs), ==, -EINVAL);
	CHECK(has_field(errs, "options[1]"));
	CHECK_INT(forms_poll_parse(one, &f, errs), ==, -EINVAL);
	CHECK_INT(forms_poll_parse(vis, &f, errs), ==, -EINVAL);
	CHECK(has_field(errs, "results"));
	json_decref(ok);
	json_decref(dup);
	json_decref(one);
	json_decref(vis);
	json_decref(errs);
}

TEST(vote_and_rating)
{
	json_t *v1 = parse("{\"option\":1}"), *v3 = parse("{\"option\":3}"), *vs = parse("{\"option\":\"1\"}");
	json_t *r5 = parse("{\"rating\":5}"), *r0 = parse("{\"rating\":0}"), *r6 = parse("{\"rating\":6}");
	json_t *errs = json_array();
	unsigned opt = 99;
	int rating = 0;

	CHECK_INT(forms_vote_parse(v1, 3, &opt, errs), ==, 0);
	CHECK_INT(opt, ==, 1);
	CHECK_INT(forms_vote_parse(v3, 3, &opt, errs), ==, -EINVAL);
	CHECK_INT(forms_vote_parse(vs, 3, &opt, errs), ==, -EINVAL);
	CHECK_INT(forms_rating_parse(r5, &rating, errs), ==, 0);
	CHECK_INT(rating, ==, 5);
	CHECK_INT(forms_rating_parse(r0, &rating, errs), ==, -EINVAL);
	CHECK_INT(forms_rating_parse(r6, &rating, errs), ==, -EINVAL);
	json_decref(v1);
	json_decref(v3);
	json_decref(vs);
	json_decref(r5);
	json_decref(r0);
	json_decref(r6);
	json_decref(errs);
}

int main(void)
{
	RUN(registration_valid);
	RUN(registration_phone_optional);
	RUN(registration_age_and_consent_version);
	RUN(registration_consent_must_be_true);
	RUN(registration_patch);
	RUN(registration_every_error_at_once);
	RUN(registration_lengths_in_characters);
	RUN(registration_not_an_object);
	RUN(email_rules);
	RUN(phone_rules);
	RUN(webinar_create_defaults);
	RUN(webinar_create_full_and_bad);
	RUN(webinar_patch);
	RUN(text_limits);
	RUN(poll_rules);
	RUN(vote_and_rating);
	return harness_done();
}
