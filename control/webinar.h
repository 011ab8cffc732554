/* webinar: the floor every webinar module stands on — the row as modules
 * need it, loading it, the access rule, the audit line and the 422 answer.
 *
 * It calls only the layers below it (auth, http, db, audit) and no module
 * that registers routes: webinars.c (CRUD, start, end), tokens.c,
 * registrations.c, live.c, stats.c, ingest.c and whip.c all call it, never
 * the other way round.
 *
 * Who sees what: an organizer sees and changes only its own webinars; any
 * other webinar id, existing or not, is 404 for it (never 403, which would
 * confirm the id exists).  A token sees only its own webinar (auth.h).
 * Administrators manage accounts, not webinars: 403 on these routes. */
#ifndef AMPHI_CONTROL_WEBINAR_H
#define AMPHI_CONTROL_WEBINAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct http_req;
struct sqlite3;

/* A webinar row as the modules need it (a copy: no pointer into SQLite). */
struct webinar {
	int64_t id, organizer_id;
	int64_t starts_at, started_at, ended_at;   /* 0 when not yet */
	char state[12];                 /* "scheduled", "live", "ended" */
	char visibility[16];            /* "public", "registration" */
	char codec[8];                  /* "vp8", "h264" */
	bool recording;
	int64_t max_video_bitrate;      /* bit/s: a WebRTC publisher's video cap */
};

/* Loads the webinar named by the route's {id} for a caller whose role is in
 * roles (auth.h bits), checking that an organizer owns it and a token belongs
 * to it.  0, or -errno after answering (401, 403, 404). */
int webinar_access(struct http_req *req, unsigned roles, struct webinar *w);
/* Loads a webinar by id with no access check (public endpoints).  0 or -ENOENT. */
int webinar_load(struct sqlite3 *db, int64_t id, struct webinar *w);

/* Who may take a live webinar's media (WHIP, WHEP, SDES viewers): to publish
 * a publish token of this webinar; to view a join or publish token of it, or
 * no token at all for a public webinar.  A presented token that does not
 * resolve is 401 even where none is needed (the caller meant to use it); a
 * token of another webinar is 404.  Loads the route's {id} into w.  0, or
 * -errno after answering (401 with WWW-Authenticate, 403, 404). */
int webinar_media_access(struct http_req *req, bool publish, struct webinar *w);

/* Appends an audit row for the calling account: action such as
 * "webinar.create", target ("webinar", "token", "poll"...) and its id; detail
 * (may be NULL, stolen) is JSON without personal data. */
void webinar_audit(struct http_req *req, const char *action, const char *target_type,
                   int64_t target_id, json_t *detail);

/* The body's validation errors as a 422 {"error":"invalid","detail":[...]} (errors stolen). */
void webinar_invalid(struct http_req *req, json_t *errors);

#endif
