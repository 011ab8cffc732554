/* export: see export.h. */
#include "control/export.h"
#include "control/accounts.h"
#include "control/audit.h"
#include "control/control.h"
#include "control/db.h"
#include "control/http.h"
#include "control/mail.h"
#include "control/recordings.h"
#include "control/recstore_client.h"
#include "control/sdes_view.h"
#include "control/subject.h"
#include "control/privacy_requests.h"
#include "control/whip.h"
#include "common/clock.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_FORMAT "amphi-export/1"

/* The registrations of the subject's address: every email-keyed section
 * selects through it (?2 is the address). */
#define REGS "(SELECT id FROM registrations WHERE email = ?2)"

/* An export being built: sections go into doc; the first failure stays. */
struct build {
	sqlite3 *db;
	json_t *doc;
	bool failed;
};

/* Column names whose integers are times (seconds since the epoch): shown as
 * ISO 8601 strings wherever a section has them. */
static const char *const time_columns[] = {
	"at", "created_at", "updated_at", "last_seen_at", "expires_at", "used_at", "revoked_at", "joined_at",
	"rated_at", "consent_at", "identity_erased_at", "starts_at", "started_at", "ended_at",
	"replay_published_at", "received_at", "due_at", "closed_at", "password_changed_at",
	"deactivated_at", "suspended_at", "inactive_warned_at", "webinar_starts_at", NULL,
};
/* Columns holding JSON text (audit details, request receipts): shown as JSON. */
static const char *const json_columns[] = { "detail", "receipt", NULL };

static void row_dress(json_t *o)
{
	char iso[32];

	for (int i = 0; time_columns[i]; i++) {
		json_t *v = json_object_get(o, time_columns[i]);
		if (json_is_integer(v))
			json_object_set_new(o, time_columns[i],
			                    json_string(amphi_time_iso(json_integer_value(v), iso, sizeof iso)));
	}
	for (int i = 0; json_columns[i]; i++) {
		json_t *v = json_object_get(o, json_columns[i]), *j;
		if (json_is_string(v) && (j = json_loads(json_string_value(v), 0, NULL)))
			json_object_set_new(o, json_columns[i], j);
	}
}

/* Steps st (may be NULL: a failed prepare) to the end into a new array of
 * dressed rows and finalizes it; NULL when a step failed. */
static json_t *rows(sqlite3_stmt *st)
{
	json_t *list = st ? json_array() : NULL;
	int rc = SQLITE_ERROR;

	while (list && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = db_row_json(st);
		row_dress(o);
		json_array_append_new(list, o);
	}
	sqlite3_finalize(st);
	if (list && rc != SQLITE_DONE) {
		json_decref(list);
		list = NULL;
	}
	return list;
}

/* Sets doc[key] to v (stolen); a NULL v marks the build failed. */
static void put(struct build *b, const char *key, json_t *v)
{
	if (!v)
		b->failed = true;
	else
		json_object_set_new(b->doc, key, v);
}

/* Moves the named members of o into a new object under key. */
static void nest(json_t *o, const char *key, const char *const names[], const char *const as[])
{
	json_t *n = json_object();

	for (int i = 0; names[i]; i++) {
		json_t *v = json_object_get(o, names[i]);
		json_object_set(n, as[i], v ? v : json_null());
		json_object_del(o, names[i]);
	}
	json_object_set_new(o, key, n);
}

/* The account's row: what GET /api/accounts/{id} shows and the rest of its
 * columns, except the password hash, which is named, not given. */
static json_t *account_section(sqlite3 *db, int64_t account)
{
	json_t *acc = accounts_json(db, account), *more;

	if (!acc)
		return NULL;
	more = rows(db_prepare(db, "SELECT password_changed_at, deactivated_at, suspended_at, inactive_warned_at, "
	                           "failed_logins, lock_count FROM accounts WHERE id = ?", "i", account));
	if (!more || json_array_size(more) != 1) {
		json_decref(more);
		json_decref(acc);
		return NULL;
	}
	json_object_update(acc, json_array_get(more, 0));
	json_decref(more);
	json_object_set_new(acc, "password", json_string("an Argon2id hash of it is held (not exported: it is not "
	                                                 "the password, and serves only to check it)"));
	return acc;
}

static void account_part(struct build *b, int64_t a)
{
	sqlite3 *db = b->db;

	put(b, "account", account_section(db, a));
	put(b, "sessions", rows(db_prepare(db, "SELECT id, created_at, last_seen_at FROM sessions "
	                                       "WHERE account_id = ? ORDER BY id", "i", a)));
	put(b, "password_reset_tokens", rows(db_prepare(db, "SELECT id, created_at, expires_at, used_at "
	                                                    "FROM reset_tokens WHERE account_id = ? ORDER BY id", "i", a)));
	put(b, "device_cookies", json_string("held by your browser only (cookie amphi_device, sent to /api/login "
	                                     "alone): a random nonce, its issue time and a signature; the server "
	                                     "keeps no row per cookie, only counts of failed logins under a keyed "
	                                     "hash of it, in memory, while a lock lasts"));
	put(b, "webinars_organized", rows(db_prepare(db, "SELECT id, title, description, starts_at, visibility, "
	                                                 "recording, video_codec, state, created_at, updated_at, started_at, "
	                                                 "ended_at, replay_published_at FROM webinars "
	                                                 "WHERE organizer_id = ? ORDER BY id", "i", a)));
}

/* Every registration of the address, its consent record nested. */
static json_t *registrations_section(sqlite3 *db, const char *email)
{
	static const char *const consent[] = { "consent_version", "consent_at", "age_declared", NULL };
	static const char *const consent_as[] = { "version", "given_at", "age_15_or_older_declared" };
	json_t *list = rows(db_prepare(db,
		"SELECT r.id, r.webinar_id, w.title AS webinar_title, w.starts_at AS webinar_starts_at, "
		"w.state AS webinar_state, r.first_name, r.last_name, r.email, r.job_title, r.organization, r.phone, "
		"r.created_at, r.consent_version, r.consent_at, r.age_declared, r.identity_erased_at "
		"FROM registrations r JOIN webinars w ON w.id = r.webinar_id WHERE r.email = ?2 ORDER BY r.id",
		"ns", email));
	json_t *o;
	size_t i;

	json_array_foreach(list, i, o) {
		char text[64];

		json_object_set_new(o, "age_declared", json_boolean(json_integer_value(json_object_get(o, "age_declared"))));
		nest(o, "consent", consent, consent_as);
		/* the text of a version is the one GET .../consent served while it was current */
		snprintf(text, sizeof text, "/api/webinars/%lld/consent",
		         (long long)json_integer_value(json_object_get(o, "webinar_id")));
		json_object_set_new(json_object_get(o, "consent"), "text", json_string(text));
	}
	return list;
}

/* Sections keyed by an account (a > 0), by the address's registrations
 * (email != NULL), or both: ?1 is the account, ?2 the address; requests is
 * the JSON array of the ids of the privacy requests naming the address. */
static void activity_part(struct build *b, int64_t a, const char *email, const char *requests)
{
	sqlite3 *db = b->db;

	put(b, "chat_messages", rows(db_prepare(db, "SELECT id, webinar_id, registration_id, author, body, created_at "
	                                            "FROM chat_messages WHERE account_id = ?1 OR registration_id IN " REGS
	                                            " ORDER BY id", "is", a, email)));
	put(b, "questions", rows(db_prepare(db, "SELECT id, webinar_id, registration_id, author, body, upvotes, "
	                                        "answered, created_at FROM questions WHERE account_id = ?1 OR "
	                                        "registration_id IN " REGS " ORDER BY id", "is", a, email)));
	put(b, "question_upvotes", rows(db_prepare(db, "SELECT q.webinar_id, v.question_id, v.created_at "
	                                               "FROM question_votes v JOIN questions q ON q.id = v.question_id "
	                                               "WHERE v.voter = 'a:' || ?1 OR v.voter IN (SELECT 'r:' || id "
	                                               "FROM registrations WHERE email = ?2) ORDER BY v.created_at",
	                                               "is", a, email)));
	put(b, "poll_votes", rows(db_prepare(db, "SELECT p.webinar_id, v.poll_id, p.question, v.option, v.created_at "
	                                         "FROM poll_votes v JOIN polls p ON p.id = v.poll_id "
	                                         "WHERE v.voter = 'a:' || ?1 OR v.voter IN (SELECT 'r:' || id "
	                                         "FROM registrations WHERE email = ?2) ORDER BY v.created_at",
	                                         "is", a, email)));
	put(b, "connection_logs", rows(db_prepare(db, "SELECT at, event, registration_id, ip FROM connection_logs "
	                                              "WHERE account_id = ?1 OR registration_id IN " REGS " ORDER BY id",
	                                              "is", a, email)));
	put(b, "access_logs", rows(db_prepare(db, "SELECT at, method, route, status, registration_id, ip "
	                                          "FROM access_logs WHERE account_id = ?1 OR registration_id IN " REGS
	                                          " ORDER BY id", "is", a, email)));
	put(b, "audit", rows(db_prepare(db,
		"SELECT id, at, actor_id, actor_role, action, target_type, target_id, detail FROM audit "
		"WHERE actor_id = ?1 OR (target_type = 'account' AND target_id = ?1) "
		"OR (target_type = 'registration' AND target_id IN " REGS ") "
		"OR (target_type = 'privacy_request' AND target_id IN (SELECT value FROM json_each(?3))) ORDER BY id",
		"iss", a, email, requests)));
}

/* The privacy requests received by mail or letter whose requester (free
 * text) names the address; their ids as a JSON array's text into *ids (a
 * new string: free it).  NULL on a database error. */
static json_t *requests_naming(sqlite3 *db, const char *email, char **ids)
{
	json_t *all = rows(db_prepare(db, "SELECT id, kind, requester, received_at, due_at, state, closed_at, note, "
	                                  "receipt FROM privacy_requests ORDER BY id", "")), *mine, *o, *idl;
	size_t i;

	*ids = NULL;
	if (!all)
		return NULL;
	mine = json_array();
	idl = json_array();
	json_array_foreach(all, i, o)
		if (privacy_requests_names_address(json_string_value(json_object_get(o, "requester")) ?: "", email)) {
			json_array_append(mine, o);
			json_array_append(idl, json_object_get(o, "id"));
		}
	json_decref(all);
	*ids = json_dumps(idl, JSON_COMPACT);
	json_decref(idl);
	if (!*ids) {
		json_decref(mine);
		return NULL;
	}
	return mine;
}

static void participant_part(struct build *b, const char *email, json_t *requests)
{
	sqlite3 *db = b->db;

	put(b, "registrations", registrations_section(db, email));
	put(b, "tokens", rows(db_prepare(db, "SELECT id, webinar_id, registration_id, role, created_at, expires_at, "
	                                     "revoked_at, joined_at, rated_at FROM tokens WHERE registration_id IN " REGS
	                                     " ORDER BY id", "ns", email)));
	put(b, "privacy_requests", requests);
}

/* The outbox's mails to the address that this kind of subject receives:
 * reset and warning mails for an account, join mails for a participant. */
static json_t *mails_section(const char *outbox, const char *email, bool account)
{
	json_t *all = mail_outbox_about(outbox, email), *out = json_array(), *o;
	size_t i;

	json_array_foreach(all, i, o) {
		bool join = strcmp(json_string_value(json_object_get(o, "kind")), "join") == 0;
		if (join != account)
			json_array_append(out, o);
	}
	json_decref(all);
	return out;
}

/* The live sessions on the relay of the address's join tokens (WHEP and
 * SDES viewers, their relay peers), as this process holds them, with what
 * the relay says of each WebRTC peer.  Asked after the read transaction:
 * the relay may take its timeout to answer.  NULL on a database error. */
static json_t *relay_sessions(struct control *app, sqlite3 *db, const char *email)
{
	json_t *list = json_array(), *ids = rows(db_prepare(db, "SELECT id FROM tokens WHERE registration_id IN "
	                                                         REGS " ORDER BY id", "ns", email)), *o;
	size_t i;

	if (!ids) {
		json_decref(list);
		return NULL;
	}
	json_array_foreach(ids, i, o) {
		int64_t token = json_integer_value(json_object_get(o, "id"));

		whip_token_sessions(app, token, list);
		sdes_view_token_sessions(app->sdes_view, token, list);
	}
	json_decref(ids);
	return list;
}

static void me_export(struct http_req *req)
{
	struct control *app = req->app;
	struct build b = { .db = req->db };
	struct subject s;
	json_t *recs = NULL;
	char err[512], now[32], disp[128];
	bool account;
	int rc = 0;

	if (subject_from_request(req, &s))
		return;
	account = s.kind == SUBJECT_ACCOUNT;
	if (account && (rc = recordings_account_json(app, req->db, s.account_id, &recs, err, sizeof err))) {
		http_error(req, 503, "recstore_unavailable", "the recording store cannot list your recordings now, "
		           "so the export would be incomplete: try again (%s)", err);
		return;
	}
	b.doc = json_pack("{s:s,s:s,s:{s:s,s:s}}", "format", EXPORT_FORMAT, "generated_at",
	                  amphi_time_iso(amphi_now(), now, sizeof now), "subject", "kind", subject_kind_name(s.kind),
	                  "email", s.email);
	/* one read transaction: the sections agree with each other */
	if (!b.doc || sqlite3_exec(req->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		json_decref(b.doc);
		json_decref(recs);
		http_error(req, 503, "busy", "the database is busy, try again");
		return;
	}
	if (account) {
		account_part(&b, s.account_id);
		activity_part(&b, s.account_id, NULL, "[]");
		json_t *r;
		size_t i;

		json_array_foreach(recs, i, r) {
			char self[RECSTORE_ID_MAX + 32];

			snprintf(self, sizeof self, "/api/recordings/%s", json_string_value(json_object_get(r, "id")));
			json_object_set_new(r, "metadata", json_string(self));
		}
		put(&b, "recordings", recs);
	} else {
		char *ids;
		json_t *requests = requests_naming(req->db, s.email, &ids);

		participant_part(&b, s.email, requests);
		activity_part(&b, 0, s.email, ids ? ids : "[]");
		free(ids);
	}
	sqlite3_exec(req->db, "COMMIT", NULL, NULL, NULL);
	put(&b, "outbox_mails", mails_section(app->outbox, s.email, account));
	put(&b, "relay", json_pack("{s:s,s:o}", "holds", "amphi-relay keeps nothing about a person once a webinar "
	                           "is over: while one is live it holds, in memory, each connected viewer's and "
	                           "speaker's network address and session keys, dropped when they leave or the "
	                           "webinar ends", "sessions", account ? json_array() : relay_sessions(app, req->db, s.email)));
	if (b.failed || audit_log(req->db, &req->principal, "privacy.export", account ? "account" : "registration",
	                          account ? s.account_id : s.registration_id,
	                          json_pack("{s:s}", "subject", subject_kind_name(s.kind)))) {
		json_decref(b.doc);
		http_error(req, 500, "internal", "cannot build the export");
		return;
	}
	snprintf(disp, sizeof disp, "attachment; filename=\"amphi-export-%s-%.10s.json\"",
	         subject_kind_name(s.kind), now);
	http_set_header(req, "Content-Disposition", disp);
	http_set_header(req, "Cache-Control", "no-store");
	http_json(req, 200, b.doc);
}

int export_routes(struct http_router *r, struct control *app)
{
	return http_route(r, "GET", "/api/me/export", me_export, app, 0);
}
