/* nack: the relay's own NACKs to a WebRTC publisher (RFC 4585 §6.2.1
 * generic NACK, issue 13 item 3): the gaps in each track's sequence numbers,
 * when to ask for each missing packet, and when to stop asking.
 *
 *   reorder window  NACK_REORDER_NS (5 ms): a gap is asked for only once it
 *                   is that old, so a packet merely overtaken on the way is
 *                   not requested.
 *   retries         at most NACK_TRIES requests per packet, spaced by the
 *                   round trip estimate (srtt + the reorder window, at least
 *                   NACK_RETRY_MIN_NS): a repair lost too is asked again.
 *   giving up       NACK_GIVEUP_NS (500 ms: a browser's video jitter buffer
 *                   does not wait longer) after the gap was seen, after the
 *                   last try, or at once when the packet is horizon packets
 *                   behind the newest (older than the viewers' retransmission
 *                   cache, [rtcp] nack_cache) or the gap is wider than
 *                   NACK_MISS_MAX (an outage: a keyframe serves better).
 *                   What is given up is reported (nack_lost_take): the
 *                   relay asks for a keyframe then, not before (feedback.h).
 *   round trip      each packet repaired by the answer to its first request
 *                   is a sample (request to arrival), smoothed 1/8 (RFC 6298
 *                   §2); NACK_RTT_INIT_NS before the first.
 *
 * Ownership: a struct nack belongs to its stream (struct stream's nack, on
 * the owner worker), made when a publisher that negotiated nack is added.
 * ingress.c reports every packet (nack_packet) and feedback.c sends what
 * nack_due returns.  Plain data: no clock, no I/O (tests/unit/relay_nack.c). */
#ifndef RELAY_NACK_H
#define RELAY_NACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NACK_TRACKS        8             /* = STREAM_MAX_TRACKS (stream.c checks) */
#define NACK_MISS_MAX      64            /* missing packets tracked per track */
#define NACK_TRIES         4
#define NACK_REORDER_NS    5000000LL
#define NACK_RETRY_MIN_NS  10000000LL
#define NACK_GIVEUP_NS     500000000LL
#define NACK_RTT_INIT_NS   50000000LL

struct nack_miss {
	uint16_t seq;
	uint8_t tries;           /* requests sent so far */
	int64_t seen_ns;         /* when the gap was found */
	int64_t due_ns;          /* next request (or giving up) not before this */
	int64_t sent_ns;         /* first request, for the round trip sample */
};

struct nack_track {
	bool on;                 /* the publisher offered nack for this track */
	bool started;
	uint32_t ssrc;           /* publisher SSRC the numbers belong to */
	uint16_t top;            /* highest sequence number received */
	unsigned lost;           /* given up on since the last nack_lost_take (not on a restart) */
	unsigned n;              /* entries of miss in use, oldest first */
	struct nack_miss miss[NACK_MISS_MAX];
};

struct nack_counters {
	uint64_t requested;      /* sequence numbers asked for (each try counts) */
	uint64_t packets;        /* NACK packets sent (feedback.c counts them) */
	uint64_t repaired;       /* missing packets that came after a request */
	uint64_t given_up;       /* missing packets no longer asked for */
};

struct nack {
	unsigned horizon;        /* packets behind the newest still worth asking for */
	int64_t srtt_ns;
	int64_t due_ns;          /* earliest due_ns over every track, INT64_MAX: none */
	struct nack_track t[NACK_TRACKS];
	struct nack_counters c;
};

/* tracks: bit i set for stream track i (those the publisher offered nack
 * for); horizon: see above (at least 1).  0, -EINVAL, -ENOMEM. */
int nack_create(unsigned tracks, unsigned horizon, struct nack **out);
void nack_destroy(struct nack *n);

enum nack_seen {
	NACK_NEW,         /* in order or past a gap (the gap is now tracked) */
	NACK_REPAIRED,    /* a packet the relay asked for */
	NACK_REORDERED,   /* a missing packet that came before it was asked for */
	NACK_OLD,         /* not missing: a duplicate, or one given up on */
	NACK_OFF,         /* the track is not tracked */
};
/* The publisher's packet seq of SSRC ssrc on track arrived at now (monotonic
 * ns).  A new SSRC starts the track afresh (a publisher restart). */
enum nack_seen nack_packet(struct nack *n, unsigned track, uint32_t ssrc, uint16_t seq, int64_t now);
/* Up to max sequence numbers of track to ask for now, oldest first, each
 * counted as one more try; gives up on those past their limits.  Their SSRC
 * in *ssrc.  Returns how many. */
size_t nack_due(struct nack *n, unsigned track, int64_t now, uint16_t *seqs, size_t max, uint32_t *ssrc);
/* How many packets of track were given up on (lost for good: past their
 * tries, time or horizon, or in an outage) since the last call; a new SSRC
 * does not count (the restarted publisher starts with a keyframe). */
unsigned nack_lost_take(struct nack *n, unsigned track);
/* Whether track's gaps are followed (n NULL: none are). */
static inline bool nack_on(const struct nack *n, unsigned track)
{
	return n && track < NACK_TRACKS && n->t[track].on;
}
/* Whether nack_due may return anything at now (cheap: one comparison). */
static inline bool nack_pending(const struct nack *n, int64_t now)
{
	return n && now >= n->due_ns;
}

#endif
