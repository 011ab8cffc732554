/* The consent text (control/consent.c): generated from the retention
 * policy, different for a recorded webinar, its version the SHA-256 of the
 * very bytes shown, and a change of policy a new version. */
#include "tests/harness.h"
#include "control/consent.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

TEST(text_from_the_policy)
{
	struct retention r;
	char err[256], v1[CONSENT_VERSION_CHARS + 1], v2[CONSENT_VERSION_CHARS + 1], hex[65];
	unsigned char h[32];
	size_t len, len2;
	char *plain, *rec;

	if (retention_load("etc/retention.conf", &r, err, sizeof err) != 0) {
		HARNESS_FAIL("%s", err);
		return;
	}
	plain = consent_text(&r, false, &len);
	rec = consent_text(&r, true, &len2);
	CHECK(plain && rec && strlen(plain) == len && strlen(rec) == len2);
	/* what, how long and on what basis, from the file */
	CHECK(strstr(plain, r.rules[RETENTION_PARTICIPANT_IDENTITY].purpose) != NULL);
	CHECK(strstr(plain, "Deleted at: end of the webinar") != NULL);
	CHECK(strstr(plain, "Kept 1y from: the connection") != NULL);
	CHECK(strstr(plain, "15 years old or older") != NULL);
	CHECK(strstr(plain, "recorded") == NULL);
	CHECK(strstr(rec, "This webinar is recorded") != NULL);
	CHECK(strstr(rec, "Kept 5y from: webinar date") != NULL);
	/* the version is the hash of the bytes */
	consent_version(plain, len, v1);
	crypto_hash_sha256(h, (const unsigned char *)plain, len);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	CHECK_STR(v1, hex);
	CHECK_INT(consent_current(&r, true, v2), ==, 0);
	CHECK(strcmp(v1, v2) != 0);
	/* a policy that keeps phone numbers longer is another text, another version */
	r.rules[RETENTION_PARTICIPANT_PHONE].keep.months = 1;
	CHECK_INT(consent_current(&r, false, v2), ==, 0);
	CHECK(strcmp(v1, v2) != 0);
	free(plain);
	free(rec);
	retention_free(&r);
}

int main(void)
{
	RUN(text_from_the_policy);
	return harness_done();
}
