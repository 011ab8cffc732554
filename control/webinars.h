/* webinars: organizers' webinars (CRUD, scheduled -> live -> ended) and the
 * state every live-webinar module shares.
 *
 * webinars_routes() is the one entry point routes.c calls: it creates the
 * shared struct webinars (event hub, rate limits, relay client, ingest keys)
 * and registers the routes of webinars.c, tokens.c, registrations.c, live.c,
 * stats.c and ingest.c with it as the route argument (req->app).  The struct
 * lives as long as the process; everything in it is thread-safe on its own.
 *
 * Who sees what: an organizer sees and changes only its own webinars; any
 * other webinar id, existing or not, is 404 for it (never 403, which would
 * confirm the id exists).  A token sees only its own webinar (auth.h).
 * Administrators manage accounts, not webinars: 403 on these routes. */
#ifndef AMPHI_CONTROL_WEBINARS_H
#define AMPHI_CONTROL_WEBINARS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct control;
struct http_router;
struct http_req;
struct sqlite3;

/* Join tokens stay usable this long after the end, for the rating only. */
#define WEBINARS_TOKEN_GRACE_S (10 * 60)
/* Tokens of a webinar that never ends die this long after its start. */
#define WEBINARS_TOKEN_MAX_S (2 * 24 * 3600)

struct webinars {
	struct control *app;
	struct event_hub *hub;          /* live.c's SSE channels */
	struct rate_limit *limits;      /* per participant and kind of write (live.h) */
	struct relay_client *relay;     /* amphi-relay's control socket */
	struct ingest *ingest;          /* SRTP keys of live webinars (ingest.h) */
	struct whip *whip;              /* WHIP/WHEP sessions (whip.h) */
};

/* A webinar row as the modules need it. */
struct webinar {
	int64_t id, organizer_id;
	int64_t starts_at, started_at, ended_at;   /* 0 when not yet */
	char state[12];                 /* "scheduled", "live", "ended" */
	char visibility[16];            /* "public", "registration" */
	char codec[8];                  /* "vp8", "h264" */
	bool recording;
};

int webinars_routes(struct http_router *r, struct control *app);
/* Stops what webinars_routes started that runs on its own (the WebRTC
 * session sweeper): main calls it after the HTTP server stopped and before
 * the database closes. */
void webinars_stop(void);

/* Loads the webinar named by the route's {id} for a caller whose role is in
 * roles (auth.h bits), checking that an organizer owns it and a token belongs
 * to it.  0, or -errno after answering (401, 403, 404). */
int webinars_access(struct http_req *req, unsigned roles, struct webinar *w);
/* Loads a webinar by id with no access check (public endpoints).  0 or -ENOENT. */
int webinars_load(struct sqlite3 *db, int64_t id, struct webinar *w);

/* Appends an audit row for the calling account: action such as
 * "webinar.create", target ("webinar", "token", "poll"...) and its id; detail
 * (may be NULL, stolen) is JSON without personal data. */
void webinars_audit(struct http_req *req, const char *action, const char *target_type,
                    int64_t target_id, json_t *detail);

/* The body's validation errors as a 422 {"error":"invalid","detail":[...]} (errors stolen). */
void webinars_invalid(struct http_req *req, json_t *errors);

/* The end-of-webinar deletions of DESIGN.md §9 for every webinar that ended
 * at least the matching retention period ago: interaction ([interaction]:
 * chat, questions, polls and their votes), phone numbers
 * ([participant_phone]) and the registrants' identity
 * ([participant_identity]: names, email, job title, organization nulled,
 * identity_erased_at set), except for a webinar whose recording is published
 * for replay, whose identities go with the recording.  Called inside the
 * end's transaction, at start-up, and by the periodic sweep (sweep.h), so a
 * non-zero period is applied within one sweep interval of its deadline.
 * Returns rows deleted or changed, or -EIO. */
int webinars_purge(struct sqlite3 *db, const struct control *app, int64_t now);

#endif
