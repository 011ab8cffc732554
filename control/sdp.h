/* sdp: a browser's WebRTC offer (RFC 8866 syntax, JSEP RFC 8829 usage) in,
 * the relay's answer out, for WHIP (RFC 9725: the relay receives, answer
 * recvonly) and WHEP (the relay sends, answer sendonly).
 *
 * The parser keeps what an answer and the relay need (per m-section: kind,
 * mid, direction, ICE credentials, fingerprint, setup, payload types with
 * rtpmap/fmtp/rtcp-fb, extmaps, SSRCs, msid) and skips the rest cleanly
 * (candidates, rid/simulcast lines, unknown attributes).  The builder
 * answers as an ICE-lite, DTLS-passive, BUNDLE + rtcp-mux endpoint with one
 * video codec (the webinar's VP8 or H.264, payload type taken from the
 * offer) and Opus, and rejects (port 0) any m-section it cannot serve.
 *
 * Ownership: sdp_offer_parse() returns a heap object the caller frees with
 * sdp_offer_free(); strings in it are copies.  Nothing here keeps state or
 * touches the network; control/ calls it while handling POST /whip and
 * /whep, and hands the relay what it needs from the parsed offer. */
#ifndef AMPHI_CONTROL_SDP_H
#define AMPHI_CONTROL_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_SIZE (64 * 1024)  /* larger offers are refused (Chromium's are ~6 kB) */
#define SDP_MAX_MEDIA 16
#define SDP_MAX_CODECS 64         /* payload types kept per m-section; extras ignored */
#define SDP_MAX_EXTMAPS 16
#define SDP_MAX_SSRCS 8
#define SDP_MAX_CANDIDATES 8      /* answer: host candidates */

enum sdp_kind { SDP_KIND_OTHER, SDP_KIND_AUDIO, SDP_KIND_VIDEO, SDP_KIND_APPLICATION };
enum sdp_dir { SDP_DIR_SENDRECV, SDP_DIR_SENDONLY, SDP_DIR_RECVONLY, SDP_DIR_INACTIVE };
enum sdp_setup { SDP_SETUP_NONE, SDP_SETUP_ACTPASS, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE };

/* rtcp-fb values a codec may carry (RFC 4585, RFC 5104, drafts used by browsers). */
enum {
	SDP_FB_NACK = 1 << 0,          /* nack */
	SDP_FB_NACK_PLI = 1 << 1,      /* nack pli */
	SDP_FB_CCM_FIR = 1 << 2,       /* ccm fir */
	SDP_FB_TRANSPORT_CC = 1 << 3,  /* transport-cc */
	SDP_FB_GOOG_REMB = 1 << 4,     /* goog-remb */
};

struct sdp_codec {
	uint8_t pt;                /* payload type, 0..127 */
	char name[16];             /* encoding name as offered ("VP8", "H264", "opus") */
	uint32_t clock;            /* clock rate */
	uint8_t channels;          /* audio channels, 0 when not given */
	char fmtp[160];            /* a=fmtp parameters, "" when none */
	unsigned fb;               /* SDP_FB_* offered for this payload type */
};

struct sdp_extmap {
	uint8_t id;                /* 1..255 */
	char uri[128];
};

struct sdp_ssrc {
	uint32_t ssrc;
	char cname[64];            /* a=ssrc:N cname:..., "" when absent */
};

struct sdp_media {
	enum sdp_kind kind;
	char kind_name[16];        /* as written on the m= line ("audio", "video", ...) */
	uint16_t port;             /* 0 = the offerer rejected / stopped this section, */
	bool bundle_only;          /* ... unless a=bundle-only: bundled, on the first's transport (RFC 8843 §6) */
	char proto[32];            /* "UDP/TLS/RTP/SAVPF" for WebRTC */
	char mid[33];              /* a=mid (RFC 5888 token), "" when absent */
	enum sdp_dir dir;
	bool rtcp_mux, rtcp_rsize;
	bool simulcast;            /* a=simulcast / a=rid seen (not served yet, see docs/webrtc.md) */
	char ice_ufrag[257], ice_pwd[257];  /* media level, else the session's */
	char fingerprint[200];     /* "sha-256 AB:..", media level, else the session's */
	enum sdp_setup setup;      /* media level, else the session's */
	uint8_t fmt[SDP_MAX_CODECS];  /* payload types in m= line order */
	unsigned n_fmt;
	struct sdp_codec codecs[SDP_MAX_CODECS];  /* one per a=rtpmap, in order */
	unsigned n_codecs;
	struct sdp_extmap extmaps[SDP_MAX_EXTMAPS];
	unsigned n_extmaps;
	struct sdp_ssrc ssrcs[SDP_MAX_SSRCS];
	unsigned n_ssrcs;
	char msid[160];            /* a=msid value ("stream track"), "" when absent */
	unsigned n_candidates;     /* a=candidate lines seen (ICE-lite does not use them) */
};

struct sdp_offer {
	char bundle[SDP_MAX_MEDIA][33];  /* a=group:BUNDLE mids, in order */
	unsigned n_bundle;
	bool ice_lite;             /* the offerer is ICE-lite (two lite agents cannot connect) */
	struct sdp_media media[SDP_MAX_MEDIA];
	unsigned n_media;
};

/* Parses an offer (CRLF or LF line ends).  NULL on a syntax error, with a
 * one-line reason in err ("line 12: bad a=rtpmap"); the caller answers 400. */
struct sdp_offer *sdp_offer_parse(const char *text, size_t len, char *err, size_t err_len);
void sdp_offer_free(struct sdp_offer *o);

/* The codec of media m with encoding name (case-insensitive) and clock, the
 * first offered; NULL when none. */
const struct sdp_codec *sdp_media_codec(const struct sdp_media *m, const char *name, uint32_t clock);
/* The id of the extmap with this URI, 0 when not offered. */
unsigned sdp_media_extmap(const struct sdp_media *m, const char *uri);

#define SDP_EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define SDP_EXT_TWCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define SDP_EXT_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

enum sdp_role {
	SDP_ROLE_WHIP,             /* the browser publishes; the relay receives: answer recvonly */
	SDP_ROLE_WHEP,             /* the browser views; the relay sends: answer sendonly */
};
enum sdp_video { SDP_VIDEO_VP8, SDP_VIDEO_H264 };

struct sdp_candidate {
	const char *address;       /* IPv4 or IPv6 literal the relay announces */
	uint16_t port;             /* a worker's UDP port */
};

/* One track the relay sends (WHEP), announced with a=ssrc so that clients
 * which filter by SSRC (libdatachannel) accept it. */
struct sdp_track {
	uint32_t ssrc;
	const char *track_id;      /* msid track id */
	uint32_t rtx_ssrc;         /* the relay's RFC 4588 stream for this viewer (a=ssrc-group:FID);
	                            * 0: rtx is not answered, repairs come on ssrc */
};

struct sdp_answer_params {
	enum sdp_role role;
	enum sdp_video codec;      /* the webinar's video codec */
	const char *ice_ufrag;     /* the relay's credentials for this peer (ice-chars) */
	const char *ice_pwd;
	const char *fingerprint;   /* dtls_ctx_fingerprint(): "sha-256 AB:.." */
	const struct sdp_candidate *candidates;
	unsigned n_candidates;     /* 1..SDP_MAX_CANDIDATES */
	uint64_t session_id;       /* o= line; random per session */
	/* WHEP only: the tracks sent, their RTCP CNAME and msid stream id. */
	struct sdp_track audio_track, video_track;
	const char *cname;
	const char *stream_id;
	/* WHIP only: the cap of the publisher's video in bit/s, written on the
	 * video m-section as b=TIAS (RFC 3890) and b=AS (kbit/s); 0: none. */
	uint32_t max_video_bitrate;
};

/* What the answer chose, for the relay: per answered m-section of the offer
 * (same index), whether it is served and with which payload types and
 * header-extension ids. */
struct sdp_choice {
	bool accepted;
	enum sdp_kind kind;
	uint8_t pt;                /* the negotiated payload type */
	unsigned fb;               /* SDP_FB_* answered */
	uint8_t mid_ext;           /* sdes:mid extmap id, 0 when not offered (then not answered) */
	uint8_t twcc_ext;          /* transport-wide-cc extmap id, 0 when not answered */
	uint8_t abs_send_time_ext; /* abs-send-time extmap id, 0 when not answered */
	bool rtx;                  /* video with nack: the offer's RFC 4588 rtx for pt is answered
	                            * (WHEP: only with the video track's rtx_ssrc) */
	uint8_t rtx_pt;            /* its payload type (a=fmtp:<rtx_pt> apt=<pt>) */
};

/* Writes the answer to offer into out (NUL-terminated, CRLF lines) and what
 * it chose into choices[offer->n_media] (may be NULL).  Returns its length,
 * or a negative errno with a reason for the 4xx response in err:
 *   -EPROTO   the offer cannot be answered: no BUNDLE group, no ICE
 *             credentials, no fingerprint, setup:passive, no rtcp-mux,
 *             ICE-lite offerer, nothing to receive (WHIP) or to send (WHEP),
 *             a WHIP offer naming one payload type for audio and video
 * The sdes:mid extension is answered when offered; without it the relay
 * tells a publisher's tracks apart by payload type and viewers theirs by
 * the answer's a=ssrc (RFC 8843 §9.2).
 *   -ENOTSUP  no common codec (the webinar's video codec, Opus)
 *   -EINVAL   bad parameters   -ENOSPC  out too small (8 kB is plenty) */
int sdp_answer_build(const struct sdp_offer *offer, const struct sdp_answer_params *p,
                     char *out, size_t cap, struct sdp_choice *choices,
                     char *err, size_t err_len);

/* --- trickle ICE and ICE restart (RFC 8840 sdpfrag, WHIP/WHEP PATCH) ------
 * amphi is ICE-lite: the browser's trickled candidates are checked for
 * syntax and counted, never used (the browser's checks find the relay).  A
 * fragment whose ice-ufrag/ice-pwd differ from the session's is an ICE
 * restart (RFC 9725 §4.3.2): the relay makes new credentials for the peer
 * and answers 200 with sdp_frag_answer_build(); otherwise 204. */
struct sdp_frag {
	char ice_ufrag[257], ice_pwd[257];  /* "" when the fragment has none */
	char mid[33];              /* the first a=mid, "" when none */
	unsigned n_candidates;     /* well-formed a=candidate lines */
	bool end_of_candidates;
};

/* Parses an application/trickle-ice-sdpfrag body (CRLF or LF).  0, or
 * -EBADMSG with the line and reason in err (answer 400). */
int sdp_frag_parse(const char *text, size_t len, struct sdp_frag *out, char *err, size_t err_len);

/* True when f carries credentials and they differ from the session's
 * remote ones (the browser restarts ICE). */
bool sdp_frag_is_restart(const struct sdp_frag *f, const char *remote_ufrag, const char *remote_pwd);

/* The 200 body after an ICE restart: a=ice-lite, the relay's new ice-ufrag/ice-pwd,
 * its host candidates and a=end-of-candidates, under a=mid:mid (RFC 9725
 * §4.3.2).  Uses ice_ufrag, ice_pwd and candidates of p.  Returns the
 * length or -EINVAL / -ENOSPC. */
int sdp_frag_answer_build(const struct sdp_answer_params *p, const char *mid,
                          char *out, size_t cap, char *err, size_t err_len);

#endif
