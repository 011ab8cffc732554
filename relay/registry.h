/* registry: the control thread's book of the relay's streams and viewers,
 * and where new ones are placed.
 *
 * It knows which stream is in which slot (and that slot's generation, so a
 * late report about a deleted stream is recognised), the stream's owner
 * worker, tracks, outgoing SSRCs and WebRTC publisher, and every viewer with
 * the worker it was placed on; per worker, how many streams it owns and how
 * many viewers it serves.  Placement: a new stream goes to the worker owning
 * the fewest streams, a new viewer to the worker serving the fewest viewers
 * (the lowest index on a tie).
 *
 * Plain data: no threads, no locks, no worker calls.  relay/ctl.c owns the
 * relay's one registry, reads it to validate a command and changes it only
 * once the workers have done what the change records, so that the registry
 * and the workers agree whenever no command is in flight.  Calls that say a
 * worker has no viewer of a stream any more (registry_viewer_remove,
 * registry_gone_apply) leave it to the caller to end the hand-off to that
 * worker and its empty group.  tests/unit/relay_registry.c drives it alone. */
#ifndef RELAY_REGISTRY_H
#define RELAY_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "relay/opts.h"
#include "relay/relay.h"
#include "relay/stream.h"

struct reg_viewer {
	char id[STREAM_ID_MAX];
	unsigned worker;
	bool webrtc;                                 /* a WHEP viewer (webrtc.add), not viewer.add's */
};

struct reg_stream {
	bool used;
	uint32_t gen;                                /* the workers' name for this slot's tenant */
	char id[STREAM_ID_MAX];
	unsigned owner;                              /* worker owning the stream */
	bool record;
	char recording[STREAM_ID_MAX];               /* journal id, when recorded */
	unsigned ntracks;
	struct stream_track tracks[STREAM_MAX_TRACKS];
	enum srtp_suite suite;
	uint32_t ssrc[STREAM_MAX_TRACKS];            /* what every viewer receives per track */
	bool has_pub;                                /* a WebRTC publisher (pub_id) is on the owner */
	char pub_id[STREAM_ID_MAX];
	unsigned nviewers, cap;
	struct reg_viewer *viewers;                  /* owned, [cap] */
	unsigned per_worker[RELAY_MAX_WORKERS];      /* viewers of this stream on each worker */
};

struct registry {
	unsigned max_streams, max_viewers;           /* limits.max_streams / max_viewers */
	unsigned nworkers;
	struct reg_stream *streams;                  /* owned, [max_streams], by slot */
	uint32_t next_gen;
	unsigned total_viewers;                      /* every stream's, both kinds */
	unsigned worker_streams[RELAY_MAX_WORKERS];  /* streams each worker owns */
	unsigned worker_viewers[RELAY_MAX_WORKERS];  /* viewers each worker serves */
};

/* An empty registry for nworkers (1..RELAY_MAX_WORKERS) workers; 0 or -ENOMEM. */
int registry_init(struct registry *g, unsigned max_streams, unsigned max_viewers, unsigned nworkers);
void registry_free(struct registry *g);

/* The stream named id, or NULL (id may be NULL). */
struct reg_stream *registry_stream_find(const struct registry *g, const char *id);
unsigned registry_stream_slot(const struct registry *g, const struct reg_stream *rs);

/* Where a new stream goes: a free slot (-ENOSPC when none), its owner and a
 * generation no earlier tenant of any slot had.  Changes nothing but the
 * generation counter. */
int registry_stream_place(struct registry *g, unsigned *slot, unsigned *owner, uint32_t *gen);
/* Records the stream the owner has just created in slot; the caller fills
 * tracks, suite, ssrc and the recording.  Returns its entry. */
struct reg_stream *registry_stream_add(struct registry *g, unsigned slot, uint32_t gen, const char *id,
                                       unsigned owner);
/* Forgets the stream in slot and all its viewers (the workers dropped them). */
void registry_stream_remove(struct registry *g, unsigned slot);

/* Viewer ids and the WebRTC publisher's share one name space per stream. */
bool registry_id_taken(const struct reg_stream *rs, const char *id);
/* True when limits.max_viewers viewers exist. */
bool registry_full(const struct registry *g);
/* The worker a new viewer goes to. */
unsigned registry_viewer_place(const struct registry *g);
/* Room for one more viewer entry in rs, made before the worker is asked so
 * that registry_viewer_add cannot fail after it succeeded; 0 or -ENOMEM. */
int registry_viewer_reserve(struct reg_stream *rs);
/* Records viewer id placed on worker w (room reserved).  True when it is the
 * stream's first viewer on w: the owner must start handing packets to w. */
bool registry_viewer_add(struct registry *g, struct reg_stream *rs, const char *id, unsigned w, bool webrtc);
/* The index of viewer id in rs, or -1. */
int registry_viewer_find(const struct reg_stream *rs, const char *id);
/* Forgets viewer i of rs (the entry of another viewer moves into i).  True
 * when its worker has no viewer of rs left. */
bool registry_viewer_remove(struct registry *g, struct reg_stream *rs, unsigned i);

/* The worker of WebRTC peer id of rs, or -1; *vi is its viewer index, -1 for
 * the publisher. */
int registry_peer_worker(const struct reg_stream *rs, const char *id, int *vi);

/* Follows a peer the worker removed on its own.  Returns 1 when that left
 * worker gone->worker with no viewer of the stream in gone->slot (end its
 * hand-off and group), 0 otherwise (also for a report about a stream that
 * has been deleted meanwhile, or a peer already forgotten). */
int registry_gone_apply(struct registry *g, const struct relay_gone *gone);

#endif
