/* media_session: the sessions one amphi-control process holds for the peers
 * it put on the relay — WHIP publishers and WHEP viewers (whip.c), SDES
 * viewers (sdes_view.c).
 *
 * A session is named in its URL by a secret id, the capability to end or
 * change it.  This table owns what is the same for every kind: the lock,
 * the count and its limit, the constant-time lookup of a secret id, the
 * wiping of every session it frees, and a sweeper that ends the sessions
 * whose webinar is no longer live or whose token expired or was revoked.
 * The owner keeps its own fields after the common head (struct whip_session
 * { struct media_session head; ... }) and says, through media_session_ops,
 * how a peer leaves the relay and how to tell peers the relay dropped on its
 * own.  Sessions live in memory only: after a restart of amphi-control none
 * is known, and the relay's peers go with the stream the next call
 * re-creates. */
#ifndef AMPHI_CONTROL_MEDIA_SESSION_H
#define AMPHI_CONTROL_MEDIA_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct control;
struct media_sessions;

#define MEDIA_SESSION_ID_BYTES 24   /* 192 random bits: the session URL's secret */
#define MEDIA_SESSION_ID_CHARS 32   /* base64url without padding */

struct media_session {
	char id[MEDIA_SESSION_ID_CHARS + 1];  /* secret: compared in constant time, never logged */
	int64_t webinar;
	int64_t token_id;                  /* the Bearer token's row, 0 for a public viewer */
	int kind;                          /* the owner's (WHIP or WHEP); lookups match it */
	char peer[32];                     /* the relay's peer or viewer id: not secret, logged */
	int64_t created_ns;                /* amphi_mono_ns() when inserted */
	size_t size;                       /* of the owner's whole struct: wiped when freed */
	struct media_session *next;        /* the table's list */
};

/* What the sweeper knows of a session while it works without the lock. */
struct media_session_snap {
	int64_t webinar, token_id, created_ns;
	int kind;
	char peer[32];
	const char *why;                   /* set: the session ends, for this reason (logged) */
	bool relay_dropped;                /* the relay let the peer go already: do not tell it */
};

struct media_session_ops {
	const char *what;                  /* in logs: "webrtc session", "sdes viewer" */
	/* The peer leaves the relay (a DELETE, a sweep).  A peer the relay no
	 * longer has is gone too: not an error. */
	void (*relay_remove)(struct control *app, int64_t webinar, const char *peer);
	/* Optional, called by the sweeper without the lock: sets why and
	 * relay_dropped on the sessions whose peer the relay dropped on its own. */
	void (*relay_dropped)(struct control *app, struct media_session_snap *snaps, size_t n);
};

/* The sweeper thread starts here, every sweep_ms; app and ops must outlive
 * the table.  NULL on ENOMEM. */
struct media_sessions *media_sessions_create(struct control *app, const struct media_session_ops *ops,
                                             size_t max_sessions, unsigned sweep_ms);
/* Stops the sweeper (before the database closes) and frees every session
 * without calling the relay. */
void media_sessions_destroy(struct media_sessions *t);

/* A zeroed session of size bytes (the owner's struct) with a fresh secret
 * id, not yet in the table.  NULL on ENOMEM. */
void *media_session_new(size_t size);
/* Wipes and frees a session the table no longer holds.  NULL is fine. */
void media_session_free(struct media_session *s);

/* True when the table holds its maximum (the caller answers 503). */
bool media_sessions_full(struct media_sessions *t);
/* Links s into the table, which owns it from here. */
void media_sessions_insert(struct media_sessions *t, struct media_session *s);
/* Unlinks the session with this secret id, webinar and kind; NULL if none.
 * Every entry is compared: the time taken does not say how much of a
 * guessed id matched. */
struct media_session *media_sessions_take(struct media_sessions *t, const char *id, int64_t webinar, int kind);
/* Unlinks the first session of this webinar and kind (WHIP's one publisher). */
struct media_session *media_sessions_take_kind(struct media_sessions *t, int64_t webinar, int kind);

/* For an owner that changes its fields in place: find under the lock, as
 * media_sessions_take compares, and unlock before any slow call. */
void media_sessions_lock(struct media_sessions *t);
void media_sessions_unlock(struct media_sessions *t);
struct media_session *media_sessions_find(struct media_sessions *t, const char *id, int64_t webinar, int kind);

/* The webinar ended: forget its sessions without calling the relay (the
 * caller deletes the relay stream, which takes its peers with it).
 * Returns how many were dropped. */
int media_sessions_webinar_ended(struct media_sessions *t, int64_t webinar);

/* The token token_id was erased or frozen: its sessions leave the relay
 * now (ops->relay_remove, without the lock) and are freed.  Returns how many
 * ended. */
int media_sessions_token_end(struct media_sessions *t, int64_t token_id);

/* The sessions of token token_id, for an export (export.c): up to max
 * snapshots (webinar, token_id, kind, peer, created_ns) copied into out
 * under the lock.  Returns how many. */
size_t media_sessions_of_token(struct media_sessions *t, int64_t token_id, struct media_session_snap *out,
                               size_t max);
/* A snapshot as an export shows it: {webinar_id, kind (the owner's name
 * for it), peer, since (wall clock, ISO 8601)}.  A new object. */
json_t *media_session_snap_json(const struct media_session_snap *s, const char *kind);

#endif
