/* whip: WebRTC publish (WHIP, RFC 9725) and view (WHEP) for a live webinar
 * (DESIGN.md §7; the flow in docs/webrtc.md, the endpoints in docs/control.md).
 *
 *   POST    /whip/{id}             speaker (Bearer publish token)        offer in, 201 + answer
 *   POST    /whep/{id}             viewer (Bearer join token; none for a public webinar)
 *   PATCH   /whip/{id}/{session}   trickle ICE (204) or ICE restart (200 + new credentials)
 *   DELETE  /whip/{id}/{session}   ends the session (the relay forgets the peer)
 *   OPTIONS on both                CORS preflight, Accept-Post / Accept-Patch
 * (and the same under /whep/).
 *
 * amphi-control parses the browser's offer (control/sdp.h), asks the relay
 * for a WebRTC peer on the webinar's stream (webrtc.add, docs/relay-control.md)
 * and answers with the relay's port, certificate fingerprint and, for WHEP,
 * the stream's SSRCs.  The session URL is the capability for PATCH and
 * DELETE: 192 random bits, never logged (logs name the relay peer id).
 *
 * Sessions live in this process's memory only (no personal data: the
 * webinar, the token's id, the relay peer and the ICE credentials).  A
 * session ends with its DELETE, the webinar's end (whip_webinar_ended), the
 * death of its token (expired or revoked) or the relay dropping its peer
 * (consent expired, DTLS failed): the sweeper thread checks the last two
 * every WHIP_SWEEP_MS.  After a restart of amphi-control no session is
 * known: browsers reconnect with a new POST. */
#ifndef AMPHI_CONTROL_WHIP_H
#define AMPHI_CONTROL_WHIP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct http_router;
struct control;
struct whip;

#define WHIP_SWEEP_MS 2000
#define WHIP_RETRY_AFTER_S 5       /* Retry-After of 503 answers */
#define WHIP_MAX_SESSIONS 20000    /* per process; beyond: 503 (the relay saturates long before) */

/* The sweeper thread starts here; app must outlive the struct.  NULL on ENOMEM. */
struct whip *whip_create(struct control *app);
/* Stops the sweeper (call before the database closes) and frees every
 * session without calling the relay: the relay's peers end with their
 * stream or by consent expiry. */
void whip_destroy(struct whip *w);
int whip_routes(struct http_router *r, struct control *app);

/* The webinar ended: forget its sessions (the caller deletes the relay
 * stream, which takes every peer with it).  Returns how many were dropped. */
int whip_webinar_ended(struct whip *w, int64_t webinar);

/* The token token_id was erased or frozen (erasure.c, restriction.c): its
 * sessions leave the relay now.  Returns how many ended. */
int whip_token_ended(struct whip *w, int64_t token_id);

/* The sessions of the token token_id, for an export (export.c), appended to
 * list: {webinar_id, kind ("whip publisher", "whep viewer"), peer, since,
 * relay}, relay being what amphi-relay holds of the peer (webrtc.list:
 * {state, addr}), or null when it does not list it or cannot be asked.
 * At most WHIP_TOKEN_SESSIONS_MAX (a token has a handful at most). */
#define WHIP_TOKEN_SESSIONS_MAX 16
void whip_token_sessions(struct control *app, int64_t token_id, json_t *list);

#endif
