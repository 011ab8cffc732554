/* registrations: see registrations.h. */
#include "control/registrations.h"
#include "control/auth.h"
#include "control/consent.h"
#include "control/control.h"
#include "control/db.h"
#include "control/erasure.h"
#include "control/forms.h"
#include "control/http.h"
#include "control/mail.h"
#include "control/tokens.h"
#include "control/webinar.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A public webinar id that does not exist and one that does must look alike. */
static int load_open(struct http_req *req, struct webinar *w)
{
	int64_t id;

	if (http_param_id(req, "id", &id) || webinar_load(req->db, id, w)) {
		http_error(req, 404, "not_found", "no such webinar");
		return -ENOENT;
	}
	if (strcmp(w->state, "ended") == 0) {
		http_error(req, 410, "ended", "the webinar has ended");
		return -EPIPE;
	}
	return 0;
}

/* The join mail to the registration's address: the link to the watch page
 * carries the token in its fragment (a browser never sends a fragment, so
 * the token stays out of access logs and Referer headers); scripts read the
 * X-Amphi-Join-Token header.  The text is wiped once handed to mail.c. */
static int join_mail(struct http_req *req, const struct webinar *w, const char *email, const struct token_issued *t)
{
	struct control *app = req->app;
	char when[32], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return -ENOMEM;
	mail_head(f, app->mail, email, "Your link to the webinar", "join");
	/* what mail_outbox_forget finds it by when the webinar's registrants go */
	fprintf(f, "X-Amphi-Webinar: %lld\r\n", (long long)w->id);
	fprintf(f, "X-Amphi-Join-Token: %s\r\n"
	           "\r\n"
	           "This address was registered for a webinar. Your personal link to it,\r\n"
	           "valid until %s:\r\n"
	           "\r\n"
	           "  %s/watch/%lld#token=%s\r\n"
	           "\r\n"
	           "Keep it to yourself: whoever opens it takes part under your name.\r\n"
	           "If you did not register, ignore this message.\r\n",
	        t->text,
	        amphi_time_iso(t->expires_at, when, sizeof when), auth_public_origin(req), (long long)w->id, t->text);
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	rc = mail_send(app->mail, email, "join", text, len);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

/* New or known, the answer is the same (202) and the join link goes to the
 * registration's address: whoever types someone's email learns nothing and
 * gets no token that would speak under that person's name. */
static void registration_create(struct http_req *req)
{
	json_t *errors = json_array();
	struct registration_form f;
	struct token_issued t;
	struct webinar w;
	int64_t reg, now = amphi_now();
	const char *to;
	char *stored = NULL, version[CONSENT_VERSION_CHARS + 1];
	bool again, restricted;

	if (load_open(req, &w)) {
		json_decref(errors);
		return;
	}
	if (forms_registration_parse(req->json, &f, errors)) {
		webinar_invalid(req, errors);
		return;
	}
	json_decref(errors);
	/* The consent recorded is the text the client showed: one it did not
	 * show (the policy changed since) is not agreed to. */
	if (consent_current(&req->app->retention, w.recording, version)) {
		http_error(req, 500, "internal", "out of memory");
		return;
	}
	if (f.consent_version && strcmp(f.consent_version, version) != 0) {
		http_error(req, 409, "consent_outdated", "the consent text changed: show the current one "
		           "(version %s, GET /api/webinars/%lld/consent) and ask again", version, (long long)w.id);
		return;
	}
	if (db_begin(req->db)) {
		http_error(req, 503, "busy", "the database is busy, try again");
		return;
	}
	/* registrations.email is COLLATE NOCASE: Zoe@x and zoe@x are one person. */
	reg = db_int(req->db, 0, "SELECT id FROM registrations WHERE webinar_id = ? AND email = ?", "is",
	             w.id, f.email);
	again = reg > 0;
	/* a restricted registration is kept, not used: no new token, no mail,
	 * and the same answer as any other (nobody learns it exists) */
	restricted = again && db_int(req->db, 0, "SELECT restricted_at IS NOT NULL FROM registrations WHERE id = ?",
	                             "i", reg);
	if (restricted) {
		db_commit(req->db);
		log_msg(LOG_INFO, "registered again, restricted: no mail", "webinar=%lld registration=%lld",
		        (long long)w.id, (long long)reg);
		http_json(req, 202, json_pack("{s:I,s:s}", "webinar_id", (json_int_t)w.id, "detail",
		                              "the join link was sent to the email address given"));
		return;
	}
	if (!again) {
		reg = db_insert(req->db, "INSERT INTO registrations (webinar_id, first_name, last_name, email, "
		                "job_title, organization, phone, consent_at, consent_version, age_declared, created_at) "
		                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
		                "issssssisi", w.id, f.first_name, f.last_name, f.email, f.job_title,
		                f.organization, f.phone, now, version, now);
	}
	if (reg <= 0 || tokens_issue(req->db, &w, "participant", reg, &t) || db_commit(req->db)) {
		db_rollback(req->db);
		sodium_memzero(&t, sizeof t);   /* a token of a rolled-back row: never shown */
		http_error(req, 500, "internal", "cannot store the registration");
		return;
	}
	/* The address as first stored ("ZOE@x" registering again writes to zoe@x). */
	to = f.email;
	if (again) {
		sqlite3_stmt *st = db_prepare(req->db, "SELECT email FROM registrations WHERE id = ?", "i", reg);

		if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			stored = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		to = stored;
	}
	int rc = to ? join_mail(req, &w, to, &t) : -ENOMEM;
	free(stored);
	sodium_memzero(&t, sizeof t);
	if (rc) {
		log_msg(LOG_ERROR, "cannot send the join mail", "webinar=%lld registration=%lld error=\"%s\"",
		        (long long)w.id, (long long)reg, strerror(-rc));
		http_error(req, 500, "internal", "the registration is stored but its mail could not be sent");
		return;
	}
	/* Ids only: the connection log has the rest (no personal data here). */
	log_msg(LOG_INFO, again ? "registered again" : "registered", "webinar=%lld registration=%lld",
	        (long long)w.id, (long long)reg);
	http_json(req, 202, json_pack("{s:I,s:s}", "webinar_id", (json_int_t)w.id, "detail",
	                              "the join link was sent to the email address given"));
}

static void registration_list(struct http_req *req)
{
	struct webinar w;
	sqlite3_stmt *st;
	json_t *list = json_array();
	char t[32];

	if (webinar_access(req, AUTH_ORGANIZER, &w)) {
		json_decref(list);
		return;
	}
	st = db_prepare(req->db, "SELECT id, first_name, last_name, email, job_title, organization, phone, "
	                "consent_at, created_at, consent_version, restricted_at FROM registrations "
	                "WHERE webinar_id = ? ORDER BY id", "i", w.id);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		json_t *o;

		if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
			/* restricted (GDPR art. 18): listed, its identity not shown */
			json_array_append_new(list, json_pack("{s:I,s:b}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			                                      "restricted", 1));
			continue;
		}
		o = db_row_json(st);
		json_object_del(o, "restricted_at");
		json_object_set_new(o, "consent_at", json_string(amphi_time_iso(sqlite3_column_int64(st, 7), t, sizeof t)));
		json_object_set_new(o, "created_at", json_string(amphi_time_iso(sqlite3_column_int64(st, 8), t, sizeof t)));
		json_array_append_new(list, o);
	}
	sqlite3_finalize(st);
	http_json(req, 200, json_pack("{s:o}", "registrations", list));
}

/* The consent text a registration agrees to, and its version. */
static void consent_get(struct http_req *req)
{
	char version[CONSENT_VERSION_CHARS + 1], *text;
	struct webinar w;
	size_t len;

	if (load_open(req, &w))
		return;
	if (!(text = consent_text(&req->app->retention, w.recording, &len))) {
		http_error(req, 500, "internal", "out of memory");
		return;
	}
	consent_version(text, len, version);
	http_json(req, 200, json_pack("{s:s,s:s%,s:i}", "version", version, "text", text, len,
	                              "minimum_age", CONSENT_MIN_AGE));
	free(text);
}

/* Withdrawal of consent (GDPR art. 7(3)), as easy as giving it: the join
 * token of the registration is enough.  The registration goes as in an
 * erasure (erasure_registration: what it said and did, its tokens, its
 * viewers on the relay, its join mails); what the connection-log rule keeps
 * (a legal obligation) is said in the receipt. */
static void registration_withdraw(struct http_req *req)
{
	struct control *app = req->app;
	struct erasure_counts c = { 0 };
	struct webinar w;
	int64_t reg, n_logs, last_log;
	char until[32];

	if (webinar_access(req, AUTH_PARTICIPANT | AUTH_ALLOW_RESTRICTED, &w))
		return;
	if (!(reg = req->principal.registration_id)) {
		http_error(req, 404, "not_found", "this token has no registration behind it (a public join)");
		return;
	}
	if (erasure_registration(app, req->db, reg, &req->principal, "registration.withdraw", &c)) {
		http_error(req, 500, "internal", "cannot delete the registration");
		return;
	}
	n_logs = db_int(req->db, 0, "SELECT COUNT(*) FROM connection_logs WHERE registration_id = ?", "i", reg);
	last_log = db_int(req->db, 0, "SELECT COALESCE(MAX(at), 0) FROM connection_logs WHERE registration_id = ?",
	                  "i", reg);
	log_msg(LOG_INFO, "registration withdrawn", "webinar=%lld registration=%lld", (long long)w.id,
	        (long long)reg);
	http_json(req, 200, json_pack("{s:{s:i,s:I,s:I,s:I,s:I,s:I,s:I},s:[{s:s,s:I,s:s,s:s}]}",
	          "deleted", "registration", 1, "tokens", (json_int_t)c.tokens, "chat_messages",
	          (json_int_t)c.chat_messages, "questions", (json_int_t)c.questions, "votes", (json_int_t)c.votes,
	          "outbox_mails", (json_int_t)c.outbox_mails, "relay_sessions", (json_int_t)c.relay_sessions,
	          "kept", "data", "connection log entries", "count", (json_int_t)n_logs,
	          "until", n_logs ? amphi_time_iso(retention_deadline(&app->retention, RETENTION_CONNECTION_LOGS,
	                                                              last_log), until, sizeof until) : "-",
	          "why", app->retention.rules[RETENTION_CONNECTION_LOGS].legal_basis));
}

static void public_join(struct http_req *req)
{
	struct token_issued t;
	struct webinar w;

	if (load_open(req, &w))
		return;
	if (strcmp(w.visibility, "public") != 0) {
		http_error(req, 403, "registration_required",
		           "this webinar is for registrants: POST /api/webinars/%lld/registrations", (long long)w.id);
		return;
	}
	if (json_object_size(req->json) != 0) {
		http_error(req, 422, "invalid", "a public join takes no fields: no personal data is asked");
		return;
	}
	if (tokens_issue(req->db, &w, "participant", 0, &t)) {
		http_error(req, 500, "internal", "cannot issue a token");
		return;
	}
	tokens_answer(req, 201, &w, "participant", 0, &t);
}

int registrations_routes(struct http_router *r, struct control *app)
{
	int rc = 0;

	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/registrations", registration_create, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}/registrations", registration_list, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/join", public_join, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}/consent", consent_get, app, 0);
	rc = rc ? rc : http_route(r, "DELETE", "/api/webinars/{id}/registration", registration_withdraw, app, 0);
	return rc;
}
