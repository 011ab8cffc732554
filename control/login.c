/* login: see login.h. */
#include "control/login.h"
#include "control/accounts.h"
#include "control/audit.h"
#include "control/auth.h"
#include "control/control.h"
#include "control/db.h"
#include "control/devcookie.h"
#include "control/http.h"
#include "control/pwhash.h"
#include "control/throttle.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A login waiting for its hash: req->defer_arg. */
struct login {
	struct pwhash_job job;     /* job.arg: the request */
	int64_t account_id;        /* 0: no such (active) account, verified against the dummy hash */
	uint64_t email, source;    /* throttle keys */
	uint64_t device;           /* the device cookie's key when trusted, else 0 */
};

static void answer_locked(struct http_req *req, int64_t retry_after)
{
	throttle_answer(req, 423, "locked", "too many wrong passwords: try again later", retry_after);
}

static void answer_throttled(struct http_req *req, int64_t retry_after)
{
	throttle_answer(req, 429, "too_many_attempts", "too many attempts from here or for this address: "
	                "try again later", retry_after);
}

/* A wrong password (or an unknown email): counts it where it belongs and
 * answers 401, or 423 when it locks. */
static void login_failed(struct http_req *req, struct login *l, int64_t now)
{
	struct control *app = req->app;
	int64_t delay;

	if (l->device) {
		delay = throttle_fail(l->device, now);
	} else if (l->account_id) {
		db_begin(req->db);
		int64_t failed = db_int(req->db, 0, "UPDATE accounts SET failed_logins = failed_logins + 1 "
		                                    "WHERE id = ? RETURNING failed_logins", "i", l->account_id);
		int locks = (int)db_int(req->db, 0, "SELECT lock_count FROM accounts WHERE id = ?", "i", l->account_id);
		delay = failed >= auth_config()->lock_threshold ? throttle_lock_delay(locks + 1) : 0;
		if (delay)
			db_exec(req->db, "UPDATE accounts SET failed_logins = 0, lock_count = lock_count + 1, "
			                 "locked_until = ? WHERE id = ?", "ii", now + delay, l->account_id);
		db_commit(req->db);
	} else {
		delay = throttle_fail(l->email, now);
	}
	audit_connection(req->db, "login_failed", l->account_id, 0, req->client_ip);
	if (delay) {
		if (l->account_id)
			log_msg(LOG_INFO, "account locked", "account=%lld seconds=%lld device=%s",
			        (long long)l->account_id, (long long)delay, l->device ? "trusted" : "untrusted");
		atomic_fetch_add(&app->logins_locked, 1);
		answer_locked(req, delay);
	} else {
		atomic_fetch_add(&app->logins_failed, 1);
		http_error(req, 401, "invalid_credentials", "wrong email or password");
	}
}

/* On a worker once the hash is done (http_continue). */
static void login_finish(struct http_req *req)
{
	struct control *app = req->app;
	struct login *l = req->defer_arg;
	int64_t now = amphi_now(), id = l->account_id;

	req->defer_arg = NULL;
	if (!l->device) {
		throttle_inflight_put(l->email);
		throttle_inflight_put(l->source);
	}
	if (l->job.result == -ECANCELED || l->job.result == -ENOMEM || l->job.result == -EAGAIN) {
		http_set_header(req, "Retry-After", "2");
		http_error(req, 503, "busy", "too many passwords being checked: try again shortly");
		goto out;
	}
	if (l->job.result != 0 || !id) {
		login_failed(req, l, now);
		goto out;
	}
	/* Told only to whoever knows the password: a restricted account is
	 * kept, not used (GDPR art. 18, restriction.h). */
	if (db_int(req->db, 0, "SELECT restricted_at IS NOT NULL FROM accounts WHERE id = ?", "i", id)) {
		audit_connection(req->db, "login_restricted", id, 0, req->client_ip);
		http_error(req, 403, "restricted", "this account is restricted (GDPR art. 18): kept, but not used "
		           "until an administrator lifts the restriction");
		goto out;
	}
	if (l->job.rehash[0]) {
		db_exec(req->db, "UPDATE accounts SET password_hash = ? WHERE id = ?", "si", l->job.rehash, id);
		log_msg(LOG_INFO, "password rehashed with the current limits", "account=%lld", (long long)id);
	}
	/* A trusted device's success says nothing about the failures from
	 * elsewhere: the account's lock stays for untrusted clients. */
	if (l->device)
		throttle_clear(l->device);
	else
		db_exec(req->db, "UPDATE accounts SET failed_logins = 0, lock_count = 0, locked_until = 0 "
		                 "WHERE id = ?", "i", id);
	db_exec(req->db, "UPDATE accounts SET last_login_at = ? WHERE id = ?", "ii", now, id);
	if (auth_session_start(req, id) != 0) {
		http_error(req, 500, "internal", "cannot create a session");
		goto out;
	}
	if (devcookie_issue(req, id) != 0)
		log_msg(LOG_WARN, "no device cookie issued", "account=%lld", (long long)id);
	audit_connection(req->db, "login", id, 0, req->client_ip);
	atomic_fetch_add(&app->logins_ok, 1);
	log_msg(LOG_INFO, "login", "account=%lld device=%s", (long long)id, l->device ? "trusted" : "new");
	json_t *acc = accounts_json(req->db, id);
	bool must = json_is_true(json_object_get(acc, "must_change_password"));
	http_json(req, 200, json_pack("{s:o,s:b}", "account", acc, "must_change_password", must));
out:
	sodium_memzero(&l->job, sizeof l->job);
	free(l);
}

/* The hashing queue's order: what the source has left of its attempts now. */
static unsigned login_credit(const struct pwhash_job *job)
{
	const struct login *l = (const struct login *)job;   /* job is l's first member */
	return throttle_source_left(l->source);
}

/* On the hashing thread: back to a worker. */
static void login_done(struct pwhash_job *job)
{
	http_continue(job->arg, login_finish);
}

static void login_start(struct http_req *req)
{
	struct control *app = req->app;
	const char *email = json_string_value(json_object_get(req->json, "email"));
	const char *pw = json_string_value(json_object_get(req->json, "password"));

	if (!email || !pw) {
		json_t *errors = json_array();
		if (!email)
			json_array_append_new(errors, json_pack("{s:s,s:s}", "field", "email", "error", "required, a string"));
		if (!pw)
			json_array_append_new(errors, json_pack("{s:s,s:s}", "field", "password", "error", "required, a string"));
		http_error_json(req, 422, "invalid", errors);
		return;
	}
	struct login *l = calloc(1, sizeof *l);
	if (!l) {
		http_error(req, 500, "internal", "out of memory");
		return;
	}
	int64_t now = amphi_now(), locked_until = 0, retry = 0;
	l->email = throttle_key(THROTTLE_EMAIL, email, strlen(email));
	l->source = throttle_key(THROTTLE_SOURCE, req->client_ip, strlen(req->client_ip));
	/* Without any device cookie the address's budget is checked before the
	 * database is touched: a flood costs a hash-table lookup per attempt. */
	bool maybe_trusted = http_cookie(req, DEVCOOKIE_NAME) != NULL;
	if (!maybe_trusted && throttle_source_take(l->source, &retry) != 0) {
		answer_throttled(req, retry);
		goto refused;
	}
	sqlite3_stmt *st = db_prepare(req->db,
		"SELECT id, password_hash, locked_until FROM accounts "
		"WHERE email = ? AND deactivated_at IS NULL AND suspended_at IS NULL", "s", email);
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		l->account_id = sqlite3_column_int64(st, 0);
		snprintf(l->job.hash, sizeof l->job.hash, "%s", (const char *)sqlite3_column_text(st, 1));
		locked_until = sqlite3_column_int64(st, 2);
	} else {
		snprintf(l->job.hash, sizeof l->job.hash, "%s", auth_password_dummy_hash());
	}
	sqlite3_finalize(st);
	/* OWASP: a device cookie that is itself locked counts as no cookie. */
	if (l->account_id && devcookie_check(req, l->account_id, &l->device) == 0 &&
	    throttle_locked(l->device, now) > 0)
		l->device = 0;

	if (maybe_trusted && !l->device && throttle_source_take(l->source, &retry) != 0) {
		answer_throttled(req, retry);
		goto refused;
	}
	int64_t left = l->device ? 0 : l->account_id ? (locked_until > now ? locked_until - now : 0)
	                                              : throttle_locked(l->email, now);
	if (left > 0) {
		audit_connection(req->db, "login_locked", l->account_id, 0, req->client_ip);
		atomic_fetch_add(&app->logins_locked, 1);
		answer_locked(req, left);
		goto refused;
	}
	if (!l->device) {
		if (throttle_inflight_take(l->email, 1) != 0) {
			answer_throttled(req, 1);
			goto refused;
		}
		if (throttle_inflight_take(l->source, THROTTLE_SOURCE_INFLIGHT) != 0) {
			throttle_inflight_put(l->email);
			answer_throttled(req, 1);
			goto refused;
		}
	}
	l->job.op = PWHASH_VERIFY;
	l->job.password = pw;   /* req->json's: lives as long as the request */
	l->job.credit = PWHASH_CREDIT_MAX;
	l->job.credit_fn = l->device ? NULL : login_credit;
	l->job.done = login_done;
	l->job.arg = req;
	req->defer_arg = l;
	if (pwhash_submit(&l->job) != 0) {
		req->defer_arg = NULL;
		if (!l->device) {
			throttle_inflight_put(l->email);
			throttle_inflight_put(l->source);
		}
		http_set_header(req, "Retry-After", "2");
		http_error(req, 503, "busy", "too many passwords being checked: try again shortly");
		goto refused;
	}
	http_defer(req);
	return;
refused:
	sodium_memzero(&l->job, sizeof l->job);
	free(l);
}

int login_routes(struct http_router *r, struct control *app)
{
	return http_route(r, "POST", "/api/login", login_start, app, HTTP_JSON);
}
