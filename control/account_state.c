/* account_state: see account_state.h. */
#include "control/account_state.h"
#include "control/accounts.h"
#include "control/audit.h"
#include "control/auth.h"
#include "control/control.h"
#include "control/db.h"
#include "control/expiry.h"
#include "control/http.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static void state_set(struct http_req *req)
{
	struct control *app = req->app;
	const char *state = json_string_value(json_object_get(req->json, "state"));
	int64_t id, now = amphi_now(), deadline;
	const char *action;
	int r;

	if (auth_require(req, AUTH_ADMIN))
		return;
	if (http_param_id(req, "id", &id) != 0 ||
	    !db_int(req->db, 0, "SELECT count(*) FROM accounts WHERE id = ?", "i", id)) {
		http_error(req, 404, "not_found", "no such account");
		return;
	}
	if (!state || (strcmp(state, "active") && strcmp(state, "suspended") && strcmp(state, "deactivated")) ||
	    json_object_size(req->json) != 1) {
		http_error_json(req, 422, "invalid", json_pack("[{s:s,s:s}]", "field", "state", "error",
		                "required, and the only field: \"active\", \"suspended\" or \"deactivated\""));
		return;
	}
	if (id == req->principal.account_id) {
		http_error(req, 409, "conflict", "an administrator cannot change their own account's state");
		return;
	}
	if (strcmp(state, "active") != 0 &&
	    db_int(req->db, 0, "SELECT role = 'admin' AND suspended_at IS NULL AND deactivated_at IS NULL "
	                       "FROM accounts WHERE id = ?", "i", id) &&
	    !db_int(req->db, 0, "SELECT count(*) FROM accounts WHERE role = 'admin' AND id != ? AND "
	                        "suspended_at IS NULL AND deactivated_at IS NULL", "i", id)) {
		http_error(req, 409, "conflict", "the last active administrator cannot be %s", state);
		return;
	}
	db_begin(req->db);
	if (strcmp(state, "active") == 0) {
		action = "account.activate";
		r = db_exec(req->db, "UPDATE accounts SET suspended_at = NULL, deactivated_at = NULL, updated_at = ? "
		                     "WHERE id = ?", "ii", now, id);
	} else {
		/* The first change counts: suspending again does not restart the clock. */
		action = strcmp(state, "suspended") == 0 ? "account.suspend" : "account.deactivate";
		r = db_exec(req->db, strcmp(state, "suspended") == 0
		            ? "UPDATE accounts SET suspended_at = coalesce(suspended_at, ?), updated_at = ? WHERE id = ?"
		            : "UPDATE accounts SET deactivated_at = coalesce(deactivated_at, ?), updated_at = ? WHERE id = ?",
		            "iii", now, now, id);
		if (r >= 0)
			r = auth_sessions_end_all(req->db, id);
		if (r >= 0)
			r = db_exec(req->db, "DELETE FROM reset_tokens WHERE account_id = ?", "i", id);
	}
	if (r < 0 || audit_log(req->db, &req->principal, action, "account", id, NULL) != 0 || db_commit(req->db)) {
		db_rollback(req->db);
		http_error(req, 500, "internal", "cannot change the account's state");
		return;
	}
	log_msg(LOG_INFO, "account state changed", "account=%" PRId64 " state=%s", id, state);
	deadline = strcmp(state, "deactivated") == 0
	           ? retention_deadline(&app->retention, RETENTION_ACCOUNT_DEACTIVATED,
	                                db_int(req->db, now, "SELECT deactivated_at FROM accounts WHERE id = ?", "i", id))
	           : INT64_MAX;
	if (deadline <= now) {
		/* [account_deactivated] is due at once: the account goes now. */
		r = expiry_account_delete(app, req->db, id, now, NULL, "account.expire", "account_deactivated", NULL);
		if (r < 0) {
			http_error(req, 500, "internal", "the account is deactivated but could not be deleted: "
			           "the retention sweep will");
			return;
		}
		http_json(req, 200, json_pack("{s:I,s:s,s:b}", "id", (json_int_t)id, "state", "deactivated",
		                              "deleted", 1));
		return;
	}
	http_json(req, 200, accounts_json(req->db, id));
}

int account_state_routes(struct http_router *r, struct control *app)
{
	return http_route(r, "POST", "/api/accounts/{id}/state", state_set, app, HTTP_JSON);
}
