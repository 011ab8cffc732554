/* fanout: the send side of the packet path.
 *
 * On every worker, for each viewer of a packet's stream placed here: copy the
 * plaintext into a send slot, rewrite the payload type (and a WebRTC viewer's
 * sdes:mid; a repair goes as RFC 4588 RTX to a viewer that negotiated it), protect it under the viewer's key and queue the send; a turn's
 * packets of a stream go out per viewer as GSO runs with their AES-CM tags
 * batched.  Each delivered RTP packet then stays in the vgroup's
 * retransmission cache, which feedback.c reads for NACKs.  The packets come
 * from ingress.c (the owner's hand-off to itself, the xcore rings) and
 * feedback.c (retransmissions); this module calls neither. */
#ifndef RELAY_FANOUT_H
#define RELAY_FANOUT_H

#include <stdint.h>

#include "relay/srtp.h"

struct worker;
struct relay_pkt;
struct vgroup;
struct viewer;

/* A worker's egress in the middle of a batch walk: AES-CM tags computed
 * many viewers at a time (srtp_tags), and the sends that wait for them.  A
 * pending send has no SQE until its tags are written, so no submit, not even
 * one in the middle of a turn (reap_reclaim, loop_sqe), can send a packet
 * without its tag.  A viewer's sends stay in order.  Empty outside a walk
 * (batch_send), so sends made elsewhere (RTCP, retransmissions) never
 * overtake a pending one. */
struct fanout_pending {
	struct vgroup *g;
	struct viewer *v;
	void *slot;           /* struct loop_gso_slot * when seg, else struct loop_send_slot * */
	unsigned len;         /* bytes of the slot to send */
	unsigned seg;         /* GSO segment size, 0 for a plain datagram */
	unsigned pkts;        /* packets in it */
	unsigned k;           /* which of v's addresses: 0 audio, 1 video */
};
#define FANOUT_PENDING_MAX SRTP_TAGS_MAX
struct fanout_egress {
	struct srtp_tags tags;
	struct fanout_pending pend[FANOUT_PENDING_MAX];
	unsigned npend;
};

/* Any worker: a media packet or SR for this worker's viewers of its stream
 * (consumed; never a keyframe request: ingress_drain takes those). */
void fanout_deliver(struct worker *w, struct relay_pkt *pkt);
/* Protects pkt (borrowed) under v's key and queues it to v's media or RTCP
 * address.  0 when queued (or v takes no packets of that kind), -errno when
 * dropped (counted). */
int fanout_send(struct worker *w, struct vgroup *g, struct viewer *v, const struct relay_pkt *pkt);
/* The same for a repair (a NACKed packet from the cache, the publisher's
 * late repair): as an RFC 4588 retransmission on v's RTX SSRC, with the
 * next of its RTX sequence numbers, when v negotiated rtx for the packet's
 * kind (counted in rtx_sent), else as fanout_send. */
int fanout_send_repair(struct worker *w, struct vgroup *g, struct viewer *v, const struct relay_pkt *pkt);
/* End of a loop turn: the batches gathered by fanout_deliver go out, then
 * the workers that were handed packets are woken. */
void fanout_flush(struct worker *w);

#endif
