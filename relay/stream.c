/* stream: see stream.h. */
#include "relay/stream.h"
#include "relay/pkt.h"
#include "relay/addr.h"
#include "relay/twcc.h"
#include "relay/nack.h"

#include <arpa/inet.h>
#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

int stream_create(const struct stream_spec *spec, unsigned slot, uint32_t gen, struct stream **out)
{
	struct stream *s = calloc(1, sizeof *s);
	int rc;
	if (!s)
		return -ENOMEM;
	s->slot = slot;
	s->gen = gen;
	memcpy(s->id, spec->id, sizeof s->id);
	s->ntracks = spec->ntracks;
	memcpy(s->tracks, spec->tracks, sizeof s->tracks);
	s->suite = spec->suite;
	for (unsigned i = 0; i < STREAM_MAX_TRACKS; i++)
		s->map[i].out_ssrc = spec->out_ssrc[i];
	rc = srtp_rx_create(&s->rx, spec->suite, spec->key);
	if (rc < 0) {
		free(s);
		return rc;
	}
	rc = srtp_tx_create(&s->fb_tx, spec->suite, spec->key);
	if (rc < 0) {
		srtp_rx_destroy(s->rx);
		free(s);
		return rc;
	}
	if (getrandom(&s->relay_ssrc, sizeof s->relay_ssrc, 0) != sizeof s->relay_ssrc)
		s->relay_ssrc = 0x414d5048u ^ (uint32_t)slot;   /* "AMPH": any value works */
	*out = s;
	return 0;
}

void stream_destroy(struct stream *s)
{
	if (!s)
		return;
	srtp_rx_destroy(s->rx);
	srtp_tx_destroy(s->fb_tx);
	twcc_destroy(s->twcc);
	nack_destroy(s->nack);
	free(s);
}

_Static_assert(NACK_TRACKS == STREAM_MAX_TRACKS, "nack tracks are the stream's");

int stream_nack_set(struct stream *s, unsigned mask, unsigned horizon)
{
	if (s->nack) {
		s->c.nack_requested += s->nack->c.requested;
		s->c.nack_sent += s->nack->c.packets;
		s->c.nack_repaired += s->nack->c.repaired;
		s->c.nack_given_up += s->nack->c.given_up;
	}
	nack_destroy(s->nack);
	s->nack = NULL;
	return mask ? nack_create(mask, horizon ? horizon : NACK_MISS_MAX, &s->nack) : 0;
}

int stream_cc_set(struct stream *s, uint8_t twcc_ext, uint64_t remb_bps)
{
	int rc = 0;

	twcc_destroy(s->twcc);
	s->twcc = NULL;
	s->remb_bps = 0;
	s->next_cc_ns = s->next_remb_ns = s->next_rr_ns = 0;
	memset(s->rxs, 0, sizeof s->rxs);
	if (twcc_ext && (rc = twcc_create(twcc_ext, &s->twcc)) < 0)
		return rc;
	s->remb_bps = remb_bps;
	return 0;
}

bool stream_map_packet(struct stream *s, unsigned track, uint8_t *rtp, int64_t now)
{
	struct stream_map *m = &s->map[track];
	uint32_t ssrc = rd32(rtp + 8), ts = rd32(rtp + 4);
	uint16_t seq = (uint16_t)(rtp[2] << 8 | rtp[3]), oseq;
	uint32_t ots;
	bool restart = false;

	if (!m->started) {
		m->started = true;
		m->in_ssrc = ssrc;
		if (!m->out_ssrc)
			m->out_ssrc = ssrc;
		m->last_seq = (uint16_t)(seq - 1);
		m->last_ts = ts;
		m->last_ns = now;
	} else if (ssrc != m->in_ssrc) {
		/* Go on one past the last sequence number, with the timestamp
		 * advanced by the wall time since the last packet. */
		uint64_t ticks = (uint64_t)(now > m->last_ns ? now - m->last_ns : 0) *
		                 s->tracks[track].clock_rate / 1000000000ULL;
		m->seq_off = (uint16_t)(m->last_seq + 1 - seq);
		m->ts_off = m->last_ts + (uint32_t)ticks + 1 - ts;
		m->in_ssrc = ssrc;
		restart = true;
	}
	oseq = (uint16_t)(seq + m->seq_off);
	ots = ts + m->ts_off;
	rtp[2] = (uint8_t)(oseq >> 8);
	rtp[3] = (uint8_t)oseq;
	wr32(rtp + 4, ots);
	wr32(rtp + 8, m->out_ssrc);
	if ((int16_t)(oseq - m->last_seq) > 0 || restart) {
		m->last_seq = oseq;
		m->last_ts = ots;
		m->last_ns = now;
	}
	return restart;
}

int stream_track_by_out_ssrc(const struct stream *s, uint32_t ssrc)
{
	for (unsigned i = 0; i < s->ntracks; i++)
		if (s->map[i].started && s->map[i].out_ssrc == ssrc)
			return (int)i;
	return -1;
}

int stream_track_by_pt(const struct stream *s, uint8_t pt)
{
	for (unsigned i = 0; i < s->ntracks; i++)
		if (s->tracks[i].pt == pt)
			return (int)i;
	return -1;
}

bool stream_source_known(const struct stream *s, const struct sockaddr *src)
{
	for (unsigned i = 0; i < s->nsrc; i++)
		if (relay_addr_equal((const struct sockaddr *)&s->src[i].addr, src))
			return true;
	return false;
}

bool stream_source_latch(struct stream *s, const struct sockaddr *src, int64_t now)
{
	unsigned pick = 0;
	for (unsigned i = 0; i < s->nsrc; i++)
		if (relay_addr_equal((const struct sockaddr *)&s->src[i].addr, src)) {
			s->src[i].last_ns = now;
			return false;
		}
	if (s->nsrc < STREAM_MAX_SOURCES) {
		pick = s->nsrc++;
	} else {
		for (unsigned i = 1; i < s->nsrc; i++)
			if (s->src[i].last_ns < s->src[pick].last_ns)
				pick = i;
	}
	memset(&s->src[pick].addr, 0, sizeof s->src[pick].addr);
	memcpy(&s->src[pick].addr, src,
	       src->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	s->src[pick].last_ns = now;
	return true;
}

struct vgroup *vgroup_create(unsigned slot, uint32_t gen, unsigned ntracks, const uint8_t *kinds,
                             unsigned cache_cap)
{
	struct vgroup *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	if (cache_cap) {
		unsigned cap = 1;
		while (cap < cache_cap)
			cap <<= 1;
		g->cache = calloc((size_t)ntracks * cap, sizeof *g->cache);
		if (!g->cache) {
			free(g);
			return NULL;
		}
		g->cache_cap = cap;
	}
	g->slot = slot;
	g->gen = gen;
	g->ntracks = ntracks;
	memcpy(g->kinds, kinds, ntracks);
	return g;
}

static void viewer_destroy(struct viewer *v)
{
	srtp_tx_destroy(v->tx);
	srtp_rx_destroy(v->rx);
	free(v);
}

void vgroup_destroy(struct vgroup *g)
{
	if (!g)
		return;
	for (unsigned i = 0; i < g->n; i++)
		viewer_destroy(g->v[i]);
	for (unsigned i = 0; i < g->nbatch; i++)
		relay_pkt_unref(g->batch[i]);
	if (g->cache)
		for (size_t i = 0; i < (size_t)g->ntracks * g->cache_cap; i++)
			if (g->cache[i])
				relay_pkt_unref(g->cache[i]);
	free(g->cache);
	free(g->v);
	free(g);
}

int vgroup_viewer_add(struct vgroup *g, const struct viewer_spec *spec, struct viewer **out)
{
	struct viewer *v;
	int rc;
	for (unsigned i = 0; i < g->n; i++)
		if (!strcmp(g->v[i]->id, spec->id))
			return -EEXIST;
	if (g->n == g->cap) {
		unsigned cap = g->cap ? g->cap * 2 : 16;
		struct viewer **nv = realloc(g->v, cap * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		g->v = nv;
		g->cap = cap;
	}
	v = calloc(1, sizeof *v);
	if (!v)
		return -ENOMEM;
	memcpy(v->id, spec->id, sizeof v->id);
	memcpy(v->out_pt, spec->out_pt, sizeof v->out_pt);
	v->rtcp_mux = spec->rtcp_mux;
	v->latch_pending = spec->latch;
	if (spec->webrtc) {
		v->webrtc = true;
		v->kinds_on = spec->kinds_on;
		v->mid_ext = spec->mid_ext;
		memcpy(v->rtx_pt, spec->rtx_pt, sizeof v->rtx_pt);
		memcpy(v->rtx_ssrc, spec->rtx_ssrc, sizeof v->rtx_ssrc);
		/* RFC 3550 §5.1: a random first sequence number */
		if (getrandom(v->rtx_seq, sizeof v->rtx_seq, 0) != sizeof v->rtx_seq)
			memset(v->rtx_seq, 0, sizeof v->rtx_seq);
		for (int k = 0; k < 2; k++) {
			memcpy(v->mid[k], spec->mid[k], sizeof v->mid[k]);
			v->mid[k][sizeof v->mid[k] - 1] = 0;
			v->mid_len[k] = (uint8_t)strlen(v->mid[k]);
			/* RFC 8285 one-byte elements carry 1..16 bytes: control
			 * answers a longer mid's section without sdes:mid. */
			if (v->mid_len[k] > 16)
				v->mid_len[k] = 0;
		}
		g->v[g->n++] = v;
		if (out)
			*out = v;
		return 0;
	}
	for (int k = 0; k < 2; k++) {
		v->dst[k] = spec->dst[k];
		v->dstlen[k] = spec->dst[k].sin6_family == AF_INET ? sizeof(struct sockaddr_in)
		               : spec->dst[k].sin6_family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
		v->rtcp_dst[k] = v->dst[k];
		if (!spec->rtcp_mux && v->dstlen[k]) {
			/* RFC 3550 §11: RTCP on the next port up.  The port
			 * field sits at the same offset in both families. */
			uint16_t port = ntohs(v->dst[k].sin6_port);
			v->rtcp_dst[k].sin6_port = htons((uint16_t)(port == 65535 ? port : port + 1));
		}
	}
	rc = srtp_tx_create(&v->tx, spec->suite, spec->key);
	if (rc < 0) {
		free(v);
		return rc;
	}
	rc = srtp_rx_create(&v->rx, spec->suite, spec->key);
	if (rc < 0) {
		srtp_tx_destroy(v->tx);
		free(v);
		return rc;
	}
	g->v[g->n++] = v;
	if (out)
		*out = v;
	return 0;
}

static socklen_t addr_len(const struct sockaddr *a)
{
	return a->sa_family == AF_INET ? sizeof(struct sockaddr_in)
	       : a->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
}

void viewer_webrtc_move(struct viewer *v, const struct sockaddr *addr)
{
	socklen_t len = addr_len(addr);
	for (int k = 0; k < 2; k++) {
		if (!(v->kinds_on & (1u << k)))
			continue;   /* a kind the viewer did not negotiate is not sent */
		memset(&v->dst[k], 0, sizeof v->dst[k]);
		memcpy(&v->dst[k], addr, len);
		v->rtcp_dst[k] = v->dst[k];   /* rtcp-mux and BUNDLE: one address for all */
		v->dstlen[k] = len;
	}
}

int viewer_webrtc_connect(struct viewer *v, enum srtp_suite suite, const uint8_t *server_key,
                          const uint8_t *client_key, const struct sockaddr *addr)
{
	int rc = srtp_tx_create(&v->tx, suite, server_key);
	if (rc < 0)
		return rc;
	rc = srtp_rx_create(&v->rx, suite, client_key);
	if (rc < 0) {
		srtp_tx_destroy(v->tx);
		v->tx = NULL;
		return rc;
	}
	viewer_webrtc_move(v, addr);
	return 0;
}

void viewer_latch(struct viewer *v, const struct sockaddr *src)
{
	struct sockaddr_in6 a;
	socklen_t len = src->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	memset(&a, 0, sizeof a);
	memcpy(&a, src, len);
	for (int k = 0; k < 2; k++) {
		v->rtcp_dst[k] = a;
		v->dst[k] = a;
		if (!v->rtcp_mux) {
			/* The port field sits at the same offset in both families. */
			uint16_t port = ntohs(a.sin6_port);
			v->dst[k].sin6_port = htons((uint16_t)(port > 1 ? port - 1 : port));
		}
		v->dstlen[k] = len;
	}
	v->latch_pending = false;
}

int vgroup_viewer_remove(struct vgroup *g, const char *id)
{
	for (unsigned i = 0; i < g->n; i++)
		if (!strcmp(g->v[i]->id, id)) {
			viewer_destroy(g->v[i]);
			g->v[i] = g->v[--g->n];
			return 0;
		}
	return -ENOENT;
}
