/* whip_offer: see whip_offer.h. */
#include "control/whip_offer.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* The dry run's stand-ins for what the relay will say: only their syntax
 * matters to the builder. */
static const struct whip_relay_peer stand_in = {
	.host = "127.0.0.1", .port = 9, .ssrc_audio = 1, .ssrc_video = 2, .ssrc_video_rtx = 3,
	.fingerprint = "sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
	               "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00",
};

static int build(const struct whip_offer *o, const char *ufrag, const char *pwd,
                 const struct whip_relay_peer *rp, const char *stream_id, char *out, size_t cap,
                 struct sdp_choice *choices, char *err, size_t err_len)
{
	struct sdp_candidate cand = { rp->host, rp->port };
	struct sdp_answer_params p = {
		.role = o->role, .codec = o->codec, .ice_ufrag = ufrag, .ice_pwd = pwd,
		.fingerprint = rp->fingerprint, .candidates = &cand, .n_candidates = 1,
		.audio_track = { rp->ssrc_audio, "amphi-audio", 0 },   /* audio: no RTX */
		.video_track = { rp->ssrc_video, "amphi-video", rp->ssrc_video_rtx },
		.cname = "amphi", .stream_id = stream_id, .max_video_bitrate = o->max_video_bitrate,
	};

	randombytes_buf(&p.session_id, sizeof p.session_id);
	return sdp_answer_build(o->sdp, &p, out, cap, choices, err, err_len);
}

int whip_offer_check(const char *body, size_t len, enum sdp_role role, enum sdp_video codec,
                     const char *ufrag, const char *pwd, struct whip_offer *o,
                     const char **error, char *reason, size_t reason_len)
{
	char answer[8192];
	int n, found = 0;
	unsigned k = 0;

	memset(o, 0, sizeof *o);
	o->role = role;
	o->codec = codec;
	if (!body || !len) {
		*error = "malformed_offer";
		snprintf(reason, reason_len, "empty body: expected an SDP offer");
		return 400;
	}
	if (!(o->sdp = sdp_offer_parse(body, len, reason, reason_len))) {
		*error = "malformed_offer";
		return 400;
	}
	n = build(o, ufrag, pwd, &stand_in, "dry-run", answer, sizeof answer, o->choices, reason, reason_len);
	if (n < 0) {
		*error = n == -EPROTO ? "unusable_offer" : n == -ENOTSUP ? "no_common_codec" : "internal";
		sdp_offer_free(o->sdp);
		o->sdp = NULL;
		return n == -EPROTO || n == -ENOTSUP ? 422 : 500;
	}
	for (unsigned i = 0; i < o->sdp->n_media; i++) {
		if (!o->choices[i].accepted)
			continue;
		if (!found++)
			o->first = i;
		if (k < WHIP_MAX_MIDS)
			snprintf(o->mids[k++], sizeof o->mids[0], "%s", o->sdp->media[i].mid);
	}
	return 0;
}

void whip_offer_free(struct whip_offer *o)
{
	sdp_offer_free(o->sdp);
	o->sdp = NULL;
}

json_t *whip_offer_relay_args(const struct whip_offer *o, const char *ufrag, const char *pwd)
{
	json_t *tracks = json_array(), *extmap = json_object(), *args;
	bool remb = false;

	for (unsigned i = 0; i < o->sdp->n_media; i++) {
		const struct sdp_choice *c = &o->choices[i];
		if (!c->accepted)
			continue;
		json_t *t = json_pack("{s:s,s:i,s:s}", "kind", c->kind == SDP_KIND_AUDIO ? "audio" : "video",
		                      "pt", c->pt, "mid", o->sdp->media[i].mid);
		/* A publisher's losses are asked for (upstream NACK) when it
		 * offered nack; its repairs may come on their own payload type,
		 * and a viewer's go on its own when it offered rtx. */
		if (t && o->role == SDP_ROLE_WHIP && (c->fb & SDP_FB_NACK))
			json_object_set_new(t, "nack", json_true());
		if (t && c->rtx)
			json_object_set_new(t, "rtx_pt", json_integer(c->rtx_pt));
		json_array_append_new(tracks, t);
		/* BUNDLE: one id per extension across sections (RFC 8285 §6);
		 * the first served section's is the session's. */
		if (c->mid_ext && !json_object_get(extmap, "mid"))
			json_object_set_new(extmap, "mid", json_integer(c->mid_ext));
		if (c->twcc_ext && !json_object_get(extmap, "transport-cc"))
			json_object_set_new(extmap, "transport-cc", json_integer(c->twcc_ext));
		if (c->abs_send_time_ext && !json_object_get(extmap, "abs-send-time"))
			json_object_set_new(extmap, "abs-send-time", json_integer(c->abs_send_time_ext));
		remb |= c->kind == SDP_KIND_VIDEO && (c->fb & SDP_FB_GOOG_REMB);
	}
	args = json_pack("{s:s,s:{s:s,s:s},s:s,s:o,s:o}",
	                 "role", o->role == SDP_ROLE_WHIP ? "publisher" : "viewer",
	                 "ice", "ufrag", ufrag, "pwd", pwd,
	                 "fingerprint", o->sdp->media[o->first].fingerprint,
	                 "tracks", tracks, "extmap", extmap);
	/* The cap goes to the publisher in REMB too, when it reads REMB. */
	if (args && o->role == SDP_ROLE_WHIP && remb && o->max_video_bitrate) {
		json_object_set_new(args, "remb", json_true());
		json_object_set_new(args, "max_bitrate", json_integer(o->max_video_bitrate));
	}
	return args;
}

int whip_relay_reply_parse(json_t *resp, struct whip_relay_peer *rp)
{
	const char *host = json_string_value(json_object_get(resp, "host"));
	const char *fp = json_string_value(json_object_get(resp, "fingerprint"));
	json_t *port = json_object_get(resp, "port"), *ssrcs = json_object_get(resp, "ssrcs");
	json_t *a = json_object_get(ssrcs, "audio"), *v = json_object_get(ssrcs, "video");
	json_t *rtx = json_object_get(json_object_get(resp, "rtx_ssrcs"), "video");

	if (!host || !*host || strlen(host) >= sizeof rp->host || !fp || strlen(fp) >= sizeof rp->fingerprint ||
	    !json_is_integer(port) || json_integer_value(port) <= 0 || json_integer_value(port) > 65535 ||
	    (a && (!json_is_integer(a) || json_integer_value(a) <= 0 || json_integer_value(a) > 0xFFFFFFFFLL)) ||
	    (v && (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > 0xFFFFFFFFLL)) ||
	    (rtx && (!json_is_integer(rtx) || json_integer_value(rtx) <= 0 || json_integer_value(rtx) > 0xFFFFFFFFLL)))
		return -EPROTO;
	snprintf(rp->host, sizeof rp->host, "%s", host);
	snprintf(rp->fingerprint, sizeof rp->fingerprint, "%s", fp);
	rp->port = (uint16_t)json_integer_value(port);
	rp->ssrc_audio = (uint32_t)json_integer_value(a);
	rp->ssrc_video = (uint32_t)json_integer_value(v);
	rp->ssrc_video_rtx = (uint32_t)json_integer_value(rtx);
	return 0;
}

int whip_offer_answer(const struct whip_offer *o, const char *ufrag, const char *pwd,
                      const struct whip_relay_peer *rp, const char *stream_id,
                      char *out, size_t cap, char *err, size_t err_len)
{
	return build(o, ufrag, pwd, rp, stream_id, out, cap, NULL, err, err_len);
}
