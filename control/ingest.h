/* ingest: the relay stream of a live webinar and its SDES ingest
 * (DESIGN.md §5 "sdes", RFC 4568 keys handed out by the control plane).
 *
 *   POST /api/webinars/{id}/ingest/srtp   speaker (publish token)   the per-track host, port,
 *        payload type, SRTP suite and base64 master key+salt, and a ready-to-paste ffmpeg
 *        command line (one -f rtp output per track, both to the stream's port, RTCP muxed)
 *
 * start creates the relay stream with a fresh 30-byte AES_CM_128 master
 * key+salt from libsodium's random source; end deletes it.  The key lives
 * only in this process's memory (and the relay's): never in the database,
 * never in a log; it is wiped when the stream goes.  After a restart of
 * amphi-control a live webinar has no key here: the ingest call then
 * re-creates the stream with a new key (the publisher must restart anyway).
 * ffmpeg speaks only the AES_CM suites, hence AES_CM_128_HMAC_SHA1_80. */
#ifndef AMPHI_CONTROL_INGEST_H
#define AMPHI_CONTROL_INGEST_H

#include <stddef.h>
#include <stdint.h>

struct http_router;
struct ingest;
struct webinar;
struct control;
struct sqlite3;

#define INGEST_SUITE "AES_CM_128_HMAC_SHA1_80"
#define INGEST_KEY_LEN 30          /* 16-byte master key + 14-byte salt (RFC 3711) */
#define INGEST_PT_OPUS 111
#define INGEST_PT_VP8 96
#define INGEST_PT_H264 102

struct ingest *ingest_create(void);
void ingest_destroy(struct ingest *in);
int ingest_routes(struct http_router *r, struct control *app);

/* Creates the webinar's relay stream; a recorded webinar's recording is
 * named and linked to it first, on db (recordings.h).  0, or a relay_client
 * error (or a database -errno) with err. */
int ingest_stream_create(struct control *app, struct sqlite3 *db, const struct webinar *w, char *err,
                         size_t errlen);
/* Creates the stream unless this process already made it (after a
 * restart of amphi-control a live webinar's stream is unknown here: it is
 * made again, with a new key).  Serialized, so two callers racing after a
 * restart make it once.  0, or a relay_client error with err. */
int ingest_stream_ensure(struct control *app, struct sqlite3 *db, const struct webinar *w, char *err,
                         size_t errlen);
/* Deletes it and wipes its key (the key goes even when the relay is down). */
int ingest_stream_delete(struct control *app, int64_t webinar, char *err, size_t errlen);

/* The relay's name for a webinar's stream: "webinar-<id>". */
void ingest_stream_id(int64_t webinar, char *buf, size_t len);

#endif
