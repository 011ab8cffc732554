/* webinar: see webinar.h. */
#include "control/webinar.h"
#include "control/audit.h"
#include "control/db.h"
#include "control/http.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define WEBINAR_COLS "id, organizer_id, starts_at, COALESCE(started_at, 0), COALESCE(ended_at, 0), " \
                     "state, visibility, video_codec, recording, max_video_bitrate"

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
	w->max_video_bitrate = sqlite3_column_int64(st, 9);
}

int webinar_load(sqlite3 *db, int64_t id, struct webinar *w)
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

int webinar_access(struct http_req *req, unsigned roles, struct webinar *w)
{
	const struct auth_principal *p = &req->principal;
	int64_t id;

	if (auth_require(req, roles))
		return -EACCES;
	if (http_param_id(req, "id", &id) || webinar_load(req->db, id, w) ||
	    (p->role == AUTH_ORGANIZER && w->organizer_id != p->account_id) ||
	    ((p->role & AUTH_TOKEN) && p->webinar_id != id)) {
		http_error(req, 404, "not_found", "no such webinar");
		return -ENOENT;
	}
	return 0;
}

void webinar_audit(struct http_req *req, const char *action, const char *target_type,
                   int64_t target_id, json_t *detail)
{
	if (audit_log(req->db, &req->principal, action, target_type, target_id, detail))
		log_msg(LOG_ERROR, "audit write failed", "action=%s target=%lld", action, (long long)target_id);
}

void webinar_invalid(struct http_req *req, json_t *errors)
{
	http_error_json(req, 422, "invalid", errors);
}

/* webinar_media_access: the rule is in webinar.h (docs/whip.md, docs/control-live.md). */
int webinar_media_access(struct http_req *req, bool publish, struct webinar *w)
{
	const struct auth_principal *p = &req->principal;
	unsigned roles;
	int64_t id;

	if (http_param_id(req, "id", &id) || webinar_load(req->db, id, w)) {
		http_error(req, 404, "not_found", "no such webinar");
		return -ENOENT;
	}
	if (p->role == AUTH_ANONYMOUS && http_header(req, "Authorization")) {
		http_set_header(req, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		http_error(req, 401, "unauthenticated", "the Bearer token is unknown, expired or revoked");
		return -EACCES;
	}
	roles = publish ? AUTH_SPEAKER : AUTH_TOKEN;
	if (!publish && strcmp(w->visibility, "public") == 0)
		roles |= AUTH_ANONYMOUS;
	if (p->role == AUTH_ANONYMOUS && !(roles & AUTH_ANONYMOUS)) {
		http_set_header(req, "WWW-Authenticate", "Bearer");
		http_error(req, 401, "unauthenticated", publish ? "publishing needs the speaker's Bearer token"
		                                                : "this webinar needs a Bearer join token");
		return -EACCES;
	}
	if ((p->role & AUTH_TOKEN) && p->webinar_id != id) {
		http_error(req, 404, "not_found", "no such webinar");
		return -ENOENT;
	}
	if (!(roles & p->role)) {
		http_error(req, 403, "forbidden", publish ? "a join token cannot publish: use a publish token"
		                                          : "not allowed for this role");
		return -EACCES;
	}
	if (p->restricted) {
		http_error(req, 403, "restricted", "this registration is restricted (GDPR art. 18): no joining "
		           "until an administrator lifts the restriction");
		return -EACCES;
	}
	return 0;
}
