/* stream: a publisher's stream as its owner worker sees it, and the viewers
 * of a stream as each worker that serves some of them sees them.
 *
 * Ownership: a struct stream belongs to exactly one worker (its owner), which
 * receives, authenticates and decrypts the publisher's packets, records them
 * and hands them to the subscribed workers.  A struct vgroup (the viewers of
 * one stream on one worker) belongs to that worker only.  The control thread
 * creates and destroys both through worker commands, never directly.
 *
 * Specs (stream_spec, viewer_spec) are filled by the control thread and read
 * by the worker during the command; the worker copies what it keeps and the
 * control thread wipes the keys afterwards. */
#ifndef RELAY_STREAM_H
#define RELAY_STREAM_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "relay/rxstats.h"
#include "relay/srtp.h"

#define STREAM_ID_MAX      64
#define STREAM_MAX_TRACKS  8
#define STREAM_MAX_SOURCES 8    /* latched publisher addresses (ffmpeg: 2 RTP + 2 RTCP) */
#define STREAM_KEY_MAX     32
#define STREAM_BATCH_MAX   32   /* packets of one stream gathered per loop turn */

enum track_kind { TRACK_AUDIO = 1, TRACK_VIDEO = 2 };   /* = journal_kind */

struct stream_track {
	uint8_t kind;          /* enum track_kind */
	uint8_t pt;            /* publisher's RTP payload type */
	uint8_t channels;      /* audio channels, 0 for video */
	uint32_t clock_rate;   /* RTP clock, Hz */
	char codec[16];        /* "opus", "VP8", "H264", "VP9" */
};

struct stream_spec {
	char id[STREAM_ID_MAX], webinar[STREAM_ID_MAX], org[STREAM_ID_MAX];
	int64_t webinar_date;            /* unix seconds, for the journal header */
	bool record;
	char recording[STREAM_ID_MAX];   /* journal / recording id when record is set */
	unsigned ntracks;
	struct stream_track tracks[STREAM_MAX_TRACKS];
	enum srtp_suite suite;
	uint8_t key[STREAM_KEY_MAX];     /* master key || master salt */
	uint32_t out_ssrc[STREAM_MAX_TRACKS]; /* the SSRC every viewer gets per track (ctl draws them) */
};

/* Per track: the viewers' view stays one continuous RTP stream when the
 * publisher restarts with a new SSRC, sequence and timestamp base.  The
 * first SSRC is kept for the stream's life; sequence numbers and timestamps
 * are shifted so they go on from where the viewers are. */
struct stream_map {
	bool started;
	uint32_t in_ssrc;      /* publisher SSRC now feeding the track */
	uint32_t out_ssrc;     /* SSRC the viewers see: the stream's own (stream_spec), or the
	                        * first publisher SSRC when none was chosen */
	uint16_t seq_off;      /* out = in + seq_off (mod 2^16) */
	uint32_t ts_off;       /* out = in + ts_off (mod 2^32) */
	uint16_t last_seq;     /* highest sequence number sent out */
	uint32_t last_ts;      /* its timestamp */
	int64_t last_ns;       /* its arrival, monotonic */
};

struct stream_source {
	struct sockaddr_in6 addr;   /* IPv4 addresses live here as sockaddr_in */
	int64_t last_ns;            /* monotonic time of the last authenticated packet */
};

struct stream_counters {
	uint64_t pkts_in, bytes_in;      /* authenticated RTP packets and their SRTP bytes */
	uint64_t rtcp_in;                /* authenticated RTCP packets */
	uint64_t srtp_fail;              /* from a latched source, failed authentication */
	uint64_t replayed;               /* replayed or too old for the replay window */
	uint64_t unknown_pt;             /* authenticated, but no track has that payload type */
	uint64_t handoff_drops;          /* an xcore ring to a viewer worker was full */
	uint64_t sr_forwarded;           /* sender reports handed to the viewers */
	uint64_t publisher_restarts;     /* a track's SSRC changed: the mapping moved on */
	uint64_t keyframe_requests;      /* PLI/FIR sent to the publisher */
	uint64_t keyframe_suppressed;    /* viewer requests folded into one already sent */
	uint64_t recorded;               /* packets appended to the journal */
	uint64_t record_drops;           /* packets not in the journal: no buffer free, or lost in a
	                                  * failed write (then also counted in recorded) */
	uint64_t record_write_errors;    /* journal writes that failed (a full disk: ENOSPC) */
	uint64_t cc_feedback;            /* transport-wide feedback packets sent to the publisher */
	uint64_t remb_sent;              /* REMB packets sent to the publisher */
	uint64_t nack_requested;         /* sequence numbers asked of the publisher (each try), */
	uint64_t nack_sent;              /* in that many NACK packets; */
	uint64_t nack_repaired;          /* packets that came after being asked for; */
	uint64_t nack_given_up;          /* packets no longer asked for (relay/nack.h), all four
	                                  * folded in here when the publisher goes (stream_nack_set) */
	uint64_t rtx_unused;             /* RTX packets of nothing missing (probes, late repairs): dropped */
};

struct record;
struct twcc;
struct nack;

struct stream {
	unsigned slot;
	uint32_t gen;
	char id[STREAM_ID_MAX];
	unsigned ntracks;
	struct stream_track tracks[STREAM_MAX_TRACKS];
	enum srtp_suite suite;
	struct srtp_rx *rx;                 /* owned: ingress context, all SSRCs */
	struct srtp_tx *fb_tx;              /* owned: SRTCP towards the publisher (PLI/FIR), same key */
	uint32_t relay_ssrc;                /* sender SSRC of the relay's own RTCP */
	uint32_t track_ssrc[STREAM_MAX_TRACKS]; /* publisher SSRC now feeding each track, from RTP */
	struct stream_map map[STREAM_MAX_TRACKS]; /* what viewers see of each track (stream_map_packet) */
	struct sockaddr_in6 rtcp_src;       /* where the publisher's RTCP comes from (PLI/FIR go there) */
	int64_t next_keyframe_ns;           /* monotonic: no PLI/FIR to the publisher before this */
	uint32_t keyframe_owed;             /* publisher SSRC whose video loss (not repaired) still
	                                     * waits for that guard to ask a keyframe, 0: none */
	uint64_t subscribers;               /* bit w: worker w has viewers of this stream */
	struct stream_source src[STREAM_MAX_SOURCES];
	unsigned nsrc;
	struct record *rec;                 /* owned: the journal, NULL when not recorded */
	void *webrtc_pub;                   /* its WebRTC publisher peer once connected (webrtc.c owns it) */
	/* Congestion feedback to the WebRTC publisher (feedback.c), set while
	 * one is added (stream_cc_set): */
	struct twcc *twcc;                  /* owned: arrivals, when it negotiated transport-cc */
	uint64_t remb_bps;                  /* REMB with this cap when it negotiated goog-remb, 0: none */
	int64_t next_cc_ns, next_remb_ns;   /* monotonic: next feedback, next REMB */
	int64_t next_rr_ns;                 /* monotonic: next RR with report blocks */
	struct rxstats rxs[STREAM_MAX_TRACKS]; /* per track: what was received, for those blocks */
	struct nack *nack;                  /* owned: gaps to ask the publisher for (relay/nack.h),
	                                     * NULL when it negotiated no nack or [rtcp] upstream_nack
	                                     * is off */
	struct stream_counters c;
};

/* Creates the stream (copies spec; the key only into the SRTP context).
 * 0, -EINVAL (bad key), -ENOMEM. */
int stream_create(const struct stream_spec *spec, unsigned slot, uint32_t gen, struct stream **out);
void stream_destroy(struct stream *s);
/* Rewrites the RTP header of pkt (plaintext, track known) to the viewers'
 * SSRC, sequence number and timestamp.  Returns true when the publisher's
 * SSRC for that track changed (a restart). */
bool stream_map_packet(struct stream *s, unsigned track, uint8_t *rtp, int64_t now_mono);
/* The track whose viewer-facing SSRC is ssrc, or -1. */
int stream_track_by_out_ssrc(const struct stream *s, uint32_t ssrc);
/* The track whose SSRC in ssrcs[n] (a stream's or a vgroup's track_ssrc) is
 * ssrc, or -1; SSRC 0 (no packet seen yet) matches nothing. */
static inline int stream_track_of(const uint32_t *ssrcs, unsigned n, uint32_t ssrc)
{
	for (unsigned i = 0; i < n; i++)
		if (ssrcs[i] == ssrc && ssrc)
			return (int)i;
	return -1;
}
/* Congestion feedback for a WebRTC publisher: transport-wide feedback with
 * extension id twcc_ext (0: none), REMB carrying remb_bps (0: none); both 0
 * when it goes.  0, -EINVAL, -ENOMEM (then nothing is sent). */
int stream_cc_set(struct stream *s, uint8_t twcc_ext, uint64_t remb_bps);
/* NACKs to the WebRTC publisher for the tracks in mask (bit i: track i),
 * asking for packets at most horizon behind the newest (0: NACK_MISS_MAX,
 * when viewers have no cache); mask 0: none (the publisher left).  0, -ENOMEM (then none are sent). */
int stream_nack_set(struct stream *s, unsigned mask, unsigned horizon);
/* The track whose payload type is pt, or -1. */
int stream_track_by_pt(const struct stream *s, uint8_t pt);
/* Remembers src as a publisher address (re-latching replaces the stalest
 * when all are taken).  Returns true when it was not known. */
bool stream_source_latch(struct stream *s, const struct sockaddr *src, int64_t now);
bool stream_source_known(const struct stream *s, const struct sockaddr *src);

/* --- viewers --- */
struct viewer_spec {
	char id[STREAM_ID_MAX];
	enum srtp_suite suite;
	uint8_t key[STREAM_KEY_MAX];
	struct sockaddr_in6 dst[2];       /* [0] audio, [1] video; family 0 = not set */
	bool rtcp_mux;                    /* RTCP to dst as well; otherwise to dst port + 1 */
	bool latch;                       /* no dst: learnt from the viewer's first SRTCP packet */
	uint8_t out_pt[STREAM_MAX_TRACKS];/* payload type per track as this viewer negotiated */
	unsigned ntracks;
	uint8_t kinds[STREAM_MAX_TRACKS]; /* the stream's track kinds */
	unsigned owner;                   /* the stream's owner worker (keyframe requests go there) */
	/* WebRTC viewers (relay/webrtc.c): no key and no address yet; both come
	 * with the DTLS handshake.  Their RTP header extensions are rewritten:
	 * only sdes:mid, under the id and with the mid the viewer negotiated. */
	bool webrtc;
	uint8_t kinds_on;                 /* bit 0 audio, bit 1 video: kinds the viewer negotiated */
	uint8_t mid_ext;                  /* sdes:mid extmap id, 0: none written */
	char mid[2][33];                  /* [0] audio, [1] video section's mid */
	/* RFC 4588 retransmissions, per kind ([0] audio, [1] video), when the
	 * viewer negotiated rtx: its rtx payload type and the SSRC the control
	 * thread drew; rtx_ssrc 0: repairs go on the media SSRC. */
	uint8_t rtx_pt[2];
	uint32_t rtx_ssrc[2];
};

struct viewer {
	char id[STREAM_ID_MAX];
	struct srtp_tx *tx;               /* owned: egress context */
	struct srtp_rx *rx;               /* owned: the viewer's own SRTCP (RR, NACK, PLI), same key */
	struct sockaddr_in6 dst[2];       /* [0] audio, [1] video */
	socklen_t dstlen[2];
	struct sockaddr_in6 rtcp_dst[2];  /* RTCP: dst, or dst port + 1 without rtcp-mux */
	uint8_t out_pt[STREAM_MAX_TRACKS];
	bool rtcp_mux;                    /* as in viewer_spec: decides what a latch sets */
	bool latch_pending;               /* latching viewer not heard from yet: dstlen 0, sent nothing */
	bool webrtc;                      /* see viewer_spec: tx/rx/dst set once DTLS completes */
	uint8_t kinds_on;
	uint8_t mid_ext;
	uint8_t mid_len[2];
	char mid[2][33];
	uint64_t pkts_out, bytes_out, drops;
	uint64_t nacks, retransmits;      /* sequence numbers asked for, and re-sent from the cache */
	/* Its RFC 4588 stream per kind (viewer_spec): touched only by a repair. */
	uint8_t rtx_pt[2];
	uint32_t rtx_ssrc[2];             /* 0: repairs go on the media SSRC */
	uint16_t rtx_seq[2];              /* the next RTX sequence number */
	uint64_t rtx_sent;                /* repairs sent as RTX packets */
};

struct vgroup {
	unsigned slot;
	uint32_t gen;
	unsigned owner;                   /* worker owning the stream */
	unsigned ntracks;
	uint8_t kinds[STREAM_MAX_TRACKS];
	unsigned n, cap;
	struct viewer **v;                /* owned */
	/* Retransmission cache: per track, the last cache_cap packets by
	 * sequence number (one reference each, shared with every other holder). */
	struct relay_pkt **cache;         /* [ntracks * cache_cap] */
	unsigned cache_cap;               /* power of two, 0: no cache */
	uint32_t track_ssrc[STREAM_MAX_TRACKS]; /* from the packets delivered */
	int64_t next_keyframe_ns;         /* this worker's own coalescing of PLI/FIR */
	int64_t warmup_ns;                /* next keyframe request of a warm-up (feedback.h), 0: none */
	unsigned warmup_step;             /* requests of the warm-up made so far */
	/* Media handed to this worker during the current loop turn, sent at its
	 * end so each viewer's burst goes out as GSO super-datagrams (fanout.c). */
	struct relay_pkt *batch[STREAM_BATCH_MAX];   /* one reference each */
	unsigned nbatch;
	bool dirty;                       /* listed in the worker's dirty list */
	uint64_t rtcp_in, srtp_fail;      /* viewers' RTCP received here, and failed auth */
	uint64_t nacks, retransmits, keyframe_requests, keyframe_suppressed;
	uint64_t rtx_sent;                /* repairs (retransmits, the publisher's late repairs) sent
	                                   * as RTX packets */
	uint64_t pkts_out, bytes_out;     /* SRTP packets queued to the kernel */
	uint64_t drops;                   /* no send slot, or protect failed */
	uint64_t send_errors;             /* the kernel refused the send */
};

/* cache_cap: packets per track kept for NACKs (rounded up to a power of two, 0: none). */
struct vgroup *vgroup_create(unsigned slot, uint32_t gen, unsigned ntracks, const uint8_t *kinds,
                             unsigned cache_cap);
void vgroup_destroy(struct vgroup *g);
/* 0, -EEXIST (id taken in this group), -EINVAL (bad key), -ENOMEM.  *out
 * (may be NULL) is the new viewer, owned by the group. */
int vgroup_viewer_add(struct vgroup *g, const struct viewer_spec *spec, struct viewer **out);
/* A WebRTC viewer's DTLS handshake completed: its keys (key||salt, copied)
 * and the address its checks latched.  0 or -errno from the SRTP layer. */
int viewer_webrtc_connect(struct viewer *v, enum srtp_suite suite, const uint8_t *server_key,
                          const uint8_t *client_key, const struct sockaddr *addr);
/* The latched address moved (ICE nomination): media and RTCP follow. */
void viewer_webrtc_move(struct viewer *v, const struct sockaddr *addr);
/* 0 or -ENOENT. */
int vgroup_viewer_remove(struct vgroup *g, const char *id);
/* A latching viewer's first authenticated packet came from src: with rtcp-mux
 * src becomes its media and RTCP address for every kind; without, src is its
 * RTCP address and media goes to the port below (RFC 3550 §11 pairs). */
void viewer_latch(struct viewer *v, const struct sockaddr *src);

#endif
