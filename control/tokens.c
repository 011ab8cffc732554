/* tokens: see tokens.h. */
#include "control/tokens.h"
#include "control/db.h"
#include "control/http.h"
#include "control/webinar.h"
#include "common/clock.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

static int64_t expiry_for(const struct webinar *w)
{
	int64_t base = w->starts_at, now = amphi_now();

	if (w->started_at > base)
		base = w->started_at;
	if (now > base)
		base = now;
	return base + TOKENS_MAX_S;
}

int tokens_issue(sqlite3 *db, const struct webinar *w, const char *role, int64_t registration_id,
                 struct token_issued *out)
{
	int64_t id;

	out->expires_at = expiry_for(w);
	id = auth_token_issue(db, w->id, role, registration_id, out->expires_at, out->text);
	if (id < 0) {
		sodium_memzero(out->text, sizeof out->text);
		return (int)id;
	}
	out->id = id;
	return 0;
}

void tokens_answer(struct http_req *req, int status, const struct webinar *w, const char *role,
                   int64_t registration_id, struct token_issued *t)
{
	char at[32];
	json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:s}", "webinar_id", (json_int_t)w->id, "role", role,
	                      "token", t->text, "token_id", (json_int_t)t->id,
	                      "expires_at", amphi_time_iso(t->expires_at, at, sizeof at));

	json_object_set_new(o, "registration_id", registration_id ? json_integer(registration_id) : json_null());
	http_json(req, status, o);
	sodium_memzero(t->text, sizeof t->text);
}

int tokens_reschedule(sqlite3 *db, int64_t webinar_id, int64_t start)
{
	int64_t now = amphi_now();

	if (start < now)
		start = now;
	return db_exec(db, "UPDATE tokens SET expires_at = ? WHERE webinar_id = ? AND revoked_at IS NULL",
	               "ii", start + TOKENS_MAX_S, webinar_id);
}

int tokens_end(sqlite3 *db, int64_t webinar_id, int64_t now)
{
	int r = db_exec(db, "UPDATE tokens SET revoked_at = ? WHERE webinar_id = ? AND role = 'speaker' "
	                "AND revoked_at IS NULL", "ii", now, webinar_id);
	if (r >= 0)
		r = db_exec(db, "UPDATE tokens SET expires_at = MIN(expires_at, ?) WHERE webinar_id = ? "
		            "AND role = 'participant' AND revoked_at IS NULL", "ii",
		            now + TOKENS_GRACE_S, webinar_id);
	return r < 0 ? r : 0;
}

static void speaker_create(struct http_req *req)
{
	struct token_issued t;
	struct webinar w;

	if (webinar_access(req, AUTH_ORGANIZER, &w))
		return;
	if (strcmp(w.state, "ended") == 0) {
		http_error(req, 410, "ended", "the webinar has ended");
		return;
	}
	if (tokens_issue(req->db, &w, "speaker", 0, &t)) {
		http_error(req, 500, "internal", "cannot issue a token");
		return;
	}
	webinar_audit(req, "token.issue", "token", t.id, json_pack("{s:s,s:I}", "role", "speaker",
	               "webinar", (json_int_t)w.id));
	tokens_answer(req, 201, &w, "speaker", 0, &t);
}

static void token_list(struct http_req *req)
{
	struct webinar w;
	sqlite3_stmt *st;
	json_t *list = json_array();
	char t[32];

	if (webinar_access(req, AUTH_ORGANIZER, &w)) {
		json_decref(list);
		return;
	}
	st = db_prepare(req->db, "SELECT id, role, COALESCE(registration_id, 0), created_at, expires_at, "
	                "COALESCE(revoked_at, 0) FROM tokens WHERE webinar_id = ? ORDER BY id", "i", w.id);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		int64_t exp = sqlite3_column_int64(st, 4), rev = sqlite3_column_int64(st, 5);
		json_t *o = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		                      "role", (const char *)sqlite3_column_text(st, 1),
		                      "created_at", amphi_time_iso(sqlite3_column_int64(st, 3), t, sizeof t));
		json_object_set_new(o, "registration_id", sqlite3_column_int64(st, 2) ?
		                    json_integer(sqlite3_column_int64(st, 2)) : json_null());
		json_object_set_new(o, "expires_at", json_string(amphi_time_iso(exp, t, sizeof t)));
		json_object_set_new(o, "revoked_at", rev ? json_string(amphi_time_iso(rev, t, sizeof t)) : json_null());
		json_object_set_new(o, "valid", json_boolean(!rev && exp > amphi_now()));
		json_array_append_new(list, o);
	}
	sqlite3_finalize(st);
	http_json(req, 200, json_pack("{s:o}", "tokens", list));
}

static void token_revoke(struct http_req *req)
{
	struct webinar w;
	int64_t tid;
	int r;

	if (webinar_access(req, AUTH_ORGANIZER, &w))
		return;
	if (http_param_id(req, "t", &tid) ||
	    db_int(req->db, 0, "SELECT COUNT(*) FROM tokens WHERE id = ? AND webinar_id = ?", "ii", tid, w.id) != 1) {
		http_error(req, 404, "not_found", "no such token");
		return;
	}
	r = auth_token_revoke(req->db, tid);
	if (r == -ENOENT) {
		http_error(req, 409, "conflict", "the token was already revoked");
		return;
	}
	if (r) {
		http_error(req, 500, "internal", "cannot revoke the token");
		return;
	}
	webinar_audit(req, "token.revoke", "token", tid, json_pack("{s:I}", "webinar", (json_int_t)w.id));
	http_empty(req, 204);
}

int tokens_routes(struct http_router *r, struct control *app)
{
	int rc = 0;

	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/speakers", speaker_create, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}/tokens", token_list, app, 0);
	rc = rc ? rc : http_route(r, "DELETE", "/api/webinars/{id}/tokens/{t}", token_revoke, app, 0);
	return rc;
}
