/* accounts: see accounts.h. */
#include "control/accounts.h"
#include "control/audit.h"
#include "control/auth.h"
#include "control/control.h"
#include "control/db.h"
#include "control/expiry.h"
#include "control/http.h"
#include "control/throttle.h"
#include "control/mail.h"
#include "control/password.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define NAME_MAX_BYTES 200      /* names, company, job title: 100 characters of up to 2 bytes */
#define ADDRESS_MAX_BYTES 600

/* --- field validation ----------------------------------------------------------- */

bool accounts_email_valid(const char *s)
{
	size_t n = strlen(s);
	const char *at = strrchr(s, '@');
	if (n > 254 || !at || at == s || (size_t)(at - s) > 64 || !at[1])
		return false;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f || c == '@' || c == '<' || c == '>' || c == '(' || c == ')' ||
		    c == ',' || c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' || c == ']')
			return false;
	}
	if (s[0] == '.' || at[-1] == '.' || strstr(s, ".."))
		return false;
	/* domain: labels of [A-Za-z0-9-], 1..63 bytes, not starting or ending with '-' */
	const char *label = at + 1;
	for (const char *p = at + 1;; p++) {
		if (*p == '.' || !*p) {
			size_t l = (size_t)(p - label);
			if (l == 0 || l > 63 || label[0] == '-' || p[-1] == '-')
				return false;
			if (!*p)
				break;
			label = p + 1;
			continue;
		}
		unsigned char c = (unsigned char)*p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool phone_valid(const char *s)
{
	int digits = 0;
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr("+ -.()", *p))
			return false;
	}
	return digits >= 6 && digits <= 20 && strlen(s) <= 30;
}

static bool text_ok(const char *s, size_t max)
{
	if (strlen(s) > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			return false;
	return true;
}

static void field_error(json_t *errors, const char *field, const char *msg)
{
	json_array_append_new(errors, json_pack("{s:s,s:s}", "field", field, "error", msg));
}

/* The editable fields of an account; NULL = absent from the body. */
struct account_form {
	const char *email, *first_name, *last_name, *phone, *address, *company, *job_title, *role;
	bool clear_phone, clear_address, clear_company, clear_job_title;  /* given as null or "" */
	bool unlock, reset_password;   /* PATCH actions */
	int nset;
};

/* Reads one optional string field; null or "" clears optional ones. */
static void get_str(json_t *body, const char *key, const char **out, bool *clear, size_t max,
                    json_t *errors, int *nset)
{
	json_t *v = json_object_get(body, key);
	if (!v)
		return;
	(*nset)++;
	if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v))) {
		if (clear)
			*clear = true;
		else
			field_error(errors, key, "must not be empty");
		return;
	}
	if (!json_is_string(v)) {
		field_error(errors, key, "must be a string");
		return;
	}
	if (!text_ok(json_string_value(v), max)) {
		field_error(errors, key, "too long or contains control characters");
		return;
	}
	*out = json_string_value(v);
}

static int account_form_parse(json_t *body, bool create, struct account_form *f, json_t *errors)
{
	static const char *const known[] = { "email", "first_name", "last_name", "phone", "address",
	                                     "company", "job_title", "role", "unlock", "reset_password", NULL };
	memset(f, 0, sizeof *f);
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		bool found = false;
		for (int i = 0; known[i]; i++)
			found |= strcmp(known[i], k) == 0;
		if (!found || (create && (strcmp(k, "unlock") == 0 || strcmp(k, "reset_password") == 0)))
			field_error(errors, k, "unknown field");
	}
	get_str(body, "email", &f->email, NULL, 254, errors, &f->nset);
	get_str(body, "first_name", &f->first_name, NULL, NAME_MAX_BYTES, errors, &f->nset);
	get_str(body, "last_name", &f->last_name, NULL, NAME_MAX_BYTES, errors, &f->nset);
	get_str(body, "phone", &f->phone, &f->clear_phone, 30, errors, &f->nset);
	get_str(body, "address", &f->address, &f->clear_address, ADDRESS_MAX_BYTES, errors, &f->nset);
	get_str(body, "company", &f->company, &f->clear_company, NAME_MAX_BYTES, errors, &f->nset);
	get_str(body, "job_title", &f->job_title, &f->clear_job_title, NAME_MAX_BYTES, errors, &f->nset);
	get_str(body, "role", &f->role, NULL, 20, errors, &f->nset);
	if (f->email && !accounts_email_valid(f->email))
		field_error(errors, "email", "not a valid email address");
	if (f->phone && !phone_valid(f->phone))
		field_error(errors, "phone", "6 to 20 digits, with optional + - . ( ) and spaces");
	if (f->role && strcmp(f->role, "admin") != 0 && strcmp(f->role, "organizer") != 0)
		field_error(errors, "role", "must be \"admin\" or \"organizer\"");
	if (!create) {
		json_t *u = json_object_get(body, "unlock"), *r = json_object_get(body, "reset_password");
		if (u && !json_is_boolean(u))
			field_error(errors, "unlock", "must be true or false");
		if (r && !json_is_boolean(r))
			field_error(errors, "reset_password", "must be true or false");
		f->unlock = json_is_true(u);
		f->reset_password = json_is_true(r);
		if (u || r)
			f->nset++;
		if (f->nset == 0)
			field_error(errors, "", "nothing to change");
	} else {
		if (!f->email && !json_object_get(body, "email"))
			field_error(errors, "email", "required");
		if (!f->first_name && !json_object_get(body, "first_name"))
			field_error(errors, "first_name", "required");
		if (!f->last_name && !json_object_get(body, "last_name"))
			field_error(errors, "last_name", "required");
	}
	return json_array_size(errors) ? -EINVAL : 0;
}

int accounts_form_check(json_t *body, bool create, json_t *errors)
{
	struct account_form f;
	return account_form_parse(body, create, &f, errors);
}

/* --- account rows ------------------------------------------------------------------ */

#define ACCOUNT_COLUMNS \
	"id, email, first_name, last_name, phone, address, company, job_title, role, must_change, " \
	"created_at, updated_at, last_login_at, locked_until, " \
	"CASE WHEN deactivated_at IS NOT NULL THEN 'deactivated' WHEN suspended_at IS NOT NULL " \
	"THEN 'suspended' ELSE 'active' END, restricted_at"

static json_t *time_json(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL || sqlite3_column_int64(st, col) == 0)
		return json_null();
	char buf[32];
	return json_string(amphi_time_iso(sqlite3_column_int64(st, col), buf, sizeof buf));
}

static json_t *text_json(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	return s ? json_string(s) : json_null();
}

static json_t *account_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	static const char *const names[] = { "email", "first_name", "last_name", "phone", "address",
	                                     "company", "job_title", "role" };
	for (int i = 0; i < 8; i++)
		json_object_set_new(o, names[i], text_json(st, i + 1));
	json_object_set_new(o, "must_change_password", json_boolean(sqlite3_column_int(st, 9)));
	json_object_set_new(o, "created_at", time_json(st, 10));
	json_object_set_new(o, "updated_at", time_json(st, 11));
	json_object_set_new(o, "last_login_at", time_json(st, 12));
	json_object_set_new(o, "locked_until", sqlite3_column_int64(st, 13) > amphi_now()
	                    ? time_json(st, 13) : json_null());
	json_object_set_new(o, "state", text_json(st, 14));
	json_object_set_new(o, "restricted", json_boolean(sqlite3_column_type(st, 15) != SQLITE_NULL));
	json_object_set_new(o, "restricted_at", time_json(st, 15));
	return o;
}

json_t *accounts_json(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = ?", "i", id);
	json_t *o = st && sqlite3_step(st) == SQLITE_ROW ? account_json(st) : NULL;
	sqlite3_finalize(st);
	return o;
}

/* --- login / logout / session -------------------------------------------------------- */

static const char *json_str(json_t *body, const char *key)
{
	return json_string_value(json_object_get(body, key));
}

/* Both fields must be strings; 422 otherwise. */
static int require_strings(struct http_req *req, const char *const keys[])
{
	json_t *errors = json_array();
	for (int i = 0; keys[i]; i++)
		if (!json_is_string(json_object_get(req->json, keys[i])))
			field_error(errors, keys[i], "required, a string");
	if (json_array_size(errors)) {
		http_error_json(req, 422, "invalid", errors);
		return -EINVAL;
	}
	json_decref(errors);
	return 0;
}

static void logout(struct http_req *req)
{
	if (auth_require(req, AUTH_ACCOUNT | AUTH_ALLOW_MUST_CHANGE))
		return;
	audit_connection(req->db, "logout", req->principal.account_id, 0, req->client_ip);
	auth_session_end(req);
	http_empty(req, 204);
}

static void session_show(struct http_req *req)
{
	if (auth_require(req, AUTH_ACCOUNT | AUTH_ALLOW_MUST_CHANGE))
		return;
	json_t *acc = accounts_json(req->db, req->principal.account_id);
	if (!acc) {
		http_error(req, 401, "unauthenticated", "the account no longer exists");
		return;
	}
	bool must = json_is_true(json_object_get(acc, "must_change_password"));
	http_json(req, 200, json_pack("{s:o,s:b}", "account", acc, "must_change_password", must));
}

/* --- passwords --------------------------------------------------------------------- */

/* Checks pw for the account's identity; answers 422 with the unmet rules. */
static int check_new_password(struct http_req *req, int64_t account_id, const char *pw)
{
	sqlite3_stmt *st = db_prepare(req->db, "SELECT first_name, last_name, email FROM accounts WHERE id = ?",
	                              "i", account_id);
	json_t *unmet = json_array();
	int rc = -ENOENT;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		rc = password_check(pw, (const char *)sqlite3_column_text(st, 0),
		                    (const char *)sqlite3_column_text(st, 1),
		                    (const char *)sqlite3_column_text(st, 2), unmet);
	sqlite3_finalize(st);
	if (rc == -EINVAL) {
		http_error_json(req, 422, "weak_password", unmet);
		return rc;
	}
	json_decref(unmet);
	if (rc)
		http_error(req, 404, "not_found", "no such account");
	return rc;
}

/* Stores a new hash, clears must_change and the lockout, ends every session
 * and every pending reset token of the account. */
static int store_password(struct http_req *req, int64_t account_id, const char *hash)
{
	int64_t now = amphi_now();
	int rc = db_exec(req->db, "UPDATE accounts SET password_hash = ?, must_change = 0, failed_logins = 0, "
	                          "lock_count = 0, locked_until = 0, password_changed_at = ?, updated_at = ? "
	                          "WHERE id = ?", "siii", hash, now, now, account_id);
	if (rc < 0)
		return rc;
	db_exec(req->db, "UPDATE reset_tokens SET used_at = ? WHERE account_id = ? AND used_at IS NULL",
	        "ii", now, account_id);
	return auth_sessions_end_all(req->db, account_id);
}

/* Password change: the current password is verified, then the new one
 * hashed, each on the hashing queue while the request holds no worker
 * (auth_hashing_start); these three run on a worker in turn. */
static void password_change_hashed(struct http_req *req)
{
	struct auth_hashing *h = auth_hashing_take(req);
	int64_t id = req->principal.account_id;
	int hrc = h->result, rc = hrc ? 0 : store_password(req, id, h->hash);

	auth_hashing_free(h);
	if (hrc != 0 || rc != 0) {
		auth_hashing_refused(req, hrc, "store the password");
		return;
	}
	req->principal.session_id = 0;   /* ended by store_password; a fresh one follows */
	auth_session_start(req, id);
	audit_log(req->db, &req->principal, "password.change", "account", id, NULL);
	log_msg(LOG_INFO, "password changed", "account=%lld", (long long)id);
	json_t *acc = accounts_json(req->db, id);
	http_json(req, 200, json_pack("{s:o,s:b}", "account", acc, "must_change_password", 0));
}

static void password_change_verified(struct http_req *req)
{
	struct auth_hashing *h = auth_hashing_take(req);
	int ok = h->result;
	int64_t id = req->principal.account_id;
	const char *cur = json_str(req->json, "current_password"), *pw = json_str(req->json, "new_password");

	auth_hashing_free(h);
	if (ok == -EACCES) {
		http_error(req, 403, "wrong_password", "the current password is wrong");
		return;
	}
	if (ok != 0) {
		auth_hashing_refused(req, ok, "check the password");
		return;
	}
	if (check_new_password(req, id, pw))
		return;
	if (strcmp(cur, pw) == 0) {
		http_error_json(req, 422, "weak_password",
		                json_pack("[{s:s,s:s}]", "rule", "same_as_current", "message",
		                          "the new password must differ from the current one"));
		return;
	}
	int rc = auth_hashing_start(req, id, NULL, pw, password_change_hashed);
	if (rc != 0)
		auth_hashing_refused(req, rc, "hash the password");
}

static void password_change(struct http_req *req)
{
	static const char *const keys[] = { "current_password", "new_password", NULL };
	if (auth_require(req, AUTH_ACCOUNT | AUTH_ALLOW_MUST_CHANGE) || require_strings(req, keys))
		return;
	int64_t id = req->principal.account_id;
	char *hash = NULL;
	sqlite3_stmt *st = db_prepare(req->db, "SELECT password_hash FROM accounts WHERE id = ?", "i", id);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		hash = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!hash) {
		http_error(req, 403, "wrong_password", "the current password is wrong");
		return;
	}
	int rc = auth_hashing_start(req, id, hash, json_str(req->json, "current_password"),
	                            password_change_verified);
	free(hash);
	if (rc != 0)
		auth_hashing_refused(req, rc, "check the password");
}

/* The reset mail, handed to mail.c (SMTP when configured, the outbox
 * otherwise).  The text holds the token: wiped once handed over. */
static int write_reset_mail(struct control *app, const char *origin, const char *email, const char *token,
                            int64_t expires_at)
{
	char when[32], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	mail_head(f, app->mail, email, "Password reset for amphi", "reset");
	fprintf(f, "X-Amphi-Reset-Token: %s\r\n"
	           "\r\n"
	           "Someone asked to reset the password of this account.\r\n"
	           "If it was you, open this link (valid once, until %s):\r\n"
	           "\r\n"
	           "  %s/reset.html#token=%s\r\n"
	           "\r\n"
	           "If it was not you, ignore this message: the password stays as it is.\r\n",
	        token,
	        amphi_time_iso(expires_at, when, sizeof when), origin, token);
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	int rc = mail_send(app->mail, email, "reset", text, len);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

static void reset_request(struct http_req *req)
{
	struct control *app = req->app;
	static const char *const keys[] = { "email", NULL };
	if (require_strings(req, keys))
		return;
	const char *email = json_str(req->json, "email");
	if (throttle_reset_allowed(req, email))
		return;
	int64_t id = db_int(req->db, 0, "SELECT id FROM accounts WHERE email = ? AND deactivated_at IS NULL "
	                                "AND suspended_at IS NULL AND restricted_at IS NULL", "s", email);
	/* Token work is done for unknown emails too, so both paths cost alike. */
	char tok[AUTH_TOKEN_CHARS + 1];
	unsigned char hash[32];
	auth_token_new(tok, hash);
	if (id) {
		int64_t now = amphi_now();
		int64_t exp = retention_deadline(&app->retention, RETENTION_RESET_TOKENS, now);
		char addr[256];
		snprintf(addr, sizeof addr, "%s", (const char *)"");
		sqlite3_stmt *st = db_prepare(req->db, "SELECT email FROM accounts WHERE id = ?", "i", id);
		if (st && sqlite3_step(st) == SQLITE_ROW)
			snprintf(addr, sizeof addr, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		int64_t rid = db_insert(req->db, "INSERT INTO reset_tokens (account_id, hash, created_at, expires_at) "
		                                 "VALUES (?, ?, ?, ?)", "ixii", id, hash, sizeof hash, now, exp);
		int rc = rid > 0 ? write_reset_mail(app, auth_public_origin(req), addr, tok, exp) : (int)rid;
		if (rc)
			log_msg(LOG_ERROR, "reset mail not written", "account=%lld error=%d", (long long)id, rc);
		else
			log_msg(LOG_INFO, "reset mail written", "account=%lld", (long long)id);
	}
	sodium_memzero(tok, sizeof tok);
	http_json(req, 202, json_pack("{s:s}", "message",
	                              "if an account has this address, a reset link was sent to it"));
}

static void reset_hashed(struct http_req *req)
{
	struct auth_hashing *h = auth_hashing_take(req);
	int64_t id = h->account_id;
	int hrc = h->result, rc = hrc ? 0 : store_password(req, id, h->hash);

	auth_hashing_free(h);
	if (hrc != 0 || rc != 0) {
		auth_hashing_refused(req, hrc, "store the password");
		return;
	}
	audit_connection(req->db, "password_reset", id, 0, req->client_ip);
	log_msg(LOG_INFO, "password reset", "account=%lld", (long long)id);
	http_empty(req, 204);
}

static void reset(struct http_req *req)
{
	static const char *const keys[] = { "token", "new_password", NULL };
	if (require_strings(req, keys))
		return;
	unsigned char hash[32];
	int64_t rid = 0, id = 0;
	if (auth_token_hash(json_str(req->json, "token"), hash) == 0) {
		sqlite3_stmt *st = db_prepare(req->db,
			"SELECT r.id, r.account_id FROM reset_tokens r JOIN accounts a ON a.id = r.account_id "
			"WHERE r.hash = ? AND r.used_at IS NULL AND r.expires_at > ?", "xi", hash, sizeof hash, amphi_now());
		if (st && sqlite3_step(st) == SQLITE_ROW) {
			rid = sqlite3_column_int64(st, 0);
			id = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
	}
	if (!rid) {
		http_error(req, 400, "invalid_token", "the reset token is unknown, expired or already used");
		return;
	}
	const char *pw = json_str(req->json, "new_password");
	if (check_new_password(req, id, pw))
		return;   /* the token stays usable: nothing changed */
	/* Claim the token first: of two concurrent resets only one wins. */
	if (db_exec(req->db, "UPDATE reset_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL",
	            "ii", amphi_now(), rid) != 1) {
		http_error(req, 400, "invalid_token", "the reset token is unknown, expired or already used");
		return;
	}
	int rc = auth_hashing_start(req, id, NULL, pw, reset_hashed);
	if (rc != 0)
		auth_hashing_refused(req, rc, "hash the password");
}

/* --- accounts CRUD (admin) ------------------------------------------------------------ */

static void accounts_list(struct http_req *req)
{
	if (auth_require(req, AUTH_ADMIN))
		return;
	sqlite3_stmt *st = db_prepare(req->db, "SELECT " ACCOUNT_COLUMNS " FROM accounts ORDER BY id", "");
	json_t *a = json_array();
	while (st && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, account_json(st));
	sqlite3_finalize(st);
	http_json(req, 200, json_pack("{s:o}", "accounts", a));
}

/* Account creation: the form is checked and a password made, its hash is
 * made on the hashing queue while the request holds no worker, then the
 * account is stored (the form parsed again: it is the request's). */
static void accounts_create_hashed(struct http_req *req)
{
	struct auth_hashing *h = auth_hashing_take(req);
	struct account_form f;
	json_t *errors = json_array();

	if (h->result != 0) {
		auth_hashing_refused(req, h->result, "hash the password");
		goto out;
	}
	account_form_parse(req->json, true, &f, errors);   /* passed in accounts_create */
	const char *pw = h->password, *hash = h->hash;
	int64_t now = amphi_now();
	db_begin(req->db);
	int64_t id = db_insert(req->db,
		"INSERT INTO accounts (email, first_name, last_name, phone, address, company, job_title, role, "
		"password_hash, must_change, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
		"sssssssssii", f.email, f.first_name, f.last_name, f.phone, f.address, f.company, f.job_title,
		f.role ? f.role : "organizer", hash, now, now);
	if (id == -EEXIST) {
		db_rollback(req->db);
		http_error_json(req, 409, "email_taken",
		                json_pack("[{s:s,s:s}]", "field", "email", "error", "an account has this email"));
		goto out;
	}
	if (id < 0) {
		db_rollback(req->db);
		http_error(req, 500, "internal", "cannot create the account");
		goto out;
	}
	audit_log(req->db, &req->principal, "account.create", "account", id,
	          json_pack("{s:s}", "role", f.role ? f.role : "organizer"));
	db_commit(req->db);
	json_t *acc = accounts_json(req->db, id);
	json_object_set_new(acc, "initial_password", json_string(pw));
	char loc[64];
	snprintf(loc, sizeof loc, "/api/accounts/%lld", (long long)id);
	http_set_header(req, "Location", loc);
	http_json(req, 201, acc);
out:
	json_decref(errors);
	auth_hashing_free(h);
}

static void accounts_create(struct http_req *req)
{
	if (auth_require(req, AUTH_ADMIN))
		return;
	struct account_form f;
	json_t *errors = json_array();
	if (account_form_parse(req->json, true, &f, errors)) {
		http_error_json(req, 422, "invalid", errors);
		return;
	}
	json_decref(errors);
	char pw[32];
	do
		password_generate(pw, sizeof pw);
	while (password_check(pw, f.first_name, f.last_name, f.email, NULL) != 0);
	int rc = auth_hashing_start(req, 0, NULL, pw, accounts_create_hashed);
	sodium_memzero(pw, sizeof pw);
	if (rc != 0)
		auth_hashing_refused(req, rc, "hash the password");
}

static int64_t account_id_param(struct http_req *req)
{
	int64_t id;
	if (http_param_id(req, "id", &id) != 0 ||
	    !db_int(req->db, 0, "SELECT count(*) FROM accounts WHERE id = ?", "i", id)) {
		http_error(req, 404, "not_found", "no such account");
		return 0;
	}
	return id;
}

static void accounts_show(struct http_req *req)
{
	if (auth_require(req, AUTH_ADMIN))
		return;
	int64_t id = account_id_param(req);
	if (id)
		http_json(req, 200, accounts_json(req->db, id));
}

/* Stores the update; with reset_password, pw (generated) and its hash. */
static void update_apply(struct http_req *req, int64_t id, const struct account_form *f, const char *pw,
                         const char *hash)
{
	int64_t now = amphi_now();
	json_t *changed = json_array();
	db_begin(req->db);
	int rc = 0;
	struct { const char *col, *val; bool clear; } cols[] = {
		{ "email", f->email, false }, { "first_name", f->first_name, false },
		{ "last_name", f->last_name, false }, { "phone", f->phone, f->clear_phone },
		{ "address", f->address, f->clear_address }, { "company", f->company, f->clear_company },
		{ "job_title", f->job_title, f->clear_job_title }, { "role", f->role, false },
	};
	for (size_t i = 0; i < sizeof cols / sizeof *cols && rc >= 0; i++) {
		if (!cols[i].val && !cols[i].clear)
			continue;
		char sql[128];
		snprintf(sql, sizeof sql, "UPDATE accounts SET %s = ?, updated_at = ? WHERE id = ?", cols[i].col);
		rc = db_exec(req->db, sql, "sii", cols[i].val, now, id);
		json_array_append_new(changed, json_string(cols[i].col));
	}
	if (rc >= 0 && f->unlock) {
		rc = db_exec(req->db, "UPDATE accounts SET failed_logins = 0, lock_count = 0, locked_until = 0 "
		                      "WHERE id = ?", "i", id);
		json_array_append_new(changed, json_string("unlock"));
	}
	if (rc >= 0 && f->reset_password) {
		rc = db_exec(req->db, "UPDATE accounts SET password_hash = ?, must_change = 1, updated_at = ? "
		                      "WHERE id = ?", "sii", hash, now, id);
		if (rc >= 0)
			rc = auth_sessions_end_all(req->db, id);
		json_array_append_new(changed, json_string("password"));
	}
	if (rc == -EEXIST) {
		db_rollback(req->db);
		json_decref(changed);
		http_error_json(req, 409, "email_taken",
		                json_pack("[{s:s,s:s}]", "field", "email", "error", "an account has this email"));
		return;
	}
	if (rc < 0) {
		db_rollback(req->db);
		json_decref(changed);
		http_error(req, 500, "internal", "cannot update the account");
		return;
	}
	audit_log(req->db, &req->principal, "account.update", "account", id, json_pack("{s:o}", "fields", changed));
	db_commit(req->db);
	json_t *acc = accounts_json(req->db, id);
	if (f->reset_password)
		json_object_set_new(acc, "initial_password", json_string(pw));
	http_json(req, 200, acc);
}

/* With reset_password, on a worker once the new password is hashed (the
 * request held none meanwhile); the form is parsed again (the request's). */
static void accounts_update_hashed(struct http_req *req)
{
	struct auth_hashing *h = auth_hashing_take(req);
	int64_t id;

	if (h->result != 0) {
		auth_hashing_refused(req, h->result, "hash the password");
	} else if ((id = account_id_param(req)) != 0) {
		struct account_form f;
		json_t *errors = json_array();
		account_form_parse(req->json, false, &f, errors);   /* passed in accounts_update */
		json_decref(errors);
		update_apply(req, id, &f, h->password, h->hash);
	}
	auth_hashing_free(h);
}

static void accounts_update(struct http_req *req)
{
	if (auth_require(req, AUTH_ADMIN))
		return;
	int64_t id = account_id_param(req);
	if (!id)
		return;
	struct account_form f;
	json_t *errors = json_array();
	if (account_form_parse(req->json, false, &f, errors)) {
		http_error_json(req, 422, "invalid", errors);
		return;
	}
	json_decref(errors);
	if (id == req->principal.account_id && f.role && strcmp(f.role, "admin") != 0) {
		http_error(req, 409, "conflict", "an administrator cannot remove their own admin role");
		return;
	}
	if (!f.reset_password) {
		update_apply(req, id, &f, NULL, NULL);
		return;
	}
	char pw[32], first[256] = "", last[256] = "", mail[256] = "";
	sqlite3_stmt *st = db_prepare(req->db, "SELECT first_name, last_name, email FROM accounts WHERE id = ?",
	                              "i", id);
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(first, sizeof first, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(last, sizeof last, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(mail, sizeof mail, "%s", (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	do
		password_generate(pw, sizeof pw);
	while (password_check(pw, f.first_name ? f.first_name : first, f.last_name ? f.last_name : last,
	                      f.email ? f.email : mail, NULL) != 0);
	int rc = auth_hashing_start(req, 0, NULL, pw, accounts_update_hashed);
	sodium_memzero(pw, sizeof pw);
	if (rc != 0)
		auth_hashing_refused(req, rc, "hash the password");
}

static void accounts_delete(struct http_req *req)
{
	if (auth_require(req, AUTH_ADMIN))
		return;
	int64_t id = account_id_param(req);
	if (!id)
		return;
	if (id == req->principal.account_id) {
		http_error(req, 409, "conflict", "an administrator cannot delete their own account");
		return;
	}
	/* As the retention rules delete one: live webinars end first. */
	if (expiry_account_delete(req->app, req->db, id, amphi_now(), &req->principal, "account.delete", NULL,
	                          NULL)) {
		http_error(req, 500, "internal", "cannot delete the account");
		return;
	}
	http_empty(req, 204);
}

/* --- bootstrap ------------------------------------------------------------------------- */

int accounts_bootstrap(sqlite3 *db, const char *email, const char *password, char *err, size_t errlen)
{
	if (db_int(db, 0, "SELECT count(*) FROM accounts", "") > 0)
		return 0;
	if (!accounts_email_valid(email)) {
		snprintf(err, errlen, "AMPHI_ADMIN_EMAIL: not a valid email address: '%s'", email);
		return -EINVAL;
	}
	char gen[32], hash[crypto_pwhash_STRBYTES];
	const char *pw = password;
	if (pw) {
		json_t *unmet = json_array();
		if (password_check(pw, NULL, NULL, email, unmet) != 0) {
			size_t n = (size_t)snprintf(err, errlen, "the admin password does not meet the rules:");
			size_t i;
			json_t *u;
			json_array_foreach(unmet, i, u)
				if (n < errlen)
					n += (size_t)snprintf(err + n, errlen - n, " %s (%s);",
					                      json_string_value(json_object_get(u, "rule")),
					                      json_string_value(json_object_get(u, "message")));
			json_decref(unmet);
			return -EINVAL;
		}
		json_decref(unmet);
	} else {
		do
			password_generate(gen, sizeof gen);
		while (password_check(gen, NULL, NULL, email, NULL) != 0);
		pw = gen;
	}
	if (auth_password_hash(pw, hash) != 0) {
		snprintf(err, errlen, "cannot hash the admin password (out of memory?)");
		return -ENOMEM;
	}
	int64_t now = amphi_now();
	int64_t id = db_insert(db, "INSERT INTO accounts (email, first_name, last_name, role, password_hash, "
	                           "must_change, created_at, updated_at) VALUES (?, '', '', 'admin', ?, ?, ?, ?)",
	                       "ssbii", email, hash, password == NULL, now, now);
	if (id < 0) {
		snprintf(err, errlen, "cannot create the admin account");
		return (int)id;
	}
	audit_log(db, NULL, "account.bootstrap", "account", id, NULL);
	log_msg(LOG_INFO, "admin account created", "account=%lld generated_password=%s", (long long)id,
	        password ? "no" : "yes");
	if (!password) {
		/* The one and only time this password exists in clear outside the
		 * process: stderr of the first start, not the log format on purpose. */
		fprintf(stderr, "\n  amphi-control: first start. Admin account: %s\n"
		                "  One-time password (change it at first login): %s\n\n", email, gen);
		fflush(stderr);
		sodium_memzero(gen, sizeof gen);
	}
	return 0;
}

int accounts_routes(struct http_router *r, struct control *app)
{
	int rc = 0;
	rc = rc ? rc : http_route(r, "POST", "/api/logout", logout, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/session", session_show, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/password", password_change, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/password/reset-request", reset_request, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/password/reset", reset, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/accounts", accounts_list, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/accounts", accounts_create, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/accounts/{id}", accounts_show, app, 0);
	rc = rc ? rc : http_route(r, "PATCH", "/api/accounts/{id}", accounts_update, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "DELETE", "/api/accounts/{id}", accounts_delete, app, 0);
	return rc;
}
