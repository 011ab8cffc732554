/* stats: see stats.h. */
#include "control/stats.h"
#include "control/db.h"
#include "control/forms.h"
#include "control/http.h"
#include "control/webinar.h"
#include "common/clock.h"
#include "common/log.h"

#include <string.h>

static void ensure_row(sqlite3 *db, int64_t webinar)
{
	db_exec(db, "INSERT OR IGNORE INTO webinar_stats (webinar_id) VALUES (?)", "i", webinar);
}

void stats_count(sqlite3 *db, int64_t webinar, enum stats_counter c)
{
	static const char *const sql[] = {
		[STATS_MESSAGES] = "UPDATE webinar_stats SET messages = messages + 1 WHERE webinar_id = ?",
		[STATS_QUESTIONS] = "UPDATE webinar_stats SET questions = questions + 1 WHERE webinar_id = ?",
		[STATS_VOTES] = "UPDATE webinar_stats SET votes = votes + 1 WHERE webinar_id = ?",
	};

	ensure_row(db, webinar);
	if (db_exec(db, sql[c], "i", webinar) != 1)
		log_msg(LOG_WARN, "statistics not counted", "webinar=%lld", (long long)webinar);
}

void stats_viewer_join(sqlite3 *db, int64_t webinar, int64_t token_id, unsigned viewers_now)
{
	ensure_row(db, webinar);
	db_exec(db, "UPDATE webinar_stats SET current_viewers = current_viewers + 1, "
	        "peak_viewers = MAX(peak_viewers, current_viewers + 1, ?) WHERE webinar_id = ?", "ii",
	        (int64_t)viewers_now, webinar);
	/* A join token's first stream is a unique join; the token keeps only
	 * the fact, the statistics only the count. */
	if (db_exec(db, "UPDATE tokens SET joined_at = ? WHERE id = ? AND joined_at IS NULL", "ii",
	            amphi_now(), token_id) == 1)
		db_exec(db, "UPDATE webinar_stats SET unique_joins = unique_joins + 1 WHERE webinar_id = ?", "i", webinar);
}

void stats_viewer_leave(sqlite3 *db, int64_t webinar, int64_t watched_s)
{
	db_exec(db, "UPDATE webinar_stats SET current_viewers = MAX(current_viewers - 1, 0), "
	        "watch_seconds = watch_seconds + ? WHERE webinar_id = ?", "ii", watched_s, webinar);
}

void stats_reset_current(struct db *pool)
{
	sqlite3 *db = db_acquire(pool);
	db_exec(db, "UPDATE webinar_stats SET current_viewers = 0 WHERE current_viewers != 0", "");
	db_release(pool, db);
}

static void stats_show(struct http_req *req)
{
	struct webinar w;
	sqlite3_stmt *st;
	json_t *o = NULL, *hist = json_object();
	int64_t n = 0, sum = 0;

	if (webinar_access(req, AUTH_ORGANIZER, &w)) {
		json_decref(hist);
		return;
	}
	st = db_prepare(req->db, "SELECT current_viewers, peak_viewers, unique_joins, watch_seconds, messages, "
	                "questions, votes FROM webinar_stats WHERE webinar_id = ?", "i", w.id);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		o = db_row_json(st);
	sqlite3_finalize(st);
	if (!o)
		o = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "current_viewers", 0, "peak_viewers", 0,
		              "unique_joins", 0, "watch_seconds", 0, "messages", 0, "questions", 0, "votes", 0);
	for (int score = 1; score <= 5; score++) {
		int64_t c = db_int(req->db, 0, "SELECT count FROM rating_counts WHERE webinar_id = ? AND score = ?",
		                   "ii", w.id, (int64_t)score);
		char k[2] = { (char)('0' + score), '\0' };
		json_object_set_new(hist, k, json_integer(c));
		n += c;
		sum += c * score;
	}
	json_object_set_new(o, "webinar_id", json_integer(w.id));
	json_object_set_new(o, "ratings", hist);
	json_object_set_new(o, "rating_count", json_integer(n));
	json_object_set_new(o, "rating_average", n ? json_real((double)sum / (double)n) : json_null());
	http_json(req, 200, o);
}

static void rating_post(struct http_req *req)
{
	json_t *errors = json_array();
	struct webinar w;
	int rating = 0, r;

	if (webinar_access(req, AUTH_PARTICIPANT, &w)) {
		json_decref(errors);
		return;
	}
	if (forms_rating_parse(req->json, &rating, errors)) {
		webinar_invalid(req, errors);
		return;
	}
	json_decref(errors);
	if (strcmp(w.state, "scheduled") == 0) {
		http_error(req, 409, "not_live", "the webinar has not started yet");
		return;
	}
	if (db_begin(req->db)) {
		http_error(req, 503, "busy", "the database is busy, try again");
		return;
	}
	r = db_exec(req->db, "UPDATE tokens SET rated_at = ? WHERE id = ? AND rated_at IS NULL", "ii",
	            amphi_now(), req->principal.token_id);
	if (r == 1)
		r = db_exec(req->db, "INSERT INTO rating_counts (webinar_id, score, count) VALUES (?, ?, 1) "
		            "ON CONFLICT (webinar_id, score) DO UPDATE SET count = count + 1", "ii", w.id, (int64_t)rating);
	if (r != 1 || db_commit(req->db)) {
		db_rollback(req->db);
		if (r == 0)
			http_error(req, 409, "already_rated", "this webinar was already rated with this token");
		else
			http_error(req, 500, "internal", "cannot store the rating");
		return;
	}
	http_empty(req, 204);
}

int stats_routes(struct http_router *r, struct control *app)
{
	int rc = 0;

	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}/stats", stats_show, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/rating", rating_post, app, HTTP_JSON);
	return rc;
}
