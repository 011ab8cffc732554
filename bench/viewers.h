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
#include <sys/socket.h>

struct viewers;

struct viewers_result {
	uint64_t datagrams;     /* every RTP datagram received, repeats included */
	uint64_t unique;        /* ... each viewer's sequence numbers once (per SSRC, RFC 3550
	                         * extended), what loss is computed from */
	uint64_t duplicates;    /* ... a sequence number the viewer already had */
	uint64_t rtcp;          /* RTCP datagrams (not counted above) */
	uint64_t decrypted;     /* SRTP mode: authenticated and decrypted */
	uint64_t auth_fail;     /* SRTP mode: failed authentication */
	uint64_t replayed;      /* SRTP mode: a repeat, or older than the window */
	uint64_t min_per_viewer;/* fewest unique datagrams one viewer received */
	uint32_t p50_us, p99_us, max_us;
	uint64_t samples;
	uint64_t consent_sent;  /* WebRTC: consent checks sent (RFC 7675) */
	uint64_t consent_ok;    /* ... answered with a success that verified */
	uint64_t consent_bad;   /* ... answered with an error or a bad answer */
	uint64_t other;         /* WebRTC: DTLS and unknown datagrams after the handshake */
	uint64_t expected_by_seq; /* RTP packets the viewers should have had, from the
	                           * sequence numbers seen (first to highest, per SSRC,
	                           * RFC 3550 A.3): loss without knowing the publisher */
	uint64_t max_per_viewer;
};

/* max_samples bounds the latency samples kept (4 bytes each). */
int viewers_open(struct viewers **out, unsigned n, size_t max_samples);
uint16_t viewers_port(const struct viewers *v, unsigned i);
/* Viewer i decrypts with this key (libsrtp inbound session); 0 or -EINVAL. */
int viewers_set_key(struct viewers *v, unsigned i, int gcm, const uint8_t *key);
/* The viewer's socket (for the WebRTC handshake, bench/webrtc.h); owned by vs. */
int viewers_fd(const struct viewers *v, unsigned i);
/* Connects viewer i's socket to the relay's address (WebRTC: everything
 * comes and goes through the worker's one port); after this only that
 * address reaches it, so the raw ceiling must run before.  0 or -errno. */
int viewers_connect(struct viewers *v, unsigned i, const struct sockaddr *to, socklen_t len);
/* WebRTC: while the receiver runs, viewer i sends a consent check (a STUN
 * Binding request under the relay's ice-pwd, RFC 7675 §5.1) every
 * interval_ms, ±20 %, the first one interval_ms after viewers_start, and
 * checks the answers.  username is "<relay ufrag>:<own ufrag>"; both
 * strings are copied.  0 or -EINVAL (too long). */
int viewers_set_consent(struct viewers *v, unsigned i, const char *username, const char *pwd,
                        unsigned interval_ms);
/* Whether the publisher writes VIEWERS_STAMP_LEN send stamps (the bench's
 * own does; a WHEP run's real publisher does not: no latency then). */
void viewers_set_stamped(struct viewers *v, int stamped);
/* Unique datagrams viewer i received in the last run (after viewers_stop). */
uint64_t viewers_received(const struct viewers *v, unsigned i);
/* Viewer i's loss in the last run: 1 - unique / expected, or when expected
 * is 0 from its own sequence numbers (first to highest per SSRC, RFC 3550
 * A.3); 1 when it expected nothing. */
double viewers_loss(const struct viewers *v, unsigned i, uint64_t expected);
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
