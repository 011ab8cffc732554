/* subject: whom a request about "me" is about — the data subject of the
 * rights of GDPR art. 15–21 (/api/me*: access, rectification, erasure,
 * restriction).
 *
 * A subject is proved by one of:
 *   - the session cookie of an account (admin or organizer): the subject is
 *     that account, and its email;
 *   - "Authorization: Bearer <join token>" of a registration: the token was
 *     only ever mailed to the registration's address, so whoever presents it
 *     reads that address's mail.  The subject is the email, not the one
 *     registration: every registration of that address (compared without
 *     case, as registrations.email is) is about the same person.
 * A request with neither, or with a token that no longer resolves (revoked,
 * expired, or of a deleted registration: its tokens went with it) is
 * anonymous: 401.  A token that names nobody — a publish token, a public
 * join's token (no registration behind it), a registration whose identity
 * was erased at the webinar's end — is 403 "no_subject".  An account that
 * must change its initial password gets 403 "must_change_password" as on
 * every other route (auth_require).
 *
 * Nothing is kept: the subject is read from the request's principal
 * (auth.h) and, for a participant, the registration's row, on the
 * request's own connection. */
#ifndef AMPHI_CONTROL_SUBJECT_H
#define AMPHI_CONTROL_SUBJECT_H

#include <stdint.h>

#include "control/forms.h"

struct http_req;

enum subject_kind {
	SUBJECT_ACCOUNT = 1,       /* an account, by its session cookie */
	SUBJECT_PARTICIPANT = 2,   /* an email, by a join token of one of its registrations */
};

struct subject {
	enum subject_kind kind;
	int64_t account_id;        /* accounts.id for SUBJECT_ACCOUNT, else 0 */
	int64_t registration_id;   /* SUBJECT_PARTICIPANT: the registration whose token came, else 0 */
	int64_t webinar_id;        /* SUBJECT_PARTICIPANT: that registration's webinar, else 0 */
	char email[FORMS_EMAIL_MAX + 1];   /* the account's or the registration's address, as stored */
};

/* Fills *out with the request's subject and returns 0; or answers (401,
 * 403) and returns -EACCES, or answers 500 and returns -EIO. */
int subject_from_request(struct http_req *req, struct subject *out);

/* "account" or "participant": the kind as the API and the audit name it. */
const char *subject_kind_name(enum subject_kind kind);

#endif
