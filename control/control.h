/* control: the state amphi-control's modules share (one per process), and the
 * list of modules that register HTTP routes.
 *
 * main.c owns the struct: it fills it from the config and flags, and frees it
 * at exit.  Handlers reach it through req->app (the arg given to http_route).
 * Everything in it is read-only once the server runs, except the atomic
 * counters. */
#ifndef AMPHI_CONTROL_CONTROL_H
#define AMPHI_CONTROL_CONTROL_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/retention.h"

struct db;
struct mail;
struct http_server;
struct http_router;

struct control {
	struct db *db;
	struct http_server *http;        /* set once the server started */
	struct retention retention;      /* etc/retention.conf */
	const char *relay_sock;          /* amphi-relay control socket, or NULL */
	const char *recstore_sock;       /* amphi-recstore control socket, or NULL */
	const char *outbox;              /* folder for outgoing mail (*.eml) */
	struct mail *mail;               /* outgoing mail: SMTP or the outbox (mail.h) */
	int ctl_timeout_ms;              /* bound on every call to another daemon */
	/* login outcomes, for /metrics */
	atomic_ullong logins_ok, logins_failed, logins_locked;
};

/* Registers every module's routes (routes.c: one line per module). */
int control_routes(struct http_router *r, struct control *app);

#endif
