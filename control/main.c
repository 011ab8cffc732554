/* amphi-control: the HTTP/JSON control plane (DESIGN.md §7).
 *
 * main only starts and stops: the settings (opts.c: file, flags,
 * environment), the retention policy, the mail sender, the database and the
 * first admin, the live-webinar state of struct control, the route table and
 * the HTTP server, the retention sweep; then the wait for SIGTERM/SIGINT,
 * after which everything stops in reverse (open streams end, in-flight
 * requests finish) and the database closes. */
#include "control/accounts.h"
#include "control/auth.h"
#include "control/breach.h"
#include "control/control.h"
#include "control/db.h"
#include "control/events.h"
#include "control/http.h"
#include "control/ingest.h"
#include "control/live.h"
#include "control/mail.h"
#include "control/opts.h"
#include "control/ratelimit.h"
#include "control/recordings.h"
#include "control/recstore_client.h"
#include "control/relay_client.h"
#include "control/stats.h"
#include "control/sweep.h"
#include "control/sdes_view.h"
#include "control/whip.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/retention.h"

#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* jansson's allocator: wipe before freeing, so the copies of passwords and
 * tokens that parsed request bodies hold do not linger in freed memory. */
static void wiping_free(void *p)
{
	if (p)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/* The live-webinar state every webinar module shares, made once the
 * database is open and before any route can run. */
static void live_state_start(struct control *app)
{
	app->hub = event_hub_create(EVENTS_RING_DEFAULT);
	app->limits = rate_limit_create(LIVE_BURST, LIVE_REFILL_NS, 1 << 14);
	app->relay = relay_client_create(app->relay_sock, app->ctl_timeout_ms);
	app->recstore = recstore_client_create(app->recstore_sock, app->ctl_timeout_ms);
	app->ingest = ingest_create();
	app->whip = whip_create(app);
	app->sdes_view = sdes_view_create(app);
	if (!app->hub || !app->limits || !app->relay || !app->recstore || !app->ingest || !app->whip || !app->sdes_view)
		fatal("cannot create the live-webinar state", "error=\"%s\"", strerror(ENOMEM));
	stats_reset_current(app->db);
}

/* After the HTTP server stopped (no handler, no stream left) and before the
 * database closes: the WebRTC sweeper reads it. */
static void live_state_stop(struct control *app)
{
	sdes_view_destroy(app->sdes_view);
	whip_destroy(app->whip);
	ingest_destroy(app->ingest);
	recstore_client_destroy(app->recstore);
	relay_client_destroy(app->relay);
	rate_limit_destroy(app->limits);
	event_hub_destroy(app->hub);
}

/* Outgoing mail: SMTP when [smtp] names a host, the outbox otherwise. */
static void mail_start(struct control *app, const struct control_opts *o)
{
	const struct smtp_config *sc = &o->smtp;

	struct stat st;

	/* The mails hold reset tokens and join links: the folder is this user's
	 * only, also when an older version left it readable. */
	if (mkdir(o->outbox, 0700) != 0 && errno != EEXIST)
		fatal("cannot create the outbox", "path=%s error=\"%s\"", o->outbox, strerror(errno));
	if (stat(o->outbox, &st) == 0 && (st.st_mode & 077)) {
		if (chmod(o->outbox, st.st_mode & 0700) != 0)
			fatal("cannot make the outbox private", "path=%s error=\"%s\"", o->outbox, strerror(errno));
		log_msg(LOG_INFO, "file made private", "path=%s mode=%o", o->outbox, (unsigned)(st.st_mode & 0700));
	}
	app->mail = mail_create(o->outbox, sc->host ? sc : NULL);
	if (!app->mail)
		fatal("cannot start the mail sender", "error=\"%s\"", strerror(errno));
	if (sc->host)
		log_msg(LOG_INFO, "mail over SMTP", "host=%s port=%d starttls=%s auth=%s", sc->host, sc->port,
		        sc->starttls ? "yes" : "no", sc->user ? (sc->auth ? sc->auth : "auto") : "none");
}

static void db_start(struct control *app, const struct control_opts *o)
{
	char err[1024];
	sqlite3 *conn;
	int rc;

	app->db = db_open(o->db, (int)o->db_connections, err, sizeof err);
	if (!app->db)
		fatal("cannot open the database", "error=\"%s\"", err);
	/* Bootstrap: the first admin. */
	conn = db_acquire(app->db);
	rc = accounts_bootstrap(conn, o->admin_email, o->admin_password, err, sizeof err);
	db_release(app->db, conn);
	if (rc != 0)
		fatal("cannot create the first admin", "error=\"%s\"", err);
}

static void http_start(struct control *app, const struct control_opts *o)
{
	char err[1024];
	struct http_router *router = http_router_new();

	if (!router || control_routes(router, app) != 0)
		fatal("cannot build the route table", NULL);
	struct http_config hc = {
		.listen = o->listen, .web_dir = o->web, .max_body = o->max_body,
		.tls_cert_pem = o->tls_cert_pem, .tls_key_pem = o->tls_key_pem, .conn_timeout_s = 60,
		.workers = o->http_workers, .io_threads = o->http_io_threads, .max_connections = o->max_connections,
	};
	app->http = http_server_start(&hc, router, app->db, auth_hook, app, err, sizeof err);
	if (!app->http)
		fatal("cannot start the HTTP server", "error=\"%s\"", err);
}

int main(int argc, char **argv)
{
	static struct control_opts o;
	static struct control app;
	const char *what;
	char err[1024];
	int rc = control_opts_args(&o, argc, argv);

	if (rc)
		return rc == 1 ? 0 : 2;
	/* Everything this daemon creates (the database, its -wal and -shm, the
	 * outbox and its mails) holds personal data or secrets: its user's only. */
	umask(077);
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
	if (control_opts_load(&o, &what, err, sizeof err) != 0)
		fatal(what, "error=\"%s\"", err);

	app.relay_sock = o.relay;
	app.recstore_sock = o.recstore;
	app.outbox = o.outbox;
	app.ctl_timeout_ms = o.ctl_timeout_ms;
	if (retention_load(o.retention, &app.retention, err, sizeof err) != 0)
		fatal("cannot load the retention policy", "error=\"%s\"", err);
	mail_start(&app, &o);
	if (breach_load(o.breached_passwords, err, sizeof err) != 0)
		fatal("cannot read the list of breached passwords", "error=\"%s\"", err);
	if (auth_init(&o.auth, err, sizeof err) != 0)
		fatal("bad authentication settings", "error=\"%s\"", err);
	db_start(&app, &o);
	live_state_start(&app);
	/* What came due while the daemon was down goes before the first request. */
	struct sweep *sweep = sweep_start(&app, o.sweep_s);
	if (!sweep)
		fatal("cannot start the retention sweep", "error=\"%s\"", strerror(errno));
	http_start(&app, &o);
	control_opts_wipe_secrets(&o);   /* mail.c and the server hold their own copies */
	log_msg(LOG_INFO, "listening", "address=%s port=%d tls=%s db=%s", o.listen, http_server_port(app.http),
	        o.auth.tls ? "yes" : "no", o.db);

	int sig = 0;
	sigwait(&set, &sig);
	log_msg(LOG_INFO, "stopping", "signal=%d", sig);
	auth_stop();   /* logins waiting for a hash get their 503 before the server stops */
	http_server_stop(app.http);
	sweep_stop(sweep);
	mail_destroy(app.mail);
	live_state_stop(&app);
	db_close(app.db);
	retention_free(&app.retention);
	breach_free();
	control_opts_free(&o);
	log_msg(LOG_INFO, "stopped", NULL);
	return 0;
}
