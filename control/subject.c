/* subject: see subject.h. */
#include "control/subject.h"
#include "control/auth.h"
#include "control/db.h"
#include "control/http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The row's address, copied into out->email; -ENOENT when the row is gone
 * or holds no address (an erased identity). */
static int email_load(struct sqlite3 *db, const char *sql, int64_t id, struct subject *out)
{
	sqlite3_stmt *st = db_prepare(db, sql, "i", id);
	int rc = -EIO;

	if (st) {
		rc = sqlite3_step(st);
		const char *email = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;

		if (email && *email) {
			snprintf(out->email, sizeof out->email, "%s", email);
			out->webinar_id = sqlite3_column_int64(st, 1);
			rc = 0;
		} else {
			rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? -ENOENT : -EIO;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int subject_from_request(struct http_req *req, struct subject *out)
{
	const struct auth_principal *p = &req->principal;
	int rc;

	memset(out, 0, sizeof *out);
	if (auth_require(req, AUTH_ACCOUNT | AUTH_TOKEN | AUTH_ALLOW_RESTRICTED))
		return -EACCES;
	if (p->role & AUTH_ACCOUNT) {
		out->kind = SUBJECT_ACCOUNT;
		out->account_id = p->account_id;
		rc = email_load(req->db, "SELECT email, 0 FROM accounts WHERE id = ?", p->account_id, out);
	} else if (p->role == AUTH_PARTICIPANT && p->registration_id) {
		out->kind = SUBJECT_PARTICIPANT;
		out->registration_id = p->registration_id;
		rc = email_load(req->db, "SELECT email, webinar_id FROM registrations WHERE id = ?",
		                p->registration_id, out);
	} else {
		rc = -ENOENT;
	}
	if (rc == -ENOENT) {
		memset(out, 0, sizeof *out);
		http_error(req, 403, "no_subject", "this credential names no person: log in, or use the link "
		           "of a registration mailed to you");
		return -EACCES;
	}
	if (rc) {
		memset(out, 0, sizeof *out);
		http_error(req, 500, "internal", "cannot read who the request is about");
		return -EIO;
	}
	return 0;
}

const char *subject_kind_name(enum subject_kind kind)
{
	return kind == SUBJECT_ACCOUNT ? "account" : "participant";
}
