/* export: a person's data, all of it, in one JSON document they can read
 * and take elsewhere (GDPR art. 15 access, art. 20 portability).
 *
 *   GET /api/me/export   account (session) or join token   200, a download
 *
 * Who the person is comes from subject.h.  What is keyed by an account
 * (its row, sessions, reset tokens, its logs, webinars, messages, votes,
 * recordings from amphi-recstore, audit entries, its reset and warning
 * mails) goes to that account's session.  What is keyed by an email address
 * (every registration of the address, with its consent record, tokens,
 * messages, questions, votes and logs; the privacy requests naming the
 * address; the join mails to it; its live sessions on the relay) goes to
 * whoever proves the address: a join token of one of its registrations.  A
 * session does not prove its account's address (an organizer may change
 * it, PATCH /api/me), so an account's export never holds a registration.  The schema, field by field
 * with its source table or daemon, is in docs/privacy.md.
 *
 * The answer is built in memory from the request's connection (a read of
 * consistent rows: one transaction), the store's list and the relay's
 * peers (asked after the transaction); it carries
 * Content-Disposition: attachment and Cache-Control: no-store.  The export
 * is audited ("privacy.export", the subject's kind and row id, no data).
 * When amphi-recstore cannot be asked about an account's recordings the
 * answer is 503: an export that leaves something out says so by failing. */
#ifndef AMPHI_CONTROL_EXPORT_H
#define AMPHI_CONTROL_EXPORT_H

struct http_router;
struct control;

int export_routes(struct http_router *r, struct control *app);

#endif
