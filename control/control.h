/* control: the state amphi-control's modules share (one per process), and the
 * list of modules that register HTTP routes.
 *
 * main.c owns the struct: it fills it from the config and flags, makes the
 * live-webinar state (hub, limits, relay client, ingest keys, WebRTC
 * sessions) once the database is open, and stops and frees it all at exit,
 * after the HTTP server stopped.  Every handler reaches it as req->app (the
 * arg every module gives http_route): one context type for all of them.
 * The pointers are set before the server runs and never change; what they
 * point at is thread-safe on its own, and the counters are atomic. */
#ifndef AMPHI_CONTROL_CONTROL_H
#define AMPHI_CONTROL_CONTROL_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/retention.h"

struct db;
struct event_hub;
struct http_router;
struct http_server;
struct ingest;
struct mail;
struct rate_limit;
struct recstore_client;
struct relay_client;
struct sdes_view;
struct whip;

struct control {
	struct db *db;
	struct http_server *http;        /* set once the server started */
	struct retention retention;      /* etc/retention.conf */
	const char *relay_sock;          /* amphi-relay control socket, or NULL */
	const char *recstore_sock;       /* amphi-recstore control socket, or NULL */
	const char *outbox;              /* folder for outgoing mail (*.eml) */
	struct mail *mail;               /* outgoing mail: SMTP or the outbox (mail.h) */
	int ctl_timeout_ms;              /* bound on every call to another daemon */
	struct event_hub *hub;           /* live.c's SSE channels (events.h) */
	struct rate_limit *limits;       /* per participant and kind of write (live.h) */
	struct relay_client *relay;      /* amphi-relay's control socket (relay_client.h) */
	struct recstore_client *recstore;   /* amphi-recstore's control socket (recstore_client.h) */
	struct ingest *ingest;           /* SRTP keys of live webinars (ingest.h) */
	struct whip *whip;               /* WHIP/WHEP sessions and their sweeper (whip.h) */
	struct sdes_view *sdes_view;     /* SDES viewers and their sweeper (sdes_view.h) */
	/* login outcomes, for /metrics */
	atomic_ullong logins_ok, logins_failed, logins_locked;
};

/* Registers every module's routes (routes.c: one line per module). */
int control_routes(struct http_router *r, struct control *app);

#endif
