/* smtp: a minimal SMTP submission client (RFC 5321) for amphi-control's
 * outgoing mail: EHLO, optional STARTTLS (RFC 3207, OpenSSL, certificate and
 * host name verified), optional AUTH PLAIN (RFC 4616) or LOGIN, one message to
 * one recipient, QUIT.  Blocking, bounded by a timeout on every read and
 * write: call it from a thread that may wait (mail.c's sender).
 *
 * Never downgrades: STARTTLS configured but not offered is a failure, and a
 * password is only ever sent inside TLS (smtp_config_check refuses a user
 * without starttls).  Errors name the step and the server's reply, never the
 * password or the message. */
#ifndef AMPHI_CONTROL_SMTP_H
#define AMPHI_CONTROL_SMTP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct smtp_config {
	const char *host;          /* name or address */
	int port;                  /* 25, 587 ... */
	const char *from;          /* envelope sender and From: address */
	const char *helo;          /* our name in EHLO */
	bool starttls;             /* upgrade to TLS before anything else */
	const char *tls_ca;        /* PEM file of trusted CAs; NULL: the system's */
	const char *user;          /* AUTH user, NULL: no AUTH */
	const char *password;      /* AUTH password (owned by the caller, wiped by it) */
	const char *auth;          /* "plain", "login" or NULL: the first the server offers */
	int timeout_ms;            /* each connect, read and write */
};

/* 0, or -EINVAL with the reason in err (starttls without TLS support,
 * user without starttls, unknown auth, missing host/from). */
int smtp_config_check(const struct smtp_config *c, char *err, size_t errlen);

/* A way to cut a send short from another thread (shutdown): smtp_abort_fire
 * shuts the connection's socket down, so a read or write blocked on a slow
 * server returns at once and smtp_send fails with -ECANCELED; a send that
 * starts after it fails at once.  The socket number is only touched under mu,
 * and forgotten before it is closed, so a reused number is never shut. */
struct smtp_abort {
	pthread_mutex_t mu;
	int fd;                    /* the connection's socket, -1 when none */
	bool fired;
};
void smtp_abort_init(struct smtp_abort *a);
void smtp_abort_fire(struct smtp_abort *a);
void smtp_abort_destroy(struct smtp_abort *a);

/* Sends msg (an RFC 5322 message, CRLF line ends; dot-stuffed here) to rcpt.
 * abort may be NULL.  0, or -errno with "step: reason" in err (-ECONNREFUSED,
 * -ETIMEDOUT, -EPROTO for an unexpected reply, -EACCES for a refused AUTH,
 * -ECANCELED after smtp_abort_fire). */
int smtp_send(const struct smtp_config *c, const char *rcpt, const char *msg, size_t len,
              struct smtp_abort *abort, char *err, size_t errlen);

/* What the server said in one complete reply (possibly multi-line).  For the
 * fuzz target and the client.  Capabilities are only meaningful for an EHLO
 * reply. */
struct smtp_reply {
	int code;                  /* 100..599 */
	bool starttls, auth_plain, auth_login;
	char text[128];            /* the last line's text, for error messages */
};
/* Parses buf[0..len) as one or more reply lines ending in CRLF (or LF).
 * Returns the bytes of the complete reply consumed (> 0), 0 when more bytes
 * are needed, -EPROTO when the bytes are not an SMTP reply. */
int smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *out);

#endif
