/* feedback: see feedback.h. */
#include "relay/feedback.h"
#include "relay/addr.h"
#include "relay/fanout.h"
#include "relay/nack.h"
#include "relay/pkt.h"
#include "relay/reap.h"
#include "relay/rtcp.h"
#include "relay/rxstats.h"
#include "relay/twcc.h"
#include "relay/webrtc.h"
#include "relay/worker.h"
#include "common/clock.h"
#include "common/log.h"

#include <string.h>

#define NACK_MAX 64   /* sequence numbers served per NACK packet: bounds one viewer's burst */
#define FEEDBACK_CC_NS   50000000LL    /* transport-wide feedback: at most every 50 ms */
#define FEEDBACK_REMB_NS 1000000000LL  /* REMB: once a second */
#define FEEDBACK_RR_NS   1000000000LL  /* report blocks: once a second, as a browser sends them */
#define FEEDBACK_CC_MAX  4             /* feedback datagrams per round (a long history) */
#define SRTCP_OVERHEAD   32            /* SRTCP index and tag, with room to spare */

void feedback_publisher_cc(struct worker *w, struct stream *s, int64_t now)
{
	uint8_t buf[1200];

	if (now < s->next_cc_ns) {
		if (s->twcc && twcc_pending(s->twcc) && (!w->cc_due_ns || s->next_cc_ns < w->cc_due_ns))
			w->cc_due_ns = s->next_cc_ns;
		return;
	}
	s->next_cc_ns = now + FEEDBACK_CC_NS;
	for (unsigned round = 0; round < FEEDBACK_CC_MAX; round++) {
		size_t off = (size_t)rtcp_build_rr(buf, sizeof buf, s->relay_ssrc), rr = off;
		int n = 0;

		if (now >= s->next_rr_ns) {
			/* The RR itself gets a block per received SSRC: the
			 * publisher's RTT (LSR/DLSR) and RR loss come from them. */
			struct rtcp_report rb[STREAM_MAX_TRACKS];
			size_t k = 0;
			for (unsigned i = 0; i < s->ntracks; i++)
				if (rxstats_block(&s->rxs[i], now, &rb[k]) == 0)
					k++;
			if (k && (n = rtcp_build_rr_reports(buf, sizeof buf, s->relay_ssrc, rb, k)) > 0)
				off = (size_t)n;   /* sent even with nothing else */
			s->next_rr_ns = now + FEEDBACK_RR_NS;
			n = 0;
		}

		if (s->remb_bps && now >= s->next_remb_ns) {
			uint32_t ssrcs[STREAM_MAX_TRACKS];
			size_t k = 0;
			for (unsigned i = 0; i < s->ntracks; i++)
				if (s->track_ssrc[i])
					ssrcs[k++] = s->track_ssrc[i];
			n = rtcp_build_remb(buf + off, sizeof buf - off, s->relay_ssrc, s->remb_bps, ssrcs, k);
			if (n > 0) {
				off += (size_t)n;
				s->next_remb_ns = now + FEEDBACK_REMB_NS;
				s->c.remb_sent++;
			}
		}
		if (s->twcc) {
			n = twcc_feedback(s->twcc, s->relay_ssrc, buf + off, sizeof buf - off - SRTCP_OVERHEAD);
			if (n > 0) {
				off += (size_t)n;
				s->c.cc_feedback++;
			}
		}
		if (off == rr || webrtc_publisher_rtcp(w, s->slot, buf, off, sizeof buf) < 0 || n <= 0)
			return;
	}
}

void feedback_cc_due(struct worker *w, int64_t now)
{
	w->cc_due_ns = 0;
	for (unsigned i = 0; i < w->nowned; i++) {
		struct stream *s = w->streams[w->owned[i]];
		if (s && s->twcc && twcc_pending(s->twcc))
			feedback_publisher_cc(w, s, now);
	}
}

void feedback_publisher_nack(struct worker *w, struct stream *s, int64_t now)
{
	uint8_t buf[1200];

	if (!nack_pending(s->nack, now))
		return;
	for (unsigned t = 0; t < s->ntracks; t++) {
		uint16_t seqs[NACK_MISS_MAX];
		uint32_t media;
		size_t n = nack_due(s->nack, t, now, seqs, NACK_MISS_MAX, &media);
		int rr, m;

		if (n)
			log_msg(LOG_DEBUG, "nack to publisher", "stream=%s track=%u n=%zu first=%u given_up=%llu",
			        s->id, t, n, n ? seqs[0] : 0, (unsigned long long)s->nack->c.given_up);
		if (!n)
			continue;
		rr = rtcp_build_rr(buf, sizeof buf, s->relay_ssrc);
		m = rtcp_build_nack(buf + rr, sizeof buf - (size_t)rr - SRTCP_OVERHEAD, s->relay_ssrc, media, seqs, n);
		if (m > 0 && webrtc_publisher_rtcp(w, s->slot, buf, (size_t)(rr + m), sizeof buf) == 0)
			s->nack->c.packets++;
	}
}

void feedback_request_keyframe(struct worker *w, struct vgroup *g, uint32_t media_ssrc)
{
	struct relay_pkt *req;
	int64_t now = amphi_mono_ns();

	if (now < g->next_keyframe_ns) {
		g->keyframe_suppressed++;
		w->c.plis_suppressed++;
		return;
	}
	g->next_keyframe_ns = now + w->relay->opts.pli_interval_ns;
	req = relay_pkt_new();
	if (!req)
		return;
	req->type = RELAY_PKT_KEYFRAME;
	req->slot = (uint16_t)g->slot;
	req->gen = g->gen;
	req->len = 4;
	memcpy(req->data, &media_ssrc, 4);
	g->keyframe_requests++;
	if (g->owner == w->idx) {
		feedback_keyframe(w, req);
	} else if (xcore_ring_push(xcore_ring_at(&w->relay->xcore, w->idx, g->owner), req)) {
		w->wake_mask |= 1ULL << g->owner;
	} else {
		w->c.drops++;
		relay_pkt_unref(req);
	}
}

void feedback_warmup_start(struct worker *w, struct vgroup *g)
{
	feedback_request_keyframe(w, g, 0);
	g->warmup_step = 0;
	g->warmup_ns = amphi_mono_ns() + FEEDBACK_WARMUP_FIRST_NS;
}

void feedback_tick(struct worker *w, int64_t now)
{
	for (unsigned i = 0; i < w->nvslots; i++) {
		struct vgroup *g = w->vgroups[w->vslots[i]];
		if (!g || !g->warmup_ns || now < g->warmup_ns)
			continue;
		feedback_request_keyframe(w, g, 0);
		g->warmup_ns = ++g->warmup_step < FEEDBACK_WARMUP_STEPS ? now + FEEDBACK_WARMUP_EVERY_NS : 0;
	}
}

/* An SRTCP datagram from an unknown address: tried against the keys of the
 * latching viewers still waiting, at most LATCH_TRIALS of them per datagram
 * (each trial is one libsrtp authentication: a flood of junk must not cost
 * one per pending viewer), starting where the last round stopped.  The viewer
 * whose key authenticates it takes src as its address; buf then holds the
 * plaintext (*n bytes). */
#define LATCH_TRIALS 32

static struct viewer *latch_trial(struct worker *w, const struct sockaddr *src, const uint8_t *data,
                                  unsigned len, uint8_t *buf, size_t *n, struct vgroup **g)
{
	struct vindex *x = &w->vidx;
	unsigned tries = x->npending < LATCH_TRIALS ? x->npending : LATCH_TRIALS;
	char a[64];

	for (unsigned t = 0; t < tries; t++) {
		unsigned i = (x->pending_next + t) % x->npending;
		struct viewer *v = x->pending[i].v;
		struct vgroup *vg = x->pending[i].g;

		memcpy(buf, data, len);
		*n = len;
		if (srtp_rx_unprotect_rtcp(v->rx, buf, n) < 0)
			continue;
		viewer_latch(v, src);
		if (vindex_viewer_latched(x, vg, v) < 0) {
			/* No memory for its entries: it waits for its next packet. */
			memset(v->dst, 0, sizeof v->dst);
			memset(v->dstlen, 0, sizeof v->dstlen);
			v->latch_pending = true;
			return NULL;
		}
		/* A viewer's address is personal data: at info level the log says
		 * that it latched, the address only at debug (docs/privacy.md). */
		log_msg(LOG_INFO, "viewer latched", "viewer=%s rtcp_mux=%d worker=%u", v->id, v->rtcp_mux, w->idx);
		if (log_enabled(LOG_DEBUG)) {
			relay_addr_format(src, a, sizeof a);
			log_msg(LOG_DEBUG, "viewer latched at", "viewer=%s source=%s", v->id, a);
		}
		*g = vg;
		/* Its first frame should not wait for the next keyframe. */
		feedback_request_keyframe(w, vg, 0);
		return v;
	}
	x->pending_next = x->npending ? (x->pending_next + tries) % x->npending : 0;
	return NULL;
}

/* The plaintext SRTCP of viewer v (n bytes in buf), or rc < 0 when it did
 * not authenticate: NACK, PLI and FIR handled, the rest terminated. */
static void viewer_rtcp_plain(struct worker *w, struct vgroup *g, struct viewer *v, const uint8_t *buf,
                              size_t n, int rc)
{
	struct rtcp_iter it;
	struct rtcp_pkt p;

	if (rc < 0) {
		if (rc == -EALREADY) {
			w->c.replayed++;
		} else {
			g->srtp_fail++;
			w->c.srtp_fail++;
			log_limited(&w->lim_srtp, LOG_WARN, "viewer SRTCP authentication failed", "viewer=%s err=%d",
			            v->id, rc);
		}
		return;
	}
	g->rtcp_in++;
	rtcp_iter_init(&it, buf, n);
	while ((rc = rtcp_next(&it, &p)) == 1) {
		uint32_t sender, media;
		if (p.type == RTCP_RTPFB && p.count == RTCP_FMT_NACK && rtcp_fb_read(&p, &sender, &media) == 0) {
			uint16_t seqs[NACK_MAX];
			int track = stream_track_of(g->track_ssrc, g->ntracks, media);
			int cnt = rtcp_nack_expand(&p, seqs, NACK_MAX);
			if (cnt > 0)
				log_msg(LOG_DEBUG, "viewer nack", "viewer=%s track=%d n=%d first=%u", v->id, track, cnt, seqs[0]);
			for (int i = 0; i < cnt && i < NACK_MAX; i++) {
				struct relay_pkt *c;
				g->nacks++;
				v->nacks++;
				w->c.nacks++;
				if (track < 0 || !g->cache_cap)
					continue;
				c = g->cache[(size_t)track * g->cache_cap + (seqs[i] & (g->cache_cap - 1))];
				if (!c || (uint16_t)(c->data[2] << 8 | c->data[3]) != seqs[i]) {
					log_msg(LOG_DEBUG, "viewer nack: not in the cache", "viewer=%s seq=%u", v->id, seqs[i]);
					continue;
				}
				if (fanout_send_repair(w, g, v, c) == 0) {
					g->retransmits++;
					v->retransmits++;
				}
			}
		} else if (p.type == RTCP_PSFB && p.count == RTCP_FMT_PLI && rtcp_fb_read(&p, &sender, &media) == 0) {
			log_msg(LOG_DEBUG, "viewer pli", "viewer=%s", v->id);
			feedback_request_keyframe(w, g, media);
		} else if (p.type == RTCP_PSFB && p.count == RTCP_FMT_FIR && rtcp_fir_count(&p) > 0) {
			uint8_t seq;
			if (rtcp_fir_read(&p, 0, &media, &seq) == 0)
				feedback_request_keyframe(w, g, media);
		}
		/* RR, SDES, BYE, REMB: terminated here. */
	}
	if (rc < 0) {
		w->c.malformed++;
		log_limited(&w->lim_malformed, LOG_WARN, "malformed RTCP from a viewer", "viewer=%s", v->id);
	}
}

bool feedback_viewer_datagram(struct worker *w, const struct sockaddr *src, const uint8_t *data,
                              unsigned len, int rtcp)
{
	_Alignas(8) uint8_t buf[RELAY_PKT_CAP];
	struct vgroup *g;
	struct viewer *v = vindex_find(&w->vidx, src, &g);
	size_t n = len;
	int rc;

	if (!v && rtcp && w->vidx.npending) {
		v = latch_trial(w, src, data, len, buf, &n, &g);
		if (!v)
			return false;
		rc = 0;
	} else if (!v) {
		return false;
	} else if (!rtcp) {
		/* Viewers only receive media here. */
		w->c.unknown_source++;
		log_limited(&w->lim_unknown, LOG_WARN, "RTP from a viewer address ignored", "viewer=%s", v->id);
		return true;
	} else {
		memcpy(buf, data, len);
		rc = srtp_rx_unprotect_rtcp(v->rx, buf, &n);
	}
	viewer_rtcp_plain(w, g, v, buf, n, rc);
	return true;
}

void feedback_viewer_rtcp(struct worker *w, struct vgroup *g, struct viewer *v, const uint8_t *data,
                          unsigned len, int rtcp)
{
	_Alignas(8) uint8_t buf[RELAY_PKT_CAP];
	size_t n = len;
	int rc;

	if (len > sizeof buf) {
		w->c.malformed++;
		return;
	}
	if (!rtcp) {
		/* Viewers only receive media here. */
		w->c.unknown_source++;
		log_limited(&w->lim_unknown, LOG_WARN, "RTP from a viewer ignored", "viewer=%s", v->id);
		return;
	}
	memcpy(buf, data, len);
	rc = srtp_rx_unprotect_rtcp(v->rx, buf, &n);
	viewer_rtcp_plain(w, g, v, buf, n, rc);
}

void feedback_keyframe(struct worker *w, struct relay_pkt *req)
{
	struct stream *s = w->streams[req->slot];
	uint32_t gen = req->gen;
	uint32_t media;

	memcpy(&media, req->data, 4);
	relay_pkt_unref(req);
	if (!s || s->gen != gen)
		return;
	if (stream_track_by_out_ssrc(s, media) >= 0)
		media = s->track_ssrc[stream_track_by_out_ssrc(s, media)];   /* the publisher's own */
	else
		media = 0;   /* not a viewer-facing SSRC: the first video track's keyframe */
	feedback_publisher_keyframe(w, s, media);
}

void feedback_publisher_loss(struct worker *w, struct stream *s, uint32_t media, int64_t now)
{
	if (media) {
		log_msg(LOG_DEBUG, "publisher loss not repaired", "stream=%s ssrc=%u owed=%d", s->id, media,
		        now < s->next_keyframe_ns);
		s->keyframe_owed = media;
	}
	if (!s->keyframe_owed || now < s->next_keyframe_ns)
		return;
	media = s->keyframe_owed;
	s->keyframe_owed = 0;
	feedback_publisher_keyframe(w, s, media);
}

void feedback_publisher_keyframe(struct worker *w, struct stream *s, uint32_t media)
{
	const struct sockaddr *dst;
	struct loop_send_slot *slot;
	int64_t now = amphi_mono_ns();
	size_t len;
	int n1, n2;

	if (now < s->next_keyframe_ns) {
		s->c.keyframe_suppressed++;
		w->c.plis_suppressed++;
		log_msg(LOG_DEBUG, "keyframe request suppressed", "stream=%s in_ms=%lld", s->id,
		        (long long)((s->next_keyframe_ns - now) / 1000000));
		return;
	}
	log_msg(LOG_DEBUG, "keyframe request to publisher", "stream=%s", s->id);
	for (unsigned i = 0; i < s->ntracks && !media; i++)
		if (s->tracks[i].kind == TRACK_VIDEO)
			media = s->track_ssrc[i];
	if (!media)
		return;
	if (webrtc_publisher_pli(w, s->slot, s->relay_ssrc, media) == 0) {
		s->next_keyframe_ns = now + w->relay->opts.pli_interval_ns;
		s->c.keyframe_requests++;
		w->c.plis_forwarded++;
		return;
	}
	if (s->rtcp_src.sin6_family)
		dst = (const struct sockaddr *)&s->rtcp_src;
	else if (s->nsrc)
		dst = (const struct sockaddr *)&s->src[0].addr;
	else
		return;
	slot = loop_send_slot(&w->loop);
	if (!slot) {
		reap_reclaim(w);
		if (!(slot = loop_send_slot(&w->loop)))
			return;
	}
	n1 = rtcp_build_rr(slot->buf, sizeof slot->buf, s->relay_ssrc);
	n2 = n1 < 0 ? -1 : rtcp_build_pli(slot->buf + n1, sizeof slot->buf - (size_t)n1, s->relay_ssrc, media);
	len = (size_t)(n1 + n2);
	if (n2 < 0 || srtp_tx_protect_rtcp(s->fb_tx, slot->buf, &len, sizeof slot->buf) < 0) {
		loop_send_done(&w->loop, (unsigned)(slot - w->loop.slots));
		return;
	}
	if (loop_send_queue(&w->loop, slot, (unsigned)len, dst,
	                    dst->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) < 0)
		return;
	s->next_keyframe_ns = now + w->relay->opts.pli_interval_ns;
	s->c.keyframe_requests++;
	w->c.plis_forwarded++;
}
