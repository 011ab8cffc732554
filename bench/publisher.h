/* publisher: amphi-bench's synthetic speaker.  Sends one video-like SRTP
 * stream (VP8 payload type, 90 kHz timestamps, 30 frames per second, the
 * marker on each frame's last packet) at a set bitrate, every packet exactly
 * packet_size bytes on the wire, the send time (CLOCK_MONOTONIC) and a packet
 * number at the start of each payload (viewers.h VIEWERS_STAMP_LEN). */
#ifndef AMPHI_BENCH_PUBLISHER_H
#define AMPHI_BENCH_PUBLISHER_H

#include <stddef.h>
#include <stdint.h>

struct publisher_cfg {
	const char *host;       /* the relay's ingest address */
	uint16_t port;
	int gcm;
	const uint8_t *key;     /* keys_len(gcm) bytes */
	size_t packet_size;     /* on the wire, SRTP tag included */
	uint64_t bitrate;       /* bit/s on the wire */
	double seconds;
	uint8_t pt;
};

/* Blocks for cfg->seconds; *sent = packets sent.  0 or -errno. */
int publisher_run(const struct publisher_cfg *cfg, uint64_t *sent);

#endif
