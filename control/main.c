/* amphi-control: the HTTP/JSON control plane (DESIGN.md §7).
 *
 * main owns start-up and shutdown: configuration (file, then flags), the
 * database and its migrations, the bootstrap admin, the route table, the HTTP
 * server, and the wait for SIGTERM/SIGINT, after which the server stops (open
 * streams end, in-flight requests finish) and the database closes. */
#include "control/accounts.h"
#include "control/auth.h"
#include "control/control.h"
#include "control/db.h"
#include "control/events.h"
#include "control/http.h"
#include "control/ingest.h"
#include "control/live.h"
#include "control/mail.h"
#include "control/ratelimit.h"
#include "control/relay_client.h"
#include "control/smtp.h"
#include "control/stats.h"
#include "control/sweep.h"
#include "control/webinars.h"
#include "control/whip.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/retention.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	"pwhash_opslimit", "pwhash_memlimit", NULL,
};

/* jansson's allocator: wipe before freeing, so the copies of passwords and
 * tokens that parsed request bodies hold do not linger in freed memory. */
static void wiping_free(void *p)
{
	if (p)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

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

/* The live-webinar state every webinar module shares, made once the
 * database is open and before any route can run; then what came due while
 * the daemon was down goes. */
static void live_state_start(struct control *app)
{
	app->hub = event_hub_create(EVENTS_RING_DEFAULT);
	app->limits = rate_limit_create(LIVE_BURST, LIVE_REFILL_NS, 1 << 14);
	app->relay = relay_client_create(app->relay_sock, app->ctl_timeout_ms);
	app->ingest = ingest_create();
	app->whip = whip_create(app);
	if (!app->hub || !app->limits || !app->relay || !app->ingest || !app->whip)
		fatal("cannot create the live-webinar state", "error=\"%s\"", strerror(ENOMEM));
	stats_reset_current(app->db);
	sqlite3 *c = db_acquire(app->db);
	int n = webinars_purge(c, app, amphi_now());
	db_release(app->db, c);
	if (n > 0)
		log_msg(LOG_INFO, "end-of-webinar data purged at start", "rows=%d", n);
}

/* After the HTTP server stopped (no handler, no stream left) and before the
 * database closes: the WebRTC sweeper reads it. */
static void live_state_stop(struct control *app)
{
	whip_destroy(app->whip);
	ingest_destroy(app->ingest);
	relay_client_destroy(app->relay);
	rate_limit_destroy(app->limits);
	event_hub_destroy(app->hub);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' }, { "listen", required_argument, 0, 'l' },
		{ "db", required_argument, 0, 'd' }, { "relay", required_argument, 0, 'r' },
		{ "recstore", required_argument, 0, 's' }, { "web", required_argument, 0, 'w' },
		{ "outbox", required_argument, 0, 'o' }, { "retention", required_argument, 0, 't' },
		{ "admin-password-file", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *config_path = NULL, *pwfile = NULL;
	struct { const char *key, *val; } over[16];
	int nover = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'l': key = "listen"; break;
		case 'd': key = "db"; break;
		case 'r': key = "relay"; break;
		case 's': key = "recstore"; break;
		case 'w': key = "web"; break;
		case 'o': key = "outbox"; break;
		case 't': key = "retention"; break;
		case 'p': pwfile = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
		if (key)
			over[nover++] = (typeof(over[0])){ key, optarg };
	}
	if (optind < argc) {
		fprintf(stderr, "amphi-control: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	/* Signals: blocked before any thread starts (every thread inherits the
	 * mask: mail sender, HTTP, sweep), taken by sigwait at the end. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	json_set_alloc_funcs(malloc, wiping_free);
	log_init("control");
	if (amphi_clock_init() != 0)
		fatal("bad AMPHI_TIME_OFFSET", "value=%s", getenv("AMPHI_TIME_OFFSET"));

	char err[1024];
	struct config *cfg = config_path ? config_load(config_path, err, sizeof err) : config_new_empty("<builtin>");
	if (!cfg)
		fatal("cannot read the configuration", "error=\"%s\"", err);
	for (int i = 0; i < nover; i++)
		config_set(cfg, "control", over[i].key, over[i].val);
	if (config_check_keys(cfg, "control", control_keys) || config_check_keys(cfg, "auth", auth_keys) ||
	    config_check_keys(cfg, "smtp", smtp_keys) ||
	    config_check_keys(cfg, "", (const char *const[]){ NULL }))
		fatal("bad configuration", "error=\"%s\"", config_error(cfg));

	const char *listen, *dbpath, *relay, *recstore, *web, *outbox, *retention, *origin, *cert, *key;
	long long max_body, pool, opslimit, memlimit, threshold, workers, io_threads, max_conn;
	struct duration ctl_timeout, sweep_every;
	struct auth_config ac;
	auth_config_default(&ac);
	if (config_get_str(cfg, "control", "listen", "127.0.0.1:8080", &listen) ||
	    config_get_str(cfg, "control", "db", "var/control.db", &dbpath) ||
	    config_get_str(cfg, "control", "relay", "var/run/relay.sock", &relay) ||
	    config_get_str(cfg, "control", "recstore", "var/run/recstore.sock", &recstore) ||
	    config_get_str(cfg, "control", "web", "control/web", &web) ||
	    config_get_str(cfg, "control", "outbox", "var/outbox", &outbox) ||
	    config_get_str(cfg, "control", "retention", "etc/retention.conf", &retention) ||
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
	    get_seconds(cfg, "session_idle", "30m", &ac.session_idle_s) ||
	    get_seconds(cfg, "session_absolute", "12h", &ac.session_absolute_s) ||
	    config_get_int(cfg, "auth", "lock_threshold", 3, 1, 100, &threshold) ||
	    get_seconds(cfg, "lock_base", "1m", &ac.lock_base_s) ||
	    get_seconds(cfg, "lock_max", "1h", &ac.lock_max_s) ||
	    config_get_int(cfg, "auth", "pwhash_opslimit", (long long)crypto_pwhash_OPSLIMIT_MODERATE,
	                   (long long)crypto_pwhash_OPSLIMIT_MODERATE, 1000, &opslimit) ||
	    config_get_int(cfg, "auth", "pwhash_memlimit", (long long)crypto_pwhash_MEMLIMIT_MODERATE,
	                   (long long)crypto_pwhash_MEMLIMIT_MODERATE, 1LL << 34, &memlimit))
		fatal("bad configuration", "error=\"%s\"", config_error(cfg));
	if (sweep_every.never || sweep_every.months || sweep_every.seconds < 1 || sweep_every.seconds > 3600)
		fatal("bad configuration", "error=\"retention_sweep must be between 1s and 1h\"");
	if ((cert == NULL) != (key == NULL))
		fatal("bad configuration", "error=\"tls_cert and tls_key go together\"");
	ac.lock_threshold = (int)threshold;
	ac.pwhash_opslimit = (unsigned long long)opslimit;
	ac.pwhash_memlimit = (size_t)memlimit;
	ac.tls = cert != NULL;
	char own_origin[300];
	if (!origin) {
		snprintf(own_origin, sizeof own_origin, "%s://%s", ac.tls ? "https" : "http", listen);
		origin = own_origin;
	}
	ac.public_origin = origin;

	static struct control app;
	app.relay_sock = *relay ? relay : NULL;
	app.recstore_sock = *recstore ? recstore : NULL;
	app.outbox = outbox;
	app.ctl_timeout_ms = (int)(ctl_timeout.seconds > 0 ? ctl_timeout.seconds * 1000 : 2000);
	if (retention_load(retention, &app.retention, err, sizeof err) != 0)
		fatal("cannot load the retention policy", "error=\"%s\"", err);
	if (mkdir(outbox, 0700) != 0 && errno != EEXIST)
		fatal("cannot create the outbox", "path=%s error=\"%s\"", outbox, strerror(errno));
	/* Outgoing mail: SMTP when [smtp] names a host, the outbox otherwise. */
	struct smtp_config sc = { 0 };
	char *smtp_pw = NULL;
	if (config_has(cfg, "smtp", "host")) {
		long long port;
		bool starttls;
		struct duration to;
		const char *pwfile_smtp;
		if (config_get_str(cfg, "smtp", "host", NULL, &sc.host) ||
		    config_get_bool(cfg, "smtp", "starttls", false, &starttls) ||
		    config_get_int(cfg, "smtp", "port", starttls ? 587 : 25, 1, 65535, &port) ||
		    config_get_str(cfg, "smtp", "from", NULL, &sc.from) ||
		    config_get_str(cfg, "smtp", "helo", "localhost", &sc.helo) ||
		    config_get_str(cfg, "smtp", "tls_ca", NULL, &sc.tls_ca) ||
		    config_get_str(cfg, "smtp", "user", NULL, &sc.user) ||
		    config_get_str(cfg, "smtp", "password_file", NULL, &pwfile_smtp) ||
		    config_get_str(cfg, "smtp", "auth", NULL, &sc.auth) ||
		    config_get_duration(cfg, "smtp", "timeout", "10s", &to))
			fatal("bad configuration", "error=\"%s\"", config_error(cfg));
		sc.port = (int)port;
		sc.starttls = starttls;
		sc.timeout_ms = (int)(to.seconds > 0 && to.seconds < 600 ? to.seconds * 1000 : 10000);
		if (pwfile_smtp) {
			if (!(smtp_pw = read_file(pwfile_smtp, 1024, err, sizeof err)))
				fatal("cannot read the SMTP password file", "error=\"%s\"", err);
			smtp_pw[strcspn(smtp_pw, "\r\n")] = 0;
			sc.password = smtp_pw;
		}
		if (smtp_config_check(&sc, err, sizeof err) != 0)
			fatal("bad configuration", "error=\"%s\"", err);
	}
	app.mail = mail_create(outbox, sc.host ? &sc : NULL);
	if (smtp_pw) {   /* mail.c holds its own copy */
		sodium_memzero(smtp_pw, strlen(smtp_pw));
		free(smtp_pw);
	}
	if (!app.mail)
		fatal("cannot start the mail sender", "error=\"%s\"", strerror(errno));
	if (sc.host)
		log_msg(LOG_INFO, "mail over SMTP", "host=%s port=%d starttls=%s auth=%s", sc.host, sc.port,
		        sc.starttls ? "yes" : "no", sc.user ? (sc.auth ? sc.auth : "auto") : "none");

	if (auth_init(&ac, err, sizeof err) != 0)
		fatal("bad authentication settings", "error=\"%s\"", err);
	app.db = db_open(dbpath, (int)pool, err, sizeof err);
	if (!app.db)
		fatal("cannot open the database", "error=\"%s\"", err);

	/* Bootstrap: the first admin. */
	const char *email = getenv("AMPHI_ADMIN_EMAIL");
	char *pw = NULL;
	if (pwfile) {
		pw = read_file(pwfile, 1024, err, sizeof err);
		if (!pw)
			fatal("cannot read the admin password file", "error=\"%s\"", err);
		pw[strcspn(pw, "\r\n")] = 0;
	} else if (getenv("AMPHI_ADMIN_PASSWORD") && *getenv("AMPHI_ADMIN_PASSWORD")) {
		pw = strdup(getenv("AMPHI_ADMIN_PASSWORD"));
	}
	sqlite3 *conn = db_acquire(app.db);
	int rc = accounts_bootstrap(conn, email && *email ? email : "admin@localhost", pw, err, sizeof err);
	db_release(app.db, conn);
	if (pw) {
		sodium_memzero(pw, strlen(pw));
		free(pw);
	}
	if (rc != 0)
		fatal("cannot create the first admin", "error=\"%s\"", err);

	char *cert_pem = NULL, *key_pem = NULL;
	if (cert) {
		if (!(cert_pem = read_file(cert, 1 << 20, err, sizeof err)) ||
		    !(key_pem = read_file(key, 1 << 20, err, sizeof err)))
			fatal("cannot read the TLS certificate or key", "error=\"%s\"", err);
	}


	live_state_start(&app);
	struct http_router *router = http_router_new();
	if (!router || control_routes(router, &app) != 0)
		fatal("cannot build the route table", NULL);
	struct http_config hc = {
		.listen = listen, .web_dir = *web ? web : NULL, .max_body = (size_t)max_body,
		.tls_cert_pem = cert_pem, .tls_key_pem = key_pem, .conn_timeout_s = 60,
		.workers = (unsigned)workers, .io_threads = (unsigned)io_threads, .max_connections = (unsigned)max_conn,
	};
	app.http = http_server_start(&hc, router, app.db, auth_hook, &app, err, sizeof err);
	if (key_pem) {
		sodium_memzero(key_pem, strlen(key_pem));
		free(key_pem);
		free(cert_pem);
	}
	if (!app.http)
		fatal("cannot start the HTTP server", "error=\"%s\"", err);
	struct sweep *sweep = sweep_start(&app, sweep_every.seconds);
	if (!sweep)
		fatal("cannot start the retention sweep", "error=\"%s\"", strerror(errno));
	log_msg(LOG_INFO, "listening", "address=%s port=%d tls=%s db=%s", listen, http_server_port(app.http),
	        ac.tls ? "yes" : "no", dbpath);

	int sig = 0;
	sigwait(&set, &sig);
	log_msg(LOG_INFO, "stopping", "signal=%d", sig);
	http_server_stop(app.http);
	sweep_stop(sweep);
	mail_destroy(app.mail);
	live_state_stop(&app);
	db_close(app.db);
	retention_free(&app.retention);
	config_free(cfg);
	log_msg(LOG_INFO, "stopped", NULL);
	return 0;
}
