/* relay_client: amphi-control's side of the relay's control socket
 * (JSON lines, common/ctl.h; the commands are documented by the relay in
 * docs/relay-control.md).
 *
 * Each call opens its own connection, so any HTTP thread may call at any time
 * without sharing a stream, and every step (connect, send, receive) is bounded
 * by the client's timeout: a relay that is down or stuck turns into an error
 * within that time, never a hung request.  Errors:
 *   -EHOSTDOWN  no relay listens on the socket (not started, crashed)
 *   -ETIMEDOUT  the relay did not answer in time
 *   -EIO        the connection broke or the answer was not JSON
 *   -EPROTO     the relay answered {"ok": false, "error": ...}
 * with a message for people in err ("relay unavailable: ..." or the relay's
 * own error).  HTTP handlers answer 503 for the first three and 502 for
 * -EPROTO (relay_client_http_status). */
#ifndef AMPHI_CONTROL_RELAY_CLIENT_H
#define AMPHI_CONTROL_RELAY_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#define RELAY_CLIENT_TIMEOUT_MS 2000

struct relay_client;

/* path is copied; NULL path or "" gives a client whose calls all fail with
 * -EHOSTDOWN "no relay configured".  NULL on ENOMEM. */
struct relay_client *relay_client_create(const char *path, int timeout_ms);
void relay_client_destroy(struct relay_client *rc);
const char *relay_client_path(const struct relay_client *rc);

/* Sends req (borrowed).  0 with *resp a new reference to the relay's
 * {"ok": true, ...} answer, or -errno as above with *resp NULL. */
int relay_client_call(struct relay_client *rc, json_t *req, json_t **resp, char *err, size_t errlen);

/* Convenience: {"cmd": cmd} plus the fields of args (borrowed, may be NULL). */
int relay_client_cmd(struct relay_client *rc, const char *cmd, json_t *args, json_t **resp,
                     char *err, size_t errlen);

/* The HTTP status for a relay error: 503 unavailable, 502 refused. */
int relay_client_http_status(int err);

#endif
