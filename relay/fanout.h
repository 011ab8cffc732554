/* fanout: the packet path.
 *
 * Ingress, on the stream's owner: demultiplex a datagram (RFC 7983 first
 * byte, then source address; an unknown source is tried against the keys of
 * the streams this worker owns and latched on success), authenticate and
 * decrypt it once into a relay_pkt, record it, and hand one reference to each
 * worker with viewers of the stream.
 * Egress, on every worker: for each viewer of the packet's stream placed
 * here, copy the plaintext into a send slot, rewrite the payload type, protect
 * it under the viewer's key and queue the send.  The caller's reference to the
 * packet is consumed. */
#ifndef RELAY_FANOUT_H
#define RELAY_FANOUT_H

#include <stdint.h>
#include <sys/socket.h>

#include "relay/srtp.h"

struct worker;
struct relay_pkt;

struct stream;
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

void fanout_ingress(struct worker *w, const struct sockaddr *src, const uint8_t *data, unsigned len);
/* Owner: a publisher's packet, authenticated and decrypted into pkt (its one
 * reference, consumed), plain bytes long, wire_len on the wire; RTP carries
 * one of the stream's payload types.  Records it and hands it on (RTP) or
 * passes its SRs on (RTCP).  The SDES ingest and WebRTC publishers share it. */
void fanout_ingest(struct worker *w, struct stream *s, struct relay_pkt *pkt, unsigned plain, int rtcp,
                   unsigned wire_len);
/* Owner: hands pkt (its one reference, consumed) to every subscribed worker. */
void fanout_handoff(struct worker *w, struct stream *s, struct relay_pkt *pkt);
/* Any worker: a packet for this worker (consumed): media or SR to its
 * viewers, or a keyframe request for a stream it owns. */
void fanout_deliver(struct worker *w, struct relay_pkt *pkt);
/* Protects pkt (borrowed) under v's key and queues it to v's media or RTCP
 * address.  0 when queued (or v takes no packets of that kind), -errno when
 * dropped (counted). */
int fanout_send(struct worker *w, struct vgroup *g, struct viewer *v, const struct relay_pkt *pkt);
/* Packets handed over by other workers: drains every inbound xcore ring. */
void fanout_drain(struct worker *w);
/* End of a loop turn: wake the workers that were handed packets. */
void fanout_flush(struct worker *w);

#endif
