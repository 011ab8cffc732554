/* live: chat, questions, polls and the event stream of a webinar.
 *
 *   GET  /api/webinars/{id}/chat                    participants, speakers, owner   ?after=<id>
 *   POST /api/webinars/{id}/chat                    participants, speakers, owner   {"text"}
 *   GET  /api/webinars/{id}/questions               participants, speakers, owner
 *   POST /api/webinars/{id}/questions               participants, speakers, owner   {"text"}
 *   POST /api/webinars/{id}/questions/{q}/upvote    participants, speakers, owner   once each (409)
 *   PATCH /api/webinars/{id}/questions/{q}          owner                           {"answered": bool}
 *   GET  /api/webinars/{id}/polls                   participants, speakers, owner   results as visible
 *   POST /api/webinars/{id}/polls                   owner                           {"question","options","results"}
 *   POST /api/webinars/{id}/polls/{p}/votes         participants                    {"option"}, once each (409)
 *   POST /api/webinars/{id}/polls/{p}/close         owner
 *   GET  /api/webinars/{id}/events                  participants, speakers, owner   text/event-stream
 *
 * Writes need a live webinar (409 before, 410 after).  Every write by a
 * participant or speaker takes a token from its bucket for that kind of
 * write (LIVE_BURST at once, one more every LIVE_REFILL_NS): 429 with
 * Retry-After beyond.  Authors are shown as "First L." for registrants,
 * "Guest N" for public joins, "Speaker" and "Organizer".
 *
 * Events (SSE "event:" names): chat, question, poll, state, plus the hub's
 * own viewers and reset (events.h).  Poll events carry results only when the
 * poll's results are visible to everyone at that moment. */
#ifndef AMPHI_CONTROL_LIVE_H
#define AMPHI_CONTROL_LIVE_H

#include <jansson.h>
#include <stdint.h>

struct http_router;
struct control;

#define LIVE_BURST 5                         /* writes at once */
#define LIVE_REFILL_NS (2 * 1000000000LL)    /* one more write every 2 s: 30 a minute */
#define LIVE_KEEPALIVE_S 5                   /* SSE comment after this much silence */

enum live_kind { LIVE_CHAT, LIVE_QUESTION, LIVE_VOTE };

int live_routes(struct http_router *r, struct control *app);

/* Publishes an event to the webinar's streams (data stolen). */
void live_publish(struct control *app, int64_t webinar, const char *type, json_t *data);

#endif
