/* amphi-control's reading of amphi-recstore's answers
 * (control/recstore_client.h): a recording as the store shows it, the
 * checks on what could make the media handler open another path, and the
 * error codes. */
#include "tests/harness.h"
#include "control/recstore_client.h"

#include <errno.h>

#define REC "{\"id\":\"webinar-3-17-0a1b2c3d\",\"webinar\":\"3\",\"org\":\"2\",\"start\":\"2026-12-07T23:40:01Z\"," \
	"\"end\":\"2026-12-07T23:40:05Z\",\"duration_ms\":4012,\"size\":412345,\"codecs\":\"vp8,opus\"," \
	"\"sha256\":\"9f86\",\"expires_at\":\"2027-12-01T09:30:00Z\",\"expires_at_unix\":1827567000," \
	"\"legal_hold\":false,\"published\":true,\"blob\":\"webinar-3-17-0a1b2c3d.webm\",\"ino\":16"

static int parse(const char *text, struct recstore_rec *r)
{
	char err[256];
	json_t *j = json_loads(text, 0, NULL);
	int rc = recstore_rec_parse(j, r, err, sizeof err);

	json_decref(j);
	return rc;
}

TEST(a_recording)
{
	struct recstore_rec r;

	CHECK_INT(parse(REC ",\"file\":\"/var/mnt/by-webinar/3/webinar-3-17-0a1b2c3d.webm\"}", &r), ==, 0);
	CHECK_STR(r.id, "webinar-3-17-0a1b2c3d");
	CHECK_STR(r.ext, ".webm");
	CHECK_STR(r.file, "/var/mnt/by-webinar/3/webinar-3-17-0a1b2c3d.webm");
	CHECK_INT(r.size, ==, 412345);
	CHECK(r.published && !r.legal_hold);
	CHECK_INT(parse(REC "}", &r), ==, 0);   /* a store with no mount */
	CHECK_STR(r.file, "");
}

TEST(paths_elsewhere_refused)
{
	static const char *const bad[] = {
		REC ",\"file\":\"/etc/passwd\"}",
		REC ",\"file\":\"var/mnt/by-webinar/3/webinar-3-17-0a1b2c3d.webm\"}",
		REC ",\"file\":\"/x/../by-webinar/3/webinar-3-17-0a1b2c3d.webm\"}",
		REC ",\"file\":\"/by-webinar/3/webinar-3-17-0a1b2c3d.webm\"}",
		REC ",\"file\":\"/m/by-webinar/4/webinar-3-17-0a1b2c3d.webm\"}",
		REC ",\"file\":7}",
	};
	struct recstore_rec r;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK_INT(parse(bad[i], &r), ==, -EIO);
}

TEST(fields_checked)
{
	struct recstore_rec r;

	CHECK_INT(parse("{\"id\":\"x\"}", &r), ==, -EIO);
	CHECK_INT(parse("[]", &r), ==, -EIO);
	CHECK_INT(parse("{\"id\":\"../x\",\"webinar\":\"3\",\"org\":\"2\",\"start\":\"s\",\"end\":\"e\","
	                "\"duration_ms\":1,\"size\":1,\"codecs\":\"vp8\",\"sha256\":\"0\",\"expires_at\":\"x\","
	                "\"expires_at_unix\":1,\"legal_hold\":false,\"published\":false,\"blob\":\"../x.webm\"}", &r), ==, -EIO);
	CHECK(!recstore_id_valid(".hidden"));
	CHECK(!recstore_id_valid("a/b"));
	CHECK(!recstore_id_valid(""));
	CHECK(recstore_id_valid("webinar-3-17-0a1b2c3d"));
	CHECK(!recstore_id_valid("0123456789012345678901234567890123456789012345678901234567890123"));
}

TEST(error_codes)
{
	static const struct {
		const char *text;
		int err;
	} cases[] = {
		{ "{\"ok\":false,\"code\":\"not_found\"}", -ENOENT },
		{ "{\"ok\":false,\"code\":\"legal_hold\"}", -EPERM },
		{ "{\"ok\":false,\"code\":\"beyond_policy\"}", -ERANGE },
		{ "{\"ok\":false,\"code\":\"invalid\"}", -EINVAL },
		{ "{\"ok\":false,\"code\":\"store_error\"}", -EPROTO },
		{ "{\"ok\":false,\"error\":\"x\"}", -EPROTO },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		json_t *j = json_loads(cases[i].text, 0, NULL);
		CHECK_INT(recstore_reply_errno(j), ==, cases[i].err);
		json_decref(j);
	}
}

int main(void)
{
	RUN(a_recording);
	RUN(paths_elsewhere_refused);
	RUN(fields_checked);
	RUN(error_codes);
	return harness_done();
}
