/* webrtc: a worker's WebRTC peers (WHIP publishers, WHEP viewers) on the
 * worker's one UDP port, wired from relay/stun, relay/ice and relay/dtls as
 * docs/webrtc.md plans it.
 *
 * Datagrams: webrtc_datagram() takes every STUN and DTLS datagram of the
 * port (RFC 7983) and the SRTP/SRTCP ones whose source address a peer's
 * valid ICE check latched; everything else stays with the SDES path
 * (ingress.c).  A publisher's media is unprotected with its DTLS client keys
 * and returned to ingress, which feeds it to its stream like the SDES ingest;
 * a viewer is a struct viewer in its stream's vgroup (stream.h) that gets its
 * keys and address when its handshake completes, so the fan-out serves it
 * like any viewer, and whose RTCP ingress hands to feedback.c.  This module
 * calls neither: it returns what is left to do.
 *
 * Ownership: everything here belongs to the worker thread (struct
 * webrtc_worker hangs off struct worker).  The control thread adds, restarts
 * and removes peers through worker commands; peers the worker drops on its
 * own (consent expired, DTLS failed) are reported back with
 * relay_gone_push() (relay.h) so the control thread's registry follows. */
#ifndef RELAY_WEBRTC_H
#define RELAY_WEBRTC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "relay/ice.h"
#include "relay/stream.h"

struct worker;
struct relay_pkt;

enum webrtc_role { WEBRTC_PUBLISHER = 1, WEBRTC_VIEWER = 2 };

/* Filled by the control thread for command_webrtc_add (command.h). */
struct webrtc_spec {
	char id[STREAM_ID_MAX];
	enum webrtc_role role;
	char ufrag[ICE_UFRAG_MAX + 1], pwd[ICE_PWD_MAX + 1];
	char fingerprint[200];              /* the browser's, "sha-256 AB:.." */
	uint8_t pt[STREAM_MAX_TRACKS];      /* per stream track: the peer's payload type, 0xff: none */
	uint8_t twcc_ext;                   /* publisher: transport-cc extmap id, 0: no feedback */
	uint8_t nack;                       /* publisher: bit t set when it negotiated nack for track t */
	uint8_t rtx_pt[STREAM_MAX_TRACKS];  /* publisher: its RFC 4588 rtx payload type per stream
	                                     * track (apt = pt[t]), 0xff: none */
	uint64_t remb_bps;                  /* publisher: the REMB cap, 0: no REMB (goog-remb not answered) */
	struct viewer_spec viewer;          /* viewers: the vgroup entry (webrtc set, no key) */
};

/* One line of webrtc.list, filled by command_webrtc_list. */
struct webrtc_info {
	char id[STREAM_ID_MAX];
	enum webrtc_role role;
	unsigned worker;
	const char *state;                  /* "new", "handshake", "connected", "failed", "closed" */
	char addr[64];                      /* latched address, "" before the first valid check */
	const char *profile;                /* SRTP profile once connected, else NULL */
	bool viewer_counts;                 /* viewer: the counts below are its own */
	uint64_t retransmits, rtx_sent;     /* viewer: re-sent from the cache, repairs sent as RTX */
};

struct webrtc_counters {
	uint64_t peers;                     /* now on this worker */
	uint64_t stun_ok, stun_rejected;    /* valid checks answered; 4xx answered */
	uint64_t dtls_ok, dtls_failed;      /* handshakes completed; failed or timed out */
	uint64_t dtls_deferred;             /* handshake datagrams put off by the budget */
	uint64_t consent_expired;           /* peers removed for lack of consent (RFC 7675) */
	uint64_t srtp_fail, replayed;       /* from latched WebRTC peers */
};

/* Per worker: 0 or -ENOMEM. */
int webrtc_worker_init(struct worker *w);
/* Frees every peer (no close_notify: see webrtc_worker_close). */
void webrtc_worker_free(struct worker *w);
/* Stopping: close_notify to every connected peer, queued on the loop. */
void webrtc_worker_close(struct worker *w);

/* Worker commands.  add: 0, -EEXIST (id or ufrag taken), -ENOSPC (table
 * full or too many handshakes in progress: "saturated"), -EINVAL, -ENOMEM.
 * For a viewer the vgroup of the slot must exist (the caller made it). */
int webrtc_peer_add(struct worker *w, unsigned slot, uint32_t gen, const struct webrtc_spec *spec);
/* 0 or -ENOENT.  *viewer_left is set when a viewer left its vgroup. */
int webrtc_peer_remove(struct worker *w, unsigned slot, uint32_t gen, const char *id);
/* New ICE credentials, DTLS and SRTP state kept.  0, -ENOENT, -EEXIST, -EINVAL. */
int webrtc_peer_restart(struct worker *w, unsigned slot, uint32_t gen, const char *id,
                        const char *ufrag, const char *pwd);
/* Every peer of the slot goes (stream deleted), without gone reports. */
void webrtc_drop_slot(struct worker *w, unsigned slot, enum webrtc_role role);
/* Up to cap peers of the slot into out; returns how many. */
unsigned webrtc_list(struct worker *w, unsigned slot, uint32_t gen, struct webrtc_info *out, unsigned cap);
void webrtc_counters_get(const struct worker *w, struct webrtc_counters *out);

/* What webrtc_datagram() leaves to its caller (ingress.c). */
enum webrtc_verdict {
	WEBRTC_IN_NOT_MINE,       /* not the WebRTC transport's: the SDES path's */
	WEBRTC_IN_DONE,           /* handled (or dropped) and counted */
	WEBRTC_IN_PUBLISHER,      /* a publisher's packet: in->pkt for in->s to ingest */
	WEBRTC_IN_PUBLISHER_CC,   /* a publisher's packet with no media for the viewers (RTX padding:
	                           * Chromium's probes; an unknown payload type), counted: only its
	                           * transport-wide arrival is for in->s (in->pkt, in->plain) */
	WEBRTC_IN_VIEWER_RTCP,    /* viewer in->v of in->g sent it: its feedback, still protected */
	WEBRTC_IN_VIEWER_READY,   /* a viewer of in->g just connected: ask for a keyframe */
};
struct webrtc_in {
	struct stream *s;        /* WEBRTC_IN_PUBLISHER: the stream, owned here */
	struct relay_pkt *pkt;   /* WEBRTC_IN_PUBLISHER: the plaintext (one reference, the caller's) */
	unsigned plain;          /* WEBRTC_IN_PUBLISHER: its length */
	bool rtx;                /* WEBRTC_IN_PUBLISHER: restored from an RTX packet (RFC 4588) */
	int rtcp;                /* WEBRTC_IN_PUBLISHER, WEBRTC_IN_VIEWER_RTCP: RTCP (RFC 5761) */
	struct vgroup *g;        /* WEBRTC_IN_VIEWER_RTCP, WEBRTC_IN_VIEWER_READY */
	struct viewer *v;        /* WEBRTC_IN_VIEWER_RTCP */
};
/* Packet path: the WebRTC transport's part of a datagram; only the fields
 * its verdict names are set in *in. */
enum webrtc_verdict webrtc_datagram(struct worker *w, const struct sockaddr *src, const uint8_t *data,
                                    unsigned len, struct webrtc_in *in);
/* Owner worker: sends a PLI for media_ssrc (the publisher's own) to the
 * stream's connected WebRTC publisher.  0, or -ENOENT when it has none. */
int webrtc_publisher_pli(struct worker *w, unsigned slot, uint32_t relay_ssrc, uint32_t media_ssrc);
/* Owner worker: protects the plaintext compound RTCP in buf (len bytes,
 * cap for the tag) and sends it to the stream's connected WebRTC publisher.
 * 0, -ENOENT when it has none, -EINVAL when it cannot be protected. */
int webrtc_publisher_rtcp(struct worker *w, unsigned slot, uint8_t *buf, size_t len, size_t cap);
/* Every worker tick: consent expiry, DTLS retransmission and timeouts, and
 * a fresh handshake budget. */
void webrtc_tick(struct worker *w, int64_t now_ns);

#endif
