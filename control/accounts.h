/* accounts: administrator and organizer accounts and how they log in
 * (DESIGN.md §7, issue 4).
 *
 *   POST /api/logout, GET /api/session (POST /api/login: login.h)
 *   POST /api/password                  change (current + new)
 *   POST /api/password/reset-request    always 202; mails a one-time token
 *   POST /api/password/reset            token + new password
 *   POST/GET /api/accounts, GET/PATCH/DELETE /api/accounts/{id}   (admin)
 *
 * Lockout (login.c): lock_threshold wrong passwords in a row from untrusted
 * clients lock the account for lock_base_s, doubling with each further lock
 * up to lock_max_s; a successful untrusted login, a password reset or an
 * administrator's unlock clears the count.
 * Reset tokens are 256-bit, stored as SHA-256, valid for the [reset_tokens]
 * period of etc/retention.conf (15 minutes), single use; the mail is written
 * to the outbox folder as an .eml file (mode 0600). */
#ifndef AMPHI_CONTROL_ACCOUNTS_H
#define AMPHI_CONTROL_ACCOUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_router;
struct control;
struct sqlite3;

int accounts_routes(struct http_router *r, struct control *app);

/* The account as the API shows it (GET /api/accounts/{id}), or NULL. */
json_t *accounts_json(struct sqlite3 *db, int64_t id);

/* On an empty accounts table creates the first admin with email and, when
 * password is NULL, a generated one-time password printed once to stderr
 * (flagged for change); a given password must pass the rules and is not
 * flagged.  Does nothing when accounts exist.  0, or -EINVAL with err. */
int accounts_bootstrap(struct sqlite3 *db, const char *email, const char *password,
                       char *err, size_t errlen);

/* The validation POST (create) and PATCH /api/accounts/{id} run on a body:
 * 0, or -EINVAL after appending {"field","error"} objects to errors.
 * Stores nothing (exposed for the fuzz target). */
int accounts_form_check(json_t *body, bool create, json_t *errors);

/* Syntax check of an email address: local@domain, at most 254 bytes, a
 * domain of letters, digits and hyphens in dot-separated labels (a single
 * label such as "localhost" is accepted), no spaces or control characters. */
bool accounts_email_valid(const char *s);

#endif
