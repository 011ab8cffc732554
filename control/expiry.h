/* expiry: what the retention policy (etc/retention.conf) deletes in
 * amphi-control's database and outbox, each rule against the time stored
 * with the data (DESIGN.md §9, docs/privacy.md).
 *
 *   [account_inactive]     accounts with no login for `retention` (their
 *                          creation for one never used), after a warning
 *                          mail `warn_before` the deadline; never sooner
 *                          than `warn_before` after that mail
 *   [account_deactivated]  accounts deactivated `retention` ago (0: at once)
 *   [account_suspended]    accounts suspended `retention` ago
 *   [connection_logs], [access_logs], [audit_log], [privacy_requests]
 *                          rows older than their period
 *   [password_reset_tokens] tokens expired or used; dead sessions (idle or
 *                          absolute lifetime of etc/control.conf [auth])
 *   [outbox_mail]          outbox files older than their period (the time
 *                          in the file's name, written by mail.c)
 *
 * Deleting an account takes its sessions and reset tokens (foreign keys),
 * ends its unended webinars (webinars_end: their end-of-webinar deletions),
 * then deletes its webinars with their registrations, tokens and
 * interaction (foreign keys).  Device cookies hold no server state: one
 * issued before an account's creation is refused (devcookie.c), so a reused
 * account id inherits none.  Logs and audit entries keep the bare account id
 * for their own period.  Its recordings are deleted through amphi-recstore
 * first (recordings_account_delete).  The last active administrator is
 * never deleted for inactivity, and a restricted account (GDPR art. 18,
 * restriction.h) by none of the account rules until it is lifted.
 *
 * Every step is one statement or one account at a time, committed as it
 * goes: a sweep cut short leaves nothing half done and the next one goes on
 * (idempotent).  `now` is the caller's (sweep.c decides what time it is). */
#ifndef AMPHI_CONTROL_EXPIRY_H
#define AMPHI_CONTROL_EXPIRY_H

#include <jansson.h>
#include <stdint.h>

struct auth_principal;
struct control;
struct sqlite3;

/* What one run did, for the log line and the tests. */
struct expiry_counts {
	int accounts, warned, connection_logs, access_logs, audit, privacy_requests, reset_tokens,
	    sessions, outbox;
};

/* Runs every rule above once.  0, or the first -errno (the rules after it
 * still ran). */
int expiry_run(struct control *app, struct sqlite3 *db, int64_t now, struct expiry_counts *out);

/* What one account's deletion took, for the erasure receipt (erasure.h).
 * The caller makes the two arrays (or leaves them NULL): the ids of the
 * recordings the store deleted, and of those it kept under legal hold. */
struct expiry_erased {
	int64_t sessions, reset_tokens, webinars, registrations, tokens, chat_messages, questions, votes;
	int webinars_ended, recordings, outbox_mails;
	json_t *recordings_deleted, *recordings_held;
};

/* Deletes account id as described above, audited as `action` by actor (NULL:
 * the system) with detail {"rule": rule} (none when rule is NULL): for the
 * sweep, a due deactivation, an administrator's DELETE and the person's own
 * erasure (DELETE /api/me) alike.  The account's own votes and messages in
 * webinars not its own go too.  out (may be NULL) gets what went.  0,
 * -ENOENT, -EIO, or the store's -errno (recstore_client.h: -EHOSTDOWN when it
 * is down) with nothing deleted but live webinars ended and recordings
 * already deleted: a retry goes on from there. */
int expiry_account_delete(struct control *app, struct sqlite3 *db, int64_t id, int64_t now,
                          const struct auth_principal *actor, const char *action, const char *rule,
                          struct expiry_erased *out);

#endif
