/* libFuzzer: what control/whip_offer.c makes of outside bytes.  The first
 * byte picks the role and the codec; the rest is, in turn, an offer
 * (whip_offer_check, then the webrtc.add arguments and the answer with a
 * fixed relay reply when it is accepted) and a relay reply
 * (whip_relay_reply_parse on the bytes as JSON).  Nothing may crash, leak
 * or overflow, and an accepted offer must always make an answer. */
#include "control/whip_offer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct whip_relay_peer relay = {
		.host = "127.0.0.1", .port = 40000, .ssrc_audio = 11, .ssrc_video = 22,
		.fingerprint = "sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
		               "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
	};
	struct whip_offer o;
	struct whip_relay_peer rp;
	const char *error = NULL;
	char reason[256], answer[8192];
	json_t *j;

	if (size < 1)
		return 0;
	enum sdp_role role = data[0] & 1 ? SDP_ROLE_WHEP : SDP_ROLE_WHIP;
	enum sdp_video codec = data[0] & 2 ? SDP_VIDEO_H264 : SDP_VIDEO_VP8;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;

	if (whip_offer_check(body, len, role, codec, "Ufrg", "0123456789abcdefghijkl", &o, &error,
	                     reason, sizeof reason) == 0) {
		json_t *args = whip_offer_relay_args(&o, "Ufrg", "0123456789abcdefghijkl");
		if (!args || json_array_size(json_object_get(args, "tracks")) == 0)
			abort();
		json_decref(args);
		if (whip_offer_answer(&o, "Ufrg", "0123456789abcdefghijkl", &relay, "webinar-1", answer,
		                      sizeof answer, reason, sizeof reason) <= 0)
			abort();
		whip_offer_free(&o);
	} else if (!error) {
		abort();
	}
	if ((j = json_loadb(body, len, 0, NULL))) {
		whip_relay_reply_parse(j, &rp);
		json_decref(j);
	}
	return 0;
}
