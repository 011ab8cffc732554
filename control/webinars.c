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
#include "control/control.h"
#include "control/db.h"
#include "control/events.h"
#include "control/forms.h"
#include "control/http.h"
#include "control/ingest.h"
#include "control/live.h"
#include "control/mail.h"
#include "control/relay_client.h"
#include "control/tokens.h"
#include "control/webinar.h"
#include "control/sdes_view.h"
#include "control/whip.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <string.h>

/* The public face of a webinar row. */
static json_t *webinar_json(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, title, description, starts_at, visibility, recording, "
	                              "video_codec, state, created_at, started_at, ended_at, max_video_bitrate "
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
		json_object_set_new(o, "max_video_bitrate", json_integer(sqlite3_column_int64(st, 11)));
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
		webinar_invalid(req, errors);
		return;
	}
	json_decref(errors);
	id = db_insert(req->db, "INSERT INTO webinars (organizer_id, title, description, starts_at, visibility, "
	               "recording, video_codec, max_video_bitrate, created_at, updated_at) "
	               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	               "issisbsiii", req->principal.account_id, f.title, f.description, f.starts_at,
	               forms_visibility_name(f.visibility), f.recording, forms_codec_name(f.codec),
	               f.max_video_bitrate, now, now);
	if (id < 0) {
		http_error(req, 500, "internal", "cannot store the webinar");
		return;
	}
	webinar_audit(req, "webinar.create", "webinar", id, NULL);
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

	if (webinar_access(req, AUTH_ORGANIZER | AUTH_TOKEN, &w))
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

	if (webinar_access(req, AUTH_ORGANIZER, &w))
		goto out;
	if (forms_webinar_parse(req->json, false, &f, errors)) {
		webinar_invalid(req, errors);
		errors = NULL;
		goto out;
	}
	if (strcmp(w.state, "ended") == 0) {
		http_error(req, 409, "conflict", "the webinar has ended: nothing can change");
		goto out;
	}
	if (strcmp(w.state, "live") == 0 &&
	    (f.set & (FORMS_W_START | FORMS_W_VISIBILITY | FORMS_W_RECORDING | FORMS_W_CODEC |
	              FORMS_W_MAX_VIDEO_BITRATE))) {
		http_error(req, 409, "conflict", "start_time, visibility, recording, video_codec and max_video_bitrate "
		           "are fixed once the webinar is live; only title and description can change");
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
	SET(FORMS_W_MAX_VIDEO_BITRATE, "max_video_bitrate = ?", "max_video_bitrate", "iii", f.max_video_bitrate,
	    now, w.id)
#undef SET
	if (r >= 0 && (f.set & FORMS_W_START))
		r = tokens_reschedule(req->db, w.id, f.starts_at);
	if (r < 0 || db_commit(req->db)) {
		db_rollback(req->db);
		http_error(req, 500, "internal", "cannot update the webinar");
		goto out;
	}
	webinar_audit(req, "webinar.update", "webinar", w.id, json_pack("{s:O}", "fields", changed));
	answer_webinar(req, 200, w.id);
out:
	json_decref(errors);
	json_decref(changed);
}

static void webinar_delete(struct http_req *req)
{
	struct control *app = req->app;
	struct webinar w;

	if (webinar_access(req, AUTH_ORGANIZER, &w))
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
	mail_outbox_forget(app->outbox, NULL, w.id);     /* its registrants' join mails */
	event_hub_close_webinar(app->hub, w.id);
	webinar_audit(req, "webinar.delete", "webinar", w.id, NULL);
	http_empty(req, 204);
}

static void webinar_start(struct http_req *req)
{
	struct control *app = req->app;
	struct webinar w;
	char err[512];
	int64_t now = amphi_now();
	int r;

	if (webinar_access(req, AUTH_ORGANIZER, &w))
		return;
	if (strcmp(w.state, "scheduled") != 0) {
		http_error(req, 409, "conflict", "the webinar is %s: only a scheduled webinar can start", w.state);
		return;
	}
	/* The relay first: if it is down the webinar stays scheduled and the
	 * organizer can try again, rather than being live with no stream. */
	r = ingest_stream_create(app, req->db, &w, err, sizeof err);
	if (r) {
		http_error(req, relay_client_http_status(r), "relay_unavailable", "%s", err);
		return;
	}
	if (db_begin(req->db) ||
	    db_exec(req->db, "UPDATE webinars SET state = 'live', started_at = ?, updated_at = ? "
	            "WHERE id = ? AND state = 'scheduled'", "iii", now, now, w.id) != 1 ||
	    tokens_reschedule(req->db, w.id, now) < 0 || db_commit(req->db)) {
		db_rollback(req->db);
		ingest_stream_delete(app, w.id, err, sizeof err);
		http_error(req, 409, "conflict", "the webinar changed state meanwhile");
		return;
	}
	live_publish(app, w.id, "state", json_pack("{s:s}", "state", "live"));
	webinar_audit(req, "webinar.start", "webinar", w.id, NULL);
	log_msg(LOG_INFO, "webinar live", "webinar=%lld", (long long)w.id);
	answer_webinar(req, 200, w.id);
}

int webinars_end(struct control *app, sqlite3 *db, const struct webinar *w, int64_t now, int *purged,
                 char *err, size_t errlen)
{
	int relay_r = 0;

	err[0] = '\0';
	if (db_begin(db) ||
	    db_exec(db, "UPDATE webinars SET state = 'ended', ended_at = ?, updated_at = ? "
	            "WHERE id = ? AND state != 'ended'", "iii", now, now, w->id) != 1 ||
	    tokens_end(db, w->id, now) < 0 ||
	    (*purged = webinars_purge(db, app, now)) < 0 ||
	    db_commit(db)) {
		db_rollback(db);
		return -EIO;
	}
	/* Ending cannot wait for the relay: the deletions above are due now.
	 * A relay that is down lost the stream anyway; the caller says so. */
	whip_webinar_ended(app->whip, w->id);
	sdes_view_webinar_ended(app->sdes_view, w->id);
	if (strcmp(w->state, "live") == 0)
		relay_r = ingest_stream_delete(app, w->id, err, errlen);
	live_publish(app, w->id, "state", json_pack("{s:s}", "state", "ended"));
	event_hub_close_webinar(app->hub, w->id);
	return relay_r ? 1 : 0;
}

static void webinar_end(struct http_req *req)
{
	struct control *app = req->app;
	struct webinar w;
	char err[512];
	int r, purged = 0;
	json_t *o;

	if (webinar_access(req, AUTH_ORGANIZER, &w))
		return;
	if (strcmp(w.state, "ended") == 0) {
		http_error(req, 409, "conflict", "the webinar has already ended");
		return;
	}
	r = webinars_end(app, req->db, &w, amphi_now(), &purged, err, sizeof err);
	if (r < 0) {
		http_error(req, 500, "internal", "cannot end the webinar");
		return;
	}
	webinar_audit(req, "webinar.end", "webinar", w.id, json_pack("{s:i}", "rows_deleted", purged));
	log_msg(LOG_INFO, "webinar ended", "webinar=%lld deleted=%d relay=%d", (long long)w.id, purged, r);
	o = webinar_json(req->db, w.id);
	if (r)
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
	                "EXISTS (SELECT 1 FROM registrations WHERE webinar_id = w.id AND phone IS NOT NULL "
	                "AND restricted_at IS NULL) OR "
	                "(w.replay_published_at IS NULL AND EXISTS (SELECT 1 FROM registrations "
	                "WHERE webinar_id = w.id AND identity_erased_at IS NULL AND restricted_at IS NULL))) "
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
		    (r = db_exec(db, "UPDATE registrations SET phone = NULL WHERE webinar_id = ? AND phone IS NOT NULL "
		                 "AND restricted_at IS NULL",
		                 "i", due[i].id)) > 0)
			total += r;
		/* The row stays (with its consent time): join tokens point at it
		 * for the rating's grace period, and the counters of webinar_stats
		 * never pointed at a person.  Only who the person was goes; a
		 * restricted registration (GDPR art. 18) keeps it until lifted. */
		if (r >= 0 && !due[i].replay &&
		    retention_deadline(ret, RETENTION_PARTICIPANT_IDENTITY, due[i].ended) <= now &&
		    (r = db_exec(db, "UPDATE registrations SET first_name = NULL, last_name = NULL, email = NULL, "
		                 "job_title = NULL, organization = NULL, phone = NULL, identity_erased_at = ? "
		                 "WHERE webinar_id = ? AND identity_erased_at IS NULL AND restricted_at IS NULL", "ii", now,
		                 due[i].id)) > 0) {
			total += r;
			mail_outbox_forget(app->outbox, NULL, due[i].id);   /* and their join mails */
		}
	}
	return r < 0 ? -EIO : total;
}

int webinars_routes(struct http_router *r, struct control *app)
{
	int rc = 0;

	rc = rc ? rc : http_route(r, "POST", "/api/webinars", webinar_create, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars", webinar_list, app, 0);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}", webinar_show, app, 0);
	rc = rc ? rc : http_route(r, "PATCH", "/api/webinars/{id}", webinar_patch, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "DELETE", "/api/webinars/{id}", webinar_delete, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/start", webinar_start, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/end", webinar_end, app, HTTP_JSON);
	return rc;
}
