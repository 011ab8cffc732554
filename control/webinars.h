/* webinars: organizers' webinars (CRUD, scheduled -> live -> ended) and the
 * end-of-webinar deletions.
 *
 * Its routes (webinars_routes, from routes.c) stand on the floor every
 * webinar module shares (webinar.h: the row, access, audit); start and end
 * call down into ingest.c (the relay stream), tokens.c, live.c and whip.c,
 * none of which calls back here.  Access: webinar.h (404 for another
 * organizer's webinar, 403 for administrators). */
#ifndef AMPHI_CONTROL_WEBINARS_H
#define AMPHI_CONTROL_WEBINARS_H

#include <stddef.h>
#include <stdint.h>

struct control;
struct http_router;
struct sqlite3;

struct webinar;

int webinars_routes(struct http_router *r, struct control *app);

/* Ends w (scheduled or live) as POST .../end does, for that handler and for
 * the retention sweep (webinars never ended): state, ended_at, its tokens,
 * the end-of-webinar deletions in one transaction (*purged: rows), then its
 * WebRTC sessions, the relay stream of a live one, the SSE channels.  0; 1
 * when the relay could not delete the stream (err says why: ended anyway);
 * -EIO when nothing changed (already ended meanwhile, database error).  The
 * caller writes the audit line. */
int webinars_end(struct control *app, struct sqlite3 *db, const struct webinar *w, int64_t now,
                 int *purged, char *err, size_t errlen);

/* The end-of-webinar deletions of DESIGN.md §9 for every webinar that ended
 * at least the matching retention period ago: interaction ([interaction]:
 * chat, questions, polls and their votes), phone numbers
 * ([participant_phone]) and the registrants' identity
 * ([participant_identity]: names, email, job title, organization nulled,
 * identity_erased_at set), except for a webinar whose recording is published
 * for replay, whose identities go with the recording, and for a restricted
 * registration (GDPR art. 18, restriction.h), kept until lifted.  Called inside the
 * end's transaction, at start-up, and by the periodic sweep (sweep.h), so a
 * non-zero period is applied within one sweep interval of its deadline.
 * Returns rows deleted or changed, or -EIO. */
int webinars_purge(struct sqlite3 *db, const struct control *app, int64_t now);

#endif
