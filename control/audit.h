/* audit: the record of who changed what (DESIGN.md §7, GET /api/audit) and
 * the security connection log (DESIGN.md §9 [connection_logs]).
 *
 * Every admin and organizer action that creates, changes or deletes
 * something calls audit_log in the same transaction as the change when there
 * is one: actor (account id and role), action ("account.create",
 * "webinar.end", ...), target type and id, and a JSON detail that names
 * fields, never personal values.  The table is append-only for the API. */
#ifndef AMPHI_CONTROL_AUDIT_H
#define AMPHI_CONTROL_AUDIT_H

#include <jansson.h>
#include <stdint.h>

struct sqlite3;
struct http_router;
struct auth_principal;
struct control;

/* detail is stolen (may be NULL).  0 or -errno. */
int audit_log(struct sqlite3 *db, const struct auth_principal *actor, const char *action,
              const char *target_type, int64_t target_id, json_t *detail);

/* Connection log: event "login", "login_failed", "login_locked", "logout",
 * "password_reset", "join" ...; account_id / registration_id 0 when unknown. */
int audit_connection(struct sqlite3 *db, const char *event, int64_t account_id,
                     int64_t registration_id, const char *ip);

/* GET /api/audit (admin). */
int audit_routes(struct http_router *r, struct control *app);

#endif
