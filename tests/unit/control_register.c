/* The processing register (control/register.c) from the shipped policy and
 * from a deployment's own, its HTML escaping, and the Accept negotiation
 * that picks between the two (control/accept.c). */
#include "tests/harness.h"
#include "control/accept.h"
#include "control/register.h"

#include <stdlib.h>
#include <string.h>

TEST(every_kind_says_where_it_is_enforced)
{
	for (int k = 0; k < RETENTION_KINDS; k++) {
		const char *e = register_enforced_by((enum retention_kind)k);
		if (!e || strlen(e) < 10)
			HARNESS_FAIL("kind %s has no enforced_by line in control/register.c", retention_kind_name(k));
	}
}

TEST(shipped_policy_register)
{
	struct retention r;
	char err[256];
	json_t *reg, *a;
	size_t i;

	if (retention_load("etc/retention.conf", &r, err, sizeof err) != 0) {
		HARNESS_FAIL("%s", err);
		return;
	}
	reg = register_json(&r);
	CHECK_INT(json_array_size(json_object_get(reg, "activities")), ==, RETENTION_KINDS);
	json_array_foreach(json_object_get(reg, "activities"), i, a) {
		static const char *const cols[] = { "category", "purpose", "legal_basis", "subjects", "data",
		                                    "recipients", "retention", "retention_starts", "enforced_by",
		                                    "source" };
		for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
			if (!json_is_string(json_object_get(a, cols[c])))
				HARNESS_FAIL("activity %zu: %s is not a text", i, cols[c]);
	}
	a = json_array_get(json_object_get(reg, "activities"), RETENTION_RECORDING);
	CHECK_STR(json_string_value(json_object_get(a, "category")), "recording");
	CHECK_STR(json_string_value(json_object_get(a, "retention")), "1y");
	/* the shipped file leaves the controller and the DPO to the deployment */
	CHECK(json_is_null(json_object_get(reg, "controller")));
	CHECK_STR(json_string_value(json_array_get(json_object_get(reg, "missing"), 0)), "controller");
	CHECK(json_is_string(json_object_get(reg, "security")));
	CHECK_STR(json_string_value(json_object_get(reg, "privacy_requests_answered_within")), "1mo");
	json_decref(reg);
	retention_free(&r);
}

/* A public body's own bases and a hostile text: served as written, escaped in HTML. */
TEST(deployment_policy_and_escaping)
{
	static const char *const kinds[] = { "account_inactive", "account_deactivated", "account_suspended",
	                                     "recording", "recording_published", "interaction",
	                                     "participant_phone", "participant_identity", "connection_logs",
	                                     "access_logs", "statistics", "password_reset_tokens",
	                                     "privacy_requests", "audit_log", "outbox_mail", "webinar_unended" };
	char text[4096] = "[register]\ncontroller = \"Direction <b>interministérielle</b> & Cie\"\n"
	                  "dpo = \"dpo@example.gouv.fr\"\n";
	struct retention r;
	char err[256], *page;
	size_t len;
	json_t *reg;

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		strcat(text, "[");
		strcat(text, kinds[i]);
		strcat(text, "]\nretention = 30d\nlegal_basis = \"Public task (GDPR art. 6(1)(e))\"\n"
		             "purpose = \"<script>alert(1)</script>\"\n");
	}
	if (retention_parse("public-body", text, strlen(text), &r, err, sizeof err) != 0) {
		HARNESS_FAIL("%s", err);
		return;
	}
	reg = register_json(&r);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(reg, "activities"), 0),
	                                            "legal_basis")), "Public task (GDPR art. 6(1)(e))");
	CHECK_STR(json_string_value(json_object_get(reg, "dpo")), "dpo@example.gouv.fr");
	CHECK_INT(json_array_size(json_object_get(reg, "missing")), ==, 2);   /* transfers, security */
	page = register_html(reg, &len);
	CHECK(page != NULL && strlen(page) == len);
	CHECK(page && strstr(page, "<script>") == NULL);
	CHECK(page && strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	CHECK(page && strstr(page, "Direction &lt;b&gt;interministérielle&lt;/b&gt; &amp; Cie") != NULL);
	CHECK(page && strstr(page, "Public task (GDPR art. 6(1)(e))") != NULL);
	free(page);
	json_decref(reg);
	retention_free(&r);
	/* an unknown key of [register] is an error, like everywhere in the file */
	strcat(text, "[register]\nowner = \"x\"\n");
	CHECK_INT(retention_parse("typo", text, strlen(text), &r, err, sizeof err), ==, -22);
	CHECK(strstr(err, "unknown key 'owner'") != NULL);
}

static unsigned w(const char *accept, const char *type)
{
	return accept_weight(accept, accept ? strlen(accept) : 0, type);
}

TEST(accept_weights)
{
	/* Chromium's and Firefox's navigation Accept: HTML wins */
	const char *chromium = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
	                       "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
	const char *firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

	CHECK_INT(w(chromium, "text/html"), ==, 1000);
	CHECK_INT(w(chromium, "application/json"), ==, 800);
	CHECK_INT(w(firefox, "application/json"), ==, 800);
	/* curl, fetch(): no preference */
	CHECK_INT(w("*/*", "text/html"), ==, w("*/*", "application/json"));
	CHECK_INT(w(NULL, "text/html"), ==, 1000);
	CHECK_INT(w("  ", "text/html"), ==, 1000);
	CHECK_INT(w("application/json", "text/html"), ==, 0);
	CHECK_INT(w("application/json", "application/json"), ==, 1000);
	/* the most specific range decides, whatever its place */
	CHECK_INT(w("text/*;q=0.5, text/html;q=0", "text/html"), ==, 0);
	CHECK_INT(w("*/*;q=0.1, TEXT/*;Q=0.5", "text/html"), ==, 500);
	CHECK_INT(w("text/html ; level=1 ; q=0.25", "text/html"), ==, 250);
	CHECK_INT(w("text/html;q=0.125", "text/html"), ==, 125);
	/* bad qvalues and bad ranges are skipped */
	CHECK_INT(w("text/html;q=2, */*;q=0.3", "text/html"), ==, 300);
	CHECK_INT(w("text/html;q=1.5", "text/html"), ==, 0);
	CHECK_INT(w("text/html;q=0.1234", "text/html"), ==, 0);
	CHECK_INT(w("texthtml, /, text/", "text/html"), ==, 0);
}

int main(void)
{
	RUN(every_kind_says_where_it_is_enforced);
	RUN(shipped_policy_register);
	RUN(deployment_policy_and_escaping);
	RUN(accept_weights);
	return harness_done();
}
