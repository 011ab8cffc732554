/* opts: see opts.h. */
#include "control/opts.h"
#include "control/http.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/duration.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: amphi-control [options]\n"
	"\n"
	"The amphi control plane: HTTP/JSON API, accounts, webinars, static pages.\n"
	"Configuration: --config FILE (see etc/control.conf and docs/control.md); the\n"
	"flags below override the file.\n"
	"\n"
	"  --config FILE               configuration file (default: built-in defaults)\n"
	"  --listen HOST:PORT          HTTP address (default 127.0.0.1:8080)\n"
	"  --db FILE                   SQLite database (default var/control.db)\n"
	"  --relay SOCKET              amphi-relay control socket (default var/run/relay.sock)\n"
	"  --recstore SOCKET           amphi-recstore control socket (default var/run/recstore.sock)\n"
	"  --web DIR                   static pages (default control/web)\n"
	"  --outbox DIR                outgoing mail, one .eml per message (default var/outbox)\n"
	"  --retention FILE            retention policy (default etc/retention.conf)\n"
	"  --admin-password-file FILE  first start only: the admin's password (first line)\n"
	"  -h, --help                  this text\n"
	"\n"
	"Environment: AMPHI_ADMIN_EMAIL (first admin, default admin@localhost),\n"
	"AMPHI_ADMIN_PASSWORD (its password instead of a generated one-time password),\n"
	"AMPHI_TIME_OFFSET (seconds added to the clock), AMPHI_LOG (debug|info|warn|error).\n";

static const char *const control_keys[] = {
	"listen", "db", "relay", "recstore", "web", "outbox", "retention", "public_origin",
	"tls_cert", "tls_key", "max_body", "db_connections", "ctl_timeout", "retention_sweep",
	"http_workers", "http_io_threads", "max_connections", NULL,
};
static const char *const smtp_keys[] = {
	"host", "port", "from", "helo", "starttls", "tls_ca", "user", "password_file", "auth", "timeout", NULL,
};
static const char *const auth_keys[] = {
	"session_idle", "session_absolute", "lock_threshold", "lock_base", "lock_max",
	"pwhash_opslimit", "pwhash_memlimit", "pwhash_queue", "source_burst", "source_refill",
	"reset_burst", "reset_refill", "device_cookie_lifetime", "breached_passwords", NULL,
};

/* A flag that names a config key; given twice, the last one wins (as it
 * would in the file), so the table holds at most one per key. */
static void flag_add(struct control_opts *o, const char *key, const char *val)
{
	int i = 0;

	while (i < o->nflags_ && strcmp(o->flags_[i].key, key) != 0)
		i++;
	if (i == o->nflags_)
		o->nflags_++;
	o->flags_[i].key = key;
	o->flags_[i].val = val;
}

int control_opts_args(struct control_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, 0, 'c' }, { "listen", required_argument, 0, 'l' },
		{ "db", required_argument, 0, 'd' }, { "relay", required_argument, 0, 'r' },
		{ "recstore", required_argument, 0, 's' }, { "web", required_argument, 0, 'w' },
		{ "outbox", required_argument, 0, 'o' }, { "retention", required_argument, 0, 't' },
		{ "admin-password-file", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;

	memset(o, 0, sizeof *o);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case 'c': o->config_path_ = optarg; break;
		case 'l': key = "listen"; break;
		case 'd': key = "db"; break;
		case 'r': key = "relay"; break;
		case 's': key = "recstore"; break;
		case 'w': key = "web"; break;
		case 'o': key = "outbox"; break;
		case 't': key = "retention"; break;
		case 'p': o->admin_password_file_ = optarg; break;
		case 'h': fputs(usage, stdout); return 1;
		default: fputs(usage, stderr); return 2;
		}
		if (key)
			flag_add(o, key, optarg);
	}
	if (optind < argc) {
		fprintf(stderr, "amphi-control: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	return 0;
}

/* The first max bytes of a file, NUL-terminated and owned by the caller;
 * NULL with the reason in err (a larger file is an error, not a cut). */
static char *read_file(const char *path, size_t max, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = calloc(1, max + 1);
	size_t n = buf ? fread(buf, 1, max, f) : 0;
	bool more = fgetc(f) != EOF;
	fclose(f);
	if (!buf || more) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

/* A password file's first line (owned), or NULL with the reason in err. */
static char *read_password(const char *path, char *err, size_t errlen)
{
	char *pw = read_file(path, 1024, err, errlen);
	if (pw)
		pw[strcspn(pw, "\r\n")] = 0;
	return pw;
}

/* Seconds of a duration counted from now (months are calendar months). */
static int get_seconds(struct config *cfg, const char *key, const char *def, int64_t *out)
{
	struct duration d;
	if (config_get_duration(cfg, "auth", key, def, &d) != 0)
		return -EINVAL;
	int64_t now = amphi_now();
	*out = d.never ? INT64_MAX / 4 : duration_add(now, &d) - now;
	return 0;
}

static int fail(const char **what, const char *msg, char *err, size_t errlen, const char *reason)
{
	*what = msg;
	if (reason)
		snprintf(err, errlen, "%s", reason);
	return -EINVAL;
}

/* [control] and [auth]. */
static int load_main(struct control_opts *o, struct config *cfg, const char **what, char *err, size_t errlen)
{
	const char *relay, *recstore, *web, *origin, *cert, *key;
	long long max_body, pool, opslimit, memlimit, threshold, workers, io_threads, max_conn;
	long long pwqueue, source_burst, reset_burst;
	struct duration ctl_timeout, sweep_every;
	struct auth_config *ac = &o->auth;

	auth_config_default(ac);
	if (config_get_str(cfg, "control", "listen", "127.0.0.1:8080", &o->listen) ||
	    config_get_str(cfg, "control", "db", "var/control.db", &o->db) ||
	    config_get_str(cfg, "control", "relay", "var/run/relay.sock", &relay) ||
	    config_get_str(cfg, "control", "recstore", "var/run/recstore.sock", &recstore) ||
	    config_get_str(cfg, "control", "web", "control/web", &web) ||
	    config_get_str(cfg, "control", "outbox", "var/outbox", &o->outbox) ||
	    config_get_str(cfg, "control", "retention", "etc/retention.conf", &o->retention) ||
	    config_get_str(cfg, "control", "public_origin", NULL, &origin) ||
	    config_get_str(cfg, "control", "tls_cert", NULL, &cert) ||
	    config_get_str(cfg, "control", "tls_key", NULL, &key) ||
	    config_get_int(cfg, "control", "max_body", HTTP_MAX_BODY_DEFAULT, 1024, 64 << 20, &max_body) ||
	    config_get_int(cfg, "control", "db_connections", 8, 1, 256, &pool) ||
	    config_get_int(cfg, "control", "http_workers", HTTP_WORKERS_DEFAULT, 1, 1024, &workers) ||
	    config_get_int(cfg, "control", "http_io_threads", 1, 1, 64, &io_threads) ||
	    config_get_int(cfg, "control", "max_connections", HTTP_MAX_CONNECTIONS_DEFAULT, 16, 1000000, &max_conn) ||
	    config_get_duration(cfg, "control", "ctl_timeout", "2s", &ctl_timeout) ||
	    config_get_duration(cfg, "control", "retention_sweep", "60s", &sweep_every) ||
	    get_seconds(cfg, "session_idle", "30m", &ac->session_idle_s) ||
	    get_seconds(cfg, "session_absolute", "12h", &ac->session_absolute_s) ||
	    config_get_int(cfg, "auth", "lock_threshold", 3, 1, 100, &threshold) ||
	    get_seconds(cfg, "lock_base", "1m", &ac->lock_base_s) ||
	    get_seconds(cfg, "lock_max", "1h", &ac->lock_max_s) ||
	    config_get_int(cfg, "auth", "pwhash_opslimit", (long long)crypto_pwhash_OPSLIMIT_MODERATE,
	                   (long long)crypto_pwhash_OPSLIMIT_MODERATE, 1000, &opslimit) ||
	    config_get_int(cfg, "auth", "pwhash_memlimit", (long long)crypto_pwhash_MEMLIMIT_MODERATE,
	                   (long long)crypto_pwhash_MEMLIMIT_MODERATE, 1LL << 34, &memlimit) ||
	    config_get_int(cfg, "auth", "pwhash_queue", ac->pwhash_queue, 1, 4096, &pwqueue) ||
	    config_get_int(cfg, "auth", "source_burst", ac->source_burst, 1, 1000000, &source_burst) ||
	    get_seconds(cfg, "source_refill", "3s", &ac->source_refill_s) ||
	    config_get_int(cfg, "auth", "reset_burst", ac->reset_burst, 1, 1000000, &reset_burst) ||
	    get_seconds(cfg, "reset_refill", "20m", &ac->reset_refill_s) ||
	    get_seconds(cfg, "device_cookie_lifetime", "6mo", &ac->device_max_age_s) ||
	    config_get_str(cfg, "auth", "breached_passwords", "etc/breached-passwords.txt", &o->breached_passwords))
		return fail(what, "bad configuration", err, errlen, config_error(cfg));
	if (sweep_every.never || sweep_every.months || sweep_every.seconds < 1 || sweep_every.seconds > 3600)
		return fail(what, "bad configuration", err, errlen, "retention_sweep must be between 1s and 1h");
	if ((cert == NULL) != (key == NULL))
		return fail(what, "bad configuration", err, errlen, "tls_cert and tls_key go together");
	o->relay = *relay ? relay : NULL;
	o->recstore = *recstore ? recstore : NULL;
	o->web = *web ? web : NULL;
	o->max_body = (size_t)max_body;
	o->db_connections = (unsigned)pool;
	o->http_workers = (unsigned)workers;
	o->http_io_threads = (unsigned)io_threads;
	o->max_connections = (unsigned)max_conn;
	o->ctl_timeout_ms = (int)(ctl_timeout.seconds > 0 ? ctl_timeout.seconds * 1000 : 2000);
	o->sweep_s = sweep_every.seconds;
	ac->lock_threshold = (int)threshold;
	ac->pwhash_opslimit = (unsigned long long)opslimit;
	ac->pwhash_memlimit = (size_t)memlimit;
	ac->pwhash_queue = (unsigned)pwqueue;
	ac->source_burst = (unsigned)source_burst;
	ac->reset_burst = (unsigned)reset_burst;
	ac->tls = cert != NULL;
	ac->public_origin = origin;   /* NULL: the server's own (http_server_origin) */
	if (cert && (!(o->tls_cert_pem = read_file(cert, 1 << 20, err, errlen)) ||
	             !(o->tls_key_pem = read_file(key, 1 << 20, err, errlen))))
		return fail(what, "cannot read the TLS certificate or key", err, errlen, NULL);
	return 0;
}

/* [smtp]: only when it names a host (the outbox otherwise). */
static int load_smtp(struct control_opts *o, struct config *cfg, const char **what, char *err, size_t errlen)
{
	struct smtp_config *sc = &o->smtp;
	long long port;
	bool starttls;
	struct duration to;
	const char *pwfile;

	if (!config_has(cfg, "smtp", "host"))
		return 0;
	if (config_get_str(cfg, "smtp", "host", NULL, &sc->host) ||
	    config_get_bool(cfg, "smtp", "starttls", false, &starttls) ||
	    config_get_int(cfg, "smtp", "port", starttls ? 587 : 25, 1, 65535, &port) ||
	    config_get_str(cfg, "smtp", "from", NULL, &sc->from) ||
	    config_get_str(cfg, "smtp", "helo", "localhost", &sc->helo) ||
	    config_get_str(cfg, "smtp", "tls_ca", NULL, &sc->tls_ca) ||
	    config_get_str(cfg, "smtp", "user", NULL, &sc->user) ||
	    config_get_str(cfg, "smtp", "password_file", NULL, &pwfile) ||
	    config_get_str(cfg, "smtp", "auth", NULL, &sc->auth) ||
	    config_get_duration(cfg, "smtp", "timeout", "10s", &to))
		return fail(what, "bad configuration", err, errlen, config_error(cfg));
	sc->port = (int)port;
	sc->starttls = starttls;
	sc->timeout_ms = (int)(to.seconds > 0 && to.seconds < 600 ? to.seconds * 1000 : 10000);
	if (pwfile) {
		if (!(o->smtp_password_ = read_password(pwfile, err, errlen)))
			return fail(what, "cannot read the SMTP password file", err, errlen, NULL);
		sc->password = o->smtp_password_;
	}
	if (smtp_config_check(sc, err, errlen) != 0)
		return fail(what, "bad configuration", err, errlen, NULL);
	return 0;
}

/* The first admin: AMPHI_ADMIN_EMAIL, and its password from the file or
 * AMPHI_ADMIN_PASSWORD (read at every start; used on the first only). */
static int load_admin(struct control_opts *o, const char **what, char *err, size_t errlen)
{
	const char *email = getenv("AMPHI_ADMIN_EMAIL"), *pw = getenv("AMPHI_ADMIN_PASSWORD");

	o->admin_email = email && *email ? email : "admin@localhost";
	if (o->admin_password_file_) {
		if (!(o->admin_password = read_password(o->admin_password_file_, err, errlen)))
			return fail(what, "cannot read the admin password file", err, errlen, NULL);
	} else if (pw && *pw && !(o->admin_password = strdup(pw))) {
		return fail(what, "cannot read the admin password", err, errlen, strerror(ENOMEM));
	}
	return 0;
}

int control_opts_load(struct control_opts *o, const char **what, char *err, size_t errlen)
{
	struct config *cfg;

	cfg = o->cfg_ = o->config_path_ ? config_load(o->config_path_, err, errlen) : config_new_empty("<builtin>");
	if (!cfg)
		return fail(what, "cannot read the configuration", err, errlen, NULL);
	for (int i = 0; i < o->nflags_; i++)
		config_set(cfg, "control", o->flags_[i].key, o->flags_[i].val);
	if (config_check_keys(cfg, "control", control_keys) || config_check_keys(cfg, "auth", auth_keys) ||
	    config_check_keys(cfg, "smtp", smtp_keys) ||
	    config_check_keys(cfg, "", (const char *const[]){ NULL }))
		return fail(what, "bad configuration", err, errlen, config_error(cfg));
	if (load_main(o, cfg, what, err, errlen) || load_smtp(o, cfg, what, err, errlen) ||
	    load_admin(o, what, err, errlen))
		return -EINVAL;
	return 0;
}

static void wipe(char **p)
{
	if (*p) {
		sodium_memzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

void control_opts_wipe_secrets(struct control_opts *o)
{
	wipe(&o->smtp_password_);
	o->smtp.password = NULL;
	wipe(&o->admin_password);
	wipe(&o->tls_key_pem);
	free(o->tls_cert_pem);
	o->tls_cert_pem = NULL;
}

void control_opts_free(struct control_opts *o)
{
	control_opts_wipe_secrets(o);
	config_free(o->cfg_);
	o->cfg_ = NULL;
}
