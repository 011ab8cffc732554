/* feedback: RTCP through the relay (DESIGN.md §5 "RTCP").
 *
 *   publisher SR    forwarded by ingress.c: each SR of the publisher's
 *                   compound packet is cut to its sender info
 *                   (rtcp_sr_rewrite) and fanned out like media, protected
 *                   per viewer, to the viewer's RTCP address (lip sync).
 *                   Publisher RRs are dropped there.
 *   viewer RR       terminated (counted as rtcp_in, never forwarded).
 *   viewer NACK     answered from the viewer worker's retransmission cache
 *                   (filled by fanout.c), re-sent with fanout_send:
 *                   the last [rtcp] nack_cache packets per track, held as
 *                   references to the shared plaintext (no copy); a packet
 *                   evicted from the cache cannot be re-sent.
 *   viewer PLI/FIR  coalesced twice: each viewer worker passes on at most one
 *                   per stream per pli_interval, and the owner sends the
 *                   publisher at most one per stream per pli_interval
 *                   (keyframe-storm guard), as RR + PLI under the stream's key.
 *   lost upstream   a WebRTC publisher's video packet NACK upstream gave
 *                   up on (or, without it, still missing after
 *                   FEEDBACK_GAP_NS): the owner asks the publisher for a
 *                   keyframe (same guard as viewers' requests; one the
 *                   guard held back is sent when it allows).
 *   to a WebRTC     congestion feedback while packets arrive, at most every
 *   publisher       FEEDBACK_CC_NS: RR (once a second with a report block
 *                   per SSRC from relay/rxstats.c: the browser's RTT) +
 *                   transport-wide feedback (the arrivals relay/twcc.c
 *                   kept, when transport-cc was negotiated) + REMB (the
 *                   webinar's cap, once a second, when goog-remb was), so
 *                   the browser's own controller sets its rate
 *                   (docs/webrtc.md "Congestion control").
 *   to a WebRTC     generic NACKs for the packets missing from its sequence
 *   publisher       (relay/nack.h decides which and when; ingress.c calls
 *                   feedback_publisher_nack as its packets arrive), when it
 *                   negotiated nack and [rtcp] upstream_nack is on.
 *
 * A viewer's RTCP arrives on its worker's port from the viewer's media or
 * RTCP address and is authenticated with the viewer's key (SDES: one key per
 * viewer for both directions).  ingress.c hands this module what it
 * received; it calls down only (fanout_send, webrtc_publisher_pli,
 * webrtc_publisher_rtcp). */
#ifndef RELAY_FEEDBACK_H
#define RELAY_FEEDBACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct worker;
struct relay_pkt;
struct vgroup;
struct viewer;
struct stream;

/* Any worker: if src is one of this worker's viewers, handles its datagram
 * and returns true; false leaves it to the other demultiplexing steps. */
bool feedback_viewer_datagram(struct worker *w, const struct sockaddr *src, const uint8_t *data,
                              unsigned len, int rtcp);
/* Viewer worker: the datagram of viewer v of group g (its RTCP), routed by
 * the caller (SDES: by address; WebRTC: by ICE).  Authenticated with v's
 * key, then NACK / PLI / FIR handled, the rest terminated. */
void feedback_viewer_rtcp(struct worker *w, struct vgroup *g, struct viewer *v, const uint8_t *data,
                          unsigned len, int rtcp);
/* Viewer worker: asks g's stream owner for a keyframe of media_ssrc (a
 * viewer-facing SSRC; 0: the first video track), coalesced per
 * pli_interval like a viewer's PLI. */
void feedback_request_keyframe(struct worker *w, struct vgroup *g, uint32_t media_ssrc);
/* Owner: a packet of s's WebRTC publisher arrived at now (monotonic ns):
 * the congestion feedback due, if any, goes to it.  Arrivals held back by
 * the interval set w->cc_due_ns: they are reported then even when no packet
 * follows them (a sender that paused, its congestion window full, waits for
 * exactly that feedback). */
void feedback_publisher_cc(struct worker *w, struct stream *s, int64_t now_ns);
/* Owner, once w->cc_due_ns has passed: the held-back feedback of its streams. */
void feedback_cc_due(struct worker *w, int64_t now_ns);
/* Owner: the NACKs s's tracker (s->nack, relay/nack.h) has due at now go to
 * its WebRTC publisher, RR + generic NACK per track. */
void feedback_publisher_nack(struct worker *w, struct stream *s, int64_t now_ns);
/* Viewer worker: g got a viewer given by address, whose player starts
 * listening some time after the answer that gave it its key and cannot tell
 * the relay when (ffmpeg's receiver reports are not SRTP): asks for a
 * keyframe now and FEEDBACK_WARMUP_STEPS more times, 0.5 s later and then
 * every second (0.5, 1.5, ... 5.5 s: a player started by hand or on a busy
 * machine still gets one within a second of listening), each coalesced like
 * any request.  A new such viewer restarts the schedule. */
#define FEEDBACK_WARMUP_STEPS 6
#define FEEDBACK_WARMUP_FIRST_NS 500000000LL
#define FEEDBACK_WARMUP_EVERY_NS 1000000000LL
void feedback_warmup_start(struct worker *w, struct vgroup *g);
/* Viewer worker, every housekeeping tick: the warm-up requests that are due. */
void feedback_tick(struct worker *w, int64_t now);
/* Owner: a RELAY_PKT_KEYFRAME request (consumed). */
void feedback_keyframe(struct worker *w, struct relay_pkt *req);
/* Owner: asks s's publisher for a keyframe of its SSRC media (0: its first
 * video track's), as RR + PLI, at most one per pli_interval (the same
 * guard as viewers' requests). */
void feedback_publisher_keyframe(struct worker *w, struct stream *s, uint32_t media);
/* Owner: a video packet of s's publisher SSRC media is lost for good (0:
 * none new) and broke every viewer's decoding until a keyframe: one is
 * asked for now, or as soon as the pli_interval guard allows (a request
 * that guard suppressed is owed, not forgotten: s->keyframe_owed), instead
 * of waiting for the viewers' decoders, which ask after 3 s without a
 * decodable frame (libwebrtc).  ingress.c calls it when relay/nack.h gives
 * a packet up (NACK upstream had its chance), or, for a track without
 * upstream NACK, when the packet is still missing FEEDBACK_GAP_NS after a
 * later one came (relay/rxstats.c: not merely late), and while one is owed. */
void feedback_publisher_loss(struct worker *w, struct stream *s, uint32_t media, int64_t now);
#define FEEDBACK_GAP_NS 250000000LL

#endif
