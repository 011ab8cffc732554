/* tokens: webinar tokens as the organizer manages them (auth.h issues,
 * hashes and resolves them).
 *
 *   POST   /api/webinars/{id}/speakers     owner   a publish token (shown once, 201)
 *   GET    /api/webinars/{id}/tokens       owner   ids, roles, times; never the token text
 *   DELETE /api/webinars/{id}/tokens/{t}   owner   revoke (204)
 *
 * Lifetime: a token is scoped to one webinar and one role.  It is valid until
 * WEBINARS_TOKEN_MAX_S after the (re)scheduled or actual start; at the end
 * publish tokens are revoked at once and join tokens expire
 * WEBINARS_TOKEN_GRACE_S later (they may then only rate the webinar: every
 * other endpoint answers 410 for an ended webinar). */
#ifndef AMPHI_CONTROL_TOKENS_H
#define AMPHI_CONTROL_TOKENS_H

#include <stdint.h>

#include "control/auth.h"

struct http_router;
struct sqlite3;
struct webinars;
struct webinar;

int tokens_routes(struct http_router *r, struct webinars *ctx);

/* Issues a join token for a registration (0 for a public join).  Writes the
 * text to out, its expiry to *expires_at; returns the token id or -errno. */
int64_t tokens_issue_join(struct sqlite3 *db, const struct webinar *w, int64_t registration_id,
                          char out[AUTH_TOKEN_CHARS + 1], int64_t *expires_at);
/* The start moved (or happened) at `start`: live tokens follow it. */
int tokens_reschedule(struct sqlite3 *db, int64_t webinar_id, int64_t start);
/* The webinar ended at now: publish tokens revoked, join tokens expire after the grace. */
int tokens_end(struct sqlite3 *db, int64_t webinar_id, int64_t now);

#endif
