/* Fuzzes the control commands' parse stage (relay/ctl.c, relay_ctl_check):
 * any bytes that make a JSON object, taken as a request, against a registry
 * holding a stream "s" (two tracks) with an SDES viewer "v", a WebRTC viewer
 * "w" and a WebRTC publisher "p" — the names a corpus entry can hit.  A
 * parse must answer NULL or an error object and leave the registry exactly
 * as it was (parsing changes nothing; only a run does). */
#include "relay/ctl.h"
#include "relay/registry.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct registry reg;
static struct reg_stream before_stream;
static struct reg_viewer before_viewers[2];
static struct registry before;

static void setup(void)
{
	struct reg_stream *rs;
	unsigned slot, owner;
	uint32_t gen;

	if (registry_init(&reg, 4, 100, 2) < 0 || registry_stream_place(&reg, &slot, &owner, &gen) < 0)
		abort();
	rs = registry_stream_add(&reg, slot, gen, "s", owner);
	rs->ntracks = 2;
	rs->tracks[0] = (struct stream_track){ .kind = TRACK_AUDIO, .pt = 111, .channels = 2,
	                                       .clock_rate = 48000, .codec = "opus" };
	rs->tracks[1] = (struct stream_track){ .kind = TRACK_VIDEO, .pt = 96, .clock_rate = 90000,
	                                       .codec = "VP8" };
	rs->has_pub = true;
	strcpy(rs->pub_id, "p");
	if (registry_viewer_reserve(rs) < 0)
		abort();
	registry_viewer_add(&reg, rs, "v", registry_viewer_place(&reg), false);
	registry_viewer_add(&reg, rs, "w", registry_viewer_place(&reg), true);
	/* memcpy, not assignment: padding bytes too, for the memcmp below */
	memcpy(&before, &reg, sizeof before);
	memcpy(&before_stream, rs, sizeof before_stream);
	memcpy(before_viewers, rs->viewers, sizeof before_viewers);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *req, *err;

	if (!reg.streams)
		setup();
	req = json_loadb((const char *)data, size, 0, NULL);
	if (!json_is_object(req)) {
		json_decref(req);
		return 0;
	}
	err = relay_ctl_check(&reg, req);
	if (err && (!json_is_false(json_object_get(err, "ok")) ||
	            !json_is_string(json_object_get(err, "error"))))
		abort();
	if (memcmp(&before, &reg, sizeof reg) || memcmp(&before_stream, &reg.streams[0], sizeof before_stream) ||
	    memcmp(before_viewers, reg.streams[0].viewers, sizeof before_viewers))
		abort();
	json_decref(err);
	json_decref(req);
	return 0;
}
