/* ingress: see ingress.h. */
#include "relay/ingress.h"
#include "relay/addr.h"
#include "relay/fanout.h"
#include "relay/feedback.h"
#include "relay/nack.h"
#include "relay/pkt.h"
#include "relay/record.h"
#include "relay/rtcp.h"
#include "relay/twcc.h"
#include "relay/webrtc.h"
#include "relay/worker.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/rtp.h"
#include "common/log.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static void src_log(const struct sockaddr *src, char *buf, size_t len)
{
	relay_addr_format(src, buf, len);
}

/* Unprotects pkt->data in place with s's context; 0 or -errno. */
static int unprotect(struct stream *s, struct relay_pkt *pkt, unsigned len, int rtcp, size_t *out)
{
	*out = len;
	return rtcp ? srtp_rx_unprotect_rtcp(s->rx, pkt->data, out)
	            : srtp_rx_unprotect(s->rx, pkt->data, out);
}

/* An unknown source: try every stream this worker owns.  Returns the stream
 * whose key authenticated the packet (then latched), or NULL. */
static struct stream *trial(struct worker *w, const struct sockaddr *src, const uint8_t *data,
                            unsigned len, int rtcp, struct relay_pkt *pkt, size_t *plain)
{
	for (unsigned i = 0; i < w->nowned; i++) {
		struct stream *s = w->streams[w->owned[i]];
		memcpy(pkt->data, data, len);
		if (unprotect(s, pkt, len, rtcp, plain) == 0) {
			char a[64];
			stream_source_latch(s, src, amphi_mono_ns());
			/* The publisher's address only at debug (docs/privacy.md). */
			log_msg(LOG_INFO, "ingest source latched", "stream=%s rtcp=%d worker=%u", s->id, rtcp, w->idx);
			if (log_enabled(LOG_DEBUG)) {
				src_log(src, a, sizeof a);
				log_msg(LOG_DEBUG, "ingest source latched at", "stream=%s source=%s", s->id, a);
			}
			return s;
		}
	}
	return NULL;
}

/* Owner: hands pkt (its one reference, consumed) to every subscribed worker,
 * its own viewers through fanout_deliver. */
static void handoff(struct worker *w, struct stream *s, struct relay_pkt *pkt)
{
	uint64_t others = s->subscribers & ~(1ULL << w->idx);
	unsigned n = (unsigned)__builtin_popcountll(others);
	if (n)
		relay_pkt_ref(pkt, n);
	while (others) {
		unsigned to = (unsigned)__builtin_ctzll(others);
		others &= others - 1;
		if (!xcore_ring_push(xcore_ring_at(&w->relay->xcore, w->idx, to), pkt)) {
			s->c.handoff_drops++;
			w->c.drops++;
			relay_pkt_unref(pkt);
			log_limited(&w->lim_drop, LOG_WARN, "hand-off ring full", "stream=%s to=%u", s->id, to);
			continue;
		}
		w->wake_mask |= 1ULL << to;
	}
	if (s->subscribers & (1ULL << w->idx))
		fanout_deliver(w, pkt);    /* consumes our reference */
	else
		relay_pkt_unref(pkt);
}

/* The publisher's decrypted compound RTCP (borrowed): each SR cut to its
 * sender info (rtcp_sr_rewrite) into the viewers' SSRC and timestamps and
 * handed off like media (lip sync); RRs and the rest end here. */
static void publisher_rtcp(struct worker *w, struct stream *s, const struct relay_pkt *cmp)
{
	struct rtcp_iter it;
	struct rtcp_pkt p;

	rtcp_iter_init(&it, cmp->data, cmp->len);
	while (rtcp_next(&it, &p) == 1) {
		struct rtcp_sr sr;
		struct relay_pkt *out;
		size_t len;
		int track;
		if (p.type != RTCP_SR || rtcp_sr_read(&p, &sr) < 0)
			continue;
		track = stream_track_of(s->track_ssrc, s->ntracks, sr.ssrc);
		if (track < 0)
			continue;   /* no media seen for that SSRC yet: nothing to sync */
		if (s->twcc || s->remb_bps)
			rxstats_sr(&s->rxs[track], sr.ntp_sec, sr.ntp_frac, amphi_mono_ns());
		out = relay_pkt_new();
		if (!out)
			return;
		memcpy(out->data, p.data, p.len);
		len = p.len;
		if (rtcp_sr_rewrite(out->data, &len, s->map[track].out_ssrc, s->map[track].ts_off) < 0) {
			relay_pkt_unref(out);
			continue;
		}
		out->type = RELAY_PKT_SR;
		out->rtcp = true;
		out->slot = (uint16_t)s->slot;
		out->gen = s->gen;
		out->track = (uint8_t)track;
		out->len = (uint16_t)len;
		out->arrival_ns = cmp->arrival_ns;
		s->c.sr_forwarded++;
		handoff(w, s, out);
	}
}

/* Every packet of a WebRTC publisher with a transport-wide number counts,
 * whatever it carries (media, a retransmission, padding), at the kernel's
 * receive time: the worker's own delays would read as congestion to the
 * browser's delay-based estimate.  Then the feedback due, if any. */
static void cc_arrival(struct worker *w, struct stream *s, const uint8_t *rtp, unsigned len)
{
	if (s->twcc) {
		struct timespec ts;
		int64_t at = w->rx_ns;
		if (!at) {
			clock_gettime(CLOCK_REALTIME, &ts);
			at = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
		twcc_packet(s->twcc, rtp, len, at / 1000);
	}
	feedback_publisher_cc(w, s, amphi_mono_ns());
}

/* A publisher's packet, authenticated and decrypted into pkt (its one
 * reference, consumed), plain bytes long, wire_len on the wire; RTP carries
 * one of the stream's payload types.  Records it and hands it on (RTP) or
 * passes its SRs on (RTCP).  The SDES ingest and WebRTC publishers share it.
 * With upstream NACK (s->nack) the gaps in its sequence numbers are tracked
 * and asked for; a repair (rtx: restored from an RTX packet) goes on like
 * any packet, an RTX packet of nothing missing ends here. */
static void ingest(struct worker *w, struct stream *s, struct relay_pkt *pkt, unsigned plain, int rtcp,
                   unsigned wire_len, bool rtx)
{
	int rc;

	pkt->slot = (uint16_t)s->slot;
	pkt->gen = s->gen;
	pkt->len = (uint16_t)plain;
	pkt->type = RELAY_PKT_RTP;
	pkt->rtcp = rtcp;
	pkt->repair = false;
	pkt->track = 0;
	pkt->arrival_ns = amphi_now_ns();
	if (rtcp) {
		s->c.rtcp_in++;
		if (s->rec)
			record_append(w, s, pkt);
		publisher_rtcp(w, s, pkt);
		relay_pkt_unref(pkt);
		return;
	}
	if (s->twcc || s->remb_bps)
		cc_arrival(w, s, pkt->data, plain);
	rc = stream_track_by_pt(s, pkt->data[1] & 0x7f);
	if (rc < 0) {
		s->c.unknown_pt++;
		log_limited(&w->lim_malformed, LOG_WARN, "unknown payload type", "stream=%s pt=%u",
		            s->id, pkt->data[1] & 0x7f);
		relay_pkt_unref(pkt);
		return;
	}
	pkt->track = (uint8_t)rc;
	if (s->nack || rtx) {
		int64_t now = amphi_mono_ns();
		enum nack_seen seen = nack_packet(s->nack, (unsigned)rc, rd32(pkt->data + 8), rd16(pkt->data + 2), now);
		/* An RTX packet of one not seen yet goes on too: Chromium's
		 * probes resend what it sent last, so the RTX copy of a packet
		 * lost on the way can come before the next one; nack now counts
		 * it received, and dropped it would be lost for good. */
		if (rtx && (seen == NACK_OLD || seen == NACK_OFF)) {
			s->c.rtx_unused++;
			relay_pkt_unref(pkt);
			return;
		}
		/* asked for: its neighbours went out long ago (fanout.c sends
		 * it to viewers with rtx as a retransmission) */
		pkt->repair = seen == NACK_REPAIRED;
		if (seen == NACK_REPAIRED || seen == NACK_REORDERED || rtx)
			log_msg(LOG_DEBUG, "publisher repair", "stream=%s track=%d seq=%u rtx=%d asked=%d", s->id, rc,
			        rd16(pkt->data + 2), rtx, seen == NACK_REPAIRED);
		feedback_publisher_nack(w, s, now);
	}
	s->track_ssrc[rc] = (uint32_t)pkt->data[8] << 24 | (uint32_t)pkt->data[9] << 16 |
	                    (uint32_t)pkt->data[10] << 8 | pkt->data[11];
	if (s->twcc || s->remb_bps || s->nack) {
		/* A video loss asks for a keyframe once NACK upstream gave the
		 * packet up, or, on a track without it, once it is missing
		 * FEEDBACK_GAP_NS after a later one (docs/webrtc.md). */
		int64_t now = amphi_mono_ns();
		uint32_t lost = 0;
		for (unsigned t = 0; t < s->ntracks && s->nack; t++)
			if (s->tracks[t].kind == TRACK_VIDEO && nack_lost_take(s->nack, t))
				lost = s->track_ssrc[t];
		if (s->twcc || s->remb_bps) {
			rxstats_packet(&s->rxs[rc], s->track_ssrc[rc], rtp_seq(pkt->data), rtp_ts(pkt->data),
			               s->tracks[rc].clock_rate, now);
			if (s->tracks[rc].kind == TRACK_VIDEO && !nack_on(s->nack, (unsigned)rc) &&
			    rxstats_gap_due(&s->rxs[rc], now, FEEDBACK_GAP_NS))
				lost = s->track_ssrc[rc];
		}
		if (lost || s->keyframe_owed)
			feedback_publisher_loss(w, s, lost, now);
	}
	if (stream_map_packet(s, (unsigned)rc, pkt->data, amphi_mono_ns())) {
		s->c.publisher_restarts++;
		log_msg(LOG_INFO, "publisher restarted, viewers' stream continues", "stream=%s track=%d",
		        s->id, rc);
	}
	s->c.pkts_in++;
	s->c.bytes_in += wire_len;
	if (s->rec)
		record_append(w, s, pkt);
	handoff(w, s, pkt);
}

void ingress_datagram(struct worker *w, const struct sockaddr *src, const uint8_t *data, unsigned len)
{
	struct webrtc_in in;
	struct stream *s = NULL;
	struct relay_pkt *pkt;
	size_t plain;
	char a[64];
	int rtcp, rc;

	w->c.pkts_in++;
	w->c.bytes_in += len;
	if (len == 0 || (data[0] < 128 && data[0] > 63) || data[0] > 191) {
		w->c.malformed++;
		src_log(src, a, sizeof a);
		log_limited(&w->lim_malformed, LOG_WARN, "malformed datagram", "source=%s len=%u first=%u",
		            a, len, len ? data[0] : 0);
		return;
	}
	/* STUN, DTLS, and SRTP from an address a WebRTC peer's check latched. */
	switch (webrtc_datagram(w, src, data, len, &in)) {
	case WEBRTC_IN_NOT_MINE:
		break;
	case WEBRTC_IN_PUBLISHER:
		ingest(w, in.s, in.pkt, in.plain, in.rtcp, len, in.rtx);
		return;
	case WEBRTC_IN_PUBLISHER_CC:
		cc_arrival(w, in.s, in.pkt->data, in.plain);
		relay_pkt_unref(in.pkt);
		return;
	case WEBRTC_IN_VIEWER_RTCP:
		feedback_viewer_rtcp(w, in.g, in.v, data, len, in.rtcp);
		return;
	case WEBRTC_IN_VIEWER_READY:
		/* Its first frame should not wait for the next periodic keyframe. */
		feedback_request_keyframe(w, in.g, 0);
		return;
	default:
		return;
	}
	if (data[0] < 64) {
		/* ZRTP (16..19) and the unassigned rest of RFC 7983's range:
		 * counted in stats; the sender's address at debug only. */
		w->c.unsupported++;
		src_log(src, a, sizeof a);
		log_limited(&w->lim_unsupported, LOG_DEBUG, "datagram of no protocol served here",
		            "source=%s first=%u", a, data[0]);
		return;
	}
	rtcp = rtp_is_rtcp(data, len);
	if (len < (rtcp ? 8u : 12u) || len > RELAY_PKT_CAP) {
		w->c.malformed++;
		src_log(src, a, sizeof a);
		log_limited(&w->lim_malformed, LOG_WARN, "malformed datagram", "source=%s len=%u", a, len);
		return;
	}
	pkt = relay_pkt_new();
	if (!pkt) {
		w->c.drops++;
		return;
	}
	for (unsigned i = 0; i < w->nowned && !s; i++)
		if (stream_source_known(w->streams[w->owned[i]], src))
			s = w->streams[w->owned[i]];
	if (s) {
		memcpy(pkt->data, data, len);
		rc = unprotect(s, pkt, len, rtcp, &plain);
		if (rc < 0 && s->nsrc) {
			/* A source can move to another stream (a publisher restarted
			 * with other keys): give the others a chance. */
			struct stream *t = NULL;
			if (rc == -EBADMSG && w->nowned > 1)
				t = trial(w, src, data, len, rtcp, pkt, &plain);
			if (t) {
				s = t;
				rc = 0;
			}
		}
		if (rc < 0) {
			if (rc == -EALREADY) {
				s->c.replayed++;
				w->c.replayed++;
			} else {
				s->c.srtp_fail++;
				w->c.srtp_fail++;
				src_log(src, a, sizeof a);
				log_limited(&w->lim_srtp, LOG_WARN, "SRTP authentication failed",
				            "stream=%s source=%s rtcp=%d err=%d", s->id, a, rtcp, rc);
			}
			relay_pkt_unref(pkt);
			return;
		}
	} else if (feedback_viewer_datagram(w, src, data, len, rtcp)) {
		relay_pkt_unref(pkt);
		return;
	} else {
		s = trial(w, src, data, len, rtcp, pkt, &plain);
		if (!s) {
			w->c.unknown_source++;
			src_log(src, a, sizeof a);
			log_limited(&w->lim_unknown, LOG_WARN, "packet from an unknown source",
			            "source=%s len=%u rtcp=%d", a, len, rtcp);
			relay_pkt_unref(pkt);
			return;
		}
	}
	stream_source_latch(s, src, amphi_mono_ns());
	if (rtcp)
		memcpy(&s->rtcp_src, src, src->sa_family == AF_INET ? sizeof(struct sockaddr_in)
		                                                   : sizeof(struct sockaddr_in6));
	ingest(w, s, pkt, (unsigned)plain, rtcp, len, false);
}

void ingress_drain(struct worker *w)
{
	struct xcore *x = &w->relay->xcore;
	for (unsigned from = 0; from < x->n; from++) {
		struct relay_pkt *pkt;
		if (from == w->idx)
			continue;
		while ((pkt = xcore_ring_pop(xcore_ring_at(x, from, w->idx)))) {
			w->c.handoffs_in++;
			if (pkt->type == RELAY_PKT_KEYFRAME)
				feedback_keyframe(w, pkt);
			else
				fanout_deliver(w, pkt);
		}
	}
}
