/* erasure: the right to erasure (GDPR art. 17) — DELETE /api/me — and the
 * one deletion of a registration that the erasure, the withdrawal of
 * consent (registrations.c) and nothing else use.
 *
 *   DELETE /api/me   the person   200 the receipt (docs/privacy.md "Erasure receipt")
 *
 * The person is an account, by its session cookie: the account goes through
 * expiry_account_delete, the path of an administrator's DELETE and of the
 * retention rules (its live webinars ended on the relay, its recordings
 * deleted by amphi-recstore — one under legal hold kept and named — its
 * webinars with their registrations, its sessions, reset tokens, votes,
 * messages and outbox mails).  Or the person is an email, by the join token
 * of one of its registrations (subject.h): every registration of that
 * address goes (erasure_registration), its viewers on the relay cut at once.
 *
 * What stays under a legal obligation is in the receipt's "kept", with its
 * rule's end and legal basis: connection and access log entries, the audit
 * entry of the erasure, privacy-request records.  The audit entry names ids
 * and counts, never the person.
 *
 * When amphi-recstore cannot be asked, the answer is 503 "recstore_unavailable"
 * and the account is still there (its live webinars ended, and recordings
 * already deleted, stay so): the same request later finishes the work. */
#ifndef AMPHI_CONTROL_ERASURE_H
#define AMPHI_CONTROL_ERASURE_H

#include <stdint.h>

struct auth_principal;
struct control;
struct http_router;
struct sqlite3;

/* What erasing registrations took (added up over several). */
struct erasure_counts {
	int64_t registrations, tokens, chat_messages, questions, votes, outbox_mails, relay_sessions;
};

/* Deletes registration reg with what it said and did (messages, questions,
 * votes and the stored counts they raised), its tokens, its join mails in
 * the outbox, and cuts its viewers on the relay (WHEP, SDES) at once; one
 * transaction, audited as `action` by actor with the counts (no person).
 * Adds to *c.  0, -ENOENT (no such registration), or -EIO (nothing
 * changed). */
int erasure_registration(struct control *app, struct sqlite3 *db, int64_t reg,
                         const struct auth_principal *actor, const char *action, struct erasure_counts *c);

/* Cuts the relay sessions (WHEP, SDES viewers) of registration reg's
 * tokens now, the tokens themselves staying (a restriction).  Returns how
 * many ended. */
int erasure_registration_cut(struct control *app, struct sqlite3 *db, int64_t reg);

int erasure_routes(struct http_router *r, struct control *app);

#endif
