/* registrations: people signing up for a webinar, and public joins.
 *
 *   POST /api/webinars/{id}/registrations   anyone   202 {webinar_id, detail}, new email or not;
 *                                                   a fresh join token goes by mail to the
 *                                                   registration's address (the first one
 *                                                   stored), never in the answer
 *   GET  /api/webinars/{id}/registrations   owner    the registrants (identity, phone, consent time)
 *   POST /api/webinars/{id}/join            anyone   public webinars only: a join token with no
 *                                                   identity at all (403 registration_required)
 *
 * Consent must be the JSON value true (422 otherwise); the time it was given
 * is stored with the row.  A duplicate never overwrites the stored fields:
 * whoever knows an address must not be able to rewrite someone's
 * registration, nor learn whether it exists, nor get a token that speaks
 * under that person's name.  The mail (kind "join", mail.h) links to
 * <public origin>/watch/{id}#token=<token> and carries the token in an
 * X-Amphi-Join-Token header.  An ended webinar takes no registrations
 * (410).  The phone number is erased at the end ([participant_phone],
 * webinars_purge). */
#ifndef AMPHI_CONTROL_REGISTRATIONS_H
#define AMPHI_CONTROL_REGISTRATIONS_H

struct http_router;
struct control;

int registrations_routes(struct http_router *r, struct control *app);

#endif
