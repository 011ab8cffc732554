/* restriction: see restriction.h. */
#include "control/restriction.h"
#include "control/accounts.h"
#include "control/audit.h"
#include "control/auth.h"
#include "control/control.h"
#include "control/db.h"
#include "control/erasure.h"
#include "control/forms.h"
#include "control/http.h"
#include "control/subject.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* Freezes account id: restricted_at (the first time kept), its sessions and
 * reset tokens end; audited.  0 or -EIO (nothing changed). */
static int account_restrict(sqlite3 *db, int64_t id, const struct auth_principal *actor, int64_t now)
{
	if (db_begin(db))
		return -EIO;
	if (db_exec(db, "UPDATE accounts SET restricted_at = coalesce(restricted_at, ?), updated_at = ? WHERE id = ?",
	            "iii", now, now, id) != 1 ||
	    auth_sessions_end_all(db, id) < 0 ||
	    db_exec(db, "DELETE FROM reset_tokens WHERE account_id = ?", "i", id) < 0 ||
	    audit_log(db, actor, "account.restrict", "account", id, NULL) || db_commit(db)) {
		db_rollback(db);
		return -EIO;
	}
	log_msg(LOG_INFO, "account restricted", "account=%" PRId64, id);
	return 0;
}

/* Freezes every registration of email, cutting their viewers on the relay;
 * appends their ids to ids.  0 or -EIO (the ones before stay frozen). */
static int registrations_restrict(struct control *app, sqlite3 *db, const char *email,
                                  const struct auth_principal *actor, int64_t now, json_t *ids)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM registrations WHERE email = ? ORDER BY id", "s", email);
	json_t *v;
	size_t i;

	while (st && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(ids, json_integer(sqlite3_column_int64(st, 0)));
	sqlite3_finalize(st);
	json_array_foreach(ids, i, v) {
		int64_t reg = json_integer_value(v);
		int cut;

		if (db_begin(db))
			return -EIO;
		if (db_exec(db, "UPDATE registrations SET restricted_at = coalesce(restricted_at, ?) WHERE id = ?", "ii",
		            now, reg) != 1 ||
		    audit_log(db, actor, "registration.restrict", "registration", reg, NULL) || db_commit(db)) {
			db_rollback(db);
			return -EIO;
		}
		cut = erasure_registration_cut(app, db, reg);
		log_msg(LOG_INFO, "registration restricted", "registration=%" PRId64 " relay_sessions=%d", reg, cut);
	}
	return 0;
}

/* The answer of a restriction: what was frozen, since when. */
static void answer(struct http_req *req, int64_t account, json_t *regs, int64_t now)
{
	char at[32];

	http_json(req, 200, json_pack("{s:{s:o,s:O},s:s,s:s}", "restricted", "account_id",
	                              account ? json_integer(account) : json_null(), "registrations", regs,
	                              "restricted_at", amphi_time_iso(now, at, sizeof at), "lifted_by",
	                              "an administrator, when the reason for the restriction ends"));
}

/* The last active administrator is never frozen: nobody could lift it. */
static bool last_admin(sqlite3 *db, int64_t id)
{
	return db_int(db, 0, "SELECT role = 'admin' FROM accounts WHERE id = ?", "i", id) &&
	       !db_int(db, 0, "SELECT count(*) FROM accounts WHERE role = 'admin' AND id != ? AND "
	                      "suspended_at IS NULL AND deactivated_at IS NULL AND restricted_at IS NULL", "i", id);
}

static void me_restrict(struct http_req *req)
{
	struct subject who;
	int64_t now = amphi_now();
	json_t *regs;

	if (subject_from_request(req, &who))
		return;
	regs = json_array();
	if (who.kind == SUBJECT_ACCOUNT) {
		if (last_admin(req->db, who.account_id)) {
			http_error(req, 409, "conflict", "the last active administrator cannot be restricted");
			goto out;
		}
		if (account_restrict(req->db, who.account_id, &req->principal, now)) {
			http_error(req, 500, "internal", "cannot restrict the account: nothing changed");
			goto out;
		}
		auth_session_end(req);   /* the cookie of a session that ended */
		answer(req, who.account_id, regs, now);
	} else {
		if (registrations_restrict(req->app, req->db, who.email, &req->principal, now, regs)) {
			http_error(req, 500, "internal", "cannot restrict every registration now: try again");
			goto out;
		}
		answer(req, 0, regs, now);
	}
out:
	json_decref(regs);
}

/* An administrator, for a request received by mail or letter: the account
 * of the address and every registration of it. */
static void admin_restrict(struct http_req *req)
{
	const char *email = json_string_value(json_object_get(req->json, "email"));
	int64_t now = amphi_now(), account;
	json_t *regs;

	if (auth_require(req, AUTH_ADMIN))
		return;
	if (!email || !forms_email_valid(email) || json_object_size(req->json) != 1) {
		http_error_json(req, 422, "invalid", json_pack("[{s:s,s:s}]", "field", "email", "error",
		                "required, and the only field: the address of the person"));
		return;
	}
	account = db_int(req->db, 0, "SELECT id FROM accounts WHERE email = ?", "s", email);
	if (!account && !db_int(req->db, 0, "SELECT count(*) FROM registrations WHERE email = ?", "s", email)) {
		http_error(req, 404, "not_found", "no account and no registration has this address");
		return;
	}
	if (account && (account == req->principal.account_id || last_admin(req->db, account))) {
		http_error(req, 409, "conflict", "an administrator cannot restrict their own account or the last "
		           "active administrator");
		return;
	}
	regs = json_array();
	if ((account && account_restrict(req->db, account, &req->principal, now)) ||
	    registrations_restrict(req->app, req->db, email, &req->principal, now, regs))
		http_error(req, 500, "internal", "cannot restrict everything now: try again");
	else
		answer(req, account, regs, now);
	json_decref(regs);
}

static void admin_list(struct http_req *req)
{
	json_t *accounts = json_array(), *regs = json_array();
	sqlite3_stmt *st;
	char at[32];

	if (auth_require(req, AUTH_ADMIN)) {
		json_decref(accounts);
		json_decref(regs);
		return;
	}
	st = db_prepare(req->db, "SELECT id, email, restricted_at FROM accounts WHERE restricted_at IS NOT NULL "
	                         "ORDER BY restricted_at, id", "");
	while (st && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(accounts, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		                      "email", (const char *)sqlite3_column_text(st, 1), "restricted_at",
		                      amphi_time_iso(sqlite3_column_int64(st, 2), at, sizeof at)));
	sqlite3_finalize(st);
	st = db_prepare(req->db, "SELECT id, webinar_id, email, restricted_at FROM registrations "
	                         "WHERE restricted_at IS NOT NULL ORDER BY restricted_at, id", "");
	while (st && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(regs, json_pack("{s:I,s:I,s:s?,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		                      "webinar_id", (json_int_t)sqlite3_column_int64(st, 1),
		                      "email", (const char *)sqlite3_column_text(st, 2), "restricted_at",
		                      amphi_time_iso(sqlite3_column_int64(st, 3), at, sizeof at)));
	sqlite3_finalize(st);
	http_json(req, 200, json_pack("{s:o,s:o}", "accounts", accounts, "registrations", regs));
}

/* DELETE .../{id}/restriction: table "accounts" or "registrations". */
static void lift(struct http_req *req, const char *table, const char *what)
{
	char sql[128], action[32];
	int64_t id;

	if (auth_require(req, AUTH_ADMIN))
		return;
	snprintf(sql, sizeof sql, "UPDATE %s SET restricted_at = NULL WHERE id = ? AND restricted_at IS NOT NULL",
	         table);
	snprintf(action, sizeof action, "%s.unrestrict", what);
	if (http_param_id(req, "id", &id)) {
		http_error(req, 404, "not_found", "no such %s", what);
		return;
	}
	if (db_begin(req->db)) {
		http_error(req, 503, "busy", "the database is busy, try again");
		return;
	}
	if (db_exec(req->db, sql, "i", id) != 1) {
		db_rollback(req->db);
		http_error(req, 404, "not_found", "no restricted %s of this id", what);
		return;
	}
	if (audit_log(req->db, &req->principal, action, what, id, NULL) || db_commit(req->db)) {
		db_rollback(req->db);
		http_error(req, 500, "internal", "cannot lift the restriction");
		return;
	}
	log_msg(LOG_INFO, "restriction lifted", "%s=%" PRId64, what, id);
	if (strcmp(what, "account") == 0)
		http_json(req, 200, accounts_json(req->db, id));
	else
		http_json(req, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "restricted", 0));
}

static void lift_account(struct http_req *req) { lift(req, "accounts", "account"); }
static void lift_registration(struct http_req *req) { lift(req, "registrations", "registration"); }

int restriction_routes(struct http_router *r, struct control *app)
{
	int rc = 0;

	rc = rc ? rc : http_route(r, "POST", "/api/me/restriction", me_restrict, app, 0);
	rc = rc ? rc : http_route(r, "GET", "/api/restrictions", admin_list, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/restrictions", admin_restrict, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "DELETE", "/api/accounts/{id}/restriction", lift_account, app, 0);
	rc = rc ? rc : http_route(r, "DELETE", "/api/registrations/{id}/restriction", lift_registration, app, 0);
	return rc;
}
