/* audit: see audit.h. */
#include "control/audit.h"
#include "control/auth.h"
#include "control/db.h"
#include "control/http.h"
#include "common/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *role_name(enum auth_role r)
{
	switch (r) {
	case AUTH_ADMIN: return "admin";
	case AUTH_ORGANIZER: return "organizer";
	case AUTH_SPEAKER: return "speaker";
	case AUTH_PARTICIPANT: return "participant";
	default: return "anonymous";
	}
}

int audit_log(sqlite3 *db, const struct auth_principal *actor, const char *action,
              const char *target_type, int64_t target_id, json_t *detail)
{
	char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(detail);
	int64_t rc = db_insert(db, "INSERT INTO audit (at, actor_id, actor_role, action, target_type, target_id, detail) "
	                           "VALUES (?, NULLIF(?, 0), ?, ?, ?, NULLIF(?, 0), ?)", "iisssis",
	                       amphi_now(), actor && actor->account_id ? actor->account_id : (int64_t)0,
	                       actor ? role_name(actor->role) : "system", action, target_type, target_id, d);
	free(d);
	return rc < 0 ? (int)rc : 0;
}

int audit_connection(sqlite3 *db, const char *event, int64_t account_id, int64_t registration_id,
                     const char *ip)
{
	int64_t rc = db_insert(db, "INSERT INTO connection_logs (at, event, account_id, registration_id, ip) "
	                           "VALUES (?, ?, NULLIF(?, 0), NULLIF(?, 0), ?)", "isiis",
	                       amphi_now(), event, account_id, registration_id, ip && *ip ? ip : NULL);
	return rc < 0 ? (int)rc : 0;
}

/* GET /api/audit?limit=N&before=ID: newest first, pages by id. */
static void audit_list(struct http_req *req)
{
	if (auth_require(req, AUTH_ADMIN))
		return;
	long long limit = 100, before = INT64_MAX;
	const char *s;
	char *end;
	if ((s = http_query(req, "limit"))) {
		limit = strtoll(s, &end, 10);
		if (*end || limit < 1 || limit > 1000) {
			http_error(req, 400, "invalid_query", "limit: expected 1..1000, got '%s'", s);
			return;
		}
	}
	if ((s = http_query(req, "before"))) {
		before = strtoll(s, &end, 10);
		if (*end || before < 1) {
			http_error(req, 400, "invalid_query", "before: expected an entry id, got '%s'", s);
			return;
		}
	}
	sqlite3_stmt *st = db_prepare(req->db,
		"SELECT id, at, actor_id, actor_role, action, target_type, target_id, detail FROM audit "
		"WHERE id < ? ORDER BY id DESC LIMIT ?", "ii", (int64_t)before, (int64_t)limit);
	json_t *rows = json_array();
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		char ts[32];
		json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		                      "at", amphi_time_iso(sqlite3_column_int64(st, 1), ts, sizeof ts),
		                      "actor_role", (const char *)sqlite3_column_text(st, 3),
		                      "action", (const char *)sqlite3_column_text(st, 4));
		json_object_set_new(o, "actor_id", sqlite3_column_int64(st, 2)
		                    ? json_integer(sqlite3_column_int64(st, 2)) : json_null());
		const char *tt = (const char *)sqlite3_column_text(st, 5);
		json_object_set_new(o, "target_type", tt ? json_string(tt) : json_null());
		json_object_set_new(o, "target_id", sqlite3_column_type(st, 6) == SQLITE_NULL
		                    ? json_null() : json_integer(sqlite3_column_int64(st, 6)));
		const char *d = (const char *)sqlite3_column_text(st, 7);
		json_t *dj = d ? json_loads(d, 0, NULL) : NULL;
		json_object_set_new(o, "detail", dj ? dj : json_null());
		json_array_append_new(rows, o);
	}
	sqlite3_finalize(st);
	http_json(req, 200, json_pack("{s:o}", "entries", rows));
}

int audit_routes(struct http_router *r, struct control *app)
{
	return http_route(r, "GET", "/api/audit", audit_list, app, 0);
}
