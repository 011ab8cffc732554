/* fanout: see fanout.h. */
#include "relay/fanout.h"
#include "relay/feedback.h"
#include "relay/addr.h"
#include "relay/pkt.h"
#include "relay/reap.h"
#include "relay/record.h"
#include "relay/rtp.h"
#include "relay/webrtc.h"
#include "relay/worker.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* RFC 5761 §4: RTCP packet types 192..223 collide with no dynamic RTP
 * payload type once the marker bit is included in the byte. */
static inline int is_rtcp(const uint8_t *d)
{
	return d[1] >= 192 && d[1] <= 223;
}

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
			src_log(src, a, sizeof a);
			stream_source_latch(s, src, amphi_mono_ns());
			log_msg(LOG_INFO, "ingest source latched", "stream=%s source=%s rtcp=%d worker=%u",
			        s->id, a, rtcp, w->idx);
			return s;
		}
	}
	return NULL;
}

void fanout_handoff(struct worker *w, struct stream *s, struct relay_pkt *pkt)
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

void fanout_ingress(struct worker *w, const struct sockaddr *src, const uint8_t *data, unsigned len)
{
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
	if (webrtc_datagram(w, src, data, len))
		return;
	if (data[0] < 64) {
		/* ZRTP (16..19) and the unassigned rest of RFC 7983's range. */
		w->c.unsupported++;
		src_log(src, a, sizeof a);
		log_limited(&w->lim_unsupported, LOG_INFO, "datagram of no protocol served here",
		            "source=%s first=%u", a, data[0]);
		return;
	}
	rtcp = len >= 2 && is_rtcp(data);
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
	fanout_ingest(w, s, pkt, (unsigned)plain, rtcp, len);
}

void fanout_ingest(struct worker *w, struct stream *s, struct relay_pkt *pkt, unsigned plain, int rtcp,
                   unsigned wire_len)
{
	int rc;

	pkt->slot = (uint16_t)s->slot;
	pkt->gen = s->gen;
	pkt->len = (uint16_t)plain;
	pkt->type = RELAY_PKT_RTP;
	pkt->rtcp = rtcp;
	pkt->track = 0;
	pkt->arrival_ns = amphi_now_ns();
	if (rtcp) {
		s->c.rtcp_in++;
		if (s->rec)
			record_append(w, s, pkt);
		feedback_publisher_rtcp(w, s, pkt);
		relay_pkt_unref(pkt);
		return;
	}
	rc = stream_track_by_pt(s, pkt->data[1] & 0x7f);
	if (rc < 0) {
		s->c.unknown_pt++;
		log_limited(&w->lim_malformed, LOG_WARN, "unknown payload type", "stream=%s pt=%u",
		            s->id, pkt->data[1] & 0x7f);
		relay_pkt_unref(pkt);
		return;
	}
	pkt->track = (uint8_t)rc;
	s->track_ssrc[rc] = (uint32_t)pkt->data[8] << 24 | (uint32_t)pkt->data[9] << 16 |
	                    (uint32_t)pkt->data[10] << 8 | pkt->data[11];
	if (stream_map_packet(s, (unsigned)rc, pkt->data, amphi_mono_ns())) {
		s->c.publisher_restarts++;
		log_msg(LOG_INFO, "publisher restarted, viewers' stream continues", "stream=%s track=%d",
		        s->id, rc);
	}
	s->c.pkts_in++;
	s->c.bytes_in += wire_len;
	if (s->rec)
		record_append(w, s, pkt);
	fanout_handoff(w, s, pkt);
}

/* Copies pkt into buf (cap bytes) as viewer v receives it: its payload type
 * and, for a WebRTC viewer, only its own sdes:mid extension.  The length, or
 * -errno. */
static int viewer_copy(const struct vgroup *g, const struct viewer *v, const struct relay_pkt *pkt,
                       uint8_t *buf, size_t cap)
{
	int n = pkt->len;
	if (!pkt->rtcp && v->webrtc) {
		/* rewritten, maybe shorter than it came: rtp_copy_one_ext checks cap */
		unsigned k = g->kinds[pkt->track] == TRACK_VIDEO ? 1 : 0;
		n = rtp_copy_one_ext(pkt->data, pkt->len, buf, cap, v->mid_len[k] ? v->mid_ext : 0,
		                     v->mid[k], v->mid_len[k]);
		if (n < 0)
			return n;
	} else if (pkt->len > cap) {
		return -ENOSPC;
	} else {
		memcpy(buf, pkt->data, pkt->len);
		if (pkt->rtcp)
			return n;
	}
	buf[1] = (uint8_t)((buf[1] & 0x80) | v->out_pt[pkt->track]);
	return n;
}

static void count_out(struct worker *w, struct vgroup *g, struct viewer *v, unsigned pkts, size_t bytes)
{
	v->pkts_out += pkts;
	v->bytes_out += bytes;
	g->pkts_out += pkts;
	g->bytes_out += bytes;
	w->c.pkts_out += pkts;
	w->c.bytes_out += bytes;
}

static void count_drop(struct worker *w, struct vgroup *g, struct viewer *v)
{
	v->drops++;
	g->drops++;
	w->c.drops++;
}

/* A send slot holding pkt as v receives it, protected: *len bytes, the
 * AES-CM tag of an RTP packet left in tags unless tags is NULL.  NULL with
 * *err set when dropped (counted). */
static struct loop_send_slot *send_prepare(struct worker *w, struct vgroup *g, struct viewer *v,
                                           const struct relay_pkt *pkt, size_t *len,
                                           struct srtp_tags *tags, int *err)
{
	struct loop *l = &w->loop;
	struct loop_send_slot *slot;
	int rc;

	slot = loop_send_slot(l);
	if (!slot) {
		reap_reclaim(w);
		slot = loop_send_slot(l);
	}
	if (!slot) {
		count_drop(w, g, v);
		log_limited(&w->lim_drop, LOG_WARN, "send slots exhausted", "worker=%u", w->idx);
		*err = -ENOBUFS;
		return NULL;
	}
	rc = viewer_copy(g, v, pkt, slot->buf, sizeof slot->buf - 32);
	if (rc >= 0) {
		*len = (size_t)rc;
		rc = pkt->rtcp ? srtp_tx_protect_rtcp(v->tx, slot->buf, len, sizeof slot->buf)
		               : srtp_tx_protect_later(v->tx, slot->buf, len, sizeof slot->buf, tags);
	}
	if (rc < 0) {
		loop_send_done(l, (unsigned)(slot - l->slots));
		count_drop(w, g, v);
		log_limited(&w->lim_drop, LOG_WARN, "SRTP protect failed", "viewer=%s err=%d", v->id, rc);
		*err = rc;
		return NULL;
	}
	return slot;
}

/* Queues a prepared slot to v's media (or RTCP) address of kind k. */
static int send_queue(struct worker *w, struct vgroup *g, struct viewer *v, struct loop_send_slot *slot,
                      size_t len, int rtcp, unsigned k)
{
	int rc = loop_send_queue(&w->loop, slot, (unsigned)len,
	                         (const struct sockaddr *)(rtcp ? &v->rtcp_dst[k] : &v->dst[k]), v->dstlen[k]);
	if (rc < 0) {
		count_drop(w, g, v);
		return rc;
	}
	count_out(w, g, v, 1, len);
	return 0;
}

int fanout_send(struct worker *w, struct vgroup *g, struct viewer *v, const struct relay_pkt *pkt)
{
	unsigned k = g->kinds[pkt->track] == TRACK_VIDEO ? 1 : 0;
	struct loop_send_slot *slot;
	size_t len;
	int err;

	if (!v->dstlen[k])
		return 0;
	slot = send_prepare(w, g, v, pkt, &len, NULL, &err);
	if (!slot)
		return err;
	return send_queue(w, g, v, slot, len, pkt->rtcp, k);
}

/* Queues every send of the walk so far, once the tags they wait for are
 * written. */
static void egress_flush(struct worker *w)
{
	struct fanout_egress *e = &w->egress;

	srtp_tags_run(&e->tags);
	for (unsigned i = 0; i < e->npend; i++) {
		struct fanout_pending *p = &e->pend[i];
		struct viewer *v = p->v;

		if (!p->seg) {
			send_queue(w, p->g, v, p->slot, p->len, 0, p->k);
		} else if (loop_gso_queue(&w->loop, p->slot, p->len, p->seg,
		                          (const struct sockaddr *)&v->dst[p->k], v->dstlen[p->k]) == 0) {
			count_out(w, p->g, v, p->pkts, p->len);
			w->c.gso_sends++;
		} else {
			count_drop(w, p->g, v);
		}
	}
	e->npend = 0;
}

/* A protected send of the walk, queued by the next egress_flush (GCM sends
 * wait too, which keeps one path; they are submitted at the end of the turn
 * either way). */
static void egress_send(struct worker *w, struct vgroup *g, struct viewer *v, void *slot, unsigned len,
                        unsigned seg, unsigned pkts, unsigned k)
{
	struct fanout_egress *e = &w->egress;

	e->pend[e->npend++] = (struct fanout_pending){ g, v, slot, len, seg, pkts, k };
}

/* One packet of a viewer's share of a batch, sent on its own. */
static void batch_send_one(struct worker *w, struct vgroup *g, struct viewer *v, const struct relay_pkt *pkt)
{
	unsigned k = g->kinds[pkt->track] == TRACK_VIDEO ? 1 : 0;
	struct loop_send_slot *slot;
	size_t len;
	int err;

	if (!v->dstlen[k])
		return;
	slot = send_prepare(w, g, v, pkt, &len, &w->egress.tags, &err);
	if (slot)
		egress_send(w, g, v, slot, (unsigned)len, 0, 1, k);
}

/* One viewer's share of a batch: runs of packets of one kind that are of
 * one size as this viewer receives them (the last of a run may be shorter,
 * as GSO allows) go out as one GSO super-datagram each; lone packets as
 * plain datagrams.  A WebRTC viewer's packets are rewritten (its own
 * sdes:mid, the publisher's other extensions dropped), so a run is judged
 * on the rewritten sizes: a packet that comes out longer than the run's
 * first starts the next run.  Adds at most g->nbatch tags and g->nbatch
 * sends to the worker's egress. */
static void batch_send_viewer(struct worker *w, struct vgroup *g, struct viewer *v)
{
	struct loop *l = &w->loop;
	unsigned i = 0, n = g->nbatch;

	while (i < n) {
		struct relay_pkt *p = g->batch[i];
		unsigned k = g->kinds[p->track] == TRACK_VIDEO ? 1 : 0, j = i + 1, maxseg, m;
		unsigned off = 0, seg = 0, cnt = 0, first = 0;   /* bytes, segment size, packets, first's plain size */
		struct loop_gso_slot *gs;

		if (!v->dstlen[k]) {
			i++;
			continue;
		}
		/* The candidates, from the publisher's sizes; 16 bytes: the
		 * largest SRTP tag. */
		maxseg = LOOP_GSO_BUF / (p->len + 16u);
		while (j < n && j - i < maxseg && g->kinds[g->batch[j]->track] == g->kinds[p->track] &&
		       g->batch[j]->len == p->len)
			j++;
		if (j < n && j - i < maxseg && g->kinds[g->batch[j]->track] == g->kinds[p->track] &&
		    g->batch[j]->len < p->len)
			j++;
		gs = j - i > 1 ? loop_gso_slot(l) : NULL;
		if (j - i > 1 && !gs) {
			reap_reclaim(w);
			gs = loop_gso_slot(l);
		}
		if (!gs) {
			for (m = i; m < j; m++)
				batch_send_one(w, g, v, g->batch[m]);
			i = j;
			continue;
		}
		for (m = i; m < j; m++) {
			uint8_t *b = gs->buf + off;
			int rc = viewer_copy(g, v, g->batch[m], b, LOOP_GSO_BUF - off - 16);
			unsigned plain = rc >= 0 ? (unsigned)rc : 0;
			size_t len = plain;

			if (cnt && (rc == -ENOSPC || plain > first))
				break;           /* longer than the run's first: the next run's first */
			if (rc >= 0)
				rc = srtp_tx_protect_later(v->tx, b, &len, LOOP_GSO_BUF - off, &w->egress.tags);
			if (rc < 0) {
				count_drop(w, g, v);
				log_limited(&w->lim_drop, LOG_WARN, "SRTP protect failed", "viewer=%s err=%d",
				            v->id, rc);
				m++;             /* dropped: the next run starts after it */
				break;
			}
			if (!cnt) {
				first = plain;
				seg = (unsigned)len;
			}
			cnt++;
			off += (unsigned)len;
			if (plain < first) {
				m++;             /* a shorter packet ends its run */
				break;
			}
		}
		if (cnt)
			egress_send(w, g, v, gs, off, seg, cnt, k);
		else
			loop_gso_done(l, (unsigned)(gs - l->gslots));
		i = m;
	}
}

/* Viewer i + PREFETCH_AHEAD is fetched while viewer i is protected, its
 * egress context one level deeper at each following viewer (srtp_tx_prefetch):
 * the walk touches every viewer's state once a frame, by then out of cache. */
#define PREFETCH_AHEAD 5

static void viewer_prefetch(struct vgroup *g, unsigned i)
{
	unsigned n = g->n;

	if (i + PREFETCH_AHEAD < n) {
		const char *v = (const char *)g->v[i + PREFETCH_AHEAD];
		__builtin_prefetch(v + offsetof(struct viewer, tx));
		__builtin_prefetch(v + offsetof(struct viewer, dst[1]));
		__builtin_prefetch(v + offsetof(struct viewer, pkts_out));
	}
	if (i + 4 < n)
		__builtin_prefetch(g->v[i + 4]->tx);
	/* A WebRTC viewer has no context before its handshake completes. */
	for (int step = 0; step < 3; step++)
		if (i + 3 - (unsigned)step < n && g->v[i + 3 - step]->tx)
			srtp_tx_prefetch(g->v[i + 3 - step]->tx, step);
}

static void batch_send(struct worker *w, struct vgroup *g)
{
	struct fanout_egress *e = &w->egress;

	for (unsigned i = 0; i < g->n; i++) {
		if (e->tags.n + g->nbatch > SRTP_TAGS_MAX || e->npend + g->nbatch > FANOUT_PENDING_MAX)
			egress_flush(w);
		viewer_prefetch(g, i);
		batch_send_viewer(w, g, g->v[i]);
	}
	egress_flush(w);
	for (unsigned i = 0; i < g->nbatch; i++)
		feedback_cache_put(g, g->batch[i]);
	g->nbatch = 0;
}

void fanout_deliver(struct worker *w, struct relay_pkt *pkt)
{
	struct vgroup *g;

	if (pkt->type == RELAY_PKT_KEYFRAME) {
		feedback_keyframe(w, pkt);
		return;
	}
	g = w->vgroups[pkt->slot];
	if (!g || g->gen != pkt->gen) {
		relay_pkt_unref(pkt);
		return;
	}
	if (pkt->type == RELAY_PKT_RTP)
		g->track_ssrc[pkt->track] = (uint32_t)pkt->data[8] << 24 | (uint32_t)pkt->data[9] << 16 |
		                            (uint32_t)pkt->data[10] << 8 | pkt->data[11];
	if (pkt->type == RELAY_PKT_RTP && w->relay->opts.gso) {
		/* Sent at the end of the turn with its neighbours (fanout_flush). */
		if (g->nbatch == STREAM_BATCH_MAX)
			batch_send(w, g);
		if (!g->dirty) {
			g->dirty = true;
			w->dirty[w->ndirty++] = g->slot;
		}
		g->batch[g->nbatch++] = pkt;
		return;
	}
	for (unsigned i = 0; i < g->n; i++)
		fanout_send(w, g, g->v[i], pkt);
	if (pkt->type == RELAY_PKT_RTP)
		feedback_cache_put(g, pkt);   /* keeps our reference for NACKs */
	else
		relay_pkt_unref(pkt);
}

void fanout_drain(struct worker *w)
{
	struct xcore *x = &w->relay->xcore;
	for (unsigned from = 0; from < x->n; from++) {
		struct relay_pkt *pkt;
		if (from == w->idx)
			continue;
		while ((pkt = xcore_ring_pop(xcore_ring_at(x, from, w->idx)))) {
			w->c.handoffs_in++;
			fanout_deliver(w, pkt);
		}
	}
}

void fanout_flush(struct worker *w)
{
	for (unsigned i = 0; i < w->ndirty; i++) {
		struct vgroup *g = w->vgroups[w->dirty[i]];
		if (!g || !g->dirty)
			continue;   /* dropped during the turn: its batch went with it */
		g->dirty = false;
		batch_send(w, g);
	}
	w->ndirty = 0;
	while (w->wake_mask) {
		unsigned to = (unsigned)__builtin_ctzll(w->wake_mask);
		if (xcore_wake(&w->relay->xcore, &w->loop.ring, to, LOOP_UD(LOOP_WAKE, 0)) == -EBUSY) {
			io_uring_submit(&w->loop.ring);
			continue;
		}
		w->wake_mask &= w->wake_mask - 1;
	}
}
