/* privacy_requests: see privacy_requests.h. */
#include "control/privacy_requests.h"
#include "control/auth.h"
#include "control/control.h"
#include "control/db.h"
#include "control/forms.h"
#include "control/http.h"
#include "control/webinar.h"
#include "common/clock.h"
#include "common/retention.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 1000

static json_t *time_or_null(int64_t t)
{
	char b[32];

	return t ? json_string(amphi_time_iso(t, b, sizeof b)) : json_null();
}

/* The row st holds (the columns of SELECT_COLS) as the API shows it. */
#define SELECT_COLS "id, kind, requester, received_at, due_at, state, COALESCE(closed_at, 0), note, receipt"
static json_t *row_json(sqlite3_stmt *st, int64_t now)
{
	const char *note = (const char *)sqlite3_column_text(st, 7);
	const char *receipt = (const char *)sqlite3_column_text(st, 8);
	const char *state = (const char *)sqlite3_column_text(st, 5);
	int64_t due = sqlite3_column_int64(st, 4);
	json_t *o = json_pack("{s:I,s:s,s:s,s:o,s:o,s:s,s:b,s:o,s:o}",
	                      "id", (json_int_t)sqlite3_column_int64(st, 0),
	                      "kind", (const char *)sqlite3_column_text(st, 1),
	                      "requester", (const char *)sqlite3_column_text(st, 2),
	                      "received_at", time_or_null(sqlite3_column_int64(st, 3)),
	                      "due_at", time_or_null(due), "state", state,
	                      "overdue", strcmp(state, "open") == 0 && due < now,
	                      "closed_at", time_or_null(sqlite3_column_int64(st, 6)),
	                      "note", note ? json_string(note) : json_null());
	json_t *r = receipt ? json_loads(receipt, 0, NULL) : NULL;

	json_object_set_new(o, "action", json_incref(json_object_get(r, "action")) ?: json_null());
	json_object_set_new(o, "receipt", json_incref(json_object_get(r, "receipt")) ?: json_null());
	json_decref(r);
	return o;
}

/* Answers the request as stored, with status. */
static void answer_row(struct http_req *req, int status, int64_t id, int64_t now)
{
	sqlite3_stmt *st = db_prepare(req->db, "SELECT " SELECT_COLS " FROM privacy_requests WHERE id = ?", "i", id);

	if (st && sqlite3_step(st) == SQLITE_ROW)
		http_json(req, status, row_json(st, now));
	else
		http_error(req, 500, "internal", "cannot read the request back");
	sqlite3_finalize(st);
}

static void request_create(struct http_req *req)
{
	const struct retention *pol = &req->app->retention;
	struct privacy_request_form f;
	json_t *errors = json_array();
	int64_t now = amphi_now(), id, received;

	if (auth_require(req, AUTH_ADMIN)) {
		json_decref(errors);
		return;
	}
	if (forms_privacy_request_parse(req->json, now, &f, errors)) {
		webinar_invalid(req, errors);
		return;
	}
	json_decref(errors);
	received = f.received_at ? f.received_at : now;
	id = db_insert(req->db, "INSERT INTO privacy_requests (kind, requester, received_at, due_at, state, note) "
	               "VALUES (?, ?, ?, ?, 'open', ?)", "ssiis", f.kind, f.requester, received,
	               duration_add(received, &pol->respond_within), f.note);
	if (id <= 0) {
		http_error(req, 500, "internal", "cannot store the request");
		return;
	}
	webinar_audit(req, "privacy_request.create", "privacy_request", id, json_pack("{s:s}", "kind", f.kind));
	answer_row(req, 201, id, now);
}

static void request_list(struct http_req *req)
{
	const char *state = http_query(req, "state");
	int64_t now = amphi_now();
	json_t *list;
	sqlite3_stmt *st;

	if (auth_require(req, AUTH_ADMIN))
		return;
	if (state && strcmp(state, "open") != 0 && strcmp(state, "all") != 0) {
		http_error(req, 400, "invalid_query", "state: expected open or all, got '%s'", state);
		return;
	}
	/* open ones first, by due date (so the overdue lead), then the closed, newest first */
	st = db_prepare(req->db, "SELECT " SELECT_COLS " FROM privacy_requests WHERE state = 'open' OR ? = 0 "
	                "ORDER BY state != 'open', CASE WHEN state = 'open' THEN due_at ELSE -closed_at END, id "
	                "LIMIT ?", "ii", (int64_t)(state && strcmp(state, "open") == 0), (int64_t)LIST_MAX);
	list = json_array();
	while (st && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, row_json(st, now));
	sqlite3_finalize(st);
	http_json(req, 200, json_pack("{s:o,s:I}", "requests", list, "overdue",
	                              (json_int_t)db_int(req->db, 0, "SELECT COUNT(*) FROM privacy_requests WHERE "
	                                                 "state = 'open' AND due_at < ?", "i", now)));
}

/* fulfil (state "fulfilled") or refuse ("refused"): once, with what was done. */
static void request_close(struct http_req *req, const char *state)
{
	json_t *errors = json_array(), *receipt, *stored;
	const char *action;
	char *text;
	int64_t id, now = amphi_now();
	int n;

	if (auth_require(req, AUTH_ADMIN)) {
		json_decref(errors);
		return;
	}
	if (http_param_id(req, "id", &id)) {
		json_decref(errors);
		http_error(req, 404, "not_found", "no such request");
		return;
	}
	if (forms_privacy_close_parse(req->json, &action, &receipt, errors)) {
		webinar_invalid(req, errors);
		return;
	}
	json_decref(errors);
	stored = json_pack("{s:s,s:O?}", "action", action, "receipt", receipt);
	text = stored ? json_dumps(stored, JSON_COMPACT) : NULL;
	json_decref(stored);
	if (!text) {
		http_error(req, 500, "internal", "out of memory");
		return;
	}
	n = db_exec(req->db, "UPDATE privacy_requests SET state = ?, closed_at = ?, receipt = ? "
	            "WHERE id = ? AND state = 'open'", "sisi", state, now, text, id);
	free(text);
	if (n == 0) {
		if (db_int(req->db, 0, "SELECT COUNT(*) FROM privacy_requests WHERE id = ?", "i", id))
			http_error(req, 409, "closed", "the request is closed already");
		else
			http_error(req, 404, "not_found", "no such request");
		return;
	}
	if (n < 0) {
		http_error(req, 500, "internal", "cannot store the outcome");
		return;
	}
	webinar_audit(req, strcmp(state, "fulfilled") == 0 ? "privacy_request.fulfil" : "privacy_request.refuse",
	              "privacy_request", id, NULL);
	answer_row(req, 200, id, now);
}

static void request_fulfil(struct http_req *req) { request_close(req, "fulfilled"); }
static void request_refuse(struct http_req *req) { request_close(req, "refused"); }

void privacy_requests_metrics(struct sqlite3 *db, int64_t now, FILE *f)
{
	fprintf(f, "# HELP amphi_privacy_requests_open Data-subject requests not answered yet.\n"
	           "# TYPE amphi_privacy_requests_open gauge\namphi_privacy_requests_open %lld\n"
	           "# HELP amphi_privacy_requests_overdue Open data-subject requests past their due date.\n"
	           "# TYPE amphi_privacy_requests_overdue gauge\namphi_privacy_requests_overdue %lld\n",
	        (long long)db_int(db, 0, "SELECT COUNT(*) FROM privacy_requests WHERE state = 'open'", ""),
	        (long long)db_int(db, 0, "SELECT COUNT(*) FROM privacy_requests WHERE state = 'open' AND due_at < ?",
	                          "i", now));
}

/* privacy_requests_names_address: the rule is in privacy_requests.h. */
bool privacy_requests_names_address(const char *text, const char *email)
{
	size_t n = strlen(email);

	for (const char *p = text; n && (p = strcasestr(p, email)); p++) {
		unsigned char before = p > text ? (unsigned char)p[-1] : ' ', after = (unsigned char)p[n];
		bool glued_before = isalnum(before) || strchr("._%+-!#$&'*/=?^`{|}~", before);
		bool glued_after = isalnum(after) || after == '-' || after == '_' ||
		                   (after == '.' && isalnum((unsigned char)p[n + 1]));

		if (before && !glued_before && !glued_after)
			return true;
	}
	return false;
}

int privacy_requests_routes(struct http_router *r, struct control *app)
{
	int rc = 0;

	rc = rc ? rc : http_route(r, "POST", "/api/privacy/requests", request_create, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/privacy/requests", request_list, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/privacy/requests/{id}/fulfil", request_fulfil, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/privacy/requests/{id}/refuse", request_refuse, app, HTTP_JSON);
	return rc;
}
