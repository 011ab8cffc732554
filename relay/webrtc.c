/* webrtc: see webrtc.h. */
#include "relay/webrtc.h"
#include "relay/addr.h"
#include "relay/dtls.h"
#include "relay/gone.h"
#include "relay/pkt.h"
#include "relay/reap.h"
#include "relay/rtcp.h"
#include "relay/rtp.h"
#include "relay/stun.h"
#include "relay/worker.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct webrtc_peer {
	char id[STREAM_ID_MAX];
	char ufrag[ICE_UFRAG_MAX + 1];      /* the relay's, the key of the ICE table entry */
	char fingerprint[200];              /* the browser's certificate must match it */
	enum webrtc_role role;
	unsigned slot;
	uint32_t gen;
	struct worker *w;                   /* the owner of everything below */
	struct dtls_conn *dtls;             /* owned; made on the first DTLS datagram */
	const char *profile;                /* SRTP profile name once connected */
	struct srtp_rx *rx;                 /* owned, publisher: the browser's SRTP/SRTCP (client keys) */
	struct srtp_tx *tx;                 /* owned, publisher: PLI towards it (server keys) */
	struct viewer *v;                   /* viewer: its entry in w->vgroups[slot], owned there; it
	                                     * lives as long as the peer (peers go before their vgroup) */
	uint8_t pt[STREAM_MAX_TRACKS];      /* publisher: its payload type per stream track, 0xff none */
	uint8_t rtx_pt[STREAM_MAX_TRACKS];  /* publisher: its rtx payload type per stream track, 0xff none */
};

struct webrtc_worker {
	struct ice_table *ice;
	struct webrtc_peer **peers;         /* owned */
	unsigned n, cap;
	unsigned budget;                    /* handshake datagrams still admitted this tick */
	struct webrtc_counters c;
	struct log_limit lim;
};

int webrtc_worker_init(struct worker *w)
{
	const struct relay_opts *o = &w->relay->opts;
	struct webrtc_worker *wr = calloc(1, sizeof *wr);
	if (!wr)
		return -ENOMEM;
	wr->ice = ice_table_create(o->webrtc_peers, o->consent_ms);
	if (!wr->ice) {
		free(wr);
		return -ENOMEM;
	}
	wr->budget = o->handshake_budget;
	wr->lim = (struct log_limit)LOG_LIMIT_INIT(10);
	w->webrtc = wr;
	return 0;
}

static void send_raw(struct worker *w, const struct sockaddr *to, const uint8_t *d, size_t len)
{
	struct loop_send_slot *slot;
	socklen_t tl = to->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	if (len > LOOP_SEND_BUF)
		return;
	slot = loop_send_slot(&w->loop);
	if (!slot) {
		reap_reclaim(w);
		slot = loop_send_slot(&w->loop);
	}
	if (!slot) {
		w->c.drops++;
		return;
	}
	memcpy(slot->buf, d, len);
	if (loop_send_queue(&w->loop, slot, (unsigned)len, to, tl) < 0) {
		w->c.drops++;
		return;
	}
	w->c.pkts_out++;
	w->c.bytes_out += len;
}

/* dtls_send_fn: DTLS goes to the peer's latched address. */
static void dtls_send(void *arg, const uint8_t *d, size_t len)
{
	struct webrtc_peer *p = arg;
	struct sockaddr_storage a;
	if (ice_peer_addr(p->w->webrtc->ice, p->ufrag, &a) == 0)
		send_raw(p->w, (const struct sockaddr *)&a, d, len);
}

static void peer_unlink(struct webrtc_worker *wr, struct webrtc_peer *p)
{
	for (unsigned i = 0; i < wr->n; i++)
		if (wr->peers[i] == p) {
			wr->peers[i] = wr->peers[--wr->n];
			return;
		}
}

/* Frees p, already out of the ICE table.  why: reported to the control
 * thread (the worker removed it on its own); NULL when the control thread
 * asked. */
static void peer_free(struct worker *w, struct webrtc_peer *p, const char *why)
{
	struct webrtc_worker *wr = w->webrtc;
	peer_unlink(wr, p);
	if (p->role == WEBRTC_PUBLISHER) {
		struct stream *s = w->streams[p->slot];
		if (s && s->gen == p->gen && s->webrtc_pub == p)
			s->webrtc_pub = NULL;
		if (s && s->gen == p->gen) {
			stream_cc_set(s, 0, 0);
			stream_nack_set(s, 0, 0);
		}
	} else {
		struct vgroup *g = w->vgroups[p->slot];
		if (g && g->gen == p->gen)
			vgroup_viewer_remove(g, p->id);
	}
	if (why) {
		struct relay_gone gone = { .slot = p->slot, .gen = p->gen, .worker = w->idx, .role = p->role };
		memcpy(gone.id, p->id, sizeof gone.id);
		relay_gone_push(w->relay, &gone);
		log_msg(LOG_INFO, "webrtc peer removed", "peer=%s role=%s worker=%u reason=\"%s\"", p->id,
		        p->role == WEBRTC_PUBLISHER ? "publisher" : "viewer", w->idx, why);
	}
	dtls_conn_destroy(p->dtls);
	srtp_rx_destroy(p->rx);
	srtp_tx_destroy(p->tx);
	free(p);
	wr->c.peers = wr->n;
}

static void peer_drop(struct worker *w, struct webrtc_peer *p, const char *why)
{
	ice_peer_remove(w->webrtc->ice, p->ufrag);
	peer_free(w, p, why);
}

void webrtc_worker_close(struct worker *w)
{
	struct webrtc_worker *wr = w->webrtc;
	if (!wr)
		return;
	for (unsigned i = 0; i < wr->n; i++)
		if (wr->peers[i]->dtls && dtls_conn_state(wr->peers[i]->dtls) == DTLS_CONNECTED)
			dtls_conn_close(wr->peers[i]->dtls);
	io_uring_submit(&w->loop.ring);
}

void webrtc_worker_free(struct worker *w)
{
	struct webrtc_worker *wr = w->webrtc;
	if (!wr)
		return;
	while (wr->n)
		peer_drop(w, wr->peers[wr->n - 1], NULL);
	ice_table_destroy(wr->ice);
	free(wr->peers);
	free(wr);
	w->webrtc = NULL;
}

static struct webrtc_peer *peer_find(struct webrtc_worker *wr, unsigned slot, uint32_t gen, const char *id)
{
	for (unsigned i = 0; i < wr->n; i++)
		if (wr->peers[i]->slot == slot && wr->peers[i]->gen == gen && !strcmp(wr->peers[i]->id, id))
			return wr->peers[i];
	return NULL;
}

static unsigned handshaking(const struct webrtc_worker *wr)
{
	unsigned n = 0;
	for (unsigned i = 0; i < wr->n; i++)
		if (!wr->peers[i]->profile)
			n++;
	return n;
}

int webrtc_peer_add(struct worker *w, unsigned slot, uint32_t gen, const struct webrtc_spec *spec)
{
	struct webrtc_worker *wr = w->webrtc;
	struct webrtc_peer *p;
	struct vgroup *g = w->vgroups[slot];
	int rc;

	if (peer_find(wr, slot, gen, spec->id))
		return -EEXIST;
	if (handshaking(wr) >= w->relay->opts.max_handshakes)
		return -ENOSPC;
	if (spec->role == WEBRTC_PUBLISHER && (!w->streams[slot] || w->streams[slot]->gen != gen))
		return -ENOENT;
	if (spec->role == WEBRTC_VIEWER && (!g || g->gen != gen))
		return -ENOENT;
	if (wr->n == wr->cap) {
		unsigned cap = wr->cap ? wr->cap * 2 : 16;
		struct webrtc_peer **np = realloc(wr->peers, cap * sizeof *np);
		if (!np)
			return -ENOMEM;
		wr->peers = np;
		wr->cap = cap;
	}
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	memcpy(p->id, spec->id, sizeof p->id);
	memcpy(p->ufrag, spec->ufrag, sizeof p->ufrag);
	memcpy(p->fingerprint, spec->fingerprint, sizeof p->fingerprint);
	memcpy(p->pt, spec->pt, sizeof p->pt);
	memcpy(p->rtx_pt, spec->rtx_pt, sizeof p->rtx_pt);
	p->role = spec->role;
	p->slot = slot;
	p->gen = gen;
	p->w = w;
	if (spec->role == WEBRTC_VIEWER) {
		rc = vgroup_viewer_add(g, &spec->viewer, &p->v);
		if (rc < 0) {
			free(p);
			return rc;
		}
	}
	rc = ice_peer_add(wr->ice, spec->ufrag, spec->pwd, p, amphi_mono_ns());
	if (rc < 0) {
		if (p->v)
			vgroup_viewer_remove(g, p->id);
		free(p);
		return rc == -EEXIST ? -EADDRINUSE : rc;
	}
	if (spec->role == WEBRTC_PUBLISHER && ((rc = stream_cc_set(w->streams[slot], spec->twcc_ext, spec->remb_bps)) < 0 ||
	    (rc = stream_nack_set(w->streams[slot], w->relay->opts.upstream_nack ? spec->nack : 0,
	                          w->relay->opts.nack_cache)) < 0)) {
		stream_cc_set(w->streams[slot], 0, 0);
		ice_peer_remove(wr->ice, p->ufrag);
		free(p);
		return rc;
	}
	wr->peers[wr->n++] = p;
	wr->c.peers = wr->n;
	log_msg(LOG_INFO, "webrtc peer added", "peer=%s role=%s worker=%u ufrag=%s", p->id,
	        p->role == WEBRTC_PUBLISHER ? "publisher" : "viewer", w->idx, p->ufrag);
	return 0;
}

int webrtc_peer_remove(struct worker *w, unsigned slot, uint32_t gen, const char *id)
{
	struct webrtc_peer *p = peer_find(w->webrtc, slot, gen, id);
	if (!p)
		return -ENOENT;
	if (p->dtls && dtls_conn_state(p->dtls) == DTLS_CONNECTED)
		dtls_conn_close(p->dtls);   /* the browser learns at once, not at its consent timeout */
	peer_drop(w, p, NULL);
	return 0;
}

int webrtc_peer_restart(struct worker *w, unsigned slot, uint32_t gen, const char *id,
                        const char *ufrag, const char *pwd)
{
	struct webrtc_worker *wr = w->webrtc;
	struct webrtc_peer *p = peer_find(wr, slot, gen, id);
	int rc;

	if (!p)
		return -ENOENT;
	if (strlen(ufrag) > ICE_UFRAG_MAX)
		return -EINVAL;
	/* The new entry first: a refused restart (ufrag taken, bad
	 * credentials) leaves the peer as it was. */
	rc = ice_peer_add(wr->ice, ufrag, pwd, p, amphi_mono_ns());
	if (rc < 0)
		return rc == -EEXIST ? -EADDRINUSE : rc;
	ice_peer_remove(wr->ice, p->ufrag);
	snprintf(p->ufrag, sizeof p->ufrag, "%s", ufrag);
	log_msg(LOG_INFO, "webrtc ICE restart", "peer=%s worker=%u ufrag=%s", p->id, w->idx, p->ufrag);
	return 0;
}

void webrtc_drop_slot(struct worker *w, unsigned slot, enum webrtc_role role)
{
	struct webrtc_worker *wr = w->webrtc;
	for (unsigned i = wr ? wr->n : 0; i-- > 0;) {
		struct webrtc_peer *p = wr->peers[i];
		if (p->slot == slot && p->role == role) {
			if (p->dtls && dtls_conn_state(p->dtls) == DTLS_CONNECTED)
				dtls_conn_close(p->dtls);
			peer_drop(w, p, NULL);
		}
	}
}

unsigned webrtc_list(struct worker *w, unsigned slot, uint32_t gen, struct webrtc_info *out, unsigned cap)
{
	struct webrtc_worker *wr = w->webrtc;
	unsigned n = 0;
	for (unsigned i = 0; i < wr->n && n < cap; i++) {
		struct webrtc_peer *p = wr->peers[i];
		struct webrtc_info *o = &out[n];
		struct sockaddr_storage a;
		if (p->slot != slot || p->gen != gen)
			continue;
		memset(o, 0, sizeof *o);
		memcpy(o->id, p->id, sizeof o->id);
		o->role = p->role;
		o->worker = w->idx;
		o->state = p->dtls ? dtls_state_name(dtls_conn_state(p->dtls)) : "new";
		if (ice_peer_addr(wr->ice, p->ufrag, &a) == 0)
			relay_addr_format((const struct sockaddr *)&a, o->addr, sizeof o->addr);
		o->profile = p->profile;
		if (p->role == WEBRTC_VIEWER && p->v) {
			o->viewer_counts = true;
			o->retransmits = p->v->retransmits;
			o->rtx_sent = p->v->rtx_sent;
		}
		n++;
	}
	return n;
}

void webrtc_counters_get(const struct worker *w, struct webrtc_counters *out)
{
	*out = w->webrtc->c;
}

/* The handshake just completed: SRTP contexts from the exporter's keys,
 * the same contexts SDES keys make.  A viewer's vgroup goes into in->g: its
 * first frame should not wait for the next periodic keyframe. */
static int connected(struct worker *w, struct webrtc_peer *p, struct webrtc_in *in)
{
	struct webrtc_worker *wr = w->webrtc;
	struct dtls_srtp_keys k;
	struct sockaddr_storage a;
	enum srtp_suite suite;
	int rc = dtls_conn_srtp_keys(p->dtls, &k);

	if (rc < 0)
		return rc;
	suite = k.profile == DTLS_SRTP_AEAD_AES_128_GCM ? SRTP_SUITE_AEAD_AES_128_GCM
	                                                : SRTP_SUITE_AES_CM_128_HMAC_SHA1_80;
	if (p->role == WEBRTC_PUBLISHER) {
		struct stream *s = w->streams[p->slot];
		rc = srtp_rx_create(&p->rx, suite, k.client);
		if (rc == 0)
			rc = srtp_tx_create(&p->tx, suite, k.server);
		if (rc == 0 && s && s->gen == p->gen)
			s->webrtc_pub = p;
	} else {
		rc = ice_peer_addr(wr->ice, p->ufrag, &a);
		if (rc == 0)
			rc = viewer_webrtc_connect(p->v, suite, k.server, k.client, (const struct sockaddr *)&a);
	}
	explicit_bzero(&k, sizeof k);
	if (rc < 0)
		return rc;
	p->profile = srtp_suite_name(suite);
	wr->c.dtls_ok++;
	log_msg(LOG_INFO, "webrtc peer connected", "peer=%s role=%s worker=%u profile=%s", p->id,
	        p->role == WEBRTC_PUBLISHER ? "publisher" : "viewer", w->idx, p->profile);
	if (p->role == WEBRTC_VIEWER) {
		struct vgroup *g = w->vgroups[p->slot];
		if (g && g->gen == p->gen)
			in->g = g;
	}
	return 0;
}

/* The datagrams that cost public-key work: the one that starts a handshake
 * (the ClientHello, answered with an ECDHE key signed with ECDSA) and the
 * client's second flight (its certificate checked, its signature verified,
 * ECDH).  A ClientHello repeated to a connection under way is answered from
 * OpenSSL's buffered flight and costs nothing worth a budget. */
static bool costly(const struct webrtc_peer *p, const uint8_t *data, unsigned len)
{
	int t = dtls_datagram_handshake_type(data, len);
	if (!p->dtls)
		return true;
	return dtls_conn_state(p->dtls) == DTLS_HANDSHAKE && (t == 11 || t == 16);
}

static enum webrtc_verdict on_dtls(struct worker *w, struct webrtc_peer *p, const uint8_t *data, unsigned len,
                                   int64_t now, struct webrtc_in *in)
{
	struct webrtc_worker *wr = w->webrtc;
	enum dtls_state st;
	int rc;

	if (costly(p, data, len)) {
		/* At most `budget` per tick; the browser's retransmission
		 * brings the rest back later. */
		if (!wr->budget) {
			wr->c.dtls_deferred++;
			return WEBRTC_IN_DONE;
		}
		wr->budget--;
	}
	if (!p->dtls) {
		p->dtls = dtls_conn_create(w->relay->dtls, p->fingerprint, dtls_send, p, now);
		if (!p->dtls) {
			wr->c.dtls_failed++;
			peer_drop(w, p, "cannot create the DTLS connection");
			return WEBRTC_IN_DONE;
		}
	}
	rc = dtls_conn_input(p->dtls, data, len, now);
	if (rc == 1 && (rc = connected(w, p, in)) == 0)
		return in->g ? WEBRTC_IN_VIEWER_READY : WEBRTC_IN_DONE;
	st = dtls_conn_state(p->dtls);
	if ((rc < 0 || st == DTLS_FAILED) && st != DTLS_CLOSED) {
		wr->c.dtls_failed++;
		peer_drop(w, p, rc == -EACCES ? "DTLS certificate does not match the offer's fingerprint"
		                              : "DTLS handshake failed");
	} else if (st == DTLS_CLOSED) {
		peer_drop(w, p, "DTLS closed by the peer");
	}
	return WEBRTC_IN_DONE;
}

/* SRTP or SRTCP from a latched peer: a viewer's is handed back for feedback
 * (WEBRTC_IN_VIEWER_RTCP), a publisher's decrypted into a new relay_pkt whose
 * payload type is the stream's (WEBRTC_IN_PUBLISHER), an RTX packet restored
 * into the one it repairs; RTX padding and unknown payload types only for
 * their transport-wide arrival when the stream keeps them
 * (WEBRTC_IN_PUBLISHER_CC). */
static enum webrtc_verdict on_srtp(struct worker *w, struct webrtc_peer *p, const uint8_t *data, unsigned len,
                                   struct webrtc_in *in)
{
	struct webrtc_worker *wr = w->webrtc;
	int rtcp = len >= 2 && data[1] >= 192 && data[1] <= 223;
	struct stream *s = w->streams[p->slot];
	struct relay_pkt *pkt;
	size_t plain = len;
	bool rtx = false;
	int rc;

	if (p->role == WEBRTC_VIEWER) {
		struct vgroup *g = w->vgroups[p->slot];
		if (!p->v->rx || !g || g->gen != p->gen)
			return WEBRTC_IN_DONE;
		in->g = g;
		in->v = p->v;
		in->rtcp = rtcp;
		return WEBRTC_IN_VIEWER_RTCP;
	}
	if (!p->rx || !s || s->gen != p->gen)
		return WEBRTC_IN_DONE;
	if (len < (rtcp ? 8u : 12u) || len > RELAY_PKT_CAP) {
		w->c.malformed++;
		return WEBRTC_IN_DONE;
	}
	pkt = relay_pkt_new();
	if (!pkt) {
		w->c.drops++;
		return WEBRTC_IN_DONE;
	}
	memcpy(pkt->data, data, len);
	rc = rtcp ? srtp_rx_unprotect_rtcp(p->rx, pkt->data, &plain) : srtp_rx_unprotect(p->rx, pkt->data, &plain);
	if (rc < 0) {
		if (rc == -EALREADY) {
			s->c.replayed++;
			w->c.replayed++;
			wr->c.replayed++;
		} else {
			s->c.srtp_fail++;
			w->c.srtp_fail++;
			wr->c.srtp_fail++;
			log_limited(&w->lim_srtp, LOG_WARN, "WebRTC publisher SRTP authentication failed",
			            "peer=%s rtcp=%d err=%d", p->id, rtcp, rc);
		}
		relay_pkt_unref(pkt);
		return WEBRTC_IN_DONE;
	}
	if (!rtcp) {
		/* Into the stream's own payload types: recording, SDES viewers and
		 * the per-viewer rewrite all speak those. */
		uint8_t pt = pkt->data[1] & 0x7f;
		unsigned t;
		for (t = 0; t < s->ntracks && p->pt[t] != pt; t++)
			;
		if (t == s->ntracks) {
			/* A retransmission (RFC 4588): back into the packet it
			 * repairs, on the track's media SSRC; ingress keeps it only
			 * when that packet is missing. */
			for (t = 0; t < s->ntracks && p->rtx_pt[t] != pt; t++)
				;
			if (t < s->ntracks) {
				int n = s->track_ssrc[t] ? rtp_rtx_restore(pkt->data, plain, p->pt[t], s->track_ssrc[t])
				                         : -EINVAL;
				if (n < 0) {
					s->c.rtx_unused++;
					goto cc_only;
				}
				plain = (size_t)n;
				rtx = true;
			}
		}
		if (t == s->ntracks) {
			s->c.unknown_pt++;
			log_limited(&w->lim_malformed, LOG_WARN, "unknown payload type from a WebRTC publisher",
			            "peer=%s pt=%u", p->id, pt);
			goto cc_only;
		}
		pkt->data[1] = (uint8_t)((pkt->data[1] & 0x80) | s->tracks[t].pt);
	}
	in->s = s;
	in->pkt = pkt;
	in->plain = (unsigned)plain;
	in->rtcp = rtcp;
	in->rtx = rtx;
	return WEBRTC_IN_PUBLISHER;
cc_only:
	/* Not for the viewers, but its transport-wide number was sent: a
	 * number the feedback calls lost reads as congestion (Chromium's
	 * probes are RTX padding once RTX is negotiated). */
	if (!s->twcc) {
		relay_pkt_unref(pkt);
		return WEBRTC_IN_DONE;
	}
	in->s = s;
	in->pkt = pkt;
	in->plain = (unsigned)plain;
	return WEBRTC_IN_PUBLISHER_CC;
}

/* A nomination may move the latched address: a connected viewer's media
 * follows it. */
static void viewer_follow(struct webrtc_worker *wr, struct webrtc_peer *p)
{
	struct sockaddr_storage at;
	unsigned k = p->v->kinds_on & 1 ? 0 : 1;
	if (ice_peer_addr(wr->ice, p->ufrag, &at) == 0 &&
	    !relay_addr_equal((const struct sockaddr *)&p->v->dst[k], (const struct sockaddr *)&at))
		viewer_webrtc_move(p->v, (const struct sockaddr *)&at);
}

enum webrtc_verdict webrtc_datagram(struct worker *w, const struct sockaddr *src, const uint8_t *data, unsigned len,
                                    struct webrtc_in *in)
{
	struct webrtc_worker *wr = w->webrtc;
	struct webrtc_peer *p;
	uint8_t out[128];
	void *user = NULL;
	char a[64];
	int n;

	in->g = NULL;
	switch (stun_demux(data, len)) {
	case STUN_DEMUX_STUN:
		n = ice_table_stun(wr->ice, data, len, src, amphi_mono_ns(), out, sizeof out, &user);
		if ((p = user)) {
			wr->c.stun_ok++;
			if (p->v && p->v->tx)
				viewer_follow(wr, p);
		} else if (n > 0) {
			wr->c.stun_rejected++;
			relay_addr_format(src, a, sizeof a);
			log_limited(&wr->lim, LOG_WARN, "STUN check rejected", "source=%s worker=%u", a, w->idx);
		}
		if (n > 0)
			send_raw(w, src, out, (size_t)n);
		return WEBRTC_IN_DONE;
	case STUN_DEMUX_DTLS:
		p = ice_table_lookup_addr(wr->ice, src);
		if (!p) {
			/* No valid check from there: never reaches OpenSSL. */
			w->c.unknown_source++;
			relay_addr_format(src, a, sizeof a);
			log_limited(&w->lim_unknown, LOG_WARN, "DTLS from an address no ICE check latched",
			            "source=%s", a);
			return WEBRTC_IN_DONE;
		}
		return on_dtls(w, p, data, len, amphi_mono_ns(), in);
	case STUN_DEMUX_RTP:
		if (!wr->n || !(p = ice_table_lookup_addr(wr->ice, src)))
			return WEBRTC_IN_NOT_MINE;
		return on_srtp(w, p, data, len, in);
	default:
		return WEBRTC_IN_NOT_MINE;
	}
}

int webrtc_publisher_rtcp(struct worker *w, unsigned slot, uint8_t *buf, size_t len, size_t cap)
{
	struct stream *s = w->streams[slot];
	struct webrtc_peer *p = s ? s->webrtc_pub : NULL;
	struct sockaddr_storage a;

	if (!p || !p->tx || ice_peer_addr(w->webrtc->ice, p->ufrag, &a) < 0)
		return -ENOENT;
	if (srtp_tx_protect_rtcp(p->tx, buf, &len, cap) < 0)
		return -EINVAL;
	send_raw(w, (const struct sockaddr *)&a, buf, len);
	return 0;
}

int webrtc_publisher_pli(struct worker *w, unsigned slot, uint32_t relay_ssrc, uint32_t media_ssrc)
{
	uint8_t buf[128];
	int n1, n2;

	n1 = rtcp_build_rr(buf, sizeof buf, relay_ssrc);
	n2 = n1 < 0 ? -1 : rtcp_build_pli(buf + n1, sizeof buf - (size_t)n1, relay_ssrc, media_ssrc);
	if (n2 < 0)
		return -EINVAL;
	return webrtc_publisher_rtcp(w, slot, buf, (size_t)(n1 + n2), sizeof buf);
}

static void expired(void *arg, void *user)
{
	struct worker *w = arg;
	w->webrtc->c.consent_expired++;
	peer_free(w, user, "no ICE consent check within the consent timeout (RFC 7675)");
}

void webrtc_tick(struct worker *w, int64_t now)
{
	struct webrtc_worker *wr = w->webrtc;

	wr->budget = w->relay->opts.handshake_budget;
	ice_table_expire(wr->ice, now, expired, w);
	for (unsigned i = wr->n; i-- > 0;) {
		struct webrtc_peer *p = wr->peers[i];
		int64_t due = p->dtls ? dtls_conn_deadline(p->dtls) : -1;
		if (due < 0 || due > now)
			continue;
		if (dtls_conn_tick(p->dtls, now) == -ETIMEDOUT || dtls_conn_state(p->dtls) == DTLS_FAILED) {
			wr->c.dtls_failed++;
			peer_drop(w, p, "DTLS handshake timed out");
		}
	}
}
