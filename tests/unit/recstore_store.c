/* recstore/store: the front door every change goes through — the rules that
 * live there once (policy expiry and its maximum, legal hold against delete
 * and expire-now, the audit trail, no orphan blob after a failed add, the
 * reaper woken after a change that makes a recording deletable), on a real
 * LMDB index and real blob files in a temporary folder, no FUSE. */
#include "tests/harness.h"
#include "recstore/reaper.h"
#include "recstore/store.h"
#include "common/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char dir[64];
static const struct rec_actor tester = { "unit-test", "test" };
static struct rec_store st;

/* [recording] 12 months, [recording_published] 60 months. */
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

static bool blob_exists(const char *name)
{
	char path[PATH_MAX + 200];

	snprintf(path, sizeof path, "%s/%s", st.blob_dir, name);
	return access(path, F_OK) == 0;
}

/* An entry for id with its blob (named blob) written in the blob folder, the
 * way ingest and import leave it before rec_store_add. */
static struct rec_entry blob_entry(const char *id, const char *blob, int64_t webinar_date)
{
	struct rec_entry e;
	char path[PATH_MAX + 200];
	int fd;

	memset(&e, 0, sizeof e);
	snprintf(e.id, sizeof e.id, "%s", id);
	snprintf(e.webinar, sizeof e.webinar, "w");
	snprintf(e.org, sizeof e.org, "o");
	snprintf(e.blob, sizeof e.blob, "%s", blob);
	e.webinar_date = webinar_date;
	e.start = e.end = amphi_now();
	e.size = 4;
	snprintf(path, sizeof path, "%s/%s", st.blob_dir, blob);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd >= 0) {
		if (write(fd, "data", 4) != 4)
			printf("  short write to %s\n", path);
		close(fd);
	}
	return e;
}

static int add(const char *id)
{
	struct rec_entry e = blob_entry(id, id, amphi_now());
	return rec_store_add(&st, &e, &tester);
}

/* The audit actions of id, oldest first, joined by ';'. */
struct trail {
	const char *id;
	char buf[256];
};

static int trail_fn(void *arg, uint64_t seq, const char *text)
{
	struct trail *t = arg;
	json_t *o = json_loads(text, 0, NULL);
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *action = json_string_value(json_object_get(o, "action"));
	size_t n = strlen(t->buf);

	(void)seq;
	if (id && action && strcmp(id, t->id) == 0)
		snprintf(t->buf + n, sizeof t->buf - n, "%s;", action);
	json_decref(o);
	return 0;
}

static const char *trail(const char *id, struct trail *t)
{
	t->id = id;
	t->buf[0] = '\0';
	rec_index_audit_list(st.idx, 0, trail_fn, t);
	return t->buf;
}

static int wakes;
static void count_wake(void *arg)
{
	(void)arg;
	wakes++;
}

TEST(add_takes_expiry_from_policy_and_leaves_no_orphan)
{
	int64_t date = 1767225600;   /* 2026-01-01 */
	struct rec_entry e, dup, bad, got;
	struct trail t;

	CHECK_INT(open_store(), ==, 0);
	e = blob_entry("r", "r.webm", date);
	e.expires_at = 1;   /* whatever the caller left: the policy decides */
	CHECK_INT(rec_store_add(&st, &e, &tester), ==, 0);
	CHECK_INT(e.expires_at, ==, 1798761600);   /* 2027-01-01: date + 12 months */
	CHECK_INT(e.ino, >=, 16);
	CHECK_INT(rec_index_get_any(st.idx, "r", &got), ==, 0);
	CHECK_INT(got.expires_at, ==, 1798761600);
	CHECK_STR(trail("r", &t), "add;");
	/* A second add of the id: refused, and its blob does not stay behind. */
	dup = blob_entry("r", "r-again.webm", date);
	CHECK_INT(rec_store_add(&st, &dup, &tester), ==, -EEXIST);
	CHECK(!blob_exists("r-again.webm"));
	CHECK(blob_exists("r.webm"));
	/* Names that are not path components: refused, blob removed. */
	bad = blob_entry(".hidden", "bad.webm", date);
	CHECK_INT(rec_store_add(&st, &bad, &tester), ==, -EINVAL);
	CHECK(!blob_exists("bad.webm"));
	rec_store_close(&st);
}

TEST(hold_blocks_delete_and_expire_now)
{
	struct rec_entry gone;
	struct trail t;
	int64_t max = 0;

	CHECK_INT(open_store(), ==, 0);
	CHECK_INT(add("h"), ==, 0);
	CHECK_INT(rec_store_hold(&st, "h", true, &tester), ==, 0);
	CHECK_INT(rec_store_delete(&st, "h", &tester, &gone), ==, -EPERM);
	CHECK_INT(rec_store_expire_now(&st, "h", &tester, &gone), ==, -EPERM);
	CHECK(blob_exists("h"));
	/* Moving the expiry is not blocked: held past it, it stays visible. */
	CHECK_INT(rec_store_set_expiry(&st, "h", amphi_now() - 5, &tester, &max), ==, 0);
	CHECK_INT(rec_index_get(st.idx, "h", &gone), ==, 0);
	CHECK_INT(rec_store_expire(&st, "h", &tester), ==, -EPERM);
	CHECK(blob_exists("h"));
	/* Lifted: expired at once, so invisible to a user's delete; the reaper's
	 * deletion goes through. */
	CHECK_INT(rec_store_hold(&st, "h", false, &tester), ==, 0);
	CHECK_INT(rec_store_delete(&st, "h", &tester, &gone), ==, -ENOENT);
	CHECK_INT(rec_store_expire(&st, "h", &tester), ==, 0);
	CHECK(!blob_exists("h"));
	CHECK_INT(rec_index_get_any(st.idx, "h", &gone), ==, -ENOENT);
	CHECK_STR(trail("h", &t), "add;hold;expiry;unhold;expire;");
	CHECK_INT(atomic_load(&st.expired), ==, 1);
	CHECK_INT(atomic_load(&st.deleted), ==, 0);
	rec_store_close(&st);
}

TEST(delete_and_expire_now)
{
	struct rec_entry gone;
	struct trail t;

	CHECK_INT(open_store(), ==, 0);
	CHECK_INT(add("d"), ==, 0);
	CHECK_INT(add("x"), ==, 0);
	memset(&gone, 0, sizeof gone);
	CHECK_INT(rec_store_delete(&st, "d", &tester, &gone), ==, 0);
	CHECK_STR(gone.id, "d");   /* the entry as it was, for the mount's caches */
	CHECK_STR(gone.blob, "d");
	CHECK(!blob_exists("d"));
	CHECK_INT(rec_store_delete(&st, "d", &tester, NULL), ==, -ENOENT);
	CHECK_STR(trail("d", &t), "add;delete;");
	CHECK_INT(rec_store_expire_now(&st, "x", &tester, &gone), ==, 0);
	CHECK_STR(gone.id, "x");
	CHECK(!blob_exists("x"));
	CHECK_STR(trail("x", &t), "add;expiry;expire;");
	CHECK_INT(rec_store_expire_now(&st, "x", &tester, &gone), ==, -ENOENT);
	CHECK_INT(atomic_load(&st.deleted), ==, 1);
	CHECK_INT(atomic_load(&st.expired), ==, 1);
	/* The reaper's deletion never runs before the time. */
	CHECK_INT(add("young"), ==, 0);
	CHECK_INT(rec_store_expire(&st, "young", &tester), ==, -EAGAIN);
	CHECK(blob_exists("young"));
	rec_store_close(&st);
}

TEST(expiry_within_the_policy_maximum)
{
	int64_t now = amphi_now(), max = 0, exp = 0;
	struct rec_entry e;
	struct trail t;

	CHECK_INT(open_store(), ==, 0);
	e = blob_entry("p", "p", now);
	CHECK_INT(rec_store_add(&st, &e, &tester), ==, 0);
	/* Unpublished: the maximum is the default, so nothing later. */
	CHECK_INT(rec_store_set_expiry(&st, "p", e.expires_at + 1, &tester, &max), ==, -EPERM);
	CHECK_INT(max, ==, e.expires_at);
	CHECK_INT(rec_store_set_expiry(&st, "p", now + 60, &tester, NULL), ==, 0);
	/* Back up to the maximum is an extension within it. */
	CHECK_INT(rec_store_set_expiry(&st, "p", max, &tester, NULL), ==, 0);
	/* Publish: up to webinar date + 60 months, refused beyond (the current
	 * expiry is no excuse for a later one). */
	CHECK_INT(rec_store_publish(&st, "p", true, NULL, &tester, &exp, &max), ==, 0);
	CHECK_INT(exp, ==, max);
	CHECK_INT(max, ==, rec_store_expiry_max(&st, &e, true));
	{
		int64_t beyond = max + 1;
		CHECK_INT(rec_store_publish(&st, "p", true, &beyond, &tester, &exp, &max), ==, -EPERM);
	}
	/* Published, setfattr may extend up to the published maximum. */
	CHECK_INT(rec_store_set_expiry(&st, "p", now + 3600, &tester, NULL), ==, 0);
	CHECK_INT(rec_store_set_expiry(&st, "p", max, &tester, NULL), ==, 0);
	CHECK_INT(rec_store_set_expiry(&st, "p", max + 1, &tester, NULL), ==, -EPERM);
	/* Unpublish: brought back under the [recording] maximum. */
	CHECK_INT(rec_store_publish(&st, "p", false, NULL, &tester, &exp, &max), ==, 0);
	CHECK_INT(exp, ==, e.expires_at);
	CHECK_INT(rec_index_get(st.idx, "p", &e), ==, 0);
	CHECK(!e.published);
	CHECK_STR(trail("p", &t), "add;expiry;expiry;publish;expiry;expiry;publish;");
	CHECK_INT(rec_store_set_expiry(&st, "nobody", now, &tester, NULL), ==, -ENOENT);
	CHECK_INT(rec_store_publish(&st, "nobody", true, NULL, &tester, &exp, NULL), ==, -ENOENT);
	rec_store_close(&st);
}

TEST(changes_wake_the_reaper)
{
	int64_t now = amphi_now(), exp;

	CHECK_INT(open_store(), ==, 0);
	CHECK_INT(add("k"), ==, 0);
	rec_store_set_waker(&st, count_wake, NULL);
	wakes = 0;
	CHECK_INT(rec_store_hold(&st, "k", true, &tester), ==, 0);
	CHECK_INT(wakes, ==, 0);   /* a hold makes nothing deletable */
	CHECK_INT(rec_store_hold(&st, "k", false, &tester), ==, 0);
	CHECK_INT(wakes, ==, 1);
	CHECK_INT(rec_store_set_expiry(&st, "k", now + 60, &tester, NULL), ==, 0);
	CHECK_INT(wakes, ==, 2);
	CHECK_INT(rec_store_set_expiry(&st, "k", now + 400 * 86400LL, &tester, NULL), ==, -EPERM);
	CHECK_INT(wakes, ==, 2);   /* refused: no change */
	CHECK_INT(rec_store_publish(&st, "k", true, NULL, &tester, &exp, NULL), ==, 0);
	CHECK_INT(wakes, ==, 3);
	CHECK_INT(rec_store_hold(&st, "absent", false, &tester), ==, -ENOENT);
	CHECK_INT(wakes, ==, 3);
	rec_store_set_waker(&st, NULL, NULL);
	CHECK_INT(rec_store_hold(&st, "k", true, &tester), ==, 0);
	CHECK_INT(rec_store_hold(&st, "k", false, &tester), ==, 0);
	CHECK_INT(wakes, ==, 3);
	rec_store_close(&st);
}

TEST(fsck_drops_dangling_entries_but_not_held_ones)
{
	struct rec_entry e;
	struct trail t;
	char path[PATH_MAX + 200];

	CHECK_INT(open_store(), ==, 0);
	CHECK_INT(add("lost"), ==, 0);
	CHECK_INT(add("kept"), ==, 0);
	CHECK_INT(rec_store_hold(&st, "kept", true, &tester), ==, 0);
	snprintf(path, sizeof path, "%s/lost", st.blob_dir);
	CHECK_INT(unlink(path), ==, 0);
	snprintf(path, sizeof path, "%s/kept", st.blob_dir);
	CHECK_INT(unlink(path), ==, 0);
	CHECK_INT(rec_index_get(st.idx, "lost", &e), ==, 0);
	CHECK_INT(rec_store_drop_dangling(&st, &e, &tester), ==, 0);
	CHECK_INT(rec_index_get_any(st.idx, "lost", &e), ==, -ENOENT);
	CHECK_STR(trail("lost", &t), "add;fsck-dangling;");
	CHECK_INT(rec_index_get(st.idx, "kept", &e), ==, 0);
	CHECK_INT(rec_store_drop_dangling(&st, &e, &tester), ==, -EPERM);
	CHECK_INT(rec_index_get(st.idx, "kept", &e), ==, 0);
	/* A repair, not a user's deletion nor an expiry. */
	CHECK_INT(atomic_load(&st.deleted) + atomic_load(&st.expired), ==, 0);
	rec_store_close(&st);
}

/* The real reaper thread, with an interval far longer than the test: a held
 * recording past its expiry goes as soon as the hold is lifted. */
TEST(unhold_reaps_at_once)
{
	struct rec_reaper_opts ro = { .interval_ms = 3600 * 1000, .max_clock_jump_s = 3600, .batch = 16 };
	struct rec_reaper *r = NULL;
	int i;

	CHECK_INT(open_store(), ==, 0);
	CHECK_INT(add("late"), ==, 0);
	CHECK_INT(rec_store_hold(&st, "late", true, &tester), ==, 0);
	CHECK_INT(rec_store_set_expiry(&st, "late", amphi_now() - 1, &tester, NULL), ==, 0);
	CHECK_INT(rec_reaper_start(&st, &ro, &r), ==, 0);
	if (!r) {
		rec_store_close(&st);
		return;
	}
	usleep(300 * 1000);   /* the first pass at start has run: held, kept */
	CHECK(blob_exists("late"));
	CHECK_INT(rec_store_hold(&st, "late", false, &tester), ==, 0);
	/* The counter moves last, after the blob and the entry are gone. */
	for (i = 0; i < 100 && atomic_load(&st.expired) == 0; i++)
		usleep(20 * 1000);
	CHECK(!blob_exists("late"));
	CHECK_INT(atomic_load(&st.expired), ==, 1);
	rec_reaper_stop(r);
	/* Stopped: no waker left behind in the store. */
	CHECK(st.wake == NULL);
	rec_store_close(&st);
}

int main(void)
{
	char cmd[96];

	snprintf(dir, sizeof dir, "/tmp/amphi-store-test.%d", (int)getpid());
	RUN(add_takes_expiry_from_policy_and_leaves_no_orphan);
	RUN(hold_blocks_delete_and_expire_now);
	RUN(delete_and_expire_now);
	RUN(expiry_within_the_policy_maximum);
	RUN(changes_wake_the_reaper);
	RUN(fsck_drops_dangling_entries_but_not_held_ones);
	RUN(unhold_reaps_at_once);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	return harness_done();
}
