/* webinars: see webinars.h.  Routes:
 *
 *   POST   /api/webinars              organizer   create (201)
 *   GET    /api/webinars              organizer   its own, by start time
 *   GET    /api/webinars/{id}         owner, the webinar's tokens
 *   PATCH  /api/webinars/{id}         owner       (fields fixed once live: 409)
 *   DELETE /api/webinars/{id}         owner       (not while live: 409)
 *   POST   /api/webinars/{id}/start   owner       scheduled -> live, creates the relay stream
 *   POST   /api/webinars/{id}/end     owner       scheduled|live -> ended, §9 deletions */
#include "control/webinars.h"
#include "control/audit.h"
#include "control/control.h"
#include "control/db.h"
#include "control/events.h"
#include "control/forms.h"
#include "control/http.h"
#include "control/ingest.h"
#include "control/live.h"
#include "control/ratelimit.h"
#include "control/registrations.h"
#include "control/relay_client.h"
#include "control/stats.h"
#include "control/tokens.h"
#include "control/whip.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEBINAR_COLS "id, organizer_id, starts_at, COALESCE(started_at, 0), COALESCE(ended_at, 0), " \
                     "state, visibility, video_codec, recording"

static void row_to_webinar(sqlite3_stmt *st, struct webinar *w)
{
	memset(w, 0, sizeof *w);
	w->id = sqlite3_column_int64(st, 0);
	w->organizer_id = sqlite3_column_int64(st, 1);
	w->starts_at = sqlite3_column_int64(st, 2);
	w->started_at = sqlite3_column_int64(st, 3);
	w->ended_at = sqlite3_column_int64(st, 4);
	snprintf(w->state, sizeof w->state, "%s", (const char *)sqlite3_column_text(st, 5));
	snprintf(w->visibility, sizeof w->visibility, "%s", (const char *)sqlite3_column_text(st, 6));
	snprintf(w->codec, sizeof w->codec, "%s", (const char *)sqlite3_column_text(st, 7));
	w->recording = sqlite3_column_int(st, 8) != 0;
}

int webinars_load(sqlite3 *db, int64_t id, struct webinar *w)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " WEBINAR_COLS " FROM webinars WHERE id = ?", "i", id);
	int r = -ENOENT;

	if (st && sqlite3_step(st) == SQLITE_ROW) {
		row_to_webinar(st, w);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int webinars_access(struct http_req *req, unsigned roles, struct webinar *w)
{
	const struct auth_principal *p = &req->principal;
	int64_t id;

	if (auth_require(req, roles))
		return -EACCES;
	if (http_param_id(req, "id", &id) || webinars_load(req->db, id, w) ||
	    (p->role == AUTH_ORGANIZER && w->organizer_id != p->account_id) ||
	    ((p->role & AUTH_TOKEN) && p->webinar_id != id)) {
		http_error(req, 404, "not_found", "no such webinar");
		return -ENOENT;
	}
	return 0;
}

void webinars_audit(struct http_req *req, const char *action, const char *target_type,
                    int64_t target_id, json_t *detail)
{
	if (audit_log(req->db, &req->principal, action, target_type, target_id, detail))
		log_msg(LOG_ERROR, "audit write failed", "action=%s target=%lld", action, (long long)target_id);
}

void webinars_invalid(struct http_req *req, json_t *errors)
{
	http_error_json(req, 422, "invalid", errors);
}

/* The public face of a webinar row. */
static json_t *webinar_json(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, title, description, starts_at, visibility, recording, "
	                              "video_codec, state, created_at, started_at, ended_at "
	                              "FROM webinars WHERE id = ?", "i", id);
	json_t *o = NULL;
	char t[32], created[32];   /* json_pack reads both at once: one buffer each */

	if (st && sqlite3_step(st) == SQLITE_ROW) {
		o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s}",
		              "id", (json_int_t)sqlite3_column_int64(st, 0),
		              "title", (const char *)sqlite3_column_text(st, 1),
		              "description", (const char *)sqlite3_column_text(st, 2),
		              "start_time", amphi_time_iso(sqlite3_column_int64(st, 3), t, sizeof t),
		              "visibility", (const char *)sqlite3_column_text(st, 4),
		              "recording", sqlite3_column_int(st, 5) != 0,
		              "video_codec", (const char *)sqlite3_column_text(st, 6),
		              "state", (const char *)sqlite3_column_text(st, 7),
		              "created_at", amphi_time_iso(sqlite3_column_int64(st, 8), created, sizeof created));
		json_object_set_new(o, "started_at", sqlite3_column_type(st, 9) == SQLITE_NULL ? json_null() :
		                    json_string(amphi_time_iso(sqlite3_column_int64(st, 9), t, sizeof t)));
		json_object_set_new(o, "ended_at", sqlite3_column_type(st, 10) == SQLITE_NULL ? json_null() :
		                    json_string(amphi_time_iso(sqlite3_column_int64(st, 10), t, sizeof t)));
	}
	sqlite3_finalize(st);
	return o;
}

static void answer_webinar(struct http_req *req, int status, int64_t id)
{
	json_t *o = webinar_json(req->db, id);

	if (!o)
		http_error(req, 500, "internal", "cannot read the webinar back");
	else
		http_json(req, status, o);
}

static void webinar_create(struct http_req *req)
{
	json_t *errors = json_array();
	struct webinar_form f;
	int64_t now = amphi_now(), id;

	if (auth_require(req, AUTH_ORGANIZER)) {
		json_decref(errors);
		return;
	}
	if (forms_webinar_parse(req->json, true, &f, errors)) {
		webinars_invalid(req, errors);
		return;
	}
	json_decref(errors);
	id = db_insert(req->db, "INSERT INTO webinars (organizer_id, title, description, starts_at, visibility, "
	               "recording, video_codec, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	               "issisbsii", req->principal.account_id, f.title, f.description, f.starts_at,
	               forms_visibility_name(f.visibility), f.recording, forms_codec_name(f.codec), now, now);
	if (id < 0) {
		http_error(req, 500, "internal", "cannot store the webinar");
		return;
	}
	webinars_audit(req, "webinar.create", "webinar", id, NULL);
	answer_webinar(req, 201, id);
}

static void webinar_list(struct http_req *req)
{
	sqlite3_stmt *st;
	json_t *list = json_array();

	if (auth_require(req, AUTH_ORGANIZER)) {
		json_decref(list);
		return;
	}
	st = db_prepare(req->db, "SELECT id FROM webinars WHERE organizer_id = ? ORDER BY starts_at, id", "i",
	                req->principal.account_id);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = webinar_json(req->db, sqlite3_column_int64(st, 0));
		if (o)
			json_array_append_new(list, o);
	}
	sqlite3_finalize(st);
	http_json(req, 200, json_pack("{s:o}", "webinars", list));
}

static void webinar_show(struct http_req *req)
{
	struct webinar w;

	if (webinars_access(req, AUTH_ORGANIZER | AUTH_TOKEN, &w))
		return;
	answer_webinar(req, 200, w.id);
}

static void webinar_patch(struct http_req *req)
{
	json_t *errors = json_array(), *changed = json_array();
	struct webinar_form f;
	struct webinar w;
	int64_t now = amphi_now();
	int r = 0;

	if (webinars_access(req, AUTH_ORGANIZER, &w))
		goto out;
	if (forms_webinar_parse(req->json, false, &f, errors)) {
		webinars_invalid(req, errors);
		errors = NULL;
		goto out;
	}
	if (strcmp(w.state, "ended") == 0) {
		http_error(req, 409, "conflict", "the webinar has ended: nothing can change");
		goto out;
	}
	if (strcmp(w.state, "live") == 0 &&
	    (f.set & (FORMS_W_START | FORMS_W_VISIBILITY | FORMS_W_RECORDING | FORMS_W_CODEC))) {
		http_error(req, 409, "conflict", "start_time, visibility, recording and video_codec are fixed "
		           "once the webinar is live; only title and description can change");
		goto out;
	}
	if (db_begin(req->db)) {
		http_error(req, 500, "internal", "database busy");
		goto out;
	}
#define SET(bit, sql, name, ...) \
	if (r >= 0 && (f.set & (bit))) { \
		r = db_exec(req->db, "UPDATE webinars SET " sql ", updated_at = ? WHERE id = ?", __VA_ARGS__); \
		json_array_append_new(changed, json_string(name)); \
	}
	SET(FORMS_W_TITLE, "title = ?", "title", "sii", f.title, now, w.id)
	SET(FORMS_W_DESCRIPTION, "description = ?", "description", "sii", f.description, now, w.id)
	SET(FORMS_W_START, "starts_at = ?", "start_time", "iii", f.starts_at, now, w.id)
	SET(FORMS_W_VISIBILITY, "visibility = ?", "visibility", "sii", forms_visibility_name(f.visibility), now, w.id)
	SET(FORMS_W_RECORDING, "recording = ?", "recording", "bii", f.recording, now, w.id)
	SET(FORMS_W_CODEC, "video_codec = ?", "video_codec", "sii", forms_codec_name(f.codec), now, w.id)
#undef SET
	if (r >= 0 && (f.set & FORMS_W_START))
		r = tokens_reschedule(req->db, w.id, f.starts_at);
	if (r < 0 || db_commit(req->db)) {
		db_rollback(req->db);
		http_error(req, 500, "internal", "cannot update the webinar");
		goto out;
	}
	webinars_audit(req, "webinar.update", "webinar", w.id, json_pack("{s:O}", "fields", changed));
	answer_webinar(req, 200, w.id);
out:
	json_decref(errors);
	json_decref(changed);
}

static void webinar_delete(struct http_req *req)
{
	struct webinars *ctx = req->app;
	struct webinar w;

	if (webinars_access(req, AUTH_ORGANIZER, &w))
		return;
	if (strcmp(w.state, "live") == 0) {
		http_error(req, 409, "conflict", "the webinar is live: end it first (POST /api/webinars/%lld/end)",
		           (long long)w.id);
		return;
	}
	/* ON DELETE CASCADE takes registrations, tokens, chat, questions and
	 * polls with the row; the anonymous counters stay (no foreign key). */
	if (db_exec(req->db, "DELETE FROM webinars WHERE id = ?", "i", w.id) < 0) {
		http_error(req, 500, "internal", "cannot delete the webinar");
		return;
	}
	event_hub_close_webinar(ctx->hub, w.id);
	webinars_audit(req, "webinar.delete", "webinar", w.id, NULL);
	http_empty(req, 204);
}

static void webinar_start(struct http_req *req)
{
	struct webinars *ctx = req->app;
	struct webinar w;
	char err[512];
	int64_t now = amphi_now();
	int r;

	if (webinars_access(req, AUTH_ORGANIZER, &w))
		return;
	if (strcmp(w.state, "scheduled") != 0) {
		http_error(req, 409, "conflict", "the webinar is %s: only a scheduled webinar can start", w.state);
		return;
	}
	/* The relay first: if it is down the webinar stays scheduled and the
	 * organizer can try again, rather than being live with no stream. */
	r = ingest_stream_create(ctx, &w, err, sizeof err);
	if (r) {
		http_error(req, relay_client_http_status(r), "relay_unavailable", "%s", err);
		return;
	}
	if (db_begin(req->db) ||
	    db_exec(req->db, "UPDATE webinars SET state = 'live', started_at = ?, updated_at = ? "
	            "WHERE id = ? AND state = 'scheduled'", "iii", now, now, w.id) != 1 ||
	    tokens_reschedule(req->db, w.id, now) < 0 || db_commit(req->db)) {
		db_rollback(req->db);
		ingest_stream_delete(ctx, w.id, err, sizeof err);
		http_error(req, 409, "conflict", "the webinar changed state meanwhile");
		return;
	}
	live_publish(ctx, w.id, "state", json_pack("{s:s}", "state", "live"));
	webinars_audit(req, "webinar.start", "webinar", w.id, NULL);
	log_msg(LOG_INFO, "webinar live", "webinar=%lld", (long long)w.id);
	answer_webinar(req, 200, w.id);
}

static void webinar_end(struct http_req *req)
{
	struct webinars *ctx = req->app;
	struct webinar w;
	char err[512] = "";
	int64_t now = amphi_now();
	int relay_r = 0, purged;
	json_t *o;

	if (webinars_access(req, AUTH_ORGANIZER, &w))
		return;
	if (strcmp(w.state, "ended") == 0) {
		http_error(req, 409, "conflict", "the webinar has already ended");
		return;
	}
	if (db_begin(req->db) ||
	    db_exec(req->db, "UPDATE webinars SET state = 'ended', ended_at = ?, updated_at = ? "
	            "WHERE id = ? AND state != 'ended'", "iii", now, now, w.id) != 1 ||
	    tokens_end(req->db, w.id, now) < 0 ||
	    (purged = webinars_purge(req->db, ctx->app, now)) < 0 ||
	    db_commit(req->db)) {
		db_rollback(req->db);
		http_error(req, 500, "internal", "cannot end the webinar");
		return;
	}
	/* Ending cannot wait for the relay: the deletions above are due now.
	 * A relay that is down lost the stream anyway; the answer says so. */
	whip_webinar_ended(ctx->whip, w.id);
	if (strcmp(w.state, "live") == 0)
		relay_r = ingest_stream_delete(ctx, w.id, err, sizeof err);
	live_publish(ctx, w.id, "state", json_pack("{s:s}", "state", "ended"));
	event_hub_close_webinar(ctx->hub, w.id);
	webinars_audit(req, "webinar.end", "webinar", w.id, json_pack("{s:i}", "rows_deleted", purged));
	log_msg(LOG_INFO, "webinar ended", "webinar=%lld deleted=%d relay=%d", (long long)w.id, purged, relay_r);
	o = webinar_json(req->db, w.id);
	if (relay_r)
		json_object_set_new(o, "relay_error", json_string(err));
	http_json(req, 200, o);
}

int webinars_purge(sqlite3 *db, const struct control *app, int64_t now)
{
	const struct retention *ret = &app->retention;
	sqlite3_stmt *st;
	int total = 0, r = 0;
	struct { int64_t id, ended; bool replay; } due[256];
	int n = 0;

	/* Webinars that ended and still hold something this sweep may erase.
	 * A webinar whose recording is published for replay keeps its
	 * registrants' identity: that goes with the recording (recstore). */
	st = db_prepare(db, "SELECT id, ended_at, replay_published_at IS NOT NULL FROM webinars w "
	                "WHERE state = 'ended' AND ("
	                "EXISTS (SELECT 1 FROM chat_messages WHERE webinar_id = w.id) OR "
	                "EXISTS (SELECT 1 FROM questions WHERE webinar_id = w.id) OR "
	                "EXISTS (SELECT 1 FROM polls WHERE webinar_id = w.id) OR "
	                "EXISTS (SELECT 1 FROM registrations WHERE webinar_id = w.id AND phone IS NOT NULL) OR "
	                "(w.replay_published_at IS NULL AND EXISTS (SELECT 1 FROM registrations "
	                "WHERE webinar_id = w.id AND identity_erased_at IS NULL))) "
	                "ORDER BY ended_at LIMIT 256", "");
	if (!st)
		return -EIO;
	while (n < 256 && sqlite3_step(st) == SQLITE_ROW) {
		due[n].id = sqlite3_column_int64(st, 0);
		due[n].ended = sqlite3_column_int64(st, 1);
		due[n].replay = sqlite3_column_int(st, 2) != 0;
		n++;
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n && r >= 0; i++) {
		if (retention_deadline(ret, RETENTION_INTERACTION, due[i].ended) <= now) {
			static const char *const sql[] = {
				"DELETE FROM chat_messages WHERE webinar_id = ?",
				"DELETE FROM questions WHERE webinar_id = ?",   /* votes cascade */
				"DELETE FROM polls WHERE webinar_id = ?",       /* votes cascade */
			};
			for (size_t k = 0; k < 3 && r >= 0; k++)
				if ((r = db_exec(db, sql[k], "i", due[i].id)) > 0)
					total += r;
		}
		if (r >= 0 && retention_deadline(ret, RETENTION_PARTICIPANT_PHONE, due[i].ended) <= now &&
		    (r = db_exec(db, "UPDATE registrations SET phone = NULL WHERE webinar_id = ? AND phone IS NOT NULL",
		                 "i", due[i].id)) > 0)
			total += r;
		/* The row stays (with its consent time): join tokens point at it
		 * for the rating's grace period, and the counters of webinar_stats
		 * never pointed at a person.  Only who the person was goes. */
		if (r >= 0 && !due[i].replay &&
		    retention_deadline(ret, RETENTION_PARTICIPANT_IDENTITY, due[i].ended) <= now &&
		    (r = db_exec(db, "UPDATE registrations SET first_name = NULL, last_name = NULL, email = NULL, "
		                 "job_title = NULL, organization = NULL, phone = NULL, identity_erased_at = ? "
		                 "WHERE webinar_id = ? AND identity_erased_at IS NULL", "ii", now, due[i].id)) > 0)
			total += r;
	}
	return r < 0 ? -EIO : total;
}

/* Process lifetime: every route points at it until exit, so it is held here
 * (a root for leak checkers) rather than freed behind the routes' back. */
static struct webinars *volatile g_webinars;   /* volatile: the store must stay */

int webinars_routes(struct http_router *r, struct control *app)
{
	struct webinars *ctx = g_webinars = calloc(1, sizeof *ctx);
	int rc = 0;

	if (!ctx)
		return -ENOMEM;
	ctx->app = app;
	ctx->hub = event_hub_create(EVENTS_RING_DEFAULT);
	ctx->limits = rate_limit_create(LIVE_BURST, LIVE_REFILL_NS, 1 << 14);
	ctx->relay = relay_client_create(app->relay_sock, app->ctl_timeout_ms);
	ctx->ingest = ingest_create();
	ctx->whip = whip_create(ctx);
	if (!ctx->hub || !ctx->limits || !ctx->relay || !ctx->ingest || !ctx->whip)
		return -ENOMEM;   /* start-up: the daemon exits */
	stats_reset_current(app->db);
	{
		/* What came due while the daemon was down goes now. */
		sqlite3 *c = db_acquire(app->db);
		int n = webinars_purge(c, app, amphi_now());
		db_release(app->db, c);
		if (n > 0)
			log_msg(LOG_INFO, "end-of-webinar data purged at start", "rows=%d", n);
	}
	rc = rc ? rc : http_route(r, "POST", "/api/webinars", webinar_create, ctx, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars", webinar_list, ctx, 0);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}", webinar_show, ctx, 0);
	rc = rc ? rc : http_route(r, "PATCH", "/api/webinars/{id}", webinar_patch, ctx, HTTP_JSON);
	rc = rc ? rc : http_route(r, "DELETE", "/api/webinars/{id}", webinar_delete, ctx, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/start", webinar_start, ctx, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/end", webinar_end, ctx, HTTP_JSON);
	rc = rc ? rc : tokens_routes(r, ctx);
	rc = rc ? rc : registrations_routes(r, ctx);
	rc = rc ? rc : live_routes(r, ctx);
	rc = rc ? rc : stats_routes(r, ctx);
	rc = rc ? rc : ingest_routes(r, ctx);
	rc = rc ? rc : whip_routes(r, ctx);
	return rc;
}

void webinars_stop(void)
{
	if (g_webinars) {
		whip_destroy(g_webinars->whip);
		g_webinars->whip = NULL;
	}
}
