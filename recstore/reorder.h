/* reorder: a journal's RTP packets as the depacketizers see them (parsed by
 * common/rtp.h), sequence and timestamp unwrapping, and the jitter-window
 * reorder buffer one track of a journal goes through before its
 * depacketizer (recstore/depack.h).
 *
 * The ingest owns one struct rec_reorder per track.  Packets are not copied:
 * the buffer keeps the caller's pointers (into the mapped journal), which
 * must stay valid until the packet has been popped or the buffer reset. */
#ifndef AMPHI_REC_REORDER_H
#define AMPHI_REC_REORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rec_rtp {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *payload;   /* inside the packet: after CSRCs and extension, before padding */
	size_t len;
	uint64_t arrival_ns;      /* carried through from the journal record */
};

/* 0, or -EBADMSG for anything rtp_parse refuses: not a whole RTP version 2
 * packet (short, CSRC list or header extension past the end, bad padding),
 * or a second byte of 192..223 (RTCP, which the relay journals as such). */
int rec_rtp_parse(const uint8_t *pkt, size_t len, struct rec_rtp *out);

/* Unwraps a 32-bit RTP timestamp into a 64-bit one: each value is placed
 * within ±2^31 of the previous, so wrap-around and gaps both come out as
 * plain differences.  The first value is taken as is. */
struct rec_ts_unwrap {
	bool init;
	uint32_t last;
	int64_t ext;
};
int64_t rec_ts_unwrap(struct rec_ts_unwrap *u, uint32_t ts);
/* Where ts would land, without moving the state (for RTCP sender reports). */
int64_t rec_ts_unwrap_peek(const struct rec_ts_unwrap *u, uint32_t ts);

#define REC_REORDER_SLOTS 1024   /* power of two; the window must stay below it */

struct rec_reorder_slot {
	bool used;
	uint64_t ext_seq;
	struct rec_rtp rtp;
};

/* Packets come out in sequence order.  A missing sequence number holds the
 * output back until `window` newer packets have arrived, then counts as lost
 * and the next packet comes out flagged `lost`.  Packets older than the last
 * one popped (too late) and duplicates are dropped and counted. */
struct rec_reorder {
	unsigned window;          /* packets to wait for a missing one: 1..SLOTS-1 */
	bool started;
	uint64_t next;            /* extended sequence number to pop next */
	uint64_t highest;         /* highest extended sequence number seen */
	bool gap;                 /* a loss was declared since the last pop */
	uint64_t late, duplicate, lost;   /* counters */
	struct rec_reorder_slot slot[REC_REORDER_SLOTS];
};

void rec_reorder_init(struct rec_reorder *r, unsigned window);
/* Stores rtp (by value; its payload pointer is kept).  0, -EALREADY for a
 * duplicate or late packet (dropped and counted), or -ENOBUFS when rtp jumps
 * more than REC_REORDER_SLOTS ahead while older packets are still held: pop
 * with flush, then push it again. */
int rec_reorder_push(struct rec_reorder *r, const struct rec_rtp *rtp);
/* 1 and the next packet in order (lost: packets were lost just before it),
 * or 0 when the next one must still be waited for.  flush: the stream has
 * ended, give up waiting for missing packets. */
int rec_reorder_pop(struct rec_reorder *r, bool flush, struct rec_rtp *out, bool *lost);

#endif
