/* whip_offer: the pure half of WHIP/WHEP (control/whip.c does the HTTP and
 * the relay calls): from a browser's offer to the webrtc.add request, and
 * from the relay's reply to the answer.  No I/O, no state; fuzzed by
 * tests/fuzz/control_whip_offer.c.
 *
 *   whip_offer_check()       parse + a dry run of the answer: every reason
 *                            to refuse an offer shows before the relay holds
 *                            anything (nothing half-created)
 *   whip_offer_relay_args()  {role, ice, fingerprint, tracks, extmap, and
 *                            remb + max_bitrate when goog-remb was kept} for
 *                            webrtc.add (docs/relay-control.md)
 *   whip_relay_reply_parse() the relay's {host, port, fingerprint, ssrcs}
 *   whip_offer_answer()      the answer with the relay's values
 *
 * Ownership: a struct whip_offer holds the parsed offer; whip_offer_free()
 * releases it (the struct itself is the caller's). */
#ifndef AMPHI_CONTROL_WHIP_OFFER_H
#define AMPHI_CONTROL_WHIP_OFFER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/sdp.h"

#define WHIP_MAX_MIDS 2            /* one audio and one video section are served */

struct whip_offer {
	struct sdp_offer *sdp;             /* owned */
	enum sdp_role role;
	enum sdp_video codec;
	struct sdp_choice choices[SDP_MAX_MEDIA];   /* what the answer serves, per m-section */
	unsigned first;                    /* the first served m-section (its ICE and fingerprint) */
	char mids[WHIP_MAX_MIDS][33];      /* the served mids, "" when fewer */
	uint32_t max_video_bitrate;        /* WHIP: the webinar's cap (bit/s), set by the caller after
	                                    * the check: the answer's b=TIAS/b=AS, REMB's value */
};

/* What webrtc.add answered. */
struct whip_relay_peer {
	char host[64];                     /* the worker's address: the answer's host candidate */
	uint16_t port;
	char fingerprint[200];             /* the relay's certificate, "sha-256 AB:…" */
	uint32_t ssrc_audio, ssrc_video;   /* what the relay sends every viewer; 0 when not given
	                                    * (a WHEP answer then fails to build) */
	uint32_t ssrc_video_rtx;           /* a WHEP viewer's RFC 4588 stream (the relay's
	                                    * rtx_ssrcs), 0: rtx is not answered */
};

/* Parses body and dry-runs the answer with the relay's ICE credentials
 * ufrag/pwd (ice-chars, 4+ and 22+ characters).  0 with *o filled, or the
 * HTTP status to answer (400 syntax, 422 an offer WebRTC here cannot
 * serve) with *error the API's error code ("malformed_offer",
 * "unusable_offer", "no_common_codec") and the sdp module's reason in
 * reason; 500 for bad local parameters.  *o needs whip_offer_free() only
 * after 0. */
int whip_offer_check(const char *body, size_t len, enum sdp_role role, enum sdp_video codec,
                     const char *ufrag, const char *pwd, struct whip_offer *o,
                     const char **error, char *reason, size_t reason_len);
void whip_offer_free(struct whip_offer *o);

/* The fields of webrtc.add besides stream and id (a new object). */
json_t *whip_offer_relay_args(const struct whip_offer *o, const char *ufrag, const char *pwd);

/* 0, or -EPROTO when host, port or fingerprint is missing or a field is
 * out of range. */
int whip_relay_reply_parse(json_t *resp, struct whip_relay_peer *rp);

/* Writes the answer into out.  Its length, or a negative errno with err
 * (the relay's values do not make an answer: a bad fingerprint or host). */
int whip_offer_answer(const struct whip_offer *o, const char *ufrag, const char *pwd,
                      const struct whip_relay_peer *rp, const char *stream_id,
                      char *out, size_t cap, char *err, size_t err_len);

#endif
