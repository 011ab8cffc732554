/* opts: amphi-control's settings, from etc/control.conf, the command line and
 * the environment, into one struct.
 *
 * Two steps, because the second needs the clock (AMPHI_TIME_OFFSET) and the
 * log, which main sets up in between: control_opts_args reads argv (getopt),
 * control_opts_load reads the config file (flags override it: they are
 * written into the parsed config with config_set, so an error in a flag names
 * "command line"), the secret files and AMPHI_ADMIN_EMAIL /
 * AMPHI_ADMIN_PASSWORD.  Every key is documented in etc/control.conf and
 * docs/control.md.
 *
 * Ownership: a loaded control_opts owns the parsed config its strings point
 * into and the secrets it read (SMTP and admin passwords, the TLS key);
 * control_opts_wipe_secrets wipes and frees those once they were handed on
 * (mail.c and the HTTP server keep their own copies), control_opts_free
 * frees the rest. */
#ifndef AMPHI_CONTROL_OPTS_H
#define AMPHI_CONTROL_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "control/auth.h"
#include "control/smtp.h"

struct config;

#define CONTROL_OPTS_MAX_FLAGS 8    /* flags that name a config key */

struct control_opts {
	const char *listen;          /* "127.0.0.1:8080" */
	const char *db;              /* SQLite database path */
	const char *relay;           /* amphi-relay control socket; NULL when configured empty */
	const char *recstore;        /* amphi-recstore control socket; NULL when configured empty */
	const char *web;             /* static pages; NULL when configured empty */
	const char *outbox;          /* outgoing mail folder (*.eml) */
	const char *retention;       /* retention policy path */
	const char *breached_passwords;   /* the breach list (breach.h) */
	size_t max_body;             /* request body limit, bytes */
	unsigned db_connections;     /* SQLite pool size */
	unsigned http_workers, http_io_threads, max_connections;
	int ctl_timeout_ms;          /* bound on every call to another daemon */
	int64_t sweep_s;             /* retention sweep period, 1 s .. 1 h */
	struct auth_config auth;     /* [auth], tls and public_origin (as given, or NULL) */
	struct smtp_config smtp;     /* [smtp]; smtp.host NULL: mail goes to the outbox only */
	char *tls_cert_pem;          /* owned PEM text of tls_cert / tls_key, or both NULL */
	char *tls_key_pem;
	const char *admin_email;     /* AMPHI_ADMIN_EMAIL, default admin@localhost */
	char *admin_password;        /* owned: --admin-password-file or AMPHI_ADMIN_PASSWORD; NULL: generate */

	/* private to opts.c */
	const char *config_path_;
	const char *admin_password_file_;
	struct { const char *key, *val; } flags_[CONTROL_OPTS_MAX_FLAGS];
	int nflags_;
	struct config *cfg_;
	char *smtp_password_;
};

/* Reads argv.  0: go on; 1: --help was printed to stdout (exit 0); 2: a usage
 * error was printed to stderr (exit 2).  o needs no other setup. */
int control_opts_args(struct control_opts *o, int argc, char **argv);
/* Reads the config file, flags, secret files and environment.  0, or -EINVAL
 * with what failed in *what ("bad configuration", "cannot read the
 * configuration", ...) and the reason in err.  The clock must be set up. */
int control_opts_load(struct control_opts *o, const char **what, char *err, size_t errlen);
/* Wipes and frees the passwords and the TLS key (safe to call twice). */
void control_opts_wipe_secrets(struct control_opts *o);
void control_opts_free(struct control_opts *o);

#endif
