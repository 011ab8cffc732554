/* publisher: see publisher.h. */
#include "bench/publisher.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "bench/keys.h"
#include "bench/viewers.h"

enum { FPS = 30, TS_PER_FRAME = 90000 / FPS };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void wr64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

int publisher_run(const struct publisher_cfg *cfg, uint64_t *sent)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(cfg->port) };
	uint8_t pkt[2048] __attribute__((aligned(8)));
	size_t plain = cfg->packet_size - keys_tag_len(cfg->gcm);
	double per_frame = (double)cfg->bitrate / 8.0 / (double)cfg->packet_size / FPS, due = 0;
	uint64_t start, frames = (uint64_t)(cfg->seconds * FPS), n = 0;
	uint32_t ssrc, ts;
	uint16_t seq;
	srtp_t srtp;
	int fd, r = 0;

	*sent = 0;
	if (cfg->packet_size > sizeof pkt || plain < 12 + VIEWERS_STAMP_LEN)
		return -EINVAL;
	if (inet_pton(AF_INET, cfg->host, &sa.sin_addr) != 1)
		return -EINVAL;
	if (keys_session(&srtp, cfg->gcm, cfg->key, 1) < 0)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		r = -errno;
		goto out;
	}
	RAND_bytes((uint8_t *)&ssrc, sizeof ssrc);
	RAND_bytes((uint8_t *)&seq, sizeof seq);
	RAND_bytes((uint8_t *)&ts, sizeof ts);
	RAND_bytes(pkt, sizeof pkt);    /* payload bytes: random, like video */
	start = mono_ns();
	for (uint64_t f = 0; f < frames; f++) {
		struct timespec at;
		uint64_t when = start + f * (1000000000u / FPS);
		unsigned count;

		at.tv_sec = (time_t)(when / 1000000000u);
		at.tv_nsec = (long)(when % 1000000000u);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		due += per_frame;
		count = (unsigned)due;
		due -= count;
		for (unsigned k = 0; k < count; k++) {
			int len = (int)plain;

			pkt[0] = 0x80;
			pkt[1] = (uint8_t)((k + 1 == count ? 0x80 : 0) | (cfg->pt & 0x7f));
			pkt[2] = (uint8_t)(seq >> 8); pkt[3] = (uint8_t)seq;
			pkt[4] = (uint8_t)(ts >> 24); pkt[5] = (uint8_t)(ts >> 16);
			pkt[6] = (uint8_t)(ts >> 8);  pkt[7] = (uint8_t)ts;
			pkt[8] = (uint8_t)(ssrc >> 24); pkt[9] = (uint8_t)(ssrc >> 16);
			pkt[10] = (uint8_t)(ssrc >> 8); pkt[11] = (uint8_t)ssrc;
			wr64(pkt + 12, mono_ns());
			pkt[20] = (uint8_t)(n >> 24); pkt[21] = (uint8_t)(n >> 16);
			pkt[22] = (uint8_t)(n >> 8);  pkt[23] = (uint8_t)n;
			if (srtp_protect(srtp, pkt, &len) != srtp_err_status_ok) {
				r = -EIO;
				goto out;
			}
			if (send(fd, pkt, (size_t)len, 0) == len)
				(*sent)++;
			seq++;
			n++;
		}
		ts += TS_PER_FRAME;
	}
out:
	if (fd >= 0)
		close(fd);
	srtp_dealloc(srtp);
	return r;
}
