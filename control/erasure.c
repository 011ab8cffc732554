/* erasure: see erasure.h. */
#include "control/erasure.h"
#include "control/audit.h"
#include "control/auth.h"
#include "control/control.h"
#include "control/db.h"
#include "control/expiry.h"
#include "control/http.h"
#include "control/mail.h"
#include "control/privacy_requests.h"
#include "control/sdes_view.h"
#include "control/subject.h"
#include "control/whip.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG_TOKENS_MAX 64   /* a registration's tokens cut on the relay (one per join mail) */

/* The tokens of registration reg, newest first (at most REG_TOKENS_MAX). */
static int reg_tokens(sqlite3 *db, int64_t reg, int64_t tokens[REG_TOKENS_MAX])
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM tokens WHERE registration_id = ? ORDER BY id DESC", "i", reg);
	int n = 0;

	while (st && n < REG_TOKENS_MAX && sqlite3_step(st) == SQLITE_ROW)
		tokens[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int cut_tokens(struct control *app, const int64_t *tokens, int n)
{
	int cut = 0;

	for (int i = 0; i < n; i++)
		cut += whip_token_ended(app->whip, tokens[i]) + sdes_view_token_ended(app->sdes_view, tokens[i]);
	return cut;
}

int erasure_registration_cut(struct control *app, sqlite3 *db, int64_t reg)
{
	int64_t tokens[REG_TOKENS_MAX];

	return cut_tokens(app, tokens, reg_tokens(db, reg, tokens));
}

int erasure_registration(struct control *app, sqlite3 *db, int64_t reg, const struct auth_principal *actor,
                         const char *action, struct erasure_counts *c)
{
	int64_t tokens[REG_TOKENS_MAX], n_chat, n_questions, n_votes, webinar;
	char voter[32], *email = NULL;
	int n_tokens, n_mails, cut;
	sqlite3_stmt *st;

	snprintf(voter, sizeof voter, "r:%" PRId64, reg);
	if (db_begin(db))
		return -EIO;
	st = db_prepare(db, "SELECT email, webinar_id FROM registrations WHERE id = ?", "i", reg);
	if (!st || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		db_rollback(db);
		return -ENOENT;
	}
	if (sqlite3_column_text(st, 0))
		email = strdup((const char *)sqlite3_column_text(st, 0));
	webinar = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	n_tokens = reg_tokens(db, reg, tokens);
	c->tokens += db_int(db, 0, "SELECT COUNT(*) FROM tokens WHERE registration_id = ?", "i", reg);
	n_chat = db_exec(db, "DELETE FROM chat_messages WHERE registration_id = ?", "i", reg);
	/* a question's upvotes are a stored count: the person's votes leave it too */
	if (n_chat >= 0 && db_exec(db, "UPDATE questions SET upvotes = upvotes - 1 WHERE id IN "
	                           "(SELECT question_id FROM question_votes WHERE voter = ?)", "s", voter) < 0)
		n_chat = -EIO;
	n_questions = db_exec(db, "DELETE FROM questions WHERE registration_id = ?", "i", reg);
	n_votes = db_exec(db, "DELETE FROM question_votes WHERE voter = ?", "s", voter);
	if (n_votes >= 0) {
		int64_t p = db_exec(db, "DELETE FROM poll_votes WHERE voter = ?", "s", voter);
		n_votes = p < 0 ? p : n_votes + p;
	}
	if (n_chat < 0 || n_questions < 0 || n_votes < 0 ||
	    db_exec(db, "DELETE FROM registrations WHERE id = ?", "i", reg) != 1 ||
	    audit_log(db, actor, action, "registration", reg,
	              json_pack("{s:I,s:I,s:I}", "chat_messages", (json_int_t)n_chat, "questions",
	                        (json_int_t)n_questions, "votes", (json_int_t)n_votes)) ||
	    db_commit(db)) {
		db_rollback(db);
		free(email);
		return -EIO;
	}
	/* its viewers leave the relay now, not at the sessions' next sweep */
	cut = cut_tokens(app, tokens, n_tokens);
	/* its join mails too: the outbox is no place to keep the address */
	n_mails = email ? mail_outbox_forget(app->outbox, email, webinar) : 0;
	free(email);
	c->registrations++;
	c->chat_messages += n_chat;
	c->questions += n_questions;
	c->votes += n_votes;
	c->outbox_mails += n_mails > 0 ? n_mails : 0;
	c->relay_sessions += cut;
	log_msg(LOG_INFO, "registration erased", "registration=%" PRId64 " action=%s relay_sessions=%d", reg, action,
	        cut);
	return 0;
}

/* One entry of the receipt's "kept": what, where, how many, until when
 * (ISO 8601), and the rule's legal basis. */
static void kept_add(json_t *kept, struct control *app, const char *data, int64_t count,
                     enum retention_kind rule, int64_t since)
{
	char until[32];

	if (!count)
		return;
	json_array_append_new(kept, json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "data", data, "daemon", "amphi-control",
	                      "count", (json_int_t)count, "until",
	                      amphi_time_iso(retention_deadline(&app->retention, rule, since), until, sizeof until),
	                      "rule", retention_kind_name(rule), "why", app->retention.rules[rule].legal_basis));
}

/* The log entries keyed by the ids in the JSON array ids (text) in column
 * col ("account_id" or "registration_id"): kept for their own period, from
 * the newest. */
static void kept_logs(json_t *kept, struct control *app, sqlite3 *db, const char *col, const char *ids)
{
	static const struct {
		const char *table, *what;
		enum retention_kind rule;
	} logs[] = {
		{ "connection_logs", "connection log entries (time, event, IP address)", RETENTION_CONNECTION_LOGS },
		{ "access_logs", "access log entries (time, request, IP address)", RETENTION_ACCESS_LOGS },
	};
	char sql[256];

	for (size_t i = 0; i < sizeof logs / sizeof *logs; i++) {
		snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE %s IN (SELECT value FROM json_each(?))",
		         logs[i].table, col);
		int64_t n = db_int(db, 0, sql, "s", ids);
		snprintf(sql, sizeof sql, "SELECT COALESCE(MAX(at), 0) FROM %s WHERE %s IN "
		                          "(SELECT value FROM json_each(?))", logs[i].table, col);
		kept_add(kept, app, logs[i].what, n, logs[i].rule, db_int(db, 0, sql, "s", ids));
	}
}

/* Privacy-request records naming the address (the register of requests
 * received by mail or letter): 5 years from their receipt. */
static void kept_requests(json_t *kept, struct control *app, sqlite3 *db, const char *email)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT requester, received_at FROM privacy_requests", "");
	int64_t n = 0, last = 0;

	while (st && sqlite3_step(st) == SQLITE_ROW)
		if (privacy_requests_names_address((const char *)sqlite3_column_text(st, 0), email)) {
			n++;
			if (sqlite3_column_int64(st, 1) > last)
				last = sqlite3_column_int64(st, 1);
		}
	sqlite3_finalize(st);
	kept_add(kept, app, "privacy request records", n, RETENTION_PRIVACY_REQUESTS, last);
}

static void erase_account(struct http_req *req)
{
	struct control *app = req->app;
	int64_t id = req->principal.account_id, now = amphi_now();
	struct expiry_erased e = { .recordings_deleted = json_array(), .recordings_held = json_array() };
	json_t *kept = json_array(), *receipt;
	char email[256] = "", at[32], ids[32];
	sqlite3_stmt *st;
	size_t i;
	json_t *v;
	int r;

	if (req->principal.role == AUTH_ADMIN &&
	    !db_int(req->db, 0, "SELECT count(*) FROM accounts WHERE role = 'admin' AND id != ? AND "
	                        "suspended_at IS NULL AND deactivated_at IS NULL", "i", id)) {
		http_error(req, 409, "conflict", "the last active administrator cannot be erased");
		goto out;
	}
	st = db_prepare(req->db, "SELECT email FROM accounts WHERE id = ?", "i", id);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		snprintf(email, sizeof email, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	r = expiry_account_delete(app, req->db, id, now, &req->principal, "account.erase", NULL, &e);
	if (r == -EHOSTDOWN || r == -ETIMEDOUT || (r < 0 && r != -EIO && r != -ENOENT)) {
		http_error(req, 503, "recstore_unavailable",
		           "amphi-recstore cannot delete your recordings now, so your account was kept: "
		           "nothing else was erased; try again later");
		goto out;
	}
	if (r < 0) {
		http_error(req, 500, "internal", "cannot erase the account: nothing was erased; try again");
		goto out;
	}
	json_array_foreach(e.recordings_held, i, v)
		json_array_append_new(kept, json_pack("{s:s,s:s,s:O,s:s,s:s}", "data", "recording", "daemon",
		                      "amphi-recstore", "id", v, "until", "an administrator lifts its legal hold",
		                      "why", "legal hold: kept for a legal claim or an authority's request"));
	snprintf(ids, sizeof ids, "[%" PRId64 "]", id);
	kept_logs(kept, app, req->db, "account_id", ids);
	kept_add(kept, app, "audit entries naming the account's id (this erasure's among them)",
	         db_int(req->db, 0, "SELECT COUNT(*) FROM audit WHERE actor_id = ?1 OR "
	                            "(target_type = 'account' AND target_id = ?1)", "i", id),
	         RETENTION_AUDIT_LOG, now);
	kept_requests(kept, app, req->db, email);
	receipt = json_pack("{s:s,s:s,s:{s:{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i},s:{s:O},s:{s:i}},s:o}",
	                    "subject", "account", "erased_at", amphi_time_iso(now, at, sizeof at),
	                    "deleted",
	                    "amphi-control", "account", 1, "sessions", (json_int_t)e.sessions,
	                    "reset_tokens", (json_int_t)e.reset_tokens, "webinars", (json_int_t)e.webinars,
	                    "registrations", (json_int_t)e.registrations, "tokens", (json_int_t)e.tokens,
	                    "chat_messages", (json_int_t)e.chat_messages, "questions", (json_int_t)e.questions,
	                    "votes", (json_int_t)e.votes, "outbox_mails", e.outbox_mails,
	                    "amphi-recstore", "recordings", e.recordings_deleted,
	                    "amphi-relay", "webinars_ended", e.webinars_ended,
	                    "kept", kept);
	kept = NULL;
	/* the cookie of a session that no longer exists */
	auth_session_end(req);
	http_json(req, 200, receipt);
out:
	json_decref(kept);
	json_decref(e.recordings_deleted);
	json_decref(e.recordings_held);
}

/* Every registration of the address, each in its own transaction: a run cut
 * short leaves whole registrations, and the same request (with another of
 * the person's links if this one's registration went) finishes. */
static void erase_participant(struct http_req *req, const struct subject *who)
{
	struct control *app = req->app;
	struct erasure_counts c = { 0 };
	int64_t now = amphi_now();
	json_t *erased = json_array(), *kept = json_array();
	char at[32], *ids = NULL;
	sqlite3_stmt *st;
	int r = 0;

	st = db_prepare(req->db, "SELECT id FROM registrations WHERE email = ? ORDER BY id", "s", who->email);
	while (st && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(erased, json_integer(sqlite3_column_int64(st, 0)));
	sqlite3_finalize(st);
	for (size_t i = 0; i < json_array_size(erased) && (r == 0 || r == -ENOENT); i++)
		r = erasure_registration(app, req->db, json_integer_value(json_array_get(erased, i)), &req->principal,
		                         "registration.erase", &c);
	if (r && r != -ENOENT) {
		http_error(req, 500, "internal", "cannot erase every registration now (%lld done): try again",
		           (long long)c.registrations);
		goto out;
	}
	if (!(ids = json_dumps(erased, JSON_COMPACT))) {
		http_error(req, 500, "internal", "out of memory");
		goto out;
	}
	kept_logs(kept, app, req->db, "registration_id", ids);
	kept_add(kept, app, "audit entries of this erasure (by registration id, without the person)",
	         db_int(req->db, 0, "SELECT COUNT(*) FROM audit WHERE target_type = 'registration' AND target_id IN "
	                            "(SELECT value FROM json_each(?))", "s", ids),
	         RETENTION_AUDIT_LOG, now);
	kept_requests(kept, app, req->db, who->email);
	log_msg(LOG_INFO, "participant erased", "registrations=%lld relay_sessions=%lld", (long long)c.registrations,
	        (long long)c.relay_sessions);
	http_json(req, 200, json_pack("{s:s,s:s,s:{s:{s:I,s:I,s:I,s:I,s:I,s:I},s:{s:[]},s:{s:I}},s:O}",
	          "subject", "participant", "erased_at", amphi_time_iso(now, at, sizeof at),
	          "deleted",
	          "amphi-control", "registrations", (json_int_t)c.registrations, "tokens", (json_int_t)c.tokens,
	          "chat_messages", (json_int_t)c.chat_messages, "questions", (json_int_t)c.questions,
	          "votes", (json_int_t)c.votes, "outbox_mails", (json_int_t)c.outbox_mails,
	          "amphi-recstore", "recordings",
	          "amphi-relay", "sessions_ended", (json_int_t)c.relay_sessions,
	          "kept", kept));
out:
	free(ids);
	json_decref(erased);
	json_decref(kept);
}

static void erase_me(struct http_req *req)
{
	struct subject who;

	if (subject_from_request(req, &who))
		return;
	if (who.kind == SUBJECT_ACCOUNT)
		erase_account(req);
	else
		erase_participant(req, &who);
}

int erasure_routes(struct http_router *r, struct control *app)
{
	return http_route(r, "DELETE", "/api/me", erase_me, app, 0);
}
