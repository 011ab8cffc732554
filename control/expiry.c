/* expiry: see expiry.h. */
#include "control/expiry.h"
#include "control/audit.h"
#include "control/auth.h"
#include "control/control.h"
#include "control/db.h"
#include "control/mail.h"
#include "control/recordings.h"
#include "control/webinar.h"
#include "control/webinars.h"
#include "common/clock.h"
#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ACCOUNTS_PAGE 64

static void first_error(int *rc, int r)
{
	if (r < 0 && *rc == 0)
		*rc = r;
}

/* DELETE with one time bound; rows deleted or -errno. */
static int delete_before(sqlite3 *db, const char *sql, int64_t cutoff)
{
	return cutoff == INT64_MIN ? 0 : db_exec(db, sql, "i", cutoff);
}

/* The account's address (malloc'd), NULL when none. */
static char *account_email(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT email FROM accounts WHERE id = ?", "i", id);
	char *email = NULL;

	if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		email = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return email;
}

/* The ids of the account's webinars (malloc'd, *n of them; NULL when none
 * or out of memory). */
static int64_t *account_webinars(sqlite3 *db, int64_t id, int *n)
{
	int cap = (int)db_int(db, 0, "SELECT count(*) FROM webinars WHERE organizer_id = ?", "i", id);
	int64_t *ids = cap > 0 ? calloc((size_t)cap, sizeof *ids) : NULL;
	sqlite3_stmt *st;

	*n = 0;
	if (!ids)
		return NULL;
	st = db_prepare(db, "SELECT id FROM webinars WHERE organizer_id = ?", "i", id);
	while (st && *n < cap && sqlite3_step(st) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return ids;
}

/* COUNT(*) of sql with the account id, for the receipt. */
static int64_t count_of(sqlite3 *db, const char *sql, int64_t id)
{
	return db_int(db, 0, sql, "i", id);
}

int expiry_account_delete(struct control *app, sqlite3 *db, int64_t id, int64_t now,
                          const struct auth_principal *actor, const char *action, const char *rule,
                          struct expiry_erased *out)
{
	struct expiry_erased none = { 0 }, *e = out ? out : &none;
	int64_t live[64];
	int n = 0, r, recs, mails, n_webinars;
	int64_t *webinars;
	int64_t votes;
	char *email, voter[32];
	sqlite3_stmt *st;

	if (!db_int(db, 0, "SELECT count(*) FROM accounts WHERE id = ?", "i", id))
		return -ENOENT;
	/* Its unended webinars end first, as their organizer would end them:
	 * the relay stream, the WebRTC sessions and the SSE channels go. */
	st = db_prepare(db, "SELECT id FROM webinars WHERE organizer_id = ? AND state = 'live' LIMIT 64", "i", id);
	while (st && n < 64 && sqlite3_step(st) == SQLITE_ROW)
		live[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++) {
		struct webinar w;
		char err[256];
		int purged;

		if (webinar_load(db, live[i], &w) == 0 && webinars_end(app, db, &w, now, &purged, err, sizeof err) == 0)
			e->webinars_ended++;
	}
	/* Its recordings go through the store first: the link that says whose
	 * they are would not survive the account's row. */
	recs = recordings_account_delete(app, db, id, rule ? "the organizer's account expired"
	                                                   : "the organizer's account was deleted",
	                                 e->recordings_deleted, e->recordings_held);
	if (recs < 0) {
		log_msg(LOG_WARN, "account kept: its recordings cannot be deleted now", "account=%" PRId64 " err=%d",
		        id, recs);
		return recs;
	}
	email = account_email(db, id);
	webinars = account_webinars(db, id, &n_webinars);
	if (db_begin(db)) {
		free(email);
		free(webinars);
		return -EIO;
	}
	/* What the foreign keys take with the row, counted first. */
	e->sessions = count_of(db, "SELECT count(*) FROM sessions WHERE account_id = ?", id);
	e->reset_tokens = count_of(db, "SELECT count(*) FROM reset_tokens WHERE account_id = ?", id);
	e->webinars = count_of(db, "SELECT count(*) FROM webinars WHERE organizer_id = ?", id);
	e->registrations = count_of(db, "SELECT count(*) FROM registrations WHERE webinar_id IN "
	                                "(SELECT id FROM webinars WHERE organizer_id = ?)", id);
	e->tokens = count_of(db, "SELECT count(*) FROM tokens WHERE webinar_id IN "
	                         "(SELECT id FROM webinars WHERE organizer_id = ?)", id);
	e->chat_messages = count_of(db, "SELECT count(*) FROM chat_messages WHERE account_id = ? OR webinar_id IN "
	                                "(SELECT id FROM webinars WHERE organizer_id = ?1)", id);
	e->questions = count_of(db, "SELECT count(*) FROM questions WHERE account_id = ? OR webinar_id IN "
	                            "(SELECT id FROM webinars WHERE organizer_id = ?1)", id);
	/* The account's own votes name it by id in text ('a:<id>'), with no
	 * foreign key: they go here, and a question's stored count with them. */
	snprintf(voter, sizeof voter, "a:%" PRId64, id);
	votes = db_exec(db, "UPDATE questions SET upvotes = upvotes - 1 WHERE id IN "
	                    "(SELECT question_id FROM question_votes WHERE voter = ?)", "s", voter);
	if (votes >= 0)
		votes = db_exec(db, "DELETE FROM question_votes WHERE voter = ?", "s", voter);
	if (votes >= 0) {
		int64_t p = db_exec(db, "DELETE FROM poll_votes WHERE voter = ?", "s", voter);
		votes = p < 0 ? p : votes + p;
	}
	/* the messages it wrote elsewhere would keep its display name */
	if (votes >= 0 && db_exec(db, "DELETE FROM chat_messages WHERE account_id = ?", "i", id) >= 0 &&
	    db_exec(db, "DELETE FROM questions WHERE account_id = ?", "i", id) >= 0)
		r = db_exec(db, "DELETE FROM accounts WHERE id = ?", "i", id);
	else
		r = -EIO;
	e->votes = votes;
	if (r != 1 || audit_log(db, actor, action, "account", id, rule ? json_pack("{s:s}", "rule", rule) : NULL) ||
	    db_commit(db)) {
		db_rollback(db);
		free(email);
		free(webinars);
		return -EIO;
	}
	/* the mails to its address (reset links, warnings) leave the outbox with
	 * it, and the join mails of its webinars' registrants with the webinars */
	mails = mail_outbox_forget(app->outbox, email, 0);
	for (int i = 0; i < n_webinars && mails >= 0; i++) {
		r = mail_outbox_forget(app->outbox, NULL, webinars[i]);
		mails = r < 0 ? r : mails + r;
	}
	free(email);
	free(webinars);
	e->outbox_mails = mails > 0 ? mails : 0;
	e->recordings = recs;
	log_msg(LOG_INFO, "account deleted", "account=%" PRId64 " rule=%s recordings=%d outbox_mails=%d", id,
	        rule ? rule : "-", recs, mails > 0 ? mails : 0);
	return 0;
}

/* The warning of [account_inactive]: one mail through mail.c (SMTP or the
 * outbox), naming the day of the deletion. */
static int warn_mail(struct control *app, const char *email, int64_t deadline)
{
	char when[32], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return -ENOMEM;
	mail_head(f, app->mail, email, "Your amphi account will be deleted", "inactive");
	fprintf(f, "X-Amphi-Deletion: %s\r\n"
	           "\r\n"
	           "Nobody has logged in to this amphi account for a long time.\r\n"
	           "Under the service's privacy policy it will be deleted, with its webinars,\r\n"
	           "on %s.\r\n"
	           "\r\n"
	           "To keep it, log in before then.\r\n",
	        amphi_time_iso(deadline, when, sizeof when), when);
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	rc = mail_send(app->mail, email, "inactive", text, len);
	free(text);
	return rc;
}

/* Whether id is the only active administrator left. */
static bool last_admin(sqlite3 *db, int64_t id)
{
	return db_int(db, 0, "SELECT count(*) FROM accounts WHERE role = 'admin' AND id != ? "
	                     "AND suspended_at IS NULL AND deactivated_at IS NULL", "i", id) == 0;
}

/* An account row as the account rules need it; 0 for a NULL time. */
struct account_row {
	int64_t id, last;   /* last: the last login, else the creation */
	int64_t suspended_at, deactivated_at, warned_at;
	bool admin;
};

/* One account against the three account rules: deleted, warned, or left. */
static int account_check(struct control *app, sqlite3 *db, const struct account_row *a, int64_t now,
                         struct expiry_counts *c)
{
	const struct retention *ret = &app->retention;
	int64_t deadline;
	int r;

	if (a->deactivated_at) {
		if (retention_deadline(ret, RETENTION_ACCOUNT_DEACTIVATED, a->deactivated_at) > now)
			return 0;
		r = expiry_account_delete(app, db, a->id, now, NULL, "account.expire", "account_deactivated", NULL);
		c->accounts += r == 0;
		return r;
	}
	if (a->suspended_at) {
		if (retention_deadline(ret, RETENTION_ACCOUNT_SUSPENDED, a->suspended_at) > now)
			return 0;
		r = expiry_account_delete(app, db, a->id, now, NULL, "account.expire", "account_suspended", NULL);
		c->accounts += r == 0;
		return r;
	}
	deadline = retention_deadline(ret, RETENTION_ACCOUNT_INACTIVE, a->last);
	if (deadline == INT64_MAX)
		return 0;
	if (!a->warned_at || a->warned_at < a->last) {
		char email[256];
		sqlite3_stmt *st;

		if (duration_sub(deadline, &ret->warn_before) > now)
			return 0;
		/* The person gets warn_before from now, whatever the deadline said:
		 * a daemon that was down must not delete without notice. */
		if (duration_add(now, &ret->warn_before) > deadline)
			deadline = duration_add(now, &ret->warn_before);
		st = db_prepare(db, "SELECT email FROM accounts WHERE id = ?", "i", a->id);
		if (!st || sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			return -EIO;
		}
		snprintf(email, sizeof email, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		r = warn_mail(app, email, deadline);
		if (r == 0)
			r = db_exec(db, "UPDATE accounts SET inactive_warned_at = ? WHERE id = ?", "ii", now, a->id);
		if (r < 0)
			return r;
		c->warned++;
		log_msg(LOG_INFO, "inactive account warned", "account=%" PRId64, a->id);
		return 0;
	}
	if (deadline > now || duration_add(a->warned_at, &ret->warn_before) > now)
		return 0;
	if (a->admin && last_admin(db, a->id)) {
		log_msg(LOG_WARN, "inactive account kept: it is the last administrator", "account=%" PRId64, a->id);
		return 0;
	}
	r = expiry_account_delete(app, db, a->id, now, NULL, "account.expire", "account_inactive", NULL);
	c->accounts += r == 0;
	return r;
}

static int accounts_expire(struct control *app, sqlite3 *db, int64_t now, struct expiry_counts *c)
{
	struct account_row rows[ACCOUNTS_PAGE];
	int64_t after = 0;
	int n, rc = 0;

	/* A page at a time, read first, so no statement stays open while an
	 * account is deleted. */
	do {
		sqlite3_stmt *st = db_prepare(db, "SELECT id, role = 'admin', coalesce(last_login_at, created_at), "
		                              "coalesce(suspended_at, 0), coalesce(deactivated_at, 0), "
		                              "coalesce(inactive_warned_at, 0) FROM accounts WHERE id > ? AND restricted_at IS NULL "
		                              "ORDER BY id LIMIT ?", "ii", after, (int64_t)ACCOUNTS_PAGE);
		if (!st)
			return -EIO;
		for (n = 0; n < ACCOUNTS_PAGE && sqlite3_step(st) == SQLITE_ROW; n++) {
			struct account_row *a = &rows[n];

			a->id = sqlite3_column_int64(st, 0);
			a->admin = sqlite3_column_int(st, 1) != 0;
			a->last = sqlite3_column_int64(st, 2);
			a->suspended_at = sqlite3_column_int64(st, 3);
			a->deactivated_at = sqlite3_column_int64(st, 4);
			a->warned_at = sqlite3_column_int64(st, 5);
		}
		sqlite3_finalize(st);
		for (int i = 0; i < n; i++)
			first_error(&rc, account_check(app, db, &rows[i], now, c));
		if (n)
			after = rows[n - 1].id;
	} while (n == ACCOUNTS_PAGE);
	return rc;
}

/* Outbox files are <ns>-<kind>.eml, ns the (shifted) time they were written. */
static int outbox_expire(struct control *app, int64_t now, struct expiry_counts *c)
{
	int64_t cutoff = retention_cutoff(&app->retention, RETENTION_OUTBOX_MAIL, now);
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (!app->outbox || cutoff == INT64_MIN)
		return 0;
	d = opendir(app->outbox);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char *end, path[4096];
		long long ns = strtoll(e->d_name, &end, 10);
		size_t len = strlen(e->d_name);

		if (end == e->d_name || *end != '-' || len < 5 || strcmp(e->d_name + len - 4, ".eml") != 0 ||
		    ns / 1000000000LL > cutoff)
			continue;
		snprintf(path, sizeof path, "%s/%s", app->outbox, e->d_name);
		if (unlink(path) == 0)
			c->outbox++;
		else if (errno != ENOENT)
			first_error(&rc, -errno);
	}
	closedir(d);
	return rc;
}

int expiry_run(struct control *app, sqlite3 *db, int64_t now, struct expiry_counts *c)
{
	const struct retention *ret = &app->retention;
	const struct auth_config *ac = auth_config();
	int rc = 0, r;

	memset(c, 0, sizeof *c);
	first_error(&rc, accounts_expire(app, db, now, c));
	r = delete_before(db, "DELETE FROM connection_logs WHERE at <= ?",
	                  retention_cutoff(ret, RETENTION_CONNECTION_LOGS, now));
	c->connection_logs = r > 0 ? r : 0;
	first_error(&rc, r);
	r = delete_before(db, "DELETE FROM access_logs WHERE at <= ?",
	                  retention_cutoff(ret, RETENTION_ACCESS_LOGS, now));
	c->access_logs = r > 0 ? r : 0;
	first_error(&rc, r);
	r = delete_before(db, "DELETE FROM audit WHERE at <= ?", retention_cutoff(ret, RETENTION_AUDIT_LOG, now));
	c->audit = r > 0 ? r : 0;
	first_error(&rc, r);
	r = delete_before(db, "DELETE FROM privacy_requests WHERE received_at <= ?",
	                  retention_cutoff(ret, RETENTION_PRIVACY_REQUESTS, now));
	c->privacy_requests = r > 0 ? r : 0;
	first_error(&rc, r);
	/* A token is dead once used or expired (its expiry was set from
	 * [password_reset_tokens] when it was made). */
	r = db_exec(db, "DELETE FROM reset_tokens WHERE expires_at <= ? OR used_at IS NOT NULL", "i", now);
	c->reset_tokens = r > 0 ? r : 0;
	first_error(&rc, r);
	/* auth.c refuses these already; the rows go too. */
	r = db_exec(db, "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?", "ii",
	            now - ac->session_idle_s, now - ac->session_absolute_s);
	c->sessions = r > 0 ? r : 0;
	first_error(&rc, r);
	first_error(&rc, outbox_expire(app, now, c));
	return rc;
}
