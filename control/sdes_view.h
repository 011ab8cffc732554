/* sdes_view: SDES-SRTP viewers over HTTP — ffmpeg, ffplay, GStreamer and
 * other plain RTP players of a live webinar (docs/control-live.md, "SDES
 * viewers").
 *
 *   POST   /api/webinars/{id}/viewers/srtp            join or publish token (none for a
 *          public webinar), body {"address", "audio_port", "video_port", "rtcp_mux"}:
 *          201, Location, {"suite", "key", "source", "tracks", "sdp"}
 *   DELETE /api/webinars/{id}/viewers/srtp/{session}  ends it (the Location is the capability)
 *
 * Each viewer gets its own AES_CM_128_HMAC_SHA1_80 key (the suite ffmpeg
 * speaks) from libsodium's random source; the relay sends it the stream
 * (viewer.add, docs/relay-control.md) and asks the publisher for a keyframe.
 * The address rule: a join token or an anonymous viewer may only aim the
 * stream at its own address (the HTTP request's source); a publish token
 * (the speaker, or the organizer's tooling holding one) may name any
 * unicast address.  So nobody can point a stream at a third party who did
 * not ask for it.
 *
 * Sessions live in this process's memory only (the webinar, the token's
 * row id, the relay viewer id; the key is wiped once answered): no personal
 * data.  A session ends with its DELETE, the webinar's end
 * (sdes_view_webinar_ended) or the death of its token (expired, revoked),
 * which the sweeper checks every SDES_VIEW_SWEEP_MS.  After a restart of
 * amphi-control no session is known: the relay's viewers go with the stream
 * the next call re-creates. */
#ifndef AMPHI_CONTROL_SDES_VIEW_H
#define AMPHI_CONTROL_SDES_VIEW_H

#include <jansson.h>
#include <stdint.h>

struct control;
struct http_router;
struct sdes_view;

#define SDES_VIEW_SWEEP_MS 2000
#define SDES_VIEW_MAX_SESSIONS 20000   /* per process; beyond: 503 (the relay's max_viewers bounds it too) */

/* The sweeper thread starts here; app must outlive the struct.  NULL on ENOMEM. */
struct sdes_view *sdes_view_create(struct control *app);
/* Stops the sweeper (before the database closes) and frees every session
 * without calling the relay. */
void sdes_view_destroy(struct sdes_view *v);
int sdes_view_routes(struct http_router *r, struct control *app);
/* The webinar ended: forget its sessions (the caller deletes the relay
 * stream, which takes its viewers with it).  Returns how many were dropped. */
int sdes_view_webinar_ended(struct sdes_view *v, int64_t webinar);

/* The token token_id was erased or frozen (erasure.c, restriction.c): its
 * sessions leave the relay now.  Returns how many ended. */
int sdes_view_token_ended(struct sdes_view *v, int64_t token_id);

/* The SDES viewers of the token token_id, for an export (export.c),
 * appended to list: {webinar_id, kind "sdes viewer", peer, since}.  The
 * relay holds each one's address and key; it has no command that lists
 * them.  At most SDES_VIEW_TOKEN_SESSIONS_MAX. */
#define SDES_VIEW_TOKEN_SESSIONS_MAX 16
void sdes_view_token_sessions(struct sdes_view *v, int64_t token_id, json_t *list);

#endif
