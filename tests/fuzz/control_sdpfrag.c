/* Fuzz target: trickle-ICE fragments (control/sdp.c sdp_frag_parse), the
 * body of every WHIP/WHEP PATCH.  Whatever parses is checked for an ICE
 * restart, and the restart answer built from it must parse back. */
#include "control/sdp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_frag f, back;
	char err[256], out[2048];
	static const struct sdp_candidate cand = { "192.0.2.7", 40000 };

	if (sdp_frag_parse((const char *)data, size, &f, err, sizeof err) != 0)
		return 0;
	if (!sdp_frag_is_restart(&f, "EsAw", "P2uYro0UCOQ4zxjKXaWCBui1"))
		return 0;
	struct sdp_answer_params p = {
		.ice_ufrag = "Nw9k", .ice_pwd = "x8Yd2+/qV0pGZ7sL1kQWcE3z",
		.candidates = &cand, .n_candidates = 1,
	};
	int n = sdp_frag_answer_build(&p, f.mid[0] ? f.mid : "0", out, sizeof out, err, sizeof err);
	if (n < 0 || sdp_frag_parse(out, (size_t)n, &back, err, sizeof err) != 0 ||
	    strcmp(back.ice_ufrag, "Nw9k") || back.n_candidates != 1)
		abort();
	return 0;
}
