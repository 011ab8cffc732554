/* mail: amphi-control's outgoing mail (password reset links).
 *
 * Without SMTP every message is written to the outbox folder as
 * <ns>-<kind>.eml (mode 0600, written under a temporary name and renamed, so
 * a mail transfer agent watching the folder never sees half a message).
 * With [smtp] configured, mail_send queues a copy and returns at once: one
 * sender thread delivers the queue over SMTP (smtp.h), and a message SMTP
 * could not deliver (server down, refused, TLS or AUTH failure) is written to
 * the outbox instead and the failure logged, so no mail is lost and no HTTP
 * answer ever waits for a mail server.
 *
 * Messages hold secrets (reset tokens): the queue wipes each copy when done,
 * and logs name the kind of mail and the failing step, never the recipient,
 * the message or the SMTP password.
 *
 * Ownership: main.c creates it after the configuration and destroys it after
 * the HTTP server stopped; mail_destroy cuts the send in progress short
 * (smtp_abort: a hanging server cannot hold the shutdown) and writes that
 * message and whatever is still queued to the outbox. */
#ifndef AMPHI_CONTROL_MAIL_H
#define AMPHI_CONTROL_MAIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct smtp_config;
struct mail;

#define MAIL_QUEUE_MAX 256   /* beyond this, messages go to the outbox at once */

/* outbox: folder (must exist).  smtp: NULL for outbox only; otherwise copied,
 * strings included (the password is wiped at destroy).  NULL on ENOMEM or
 * when the sender thread cannot start (errno set). */
struct mail *mail_create(const char *outbox, const struct smtp_config *smtp);
void mail_destroy(struct mail *m);

/* The address messages are sent from (the From: header). */
const char *mail_from(const struct mail *m);

/* Sends msg (RFC 5322, CRLF line ends) to rcpt; kind ("reset") names the
 * outbox file and the log lines.  0 once queued or written, -errno when
 * neither was possible. */
int mail_send(struct mail *m, const char *rcpt, const char *kind, const char *msg, size_t len);

/* Writes the head every amphi mail starts with — From (mail_from), To, Subject,
 * Date (now), Message-ID (<ns>.<kind>@amphi), MIME-Version, Content-Type
 * text/plain UTF-8 — for the caller to add its own fields, a blank line and
 * the body. */
void mail_head(FILE *f, const struct mail *m, const char *rcpt, const char *subject, const char *kind);

/* Counters for /metrics. */
struct mail_stats {
	unsigned long long smtp_sent, smtp_failed, outbox_written;
};
void mail_stats_get(struct mail *m, struct mail_stats *out);

/* Writes one message to the outbox (the writer mail_send uses). */
int mail_outbox_write(const char *outbox, const char *kind, const char *msg, size_t len);
/* Deletes the outbox's messages to rcpt (their To: header, case-insensitive;
 * NULL: to anyone) about webinar (their X-Amphi-Webinar header, which join
 * mails carry; 0: about anything): what an erasure takes from the outbox —
 * a person's (rcpt), a webinar's registrants' (webinar) or one registration's
 * (both).  The number deleted, or -errno when the folder cannot be read. */
int mail_outbox_forget(const char *outbox, const char *rcpt, int64_t webinar);
/* The outbox's messages to rcpt, as an export shows them: a new array of
 * {file, kind, written_at} (never their text: a join or reset mail holds a
 * live token).  Empty when the folder cannot be read. */
json_t *mail_outbox_about(const char *outbox, const char *rcpt);

#endif
