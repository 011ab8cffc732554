/* Retention policy: the shipped etc/retention.conf and the errors of bad ones. */
#include "tests/harness.h"
#include "common/clock.h"
#include "common/retention.h"

TEST(shipped_policy_matches_design)
{
	struct retention r;
	char err[256], buf[32];
	int64_t date;

	if (retention_load("etc/retention.conf", &r, err, sizeof err) != 0) {
		HARNESS_FAIL("%s", err);
		return;
	}
	/* DESIGN.md §9 defaults */
	CHECK_STR(duration_format(&r.rules[RETENTION_ACCOUNT_INACTIVE].keep, buf, sizeof buf), "1y");
	CHECK_STR(duration_format(&r.rules[RETENTION_ACCOUNT_SUSPENDED].keep, buf, sizeof buf), "2y");
	CHECK_STR(duration_format(&r.rules[RETENTION_RECORDING].keep, buf, sizeof buf), "1y");
	CHECK_STR(duration_format(&r.rules[RETENTION_RECORDING_PUBLISHED].keep, buf, sizeof buf), "5y");
	CHECK_STR(duration_format(&r.rules[RETENTION_INTERACTION].keep, buf, sizeof buf), "0");
	CHECK_STR(duration_format(&r.rules[RETENTION_PARTICIPANT_PHONE].keep, buf, sizeof buf), "0");
	CHECK_STR(duration_format(&r.rules[RETENTION_CONNECTION_LOGS].keep, buf, sizeof buf), "1y");
	CHECK_STR(duration_format(&r.rules[RETENTION_ACCESS_LOGS].keep, buf, sizeof buf), "1y1mo");
	CHECK(r.rules[RETENTION_STATISTICS].keep.never);
	CHECK_STR(duration_format(&r.rules[RETENTION_RESET_TOKENS].keep, buf, sizeof buf), "15m");
	CHECK_STR(duration_format(&r.rules[RETENTION_PRIVACY_REQUESTS].keep, buf, sizeof buf), "5y");
	CHECK_STR(duration_format(&r.rules[RETENTION_AUDIT_LOG].keep, buf, sizeof buf), "1y");
	CHECK_STR(duration_format(&r.rules[RETENTION_OUTBOX_MAIL].keep, buf, sizeof buf), "7d");
	CHECK_STR(duration_format(&r.rules[RETENTION_WEBINAR_UNENDED].keep, buf, sizeof buf), "1d");
	CHECK_STR(duration_format(&r.warn_before, buf, sizeof buf), "30d");
	CHECK_STR(duration_format(&r.live_idle, buf, sizeof buf), "6h");
	CHECK_STR(duration_format(&r.respond_within, buf, sizeof buf), "1mo");
	CHECK_STR(duration_format(&r.respond_within, buf, sizeof buf), "1mo");
	CHECK_STR(r.rules[RETENTION_RECORDING].source, "Webinaire de l'Etat (DINUM)");
	CHECK(strlen(r.rules[RETENTION_PARTICIPANT_IDENTITY].purpose) > 0);
	amphi_time_parse("2026-11-23T10:00:00Z", &date);
	CHECK_STR(amphi_time_iso(retention_deadline(&r, RETENTION_RECORDING, date), buf, sizeof buf),
	          "2027-11-23T10:00:00Z");
	retention_free(&r);
}

static const char *load_error(const char *text)
{
	static char err[256];
	struct retention r;

	if (retention_parse("retention.conf", text, strlen(text), &r, err, sizeof err) == 0) {
		retention_free(&r);
		return "loaded";
	}
	return err;
}

TEST(bad_policies_refused)
{
	CHECK(strstr(load_error("[recording]\nretention = 12mo\n"),
	              "[account_inactive] retention is missing") != NULL);
	CHECK_STR(load_error("[recordings]\nretention = 1y\n"), "retention.conf: unknown section [recordings]");
	CHECK(strstr(load_error("[account_inactive]\nretention = a year\n"),
	              "retention.conf:2: [account_inactive] retention: expected a duration") != NULL);
	CHECK_STR(load_error("[account_inactive]\nretention = 1y\nretain = 2y\n"),
	          "retention.conf:3: [account_inactive] unknown key 'retain'");
}

TEST(short_test_policy_loads)
{
	static const char *const kinds[] = {
		"account_inactive", "account_deactivated", "account_suspended", "recording",
		"recording_published", "interaction", "participant_phone", "participant_identity",
		"connection_logs", "access_logs", "statistics", "password_reset_tokens", "privacy_requests",
		"audit_log", "outbox_mail", "webinar_unended",
	};
	char text[2048] = "", err[256];
	struct retention r;

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		strcat(text, "[");
		strcat(text, kinds[i]);
		strcat(text, strcmp(kinds[i], "recording") == 0 ? "]\nretention = 5s\n" : "]\nretention = 30s\n");
	}
	CHECK_INT(retention_parse("short", text, strlen(text), &r, err, sizeof err), ==, 0);
	CHECK_INT(r.rules[RETENTION_RECORDING].keep.seconds, ==, 5);
	retention_free(&r);
	/* published shorter than unpublished is a contradiction */
	strcat(text, "");
	char *p = strstr(text, "[recording_published]\nretention = 30s");
	memcpy(p + strlen("[recording_published]\nretention = "), "1s ", 3);
	CHECK(strstr(load_error(text), "[recording_published] retention is shorter") != NULL);
}

int main(void)
{
	RUN(shipped_policy_matches_design);
	RUN(bad_policies_refused);
	RUN(short_test_policy_loads);
	return harness_done();
}
