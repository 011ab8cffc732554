/* recstore/reaper + store: deletions resume after a crash at each step, and
 * nothing is deleted before its time or under hold (real LMDB, real files). */
#include "tests/harness.h"
#include "recstore/reaper.h"
#include "recstore/store.h"
#include "common/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static const struct rec_actor tester = { "unit-test", "test" };

static int add(struct rec_store *st, const char *id, int64_t expires_at)
{
	struct rec_entry e;
	char path[PATH_MAX + 200];
	int fd;

	memset(&e, 0, sizeof e);
	snprintf(e.id, sizeof e.id, "%s", id);
	snprintf(e.webinar, sizeof e.webinar, "w");
	snprintf(e.org, sizeof e.org, "o");
	snprintf(e.blob, sizeof e.blob, "%s.webm", id);
	e.start = e.end = e.webinar_date = amphi_now();
	e.expires_at = expires_at;
	rec_store_blob_path(st, &e, path, sizeof path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd < 0 || write(fd, "data", 4) != 4)
		return -EIO;
	close(fd);
	e.size = 4;
	return rec_index_put(st->idx, &e, &tester);
}

static bool blob_exists(struct rec_store *st, const char *id)
{
	char path[PATH_MAX + 200];
	snprintf(path, sizeof path, "%s/%s.webm", st->blob_dir, id);
	return access(path, F_OK) == 0;
}

static struct rec_store st;

static int open_store(void)
{
	struct duration keep = { 12, 0, false }, pub = { 60, 0, false };
	char err[256], cmd[96];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	if (rec_store_open(&st, dir, &keep, &pub, 0, err, sizeof err)) {
		printf("  %s\n", err);
		return -1;
	}
	return 0;
}

TEST(expired_deleted_others_kept)
{
	int64_t now = amphi_now();
	struct rec_entry e;

	CHECK_INT(open_store(), ==, 0);
	CHECK_INT(add(&st, "old", now - 10), ==, 0);
	CHECK_INT(add(&st, "held", now + 3600), ==, 0);
	CHECK_INT(add(&st, "young", now + 3600), ==, 0);
	/* A hold is placed while visible; an expired recording cannot be held. */
	CHECK_INT(rec_index_set_hold(st.idx, "old", true, &tester), ==, -ENOENT);
	CHECK_INT(rec_index_set_hold(st.idx, "held", true, &tester), ==, 0);
	CHECK_INT(rec_index_set_expiry(st.idx, "held", now - 10, &tester), ==, 0);
	CHECK_INT(rec_reaper_pass(&st, 0), ==, 1);
	CHECK(!blob_exists(&st, "old"));
	CHECK_INT(rec_index_get_any(st.idx, "old", &e), ==, -ENOENT);
	CHECK(blob_exists(&st, "held"));
	CHECK(blob_exists(&st, "young"));
	CHECK_INT(rec_index_get(st.idx, "held", &e), ==, 0);
	CHECK_INT(rec_reaper_pass(&st, 0), ==, 0);
	rec_store_close(&st);
}

TEST(crash_after_tombstone_resumes)
{
	struct rec_entry e;

	CHECK_INT(open_store(), ==, 0);
	CHECK_INT(add(&st, "r", amphi_now() - 1), ==, 0);
	/* A crash right after step 1: tombstone committed, blob and entry left. */
	CHECK_INT(rec_index_tombstone(st.idx, "r", true, "expire", &tester), ==, 0);
	CHECK(blob_exists(&st, "r"));
	CHECK_INT(rec_index_get(st.idx, "r", &e), ==, -ENOENT);
	CHECK_INT(rec_reaper_pass(&st, 0), ==, 0);   /* finished, not counted as a new expiry */
	CHECK(!blob_exists(&st, "r"));
	CHECK_INT(rec_index_get_any(st.idx, "r", &e), ==, -ENOENT);
	rec_store_close(&st);
}

TEST(crash_after_unlink_resumes)
{
	struct rec_entry e;
	char path[PATH_MAX + 200];

	CHECK_INT(open_store(), ==, 0);
	CHECK_INT(add(&st, "r", amphi_now() - 1), ==, 0);
	/* A crash after step 2: tombstone committed, blob unlinked, entry left. */
	CHECK_INT(rec_index_tombstone(st.idx, "r", true, "expire", &tester), ==, 0);
	snprintf(path, sizeof path, "%s/r.webm", st.blob_dir);
	CHECK_INT(unlink(path), ==, 0);
	CHECK_INT(rec_reaper_pass(&st, 0), ==, 0);
	CHECK_INT(rec_index_get_any(st.idx, "r", &e), ==, -ENOENT);
	rec_store_close(&st);
}

TEST(batch_limits_one_pass)
{
	int64_t now = amphi_now();
	char id[16];

	CHECK_INT(open_store(), ==, 0);
	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof id, "r%d", i);
		CHECK_INT(add(&st, id, now - 5 + i), ==, 0);
	}
	CHECK_INT(rec_reaper_pass(&st, 2), ==, 2);
	/* Oldest expiry first. */
	CHECK(!blob_exists(&st, "r0") && !blob_exists(&st, "r1") && blob_exists(&st, "r2"));
	CHECK_INT(rec_reaper_pass(&st, 2), ==, 2);
	CHECK_INT(rec_reaper_pass(&st, 2), ==, 1);
	CHECK_INT(rec_reaper_pass(&st, 2), ==, 0);
	rec_store_close(&st);
}

TEST(policy_maximum)
{
	struct rec_entry e = { .webinar_date = 1767225600 };   /* 2026-01-01 */

	CHECK_INT(open_store(), ==, 0);
	CHECK_INT(rec_store_expiry_default(&st, e.webinar_date), ==, 1798761600);        /* 2027-01-01 */
	CHECK_INT(rec_store_expiry_max(&st, &e, false), ==, 1798761600);
	CHECK_INT(rec_store_expiry_max(&st, &e, true), ==, 1924992000);                  /* 2031-01-01 */
	rec_store_close(&st);
}

int main(void)
{
	char cmd[96];

	snprintf(dir, sizeof dir, "/tmp/amphi-reaper-test.%d", (int)getpid());
	RUN(expired_deleted_others_kept);
	RUN(crash_after_tombstone_resumes);
	RUN(crash_after_unlink_resumes);
	RUN(batch_limits_one_pass);
	RUN(policy_maximum);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	return harness_done();
}
