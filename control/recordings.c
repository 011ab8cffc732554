/* recordings: see recordings.h. */
#include "control/recordings.h"
#include "control/audit.h"
#include "control/control.h"
#include "control/db.h"
#include "control/http.h"
#include "control/range.h"
#include "control/recstore_client.h"
#include "control/webinar.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A recording's link (table recordings); row 0 when it has none. */
struct link {
	int64_t row, webinar_id, organizer_id;   /* 0 when NULL */
};

int recordings_link_new(sqlite3 *db, const struct webinar *w, char name[RECORDINGS_NAME_MAX])
{
	uint32_t nonce = randombytes_random();
	int64_t row;

	/* The relay's default name is "<stream>-<unix>"; the nonce keeps two
	 * streams of one webinar in one second (a relay restart) apart. */
	snprintf(name, RECORDINGS_NAME_MAX, "webinar-%" PRId64 "-%" PRId64 "-%08" PRIx32, w->id, amphi_now(), nonce);
	row = db_insert(db, "INSERT INTO recordings (rec_id, webinar_id, organizer_id, created_at) VALUES (?, ?, ?, ?)",
	                "siii", name, w->id, w->organizer_id, amphi_now());
	return row > 0 ? 0 : (int)row;
}

void recordings_link_drop(sqlite3 *db, const char *name)
{
	db_exec(db, "DELETE FROM recordings WHERE rec_id = ?", "s", name);
}

/* A command that changes a recording (delete, publish, hold...): args is
 * consumed, the answer dropped.  0 or -errno, with the reason in err. */
static int store_change(struct control *app, const char *cmd, json_t *args, char *err, size_t errlen)
{
	json_t *resp = NULL;
	int rc = recstore_client_cmd(app->recstore, cmd, args, &resp, err, errlen);

	json_decref(args);
	json_decref(resp);
	return rc;
}

int recordings_account_delete(struct control *app, sqlite3 *db, int64_t account, const char *why,
                              json_t *deleted_ids, json_t *held_ids)
{
	char ids[256][RECORDINGS_NAME_MAX], err[512];
	sqlite3_stmt *st = db_prepare(db, "SELECT rec_id FROM recordings WHERE organizer_id = ? LIMIT 256", "i",
	                              account);
	int n = 0, deleted = 0;

	while (st && n < 256 && sqlite3_step(st) == SQLITE_ROW)
		snprintf(ids[n++], sizeof ids[0], "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++) {
		int rc = store_change(app, "delete", json_pack("{s:s,s:s}", "id", ids[i], "why", why), err, sizeof err);

		if (rc == -EPERM) {
			/* legal hold: kept, its link loses the organizer with the account */
			if (held_ids)
				json_array_append_new(held_ids, json_string(ids[i]));
			continue;
		}
		if (rc && rc != -ENOENT)
			return rc;
		recordings_link_drop(db, ids[i]);
		deleted += rc == 0;
		if (rc == 0 && deleted_ids)
			json_array_append_new(deleted_ids, json_string(ids[i]));
	}
	return deleted;
}

static void link_load(sqlite3 *db, const char *id, struct link *l)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, COALESCE(webinar_id, 0), COALESCE(organizer_id, 0) "
	                                  "FROM recordings WHERE rec_id = ?", "s", id);

	memset(l, 0, sizeof *l);
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		l->row = sqlite3_column_int64(st, 0);
		l->webinar_id = sqlite3_column_int64(st, 1);
		l->organizer_id = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
}

/* The media type of a recording's container (its blob's extension); audio
 * types when no video codec is in it. */
static const char *content_type(const struct recstore_rec *r)
{
	static const struct {
		const char *ext, *video, *audio;
	} types[] = {
		{ ".webm", "video/webm", "audio/webm" }, { ".mkv", "video/x-matroska", "audio/x-matroska" },
		{ ".mka", "audio/x-matroska", "audio/x-matroska" }, { ".mp4", "video/mp4", "audio/mp4" },
		{ ".m4a", "audio/mp4", "audio/mp4" }, { ".ts", "video/mp2t", "video/mp2t" },
		{ ".ogg", "video/ogg", "audio/ogg" }, { ".opus", "audio/ogg", "audio/ogg" },
	};
	bool video = strstr(r->codecs, "vp8") || strstr(r->codecs, "vp9") || strstr(r->codecs, "h264") ||
	             strstr(r->codecs, "hevc") || strstr(r->codecs, "av1");

	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (strcasecmp(r->ext, types[i].ext) == 0)
			return video ? types[i].video : types[i].audio;
	return "application/octet-stream";
}

static json_t *id_or_null(int64_t v)
{
	return v ? json_integer(v) : json_null();
}

/* A recording as the API shows it: no store paths, the link's ids. */
static json_t *rec_json(const struct recstore_rec *r, const struct link *l)
{
	char media[RECSTORE_ID_MAX + 32];

	snprintf(media, sizeof media, "/api/recordings/%s/media", r->id);
	return json_pack("{s:s,s:o,s:o,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:I,s:b,s:b,s:s}",
	                 "id", r->id, "webinar_id", id_or_null(l->webinar_id),
	                 "organizer_id", id_or_null(l->organizer_id), "start", r->start, "end", r->end,
	                 "duration_ms", (json_int_t)r->duration_ms, "size", (json_int_t)r->size,
	                 "codecs", r->codecs, "content_type", content_type(r), "sha256", r->sha256,
	                 "expires_at", r->expires_at, "expires_at_unix", (json_int_t)r->expires_at_unix,
	                 "published", r->published, "legal_hold", r->legal_hold, "media", media);
}

/* Answers a store error: 404 for a recording it does not have, 503 when it
 * cannot be reached, 502 for any other refusal. */
static void store_error(struct http_req *req, int r, const char *err)
{
	switch (r) {
	case -ENOENT:
		http_error(req, 404, "not_found", "no such recording");
		break;
	case -EPERM:
		http_error(req, 409, "legal_hold", "the recording is under legal hold");
		break;
	case -ERANGE:
	case -EINVAL:
		http_error(req, 422, "invalid", "%s", err);
		break;
	case -EHOSTDOWN:
	case -ETIMEDOUT:
	case -EIO:
	case -ENOMEM:
		http_error(req, 503, "recstore_unavailable", "%s", err);
		break;
	default:
		http_error(req, 502, "recstore_refused", "%s", err);
	}
}

/* `show` of id into r.  0 or the client's -errno with err. */
static int store_show(struct control *app, const char *id, struct recstore_rec *r, char *err, size_t errlen)
{
	json_t *args = json_pack("{s:s}", "id", id), *resp = NULL;
	int rc = recstore_client_cmd(app->recstore, "show", args, &resp, err, errlen);

	json_decref(args);
	if (rc == 0)
		rc = recstore_rec_parse(json_object_get(resp, "recording"), r, err, errlen);
	json_decref(resp);
	return rc;
}

/* The route's recording for an account: 0 with its link and the store's
 * entry, or -errno after answering (401, 403, 400 for an id the store could
 * never hold, 404 for one that is missing or another organizer's, 503). */
static int rec_access(struct http_req *req, struct link *l, struct recstore_rec *r)
{
	const char *id = http_param(req, "id");
	char err[512];
	int rc;

	if (auth_require(req, AUTH_ACCOUNT))
		return -EACCES;
	if (!recstore_id_valid(id)) {
		http_error(req, 400, "bad_id", "a recording id is 1-63 of [A-Za-z0-9_.:-], not starting with a dot");
		return -EINVAL;
	}
	link_load(req->db, id, l);
	if (req->principal.role == AUTH_ORGANIZER && (!l->row || l->organizer_id != req->principal.account_id)) {
		http_error(req, 404, "not_found", "no such recording");
		return -ENOENT;
	}
	rc = store_show(req->app, id, r, err, sizeof err);
	if (rc) {
		store_error(req, rc, err);
		return rc;
	}
	return 0;
}

static void audit_rec(struct http_req *req, const char *action, const struct link *l, const char *id,
                      json_t *detail)
{
	if (!detail)
		detail = json_object();
	json_object_set_new(detail, "recording", json_string(id));
	if (audit_log(req->db, &req->principal, action, "recording", l->row, detail))
		log_msg(LOG_ERROR, "audit write failed", "action=%s recording=%s", action, id);
}

/* webinars.replay_published_at follows the webinar's recordings: set while
 * one of them is published for replay (its registrants' identity then stays
 * with the recording, docs/control-live.md), cleared when none is any more
 * (unpublished, deleted, or expired in the store).  Left as it was when the
 * store cannot say (never erases early).  1 when it cleared the flag, else 0. */
static int replay_refresh(struct control *app, sqlite3 *db, int64_t webinar_id)
{
	sqlite3_stmt *st;
	bool published = false, known = true;

	if (!webinar_id)
		return 0;
	st = db_prepare(db, "SELECT rec_id FROM recordings WHERE webinar_id = ?", "i", webinar_id);
	while (st && sqlite3_step(st) == SQLITE_ROW && !published) {
		struct recstore_rec r;
		char err[512];
		int rc = store_show(app, (const char *)sqlite3_column_text(st, 0), &r, err, sizeof err);

		if (rc == 0)
			published = r.published;
		else if (rc != -ENOENT)
			known = false;
	}
	sqlite3_finalize(st);
	if (published) {
		db_exec(db, "UPDATE webinars SET replay_published_at = ? WHERE id = ? AND replay_published_at IS NULL",
		        "ii", amphi_now(), webinar_id);
		return 0;
	}
	if (known)
		return db_exec(db, "UPDATE webinars SET replay_published_at = NULL WHERE id = ? AND "
		                   "replay_published_at IS NOT NULL", "i", webinar_id) > 0;
	log_msg(LOG_WARN, "replay state of a webinar left as it was: recording store unavailable",
	        "webinar=%" PRId64, webinar_id);
	return 0;
}

int recordings_replay_sweep(struct control *app, sqlite3 *db)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM webinars WHERE replay_published_at IS NOT NULL", "");
	int64_t ids[256];
	int n = 0, cleared = 0;

	/* Collected first: the refresh writes to the table the statement reads. */
	while (st && n < (int)(sizeof ids / sizeof *ids) && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++)
		cleared += replay_refresh(app, db, ids[i]);
	return cleared;
}

/* The store's recordings for args (a list filter, stolen) that pass: all of
 * them when links is NULL (an administrator's list), else those with a link
 * in it (recording id -> [row, webinar, organizer]: stolen).  0 with *ans
 * {recordings, count, truncated?}, or the client's -errno with err. */
static int list_collect(struct control *app, sqlite3 *db, json_t *args, json_t *links, json_t **ans,
                        char *err, size_t errlen)
{
	json_t *resp = NULL, *out, *v;
	size_t i;
	int rc;

	*ans = NULL;
	rc = recstore_client_cmd(app->recstore, "list", args, &resp, err, errlen);
	json_decref(args);
	if (rc) {
		json_decref(links);
		return rc;
	}
	out = json_array();
	json_array_foreach(json_object_get(resp, "recordings"), i, v) {
		struct recstore_rec r;
		struct link l;
		json_t *o;

		if (recstore_rec_parse(v, &r, err, errlen)) {
			log_msg(LOG_WARN, "recording store listed a recording amphi-control cannot read", "why=\"%s\"", err);
			continue;
		}
		if (!links) {
			link_load(db, r.id, &l);
		} else if ((o = json_object_get(links, r.id))) {
			l.row = json_integer_value(json_array_get(o, 0));
			l.webinar_id = json_integer_value(json_array_get(o, 1));
			l.organizer_id = json_integer_value(json_array_get(o, 2));
		} else {
			continue;
		}
		json_array_append_new(out, rec_json(&r, &l));
	}
	*ans = json_pack("{s:o,s:I}", "recordings", out, "count", (json_int_t)json_array_size(out));
	if (*ans && json_is_true(json_object_get(resp, "truncated")))
		json_object_set_new(*ans, "truncated", json_true());
	json_decref(resp);
	json_decref(links);
	return *ans ? 0 : -ENOMEM;
}

/* Answers list_collect's list, or the store's error. */
static void list_answer(struct http_req *req, json_t *args, json_t *links)
{
	json_t *ans;
	char err[512];
	int rc = list_collect(req->app, req->db, args, links, &ans, err, sizeof err);

	if (rc)
		store_error(req, rc, err);
	else
		http_json(req, 200, ans);
}

/* The links of one organizer's or one webinar's recordings, as list_answer
 * takes them. */
static json_t *links_where(sqlite3 *db, const char *column, int64_t value)
{
	char sql[160];
	sqlite3_stmt *st;
	json_t *links = json_object();

	snprintf(sql, sizeof sql, "SELECT rec_id, id, COALESCE(webinar_id, 0), COALESCE(organizer_id, 0) "
	                          "FROM recordings WHERE %s = ?", column);
	st = db_prepare(db, sql, "i", value);
	while (st && sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(links, (const char *)sqlite3_column_text(st, 0),
		                    json_pack("[I,I,I]", (json_int_t)sqlite3_column_int64(st, 1),
		                              (json_int_t)sqlite3_column_int64(st, 2),
		                              (json_int_t)sqlite3_column_int64(st, 3)));
	sqlite3_finalize(st);
	return links;
}

/* GET /api/recordings: an organizer's own (its links, among the store's
 * recordings tagged with its account), everything for an administrator. */
static void rec_list(struct http_req *req)
{
	char org[24];

	if (auth_require(req, AUTH_ACCOUNT))
		return;
	if (req->principal.role == AUTH_ADMIN) {
		list_answer(req, NULL, NULL);
		return;
	}
	snprintf(org, sizeof org, "%" PRId64, req->principal.account_id);
	list_answer(req, json_pack("{s:s}", "org", org), links_where(req->db, "organizer_id", req->principal.account_id));
}

/* GET /api/webinars/{id}/recordings: the webinar's, for its organizer or an
 * administrator (another organizer's webinar is 404, as in webinar.h). */
static void rec_list_webinar(struct http_req *req)
{
	struct webinar w;
	int64_t id;
	char tag[24];

	if (auth_require(req, AUTH_ACCOUNT))
		return;
	if (http_param_id(req, "id", &id) || webinar_load(req->db, id, &w) ||
	    (req->principal.role == AUTH_ORGANIZER && w.organizer_id != req->principal.account_id)) {
		http_error(req, 404, "not_found", "no such webinar");
		return;
	}
	snprintf(tag, sizeof tag, "%" PRId64, id);
	list_answer(req, json_pack("{s:s}", "webinar", tag), links_where(req->db, "webinar_id", id));
}

int recordings_account_json(struct control *app, sqlite3 *db, int64_t account, json_t **out, char *err,
                            size_t errlen)
{
	json_t *links = links_where(db, "organizer_id", account), *ans;
	char org[24];
	int rc;

	*out = NULL;
	if (json_object_size(links) == 0) {
		json_decref(links);
		*out = json_array();
		return *out ? 0 : -ENOMEM;
	}
	snprintf(org, sizeof org, "%" PRId64, account);
	rc = list_collect(app, db, json_pack("{s:s}", "org", org), links, &ans, err, errlen);
	if (rc == 0) {
		*out = json_incref(json_object_get(ans, "recordings"));
		json_decref(ans);
	}
	return rc;
}

static void rec_show(struct http_req *req)
{
	struct recstore_rec r;
	struct link l;

	if (rec_access(req, &l, &r))
		return;
	http_json(req, 200, rec_json(&r, &l));
}

/* GET/HEAD .../media: the file through the store's mount, whole or one byte
 * range (range.h), never read into memory here (http_file). */
static void rec_media(struct http_req *req)
{
	const char *if_range = http_header(req, "If-Range"), *range = http_header(req, "Range");
	char etag[80], cr[96], disp[RECSTORE_ID_MAX + 64];
	uint64_t first, count, size;
	struct recstore_rec r;
	enum range_verdict v;
	struct stat st;
	struct link l;
	int fd;

	if (rec_access(req, &l, &r))
		return;
	if (!r.file[0]) {
		http_error(req, 503, "recstore_unavailable", "the recording store serves no mount to read recordings from");
		return;
	}
	fd = open(r.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (e == ENOENT)
			http_error(req, 404, "not_found", "no such recording");
		else
			http_error(req, 503, "recstore_unavailable", "cannot open the recording in the store's mount: %s",
			           strerror(e));
		return;
	}
	size = (uint64_t)st.st_size;
	snprintf(etag, sizeof etag, "\"%s\"", r.sha256);
	/* If-Range (RFC 9110 §13.1.5): the range only for this very file. */
	if (if_range && strcmp(if_range, etag) != 0)
		range = NULL;
	v = range_parse(range, range ? strlen(range) : 0, size, &first, &count);
	http_set_header(req, "Accept-Ranges", "bytes");
	http_set_header(req, "ETag", etag);
	snprintf(disp, sizeof disp, "inline; filename=\"%s%s\"", r.id, r.ext);
	http_set_header(req, "Content-Disposition", disp);
	if (v == RANGE_UNSATISFIABLE) {
		close(fd);
		snprintf(cr, sizeof cr, "bytes */%" PRIu64, size);
		http_set_header(req, "Content-Range", cr);
		http_error(req, 416, "range_not_satisfiable", "the recording has %" PRIu64 " bytes", size);
		return;
	}
	if (v == RANGE_PART) {
		snprintf(cr, sizeof cr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, first + count - 1, size);
		http_set_header(req, "Content-Range", cr);
	}
	http_file(req, v == RANGE_PART ? 206 : 200, content_type(&r), fd, first, count);
}

/* 200 with the recording as the store has it now (after a change), or the
 * store's error. */
static void answer_current(struct http_req *req, struct recstore_rec *r, const struct link *l)
{
	char err[512];
	int rc = store_show(req->app, r->id, r, err, sizeof err);

	if (rc)
		store_error(req, rc, err);
	else
		http_json(req, 200, rec_json(r, l));
}

/* POST .../publish {"until": optional time} and .../unpublish. */
static void rec_publish_set(struct http_req *req, bool publish)
{
	json_t *until = req->json ? json_object_get(req->json, "until") : NULL, *args;
	struct recstore_rec r;
	struct link l;
	char err[512];
	int rc;

	if (rec_access(req, &l, &r))
		return;
	if (until && (!publish || !(json_is_string(until) || json_is_integer(until)))) {
		http_error(req, 422, "invalid", publish ? "until: seconds since the epoch or an ISO 8601 time"
		                                        : "unpublish takes no until");
		return;
	}
	args = json_pack("{s:s,s:b,s:s}", "id", r.id, "published", publish, "why",
	                 publish ? "published for replay through amphi-control" : "unpublished through amphi-control");
	if (until)
		json_object_set(args, "until", until);
	if ((rc = store_change(req->app, "publish", args, err, sizeof err))) {
		store_error(req, rc, err);
		return;
	}
	audit_rec(req, publish ? "recording.publish" : "recording.unpublish", &l, r.id,
	          json_pack("{s:o}", "until", until ? json_copy(until) : json_null()));
	replay_refresh(req->app, req->db, l.webinar_id);
	answer_current(req, &r, &l);
}

static void rec_publish(struct http_req *req)
{
	rec_publish_set(req, true);
}

static void rec_unpublish(struct http_req *req)
{
	rec_publish_set(req, false);
}

static void rec_delete(struct http_req *req)
{
	struct recstore_rec r;
	struct link l;
	char err[512];
	int rc;

	if (rec_access(req, &l, &r))
		return;
	rc = store_change(req->app, "delete", json_pack("{s:s,s:s}", "id", r.id, "why",
	                  req->principal.role == AUTH_ADMIN ? "deleted by an administrator through amphi-control"
	                                                    : "deleted by its organizer through amphi-control"),
	                  err, sizeof err);
	if (rc) {
		store_error(req, rc, err);
		return;
	}
	audit_rec(req, "recording.delete", &l, r.id, NULL);
	replay_refresh(req->app, req->db, l.webinar_id);
	recordings_link_drop(req->db, r.id);
	http_empty(req, 204);
}

/* Legal hold: administrators only (an organizer gets 403 for its own
 * recording, 404 for any other). */
static void rec_hold_set(struct http_req *req, bool hold)
{
	struct recstore_rec r;
	struct link l;
	char err[512];
	int rc;

	if (rec_access(req, &l, &r))
		return;
	if (req->principal.role != AUTH_ADMIN) {
		http_error(req, 403, "forbidden", "a legal hold is set and lifted by an administrator");
		return;
	}
	rc = store_change(req->app, hold ? "hold" : "unhold", json_pack("{s:s,s:s}", "id", r.id, "why",
	                  hold ? "legal hold set through amphi-control" : "legal hold lifted through amphi-control"),
	                  err, sizeof err);
	if (rc) {
		store_error(req, rc, err);
		return;
	}
	audit_rec(req, hold ? "recording.hold" : "recording.unhold", &l, r.id, NULL);
	/* Lifting a hold may let the reaper delete a recording past its expiry at
	 * once: then the answer is 404, as a show would be. */
	answer_current(req, &r, &l);
}

static void rec_hold(struct http_req *req)
{
	rec_hold_set(req, true);
}

static void rec_unhold(struct http_req *req)
{
	rec_hold_set(req, false);
}

int recordings_routes(struct http_router *r, struct control *app)
{
	int rc = 0;

	rc = rc ? rc : http_route(r, "GET", "/api/recordings", rec_list, app, 0);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}/recordings", rec_list_webinar, app, 0);
	rc = rc ? rc : http_route(r, "GET", "/api/recordings/{id}", rec_show, app, 0);
	rc = rc ? rc : http_route(r, "DELETE", "/api/recordings/{id}", rec_delete, app, 0);
	rc = rc ? rc : http_route(r, "GET", "/api/recordings/{id}/media", rec_media, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/recordings/{id}/publish", rec_publish, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/recordings/{id}/unpublish", rec_unpublish, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/recordings/{id}/hold", rec_hold, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/recordings/{id}/unhold", rec_unhold, app, HTTP_JSON);
	return rc;
}
