/* viewers: amphi-bench's receiving side.  n UDP sockets on 127.0.0.1, one
 * per viewer, drained by one receiver thread (epoll + recvmmsg).  In count
 * mode (the raw ceiling) it only counts datagrams; in SRTP mode it also
 * decrypts every stride-th packet of each viewer with the viewer's own
 * libsrtp session and takes the latency from the send time the publisher
 * wrote into the payload.  Why a stride: Debian's libsrtp (NSS) decrypts
 * AES-CM at under 100 k packets per CPU-second with 1000 sessions, so one
 * receiver thread that decrypted everything would fall behind the relay it
 * measures, on the same cores; counting every datagram and decrypting a
 * sample of every viewer's keeps the receiver out of the measurement. */
#ifndef AMPHI_BENCH_VIEWERS_H
#define AMPHI_BENCH_VIEWERS_H

#include <stddef.h>
#include <stdint.h>

struct viewers;

struct viewers_result {
	uint64_t datagrams;     /* every RTP datagram received */
	uint64_t rtcp;          /* RTCP datagrams (not counted above) */
	uint64_t decrypted;     /* SRTP mode: authenticated and decrypted */
	uint64_t auth_fail;     /* SRTP mode: failed authentication */
	uint64_t replayed;      /* SRTP mode: a repeat, or older than the window */
	uint64_t min_per_viewer;/* fewest datagrams one viewer received */
	uint32_t p50_us, p99_us, max_us;
	uint64_t samples;
};

/* max_samples bounds the latency samples kept (4 bytes each). */
int viewers_open(struct viewers **out, unsigned n, size_t max_samples);
uint16_t viewers_port(const struct viewers *v, unsigned i);
/* Viewer i decrypts with this key (libsrtp inbound session); 0 or -EINVAL. */
int viewers_set_key(struct viewers *v, unsigned i, int gcm, const uint8_t *key);
/* Clears the counters and starts the receiver thread; stride 0 counts
 * only, 1 decrypts everything, k every k-th packet of each viewer. */
int viewers_start(struct viewers *v, unsigned stride);
/* Stops and joins the thread, then fills *r. */
void viewers_stop(struct viewers *v, struct viewers_result *r);
void viewers_close(struct viewers *v);

/* Latency payload the publisher writes after the RTP header. */
#define VIEWERS_STAMP_LEN 12    /* u64 CLOCK_MONOTONIC ns, u32 packet number */

/* p-th percentile (0..100) of n values, sorting them in place. */
uint32_t viewers_percentile(uint32_t *v, size_t n, double p);

#endif
