/* webrtc: how amphi-bench's viewers become WebRTC peers of the relay.  For
 * each viewer the caller has registered a peer with the relay (webrtc.add,
 * or a WHEP answer) and filled a struct webrtc_peer; webrtc_connect() then
 * runs, on the viewers' own sockets, what a browser does after the answer:
 * a STUN Binding request with USE-CANDIDATE (bench/ice_client.h) until the
 * relay answers it, then the DTLS client handshake (bench/dtls_client.h),
 * then hands the exported SRTP key to the viewer (viewers_set_key) and
 * arms its consent checks (viewers_set_consent) for the receive phase.
 *
 * Pacing: at most `window` peers are between their first STUN request and
 * their last DTLS flight at any time, so the bench's own ECDHE/ECDSA work
 * and the relay's handshake budget (docs/relay-control.md, dtls_deferred)
 * meet a steady stream rather than a burst; each handshake is timed from
 * its first STUN request to its keys.
 *
 * Runs on the calling thread before viewers_start(): nothing else reads the
 * sockets meanwhile. */
#ifndef AMPHI_BENCH_WEBRTC_H
#define AMPHI_BENCH_WEBRTC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bench/dtls_client.h"
#include "bench/viewers.h"

/* What one viewer needs to reach its peer on the relay. */
struct webrtc_peer {
	char relay_ufrag[40];       /* the relay's ICE credentials for this peer */
	char relay_pwd[72];
	char own_ufrag[16];         /* the viewer's (second half of USERNAME) */
	char fingerprint[128];      /* the relay's certificate, "sha-256 AB:.." */
	/* filled by webrtc_connect() */
	int state;                  /* WEBRTC_* below */
	uint32_t handshake_us;      /* first STUN request to keys */
	int error;                  /* why it failed: -ETIMEDOUT, -EACCES, -EPROTO, or a STUN code */
};

enum { WEBRTC_IDLE, WEBRTC_STUN, WEBRTC_DTLS, WEBRTC_CONNECTED, WEBRTC_FAILED };

struct webrtc_opts {
	unsigned window;            /* peers handshaking at once (default 16) */
	unsigned timeout_ms;        /* one peer's limit, STUN to keys (default 10000) */
	unsigned consent_ms;        /* consent check interval (default 5000, RFC 7675) */
	int gcm;                    /* the suite the bench offered */
};

struct webrtc_result {
	unsigned connected, failed;
	unsigned wrong_profile;     /* connected with a profile other than the one offered */
	uint64_t stun_sent, stun_errors; /* requests (with retransmissions), error answers */
	double wall_s;              /* the whole phase */
	uint32_t p50_us, p99_us, max_us; /* handshake times of the connected peers */
};

/* Connects viewers 0..n-1 (viewers_connect() done) as above.  A failed peer
 * gets a random key, so it counts as lost, not as an error of the run.
 * 0, or -errno when the phase could not run at all. */
int webrtc_connect(struct viewers *vs, struct dtls_client_ctx *ctx, struct webrtc_peer *peers,
                   unsigned n, const struct webrtc_opts *o, struct webrtc_result *r);

/* ice-chars (RFC 8839 §5.4: ALPHA / DIGIT / "+" / "/") at random, len of
 * them plus a NUL into out. */
void webrtc_ice_chars(char *out, size_t len);

#endif
