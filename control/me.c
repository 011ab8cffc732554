/* me: see me.h. */
#include "control/me.h"
#include "control/accounts.h"
#include "control/audit.h"
#include "control/db.h"
#include "control/forms.h"
#include "control/http.h"
#include "control/subject.h"
#include "common/clock.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void me_show(struct http_req *req)
{
	struct subject s;

	if (subject_from_request(req, &s))
		return;
	json_t *o = json_pack("{s:s,s:s}", "kind", subject_kind_name(s.kind), "email", s.email);
	if (s.kind == SUBJECT_ACCOUNT) {
		json_object_set_new(o, "account_id", json_integer(s.account_id));
	} else {
		json_object_set_new(o, "registration_id", json_integer(s.registration_id));
		json_object_set_new(o, "webinar_id", json_integer(s.webinar_id));
	}
	http_json(req, 200, o);
}

/* One column set from a checked form; the column name comes from the
 * caller's fixed list, never from the body.  NULL value with clear: NULL. */
struct change {
	const char *col, *val;
	bool clear;
};

/* Applies the changes to the row id of table in one transaction with the
 * audit line (field names only).  0, -EEXIST (a UNIQUE column: the email),
 * or another -errno. */
static int changes_apply(struct http_req *req, const char *table, int64_t id, const struct change *c, size_t n,
                         const char *target)
{
	json_t *fields = json_array();
	int64_t now = amphi_now();
	int rc;

	if (db_begin(req->db)) {
		json_decref(fields);
		return -EBUSY;
	}
	rc = 0;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		char sql[160];

		if (!c[i].val && !c[i].clear)
			continue;
		/* accounts have updated_at; a registration's times are its creation and consent */
		snprintf(sql, sizeof sql, "UPDATE %s SET %s = ?%s WHERE id = ?", table, c[i].col,
		         strcmp(table, "accounts") == 0 ? ", updated_at = ?" : "");
		if (strcmp(table, "accounts") == 0)
			rc = db_exec(req->db, sql, "sii", c[i].val, now, id);
		else
			rc = db_exec(req->db, sql, "si", c[i].val, id);
		json_array_append_new(fields, json_string(c[i].col));
	}
	if (rc >= 0)
		rc = audit_log(req->db, &req->principal, "privacy.rectify", target, id, json_pack("{s:o}", "fields", fields));
	else
		json_decref(fields);
	if (rc < 0 || db_commit(req->db)) {
		db_rollback(req->db);
		return rc < 0 ? rc : -EIO;
	}
	return 0;
}

/* An organizer's or administrator's own identity: what an administrator
 * could change for them, less the role and the account's security. */
static void account_patch(struct http_req *req, const struct subject *s)
{
	static const char *const mine[] = { "email", "first_name", "last_name", "phone", "address", "company",
	                                    "job_title", NULL };
	json_t *errors = json_array(), *v;
	const char *k;
	int rc;

	json_object_foreach(req->json, k, v) {
		bool ok = false;

		for (int i = 0; mine[i]; i++)
			ok |= strcmp(mine[i], k) == 0;
		if (!ok)
			json_array_append_new(errors, json_pack("{s:s,s:s}", "field", k, "error", "unknown field (yours to "
			                                        "change: email, first_name, last_name, phone, address, "
			                                        "company, job_title)"));
	}
	/* the values too, so one answer names every problem */
	accounts_form_check(req->json, false, errors);
	if (json_array_size(errors)) {
		http_error_json(req, 422, "invalid", errors);
		return;
	}
	json_decref(errors);
	struct change c[7];
	size_t n = 0;
	for (int i = 0; mine[i]; i++) {
		json_t *f = json_object_get(req->json, mine[i]);

		if (f)   /* checked: a string, or null / "" for an optional field */
			c[n++] = (struct change){ mine[i], json_is_string(f) && *json_string_value(f) ? json_string_value(f)
			                                                                              : NULL, true };
	}
	rc = changes_apply(req, "accounts", s->account_id, c, n, "account");
	if (rc == -EEXIST) {
		http_error_json(req, 409, "email_taken",
		                json_pack("[{s:s,s:s}]", "field", "email", "error", "an account has this email"));
		return;
	}
	if (rc) {
		http_error(req, rc == -EBUSY ? 503 : 500, rc == -EBUSY ? "busy" : "internal", "cannot store the change");
		return;
	}
	http_json(req, 200, accounts_json(req->db, s->account_id));
}

/* A participant's registration: the identity fields it holds, never its
 * address (forms_registration_patch_parse). */
static void registration_patch(struct http_req *req, const struct subject *s)
{
	struct registration_patch_form f;
	json_t *errors = json_array();
	int rc;

	if (forms_registration_patch_parse(req->json, &f, errors)) {
		http_error_json(req, 422, "invalid", errors);
		return;
	}
	json_decref(errors);
	struct change c[] = {
		{ "first_name", f.first_name, false }, { "last_name", f.last_name, false },
		{ "job_title", f.job_title, false }, { "organization", f.organization, false },
		{ "phone", f.phone, f.phone_clear },
	};
	rc = changes_apply(req, "registrations", s->registration_id, c, sizeof c / sizeof *c, "registration");
	if (rc) {
		http_error(req, rc == -EBUSY ? 503 : 500, rc == -EBUSY ? "busy" : "internal", "cannot store the change");
		return;
	}
	sqlite3_stmt *st = db_prepare(req->db, "SELECT id, webinar_id, first_name, last_name, email, job_title, "
	                                       "organization, phone FROM registrations WHERE id = ?", "i",
	                              s->registration_id);
	json_t *o = st && sqlite3_step(st) == SQLITE_ROW ? db_row_json(st) : NULL;
	sqlite3_finalize(st);
	if (!o) {
		http_error(req, 500, "internal", "cannot read the registration back");
		return;
	}
	http_json(req, 200, json_pack("{s:o}", "registration", o));
}

static void me_patch(struct http_req *req)
{
	struct subject s;

	if (subject_from_request(req, &s))
		return;
	if (s.kind == SUBJECT_ACCOUNT)
		account_patch(req, &s);
	else
		registration_patch(req, &s);
}

int me_routes(struct http_router *r, struct control *app)
{
	int rc = http_route(r, "GET", "/api/me", me_show, app, 0);

	return rc ? rc : http_route(r, "PATCH", "/api/me", me_patch, app, HTTP_JSON);
}
