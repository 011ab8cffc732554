/* tokens: webinar tokens as the organizer manages them (auth.h issues,
 * hashes and resolves them).
 *
 *   POST   /api/webinars/{id}/speakers     owner   a publish token (shown once, 201)
 *   GET    /api/webinars/{id}/tokens       owner   ids, roles, times; never the token text
 *   DELETE /api/webinars/{id}/tokens/{t}   owner   revoke (204)
 *
 * Lifetime: a token is scoped to one webinar and one role.  It is valid until
 * TOKENS_MAX_S after the (re)scheduled or actual start; at the end
 * publish tokens are revoked at once and join tokens expire
 * TOKENS_GRACE_S later (they may then only rate the webinar: every
 * other endpoint answers 410 for an ended webinar). */
#ifndef AMPHI_CONTROL_TOKENS_H
#define AMPHI_CONTROL_TOKENS_H

#include <stdint.h>

#include "control/auth.h"

struct http_req;
struct http_router;
struct sqlite3;
struct control;
struct webinar;

/* Join tokens stay usable this long after the end, for the rating only. */
#define TOKENS_GRACE_S (10 * 60)
/* Tokens of a webinar that never ends die this long after its start. */
#define TOKENS_MAX_S (2 * 24 * 3600)

int tokens_routes(struct http_router *r, struct control *app);

/* A token just issued; the text exists only here and in the answer. */
struct token_issued {
	int64_t id;
	int64_t expires_at;
	char text[AUTH_TOKEN_CHARS + 1];
};

/* Issues a token of role ("speaker" or "participant") for w, tied to a
 * registration (participant; 0 for a public join or a speaker).  Fills *out;
 * returns 0 or -errno (out->text is then empty). */
int tokens_issue(struct sqlite3 *db, const struct webinar *w, const char *role, int64_t registration_id,
                 struct token_issued *out);
/* Answers status with {webinar_id, role, token, token_id, expires_at,
 * registration_id} (registration_id null unless given) and wipes t->text:
 * the one answer that ever shows a token. */
void tokens_answer(struct http_req *req, int status, const struct webinar *w, const char *role,
                   int64_t registration_id, struct token_issued *t);
/* The start moved (or happened) at `start`: live tokens follow it. */
int tokens_reschedule(struct sqlite3 *db, int64_t webinar_id, int64_t start);
/* The webinar ended at now: publish tokens revoked, join tokens expire after the grace. */
int tokens_end(struct sqlite3 *db, int64_t webinar_id, int64_t now);

#endif
