/* sdes_sdp: what an SDES viewer asks for and the receiver SDP it is given
 * (POST /api/webinars/{id}/viewers/srtp, docs/control-live.md).  Owns
 * nothing and does no I/O: the body read (fuzzed by
 * tests/fuzz/control_sdes_sdp.c) and the text written, for sdes_view.c.
 *
 * The body names where the viewer receives: {"address", "audio_port",
 * "video_port", "rtcp_mux"}.  A kind without a port is not sent.  Without
 * rtcp_mux each kind's RTCP goes to its port + 1 (RFC 3550 §11, what ffmpeg,
 * ffplay and GStreamer's udpsrc pairs expect); no two of the ports may meet.
 * Ports below 1024 are refused: a relay stream aimed at a system service
 * (DNS, NTP, syslog) is an amplifier, not a viewer.
 *
 * The SDP (RFC 4566, RFC 4568 a=crypto, RFC 3550 a=ssrc cname) is the one
 * ffmpeg/ffplay read with -protocol_whitelist file,udp,rtp,srtp: one m-line
 * per kind sent, RTP/SAVP, the stream's payload types, the relay's SSRCs,
 * H.264 as packetization-mode=1. */
#ifndef AMPHI_CONTROL_SDES_SDP_H
#define AMPHI_CONTROL_SDES_SDP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDES_PORT_MIN 1024

/* Where a viewer receives. */
struct sdes_target {
	char address[46];          /* numeric IPv4 or IPv6, as given (or the requester's) */
	bool ipv6;
	uint16_t audio_port, video_port;   /* 0: that kind is not sent */
	bool rtcp_mux;             /* RTCP on the media port instead of port + 1 */
};

/* Reads body into t.  default_address (the requester's own) is taken when
 * the body names none.  Every problem is appended to errors as
 * {"field", "error"}.  0, or -EINVAL when errors got one.  The address is
 * checked for syntax and kind (no unspecified, multicast or broadcast
 * address); whether the caller may aim at it is the caller's rule. */
int sdes_target_parse(json_t *body, const char *default_address, struct sdes_target *t, json_t *errors);

/* One track of the stream as a viewer receives it. */
struct sdes_track {
	bool video;
	const char *codec;         /* "opus", "VP8", "H264" (rtpmap encoding names) */
	int pt;                    /* payload type the relay sends */
	uint32_t ssrc;             /* the relay's SSRC for the track (0: not announced) */
	int clock_rate;
	int channels;              /* audio */
};

/* Writes the receiver SDP for the tracks t receives (a kind without a port is
 * left out).  suite and key_b64 (RFC 4568 inline key) go in every m-line's
 * a=crypto; name is the session's s= line.  Returns the length written, or
 * -ENOSPC / -EINVAL (no track to write). */
int sdes_sdp_write(const struct sdes_target *t, const struct sdes_track *tracks, unsigned ntracks,
                   const char *suite, const char *key_b64, const char *name, char *out, size_t len);

#endif
