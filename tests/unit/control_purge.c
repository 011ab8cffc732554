/* The end-of-webinar deletions (webinars_purge) on a real SQLite database
 * with the real schema: each kind of data goes exactly when its retention
 * period after the end is over, never before, and never for a webinar that
 * has not ended. */
#include "tests/harness.h"
#include "control/control.h"
#include "control/db.h"
#include "control/webinars.h"
#include "common/log.h"

#include <unistd.h>

#define T0 1800000000LL   /* the end of the ended webinar */

static struct control app;
static sqlite3 *c;

static int64_t count(const char *sql)
{
	return db_int(c, -1, sql, "");
}

/* A webinar with one of everything: chat, question + upvote, poll + vote,
 * a registration with a phone number. */
static int64_t webinar(const char *state, int64_t ended_at)
{
	int64_t w = db_insert(c, "INSERT INTO webinars (organizer_id, title, starts_at, state, created_at, "
	                      "updated_at, ended_at) VALUES (1, 't', ?, ?, ?, ?, NULLIF(?, 0))", "isiii",
	                      T0 - 7200, state, T0 - 86400, T0, ended_at);
	int64_t r = db_insert(c, "INSERT INTO registrations (webinar_id, first_name, last_name, email, job_title, "
	                      "organization, phone, consent_at, created_at) VALUES (?, 'Z', 'M', ?, 'j', 'o', "
	                      "'+33 1 23 45 67 89', ?, ?)", "isii", w, state, T0 - 86400, T0 - 86400);
	int64_t q, p;

	db_insert(c, "INSERT INTO chat_messages (webinar_id, registration_id, author, body, created_at) "
	          "VALUES (?, ?, 'Z M.', 'hello', ?)", "iii", w, r, T0 - 3600);
	q = db_insert(c, "INSERT INTO questions (webinar_id, registration_id, author, body, created_at) "
	              "VALUES (?, ?, 'Z M.', 'why?', ?)", "iii", w, r, T0 - 3600);
	db_insert(c, "INSERT INTO question_votes (question_id, voter, created_at) VALUES (?, 'r:1', ?)", "ii", q, T0);
	p = db_insert(c, "INSERT INTO polls (webinar_id, question, options, created_at) VALUES (?, 'q', "
	              "'[\"a\",\"b\"]', ?)", "ii", w, T0 - 3600);
	db_insert(c, "INSERT INTO poll_votes (poll_id, voter, option, created_at) VALUES (?, 'r:1', 0, ?)", "ii", p, T0);
	return w;
}

TEST(purge_follows_each_period)
{
	int64_t ended = webinar("ended", T0), live = webinar("live", 0);
	char sql[256];

	CHECK(ended > 0 && live > 0);
	/* [interaction] 1h, [participant_phone] 0 (the shipped default),
	 * [participant_identity] 2h. */
	CHECK_INT(duration_parse("1h", &app.retention.rules[RETENTION_INTERACTION].keep), ==, 0);
	CHECK_INT(duration_parse("0", &app.retention.rules[RETENTION_PARTICIPANT_PHONE].keep), ==, 0);
	CHECK_INT(duration_parse("2h", &app.retention.rules[RETENTION_PARTICIPANT_IDENTITY].keep), ==, 0);

	CHECK_INT(webinars_purge(c, &app, T0), ==, 1);   /* the phone number only */
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM registrations WHERE webinar_id = %lld AND phone IS NULL",
	         (long long)ended);
	CHECK_INT(count(sql), ==, 1);
	CHECK_INT(count("SELECT COUNT(*) FROM chat_messages"), ==, 2);
	CHECK_INT(webinars_purge(c, &app, T0 + 3599), ==, 0);
	CHECK_INT(count("SELECT COUNT(*) FROM chat_messages"), ==, 2);

	/* One hour after the end: chat, the question (its upvote cascades)
	 * and the poll (its vote cascades) of the ended webinar go. */
	CHECK_INT(webinars_purge(c, &app, T0 + 3600), ==, 3);
	snprintf(sql, sizeof sql, "SELECT (SELECT COUNT(*) FROM chat_messages WHERE webinar_id = %lld) + "
	         "(SELECT COUNT(*) FROM questions WHERE webinar_id = %lld) + "
	         "(SELECT COUNT(*) FROM polls WHERE webinar_id = %lld)", (long long)ended, (long long)ended,
	         (long long)ended);
	CHECK_INT(count(sql), ==, 0);
	CHECK_INT(count("SELECT COUNT(*) FROM question_votes"), ==, 1);   /* the live webinar's */
	CHECK_INT(count("SELECT COUNT(*) FROM poll_votes"), ==, 1);

	/* The live webinar keeps everything, however late it is. */
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM registrations WHERE webinar_id = %lld AND phone IS NOT NULL",
	         (long long)live);
	CHECK_INT(count(sql), ==, 1);
	CHECK_INT(webinars_purge(c, &app, T0 + 100 * 86400), ==, 1);   /* the ended one's identity */
	CHECK_INT(count("SELECT COUNT(*) FROM chat_messages"), ==, 1);
	/* Two hours after the end: the ended webinar's registrant loses every
	 * identity column, the row (consent time, tokens) stays. */
	CHECK_INT(count("SELECT COUNT(*) FROM registrations WHERE first_name IS NOT NULL"), ==, 1);
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM registrations WHERE webinar_id = %lld AND first_name IS NULL "
	         "AND last_name IS NULL AND email IS NULL AND job_title IS NULL AND organization IS NULL "
	         "AND identity_erased_at = %lld", (long long)ended, T0 + 100 * 86400LL);
	CHECK_INT(count(sql), ==, 1);
}

/* [participant_identity] 0: gone at the end itself, unless the recording is
 * published for replay (then it goes with the recording, not here). */
TEST(identity_kept_with_a_published_replay)
{
	int64_t plain = webinar("ended", T0 + 10), replay = webinar("ended", T0 + 10);
	char sql[256];

	CHECK_INT(duration_parse("0", &app.retention.rules[RETENTION_PARTICIPANT_IDENTITY].keep), ==, 0);
	CHECK_INT(db_exec(c, "UPDATE webinars SET replay_published_at = ? WHERE id = ?", "ii", T0, replay), ==, 1);
	CHECK_INT(webinars_purge(c, &app, T0 + 9), ==, 0);   /* neither has ended yet at T0 + 9 */
	CHECK(webinars_purge(c, &app, T0 + 10) > 0);
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM registrations WHERE webinar_id = %lld AND email IS NULL "
	         "AND phone IS NULL", (long long)plain);
	CHECK_INT(count(sql), ==, 1);
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM registrations WHERE webinar_id = %lld AND email IS NOT NULL "
	         "AND first_name = 'Z' AND identity_erased_at IS NULL AND phone IS NULL", (long long)replay);
	CHECK_INT(count(sql), ==, 1);
	/* Much later the replay's chat is gone ([interaction] 1h), its
	 * identity still there; a second sweep then has nothing left to do. */
	CHECK(webinars_purge(c, &app, T0 + 100 * 86400) > 0);
	CHECK_INT(count(sql), ==, 1);
	CHECK_INT(webinars_purge(c, &app, T0 + 100 * 86400), ==, 0);
}

int main(void)
{
	char path[64], err[256];

	log_init("test");
	snprintf(path, sizeof path, "/tmp/amphi-purge-%d.db", (int)getpid());
	app.db = db_open(path, 1, err, sizeof err);
	if (!app.db)
		SKIP("cannot open %s: %s", path, err);
	c = db_acquire(app.db);
	db_exec(c, "INSERT INTO accounts (id, email, role, password_hash, created_at, updated_at) "
	        "VALUES (1, 'o@example.org', 'organizer', 'x', 0, 0)", "");
	RUN(purge_follows_each_period);
	RUN(identity_kept_with_a_published_replay);
	db_release(app.db, c);
	db_close(app.db);
	unlink(path);
	for (const char *sfx = "-wal"; sfx; sfx = sfx[1] == 'w' ? "-shm" : NULL) {
		char p2[80];
		snprintf(p2, sizeof p2, "%s%s", path, sfx);
		unlink(p2);
	}
	return harness_done();
}
