/* recstore/index: a real LMDB environment in a temporary folder. */
#include "tests/harness.h"
#include "recstore/index.h"
#include "common/clock.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];
static const struct rec_actor tester = { "unit-test", "test" };

static struct rec_entry make(const char *id, const char *webinar, const char *org, int64_t expires_at)
{
	struct rec_entry e;

	memset(&e, 0, sizeof e);
	snprintf(e.id, sizeof e.id, "%s", id);
	snprintf(e.webinar, sizeof e.webinar, "%s", webinar);
	snprintf(e.org, sizeof e.org, "%s", org);
	snprintf(e.blob, sizeof e.blob, "%s.webm", id);
	snprintf(e.codecs, sizeof e.codecs, "vp8,opus");
	memset(e.sha256, 'a', 64);
	e.start = 1763900000;   /* 2025-11-23 */
	e.end = e.start + 60;
	e.webinar_date = e.start;
	e.duration_ms = 60000;
	e.size = 1234;
	e.expires_at = expires_at;
	return e;
}

static struct rec_index *open_fresh(size_t map_size)
{
	struct rec_index *idx = NULL;
	char err[256] = "", cmd[96];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return NULL;
	if (rec_index_open(dir, map_size, &idx, err, sizeof err) != 0)
		printf("  open: %s\n", err);
	return idx;
}

static int count_fn(void *arg, const struct rec_entry *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int keys_fn(void *arg, const char *key)
{
	strcat(arg, key);
	strcat(arg, ";");
	return 0;
}

static int ids_fn(void *arg, const struct rec_entry *e)
{
	strcat(arg, e->id);
	strcat(arg, ";");
	return 0;
}

TEST(names)
{
	CHECK(rec_name_valid("w-1_2.x"));
	CHECK(!rec_name_valid(""));
	CHECK(!rec_name_valid(".hidden"));
	CHECK(!rec_name_valid("a/b"));
	CHECK(!rec_name_valid("a b"));
	CHECK(!rec_name_valid("0123456789012345678901234567890123456789012345678901234567890123"));
	CHECK(rec_name_valid("012345678901234567890123456789012345678901234567890123456789012"));
}

TEST(put_get_views)
{
	struct rec_index *idx = open_fresh(0);
	int64_t later = amphi_now() + 3600;
	struct rec_entry a = make("r1", "w1", "o1", later), b = make("r2", "w1", "o2", later),
	                 c = make("r3", "w2", "o1", later), got;
	char buf[256] = "";

	CHECK(idx != NULL);
	if (!idx)
		return;
	CHECK_INT(rec_index_put(idx, &a, &tester), ==, 0);
	CHECK_INT(rec_index_put(idx, &b, &tester), ==, 0);
	CHECK_INT(rec_index_put(idx, &c, &tester), ==, 0);
	CHECK_INT(rec_index_put(idx, &a, &tester), ==, -EEXIST);
	CHECK(a.ino >= 16 && b.ino == a.ino + 1 && c.ino == a.ino + 2);

	CHECK_INT(rec_index_get(idx, "r2", &got), ==, 0);
	CHECK_STR(got.org, "o2");
	CHECK_INT(got.ino, ==, b.ino);
	CHECK_INT(rec_index_get_ino(idx, c.ino, &got), ==, 0);
	CHECK_STR(got.id, "r3");
	CHECK_INT(rec_index_get(idx, "nope", &got), ==, -ENOENT);
	CHECK_INT(rec_index_get(idx, "../etc", &got), ==, -ENOENT);

	CHECK_INT(rec_index_list(idx, REC_VIEW_WEBINAR, "w1", false, ids_fn, buf), ==, 0);
	CHECK_STR(buf, "r1;r2;");
	buf[0] = '\0';
	CHECK_INT(rec_index_list(idx, REC_VIEW_ORG, "o1", false, ids_fn, buf), ==, 0);
	CHECK_STR(buf, "r1;r3;");
	buf[0] = '\0';
	CHECK_INT(rec_index_list(idx, REC_VIEW_DATE, "2025-11-23", false, ids_fn, buf), ==, 0);
	CHECK_STR(buf, "r1;r2;r3;");
	buf[0] = '\0';
	/* "w" is a prefix of "w1" but not a key. */
	CHECK_INT(rec_index_list(idx, REC_VIEW_WEBINAR, "w", false, ids_fn, buf), ==, 0);
	CHECK_STR(buf, "");
	CHECK_INT(rec_index_keys(idx, REC_VIEW_WEBINAR, keys_fn, buf), ==, 0);
	CHECK_STR(buf, "w1;w2;");
	buf[0] = '\0';
	CHECK_INT(rec_index_keys(idx, REC_VIEW_ORG, keys_fn, buf), ==, 0);
	CHECK_STR(buf, "o1;o2;");
	rec_index_close(idx);
}

TEST(bad_names_refused)
{
	struct rec_index *idx = open_fresh(0);
	struct rec_entry e = make("ok", "w/../x", "o", amphi_now() + 10), got;

	CHECK_INT(rec_index_put(idx, &e, &tester), ==, -EINVAL);
	CHECK_INT(rec_index_get_any(idx, "ok", &got), ==, -ENOENT);
	rec_index_close(idx);
}

TEST(expiry_hides_and_hold_keeps)
{
	struct rec_index *idx = open_fresh(0);
	int64_t now = amphi_now();
	struct rec_entry gone = make("gone", "w", "o", now - 1), held = make("held", "w", "o", now + 100),
	                 live = make("live", "w", "o", now + 100), got;
	char buf[256] = "";
	int n = 0;

	CHECK_INT(rec_index_put(idx, &gone, &tester), ==, 0);
	CHECK_INT(rec_index_put(idx, &held, &tester), ==, 0);
	CHECK_INT(rec_index_put(idx, &live, &tester), ==, 0);
	CHECK_INT(rec_index_get(idx, "gone", &got), ==, -ENOENT);
	CHECK_INT(rec_index_get_ino(idx, gone.ino, &got), ==, -ENOENT);
	CHECK_INT(rec_index_get_any(idx, "gone", &got), ==, 0);
	CHECK_INT(rec_index_list(idx, REC_VIEW_WEBINAR, "w", false, ids_fn, buf), ==, 0);
	CHECK_STR(buf, "held;live;");

	/* Hold, then expire: still visible, and not offered to the reaper. */
	CHECK_INT(rec_index_set_hold(idx, "held", true, &tester), ==, 0);
	CHECK_INT(rec_index_set_expiry(idx, "held", now - 5, &tester), ==, 0);
	CHECK_INT(rec_index_get(idx, "held", &got), ==, 0);
	CHECK(got.legal_hold);
	buf[0] = '\0';
	CHECK_INT(rec_index_expired(idx, now, ids_fn, buf), ==, 0);
	CHECK_STR(buf, "gone;");
	/* Held: no deletion, neither by a user nor by the reaper. */
	CHECK_INT(rec_index_tombstone(idx, "held", false, "delete", &tester), ==, -EPERM);
	CHECK_INT(rec_index_tombstone(idx, "held", true, "expire", &tester), ==, -EPERM);
	/* The reaper cannot delete before the time. */
	CHECK_INT(rec_index_tombstone(idx, "live", true, "expire", &tester), ==, -EAGAIN);
	/* Unhold: expired at once. */
	CHECK_INT(rec_index_set_hold(idx, "held", false, &tester), ==, 0);
	CHECK_INT(rec_index_get(idx, "held", &got), ==, -ENOENT);
	buf[0] = '\0';
	CHECK_INT(rec_index_expired(idx, now, ids_fn, buf), ==, 0);
	CHECK_STR(buf, "held;gone;");
	CHECK_INT(rec_index_expired(idx, now - 10, count_fn, &n), ==, 0);
	CHECK_INT(n, ==, 0);
	rec_index_close(idx);
}

TEST(tombstone_then_purge)
{
	struct rec_index *idx = open_fresh(0);
	struct rec_entry e = make("r", "w", "o", amphi_now() + 100), got;
	char buf[256] = "";
	int n = 0;

	CHECK_INT(rec_index_put(idx, &e, &tester), ==, 0);
	CHECK_INT(rec_index_purge(idx, "r"), ==, -EBUSY);
	CHECK_INT(rec_index_tombstone(idx, "r", false, "delete", &tester), ==, 0);
	CHECK_INT(rec_index_tombstone(idx, "r", false, "delete", &tester), ==, -ENOENT);
	CHECK_INT(rec_index_get(idx, "r", &got), ==, -ENOENT);
	CHECK_INT(rec_index_get_any(idx, "r", &got), ==, 0);
	CHECK(got.tombstone);
	CHECK_INT(rec_index_tombstones(idx, ids_fn, buf), ==, 0);
	CHECK_STR(buf, "r;");
	CHECK_INT(rec_index_purge(idx, "r"), ==, 0);
	CHECK_INT(rec_index_purge(idx, "r"), ==, 0);   /* resumable: a second purge is harmless */
	CHECK_INT(rec_index_get_any(idx, "r", &got), ==, -ENOENT);
	CHECK_INT(rec_index_tombstones(idx, count_fn, &n), ==, 0);
	CHECK_INT(rec_index_keys(idx, REC_VIEW_WEBINAR, keys_fn, buf), ==, 0);
	CHECK_STR(buf, "r;");   /* no key added: the webinar view is empty */
	CHECK_INT(n, ==, 0);
	/* The id can be reused after a purge. */
	CHECK_INT(rec_index_put(idx, &e, &tester), ==, 0);
	rec_index_close(idx);
}

/* Entries in one named database of the environment, read with LMDB itself
 * (not through the module): -1 when it cannot be read. */
static long db_entries(const char *name)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_stat st;
	long n = -1;

	if (mdb_env_create(&env))
		return -1;
	mdb_env_set_maxdbs(env, 16);
	if (mdb_env_open(env, dir, MDB_RDONLY, 0600) == 0 && mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) == 0) {
		if (mdb_dbi_open(txn, name, 0, &dbi) == 0 && mdb_stat(txn, dbi, &st) == 0)
			n = (long)st.ms_entries;
		mdb_txn_abort(txn);
	}
	mdb_env_close(env);
	return n;
}

/* Put and purge write and remove the same secondary keys; an expiry change
 * moves the expiry key (the old one does not stay behind). */
TEST(purge_leaves_no_secondary_key)
{
	static const char *const secondary[] = { "by_expiry", "by_webinar", "by_date", "by_org", "by_ino" };
	struct rec_index *idx = open_fresh(0);
	struct rec_entry a = make("a", "w1", "o1", amphi_now() + 100);
	struct rec_entry b = make("b", "w2", "o2", amphi_now() + 200);

	if (!idx)
		return;
	b.start += 86400 * 3;   /* another by-date folder */
	CHECK_INT(rec_index_put(idx, &a, &tester), ==, 0);
	CHECK_INT(rec_index_put(idx, &b, &tester), ==, 0);
	CHECK_INT(rec_index_set_expiry(idx, "a", amphi_now() + 50, &tester), ==, 0);
	CHECK_INT(rec_index_set_published(idx, "b", true, amphi_now() + 300, &tester), ==, 0);
	rec_index_close(idx);
	for (size_t i = 0; i < sizeof secondary / sizeof secondary[0]; i++)
		CHECK_INT(db_entries(secondary[i]), ==, 2);
	idx = NULL;
	{
		char err[256];
		CHECK_INT(rec_index_open(dir, 0, &idx, err, sizeof err), ==, 0);
	}
	if (!idx)
		return;
	CHECK_INT(rec_index_tombstone(idx, "a", false, "delete", &tester), ==, 0);
	CHECK_INT(rec_index_tombstone(idx, "b", false, "delete", &tester), ==, 0);
	CHECK_INT(rec_index_purge(idx, "a"), ==, 0);
	CHECK_INT(rec_index_purge(idx, "b"), ==, 0);
	rec_index_close(idx);
	for (size_t i = 0; i < sizeof secondary / sizeof secondary[0]; i++)
		CHECK_INT(db_entries(secondary[i]), ==, 0);
	CHECK_INT(db_entries("recordings"), ==, 0);
	CHECK_INT(db_entries("tombstones"), ==, 0);
	CHECK_INT(db_entries("audit"), ==, 6);   /* add x2, expiry, publish, delete x2: kept */
}

static int audit_collect(void *arg, uint64_t seq, const char *json)
{
	char *buf = arg;
	char line[64];
	const char *a = strstr(json, "\"action\":\"");

	snprintf(line, sizeof line, "%llu:", (unsigned long long)seq);
	strcat(buf, line);
	if (a) {
		a += 10;
		strncat(buf, a, strcspn(a, "\""));
	}
	strcat(buf, ";");
	return 0;
}

TEST(audit_is_appended)
{
	struct rec_index *idx = open_fresh(0);
	struct rec_entry e = make("r", "w", "o", amphi_now() + 100);
	struct rec_index_stats st;
	char buf[512] = "";

	CHECK_INT(rec_index_put(idx, &e, &tester), ==, 0);
	CHECK_INT(rec_index_set_hold(idx, "r", true, &tester), ==, 0);
	CHECK_INT(rec_index_set_hold(idx, "r", true, &tester), ==, 0);   /* no change, no record */
	CHECK_INT(rec_index_set_hold(idx, "r", false, &tester), ==, 0);
	CHECK_INT(rec_index_set_published(idx, "r", true, e.expires_at + 50, &tester), ==, 0);
	CHECK_INT(rec_index_tombstone(idx, "r", false, "delete", &tester), ==, 0);
	CHECK_INT(rec_index_audit_list(idx, 0, audit_collect, buf), ==, 0);
	CHECK_STR(buf, "1:add;2:hold;3:unhold;4:publish;5:delete;");
	buf[0] = '\0';
	CHECK_INT(rec_index_audit_list(idx, 3, audit_collect, buf), ==, 0);
	CHECK_STR(buf, "4:publish;5:delete;");
	CHECK_INT(rec_index_stats(idx, &st), ==, 0);
	CHECK_INT(st.audit_records, ==, 5);
	CHECK_INT(st.tombstones, ==, 1);
	CHECK_INT(st.visible, ==, 0);
	rec_index_close(idx);
}

TEST(map_grows_and_survives_reopen)
{
	struct rec_index *idx = open_fresh(256 * 1024);
	struct rec_index_stats st;
	struct rec_entry e, got;
	char id[32], err[256];
	int64_t later = amphi_now() + 3600;
	uint64_t ino_777 = 0;
	int failed = 0;

	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof id, "rec%05d", i);
		e = make(id, i % 2 ? "odd" : "even", "o", later);
		if (rec_index_put(idx, &e, &tester) != 0)
			failed++;
		if (i == 777)
			ino_777 = e.ino;
	}
	CHECK_INT(failed, ==, 0);
	CHECK_INT(rec_index_stats(idx, &st), ==, 0);
	CHECK_INT(st.visible, ==, 3000);
	CHECK_INT(st.map_size, >, 256 * 1024);
	rec_index_close(idx);

	idx = NULL;
	CHECK_INT(rec_index_open(dir, 256 * 1024, &idx, err, sizeof err), ==, 0);
	if (!idx)
		return;
	CHECK_INT(rec_index_get(idx, "rec00777", &got), ==, 0);
	CHECK_INT(got.ino, ==, ino_777);
	CHECK_INT(rec_index_get_ino(idx, ino_777, &got), ==, 0);
	CHECK_STR(got.id, "rec00777");
	rec_index_close(idx);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/amphi-index-test.%d", (int)getpid());
	RUN(names);
	RUN(put_get_views);
	RUN(bad_names_refused);
	RUN(expiry_hides_and_hold_keeps);
	RUN(tombstone_then_purge);
	RUN(purge_leaves_no_secondary_key);
	RUN(audit_is_appended);
	RUN(map_grows_and_survives_reopen);
	char cmd[96];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	return harness_done();
}
