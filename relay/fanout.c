/* fanout: see fanout.h. */
#include "relay/fanout.h"
#include "relay/pkt.h"
#include "relay/reap.h"
#include "relay/rtp.h"
#include "relay/worker.h"
#include "common/log.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

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
 * AES-CM tag of an RTP packet left in tags unless tags is NULL; as an RFC
 * 4588 retransmission on v's RTX stream of kind k when rtx is set.  NULL
 * with *err set when dropped (counted). */
static struct loop_send_slot *send_prepare(struct worker *w, struct vgroup *g, struct viewer *v,
                                           const struct relay_pkt *pkt, size_t *len,
                                           struct srtp_tags *tags, bool rtx, unsigned k, int *err)
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
	if (rc >= 0 && rtx)
		rc = rtp_rtx_wrap(slot->buf, (size_t)rc, sizeof slot->buf - 32, v->rtx_pt[k], v->rtx_ssrc[k],
		                  v->rtx_seq[k]++);
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
	slot = send_prepare(w, g, v, pkt, &len, NULL, false, k, &err);
	if (!slot)
		return err;
	return send_queue(w, g, v, slot, len, pkt->rtcp, k);
}

int fanout_send_repair(struct worker *w, struct vgroup *g, struct viewer *v, const struct relay_pkt *pkt)
{
	unsigned k = g->kinds[pkt->track] == TRACK_VIDEO ? 1 : 0;
	struct loop_send_slot *slot;
	size_t len;
	int err, rc;

	if (!v->rtx_ssrc[k])
		return fanout_send(w, g, v, pkt);
	if (!v->dstlen[k])
		return 0;
	slot = send_prepare(w, g, v, pkt, &len, NULL, true, k, &err);
	if (!slot)
		return err;
	rc = send_queue(w, g, v, slot, len, 0, k);
	if (rc == 0) {
		v->rtx_sent++;
		g->rtx_sent++;
	}
	return rc;
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
	slot = send_prepare(w, g, v, pkt, &len, &w->egress.tags, false, k, &err);
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

/* Keeps pkt (consumed) in g's retransmission cache (feedback.c reads it
 * for NACKs). */
static void cache_put(struct vgroup *g, struct relay_pkt *pkt)
{
	struct relay_pkt **slot;
	uint16_t seq = (uint16_t)(pkt->data[2] << 8 | pkt->data[3]);
	if (!g->cache_cap) {
		relay_pkt_unref(pkt);
		return;
	}
	slot = &g->cache[(size_t)pkt->track * g->cache_cap + (seq & (g->cache_cap - 1))];
	if (*slot)
		relay_pkt_unref(*slot);
	*slot = pkt;
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
		cache_put(g, g->batch[i]);
	g->nbatch = 0;
}

void fanout_deliver(struct worker *w, struct relay_pkt *pkt)
{
	struct vgroup *g;

	g = w->vgroups[pkt->slot];
	if (!g || g->gen != pkt->gen) {
		relay_pkt_unref(pkt);
		return;
	}
	if (pkt->type == RELAY_PKT_RTP)
		g->track_ssrc[pkt->track] = (uint32_t)pkt->data[8] << 24 | (uint32_t)pkt->data[9] << 16 |
		                            (uint32_t)pkt->data[10] << 8 | pkt->data[11];
	if (pkt->type == RELAY_PKT_RTP && pkt->repair) {
		/* A repair the publisher sent late, after its neighbours went
		 * out: on its own, as an RTX packet to the viewers that
		 * negotiated rtx (the batch's runs stay the stream's). */
		for (unsigned i = 0; i < g->n; i++)
			fanout_send_repair(w, g, g->v[i], pkt);
		cache_put(g, pkt);
		return;
	}
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
		cache_put(g, pkt);   /* keeps our reference for NACKs */
	else
		relay_pkt_unref(pkt);
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
