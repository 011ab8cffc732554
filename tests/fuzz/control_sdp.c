/* Fuzz target: SDP offers (control/sdp.c), the body of every POST /whip and
 * /whep.  Whatever parses is answered in all four role/codec combinations,
 * and every answer built must parse back with one m-section per offered one. */
#include "control/sdp.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[16384];
	char err[256];
	struct sdp_offer *o = sdp_offer_parse((const char *)data, size, err, sizeof err);
	if (!o)
		return 0;
	static const struct sdp_candidate cand[] = { { "192.0.2.7", 40000 }, { "2001:db8::7", 40001 } };
	for (int role = 0; role < 2; role++)
		for (int codec = 0; codec < 2; codec++) {
			struct sdp_answer_params p = {
				.role = (enum sdp_role)role, .codec = (enum sdp_video)codec,
				.ice_ufrag = "fuzz", .ice_pwd = "0123456789abcdefghijkl",
				.fingerprint = "sha-256 00:11", .candidates = cand, .n_candidates = 2,
				.session_id = 1, .audio_track = { 1, "a", 0 }, .video_track = { 2, "v", 3 },
				.cname = "c", .stream_id = "s",
			};
			struct sdp_choice ch[SDP_MAX_MEDIA];
			int n = sdp_answer_build(o, &p, out, sizeof out, ch, err, sizeof err);
			if (n < 0)
				continue;
			struct sdp_offer *back = sdp_offer_parse(out, (size_t)n, err, sizeof err);
			if (!back || back->n_media != o->n_media)
				abort();
			sdp_offer_free(back);
		}
	sdp_offer_free(o);
	return 0;
}
