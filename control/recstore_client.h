/* recstore_client: amphi-control's side of amphi-recstore's control socket
 * (JSON lines, common/ctl.h; the commands and their answers are documented
 * by the store in docs/recstore.md), and the reading of its answers.
 *
 * Like relay_client: each call opens its own connection, so any HTTP thread
 * may call at any time, and every step (connect, send, receive) is bounded by
 * the client's timeout.  Errors:
 *   -EHOSTDOWN  no store listens on the socket (not started, crashed)
 *   -ETIMEDOUT  the store did not answer in time
 *   -EIO        the connection broke, or the answer was not JSON or not what
 *               the command answers
 * and, from the store's {"ok": false, "code": ...}:
 *   -ENOENT     "not_found": no such recording (or no longer visible)
 *   -EPERM      "legal_hold": the recording is under legal hold
 *   -ERANGE     "beyond_policy": an expiry beyond the retention maximum
 *   -EINVAL     "invalid": a value the store refused
 *   -EPROTO     any other refusal
 * with a message for people in err ("recording store unavailable: ..." or the
 * store's own error).
 *
 * The parsers (recstore_reply_errno, recstore_rec_parse) are pure functions
 * over a parsed answer: they trust nothing in it (a field missing, of the
 * wrong type, too long, or an id outside the store's alphabet is -EIO), and
 * the fuzz target tests/fuzz/control_recstore_reply.c feeds them anything. */
#ifndef AMPHI_CONTROL_RECSTORE_CLIENT_H
#define AMPHI_CONTROL_RECSTORE_CLIENT_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECSTORE_CLIENT_TIMEOUT_MS 2000
#define RECSTORE_ID_MAX 63     /* ids of recordings, webinars, orgs: docs/recstore.md */

struct recstore_client;

/* A recording as the store shows it (list, show): a copy, no pointer into
 * the answer. */
struct recstore_rec {
	char id[RECSTORE_ID_MAX + 1];
	char webinar[RECSTORE_ID_MAX + 1];
	char org[RECSTORE_ID_MAX + 1];
	char start[32], end[32];          /* ISO 8601, UTC */
	char expires_at[32];              /* ISO 8601, or "never" (held) */
	char codecs[64];                  /* "vp8,opus" */
	char sha256[65];                  /* hex */
	char ext[16];                     /* ".webm", ".mkv", ... (the blob's) */
	char file[PATH_MAX];              /* absolute path under the store's mount; "" without one */
	int64_t duration_ms, size, expires_at_unix;
	bool legal_hold, published;
};

/* path is copied; NULL or "" gives a client whose calls all fail with
 * -EHOSTDOWN.  NULL on ENOMEM. */
struct recstore_client *recstore_client_create(const char *path, int timeout_ms);
void recstore_client_destroy(struct recstore_client *rc);

/* Sends {"cmd": cmd} plus the fields of args (borrowed, may be NULL).  0 with
 * *resp a new reference to the {"ok": true, ...} answer, or -errno as above
 * with *resp NULL. */
int recstore_client_cmd(struct recstore_client *rc, const char *cmd, json_t *args, json_t **resp,
                        char *err, size_t errlen);

/* The -errno of a {"ok": false, ...} answer (borrowed): from its "code" as
 * above, -EPROTO without one. */
int recstore_reply_errno(const json_t *reply);

/* Reads one recording object (borrowed) into out.  0, or -EIO with the
 * reason in err. */
int recstore_rec_parse(const json_t *o, struct recstore_rec *out, char *err, size_t errlen);

/* True when s is an id the store accepts: [A-Za-z0-9_.:-], 1-63 bytes, not
 * starting with a dot. */
bool recstore_id_valid(const char *s);

#endif
