/* Fuzz target: the SDES viewer's request body (POST /api/webinars/{id}/viewers/srtp),
 * decoded as amphi-control decodes it, read by sdes_target_parse and, when
 * accepted, written into a receiver SDP.  An accepted target always has a
 * port and a numeric address, and its SDP always fits and ends a line. */
#include "control/sdes_sdp.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sdes_track tracks[2] = {
		{ false, "opus", 111, 1, 48000, 2 },
		{ true, "H264", 102, 2, 90000, 0 },
	};
	json_error_t e;
	json_t *body = json_loadb((const char *)data, size, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &e);
	json_t *errors = json_array();
	struct sdes_target t;
	char sdp[2048];

	if (body) {
		if (sdes_target_parse(body, "127.0.0.1", &t, errors) == 0) {
			int n = sdes_sdp_write(&t, tracks, 2, "AES_CM_128_HMAC_SHA1_80",
			                       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd", "webinar-1", sdp, sizeof sdp);
			if ((!t.audio_port && !t.video_port) || !t.address[0] || n <= 0 || sdp[n - 1] != '\n' ||
			    json_array_size(errors) != 0)
				__builtin_trap();
		} else if (json_array_size(errors) == 0) {
			__builtin_trap();
		}
		json_decref(body);
	}
	json_decref(errors);
	return 0;
}
