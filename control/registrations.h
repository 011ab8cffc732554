/* registrations: people signing up for a webinar, and public joins.
 *
 *   POST /api/webinars/{id}/registrations   anyone   201 {registration_id, token, expires_at};
 *                                                   the same email again: 200 with the existing
 *                                                   registration and a fresh join token
 *   GET  /api/webinars/{id}/registrations   owner    the registrants (identity, phone, consent time)
 *   POST /api/webinars/{id}/join            anyone   public webinars only: a join token with no
 *                                                   identity at all (403 registration_required)
 *
 * Consent must be the JSON value true (422 otherwise); the time it was given
 * is stored with the row.  A duplicate never overwrites the stored fields:
 * whoever knows an address must not be able to rewrite someone's
 * registration.  An ended webinar takes no registrations (410).  The phone
 * number is erased at the end ([participant_phone], webinars_purge). */
#ifndef AMPHI_CONTROL_REGISTRATIONS_H
#define AMPHI_CONTROL_REGISTRATIONS_H

struct http_router;
struct control;

int registrations_routes(struct http_router *r, struct control *app);

#endif
