/* dtls: the DTLS 1.2 server half of DTLS-SRTP (RFC 5763, RFC 5764) for
 * WebRTC peers, on OpenSSL, without sockets.
 *
 * The relay's worker owns the UDP port and its io_uring: it hands every
 * datagram the RFC 7983 demux classed as DTLS to dtls_conn_input(), and
 * sends what the connection asks to send through the send callback, one
 * datagram per call.  The connection drives the handshake, retransmits its
 * last flight when dtls_conn_tick() finds the timer expired (RFC 6347
 * §4.2.4), fails after a handshake timeout, checks the client's certificate
 * against the a=fingerprint of its offer, and once connected yields the
 * negotiated SRTP profile and the keys from the RFC 5764 §4.2 exporter.
 *
 * Ownership: one struct dtls_ctx per process (its certificate is the
 * a=fingerprint of every answer); it is read-only after creation and may be
 * shared by all workers.  A struct dtls_conn belongs to the worker that owns
 * the peer, is used from that thread only, and must be destroyed before the
 * ctx.  Key material is wiped when the connection is destroyed; callers wipe
 * their copy (struct dtls_srtp_keys) with explicit_bzero once libsrtp has it. */
#ifndef AMPHI_RELAY_DTLS_H
#define AMPHI_RELAY_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "common/dtls_srtp.h"

struct dtls_ctx;
struct dtls_conn;

/* Timing of every connection made from a ctx; zero fields take the default. */
struct dtls_opts {
	unsigned retransmit_initial_ms; /* first retransmission timeout; doubles up to 60 s (default 1000, RFC 6347) */
	unsigned handshake_timeout_ms;  /* a handshake not done by then fails (default 10000) */
	unsigned mtu;                   /* largest datagram sent (default 1200, what browsers use) */
};

/* Generates the process's ECDSA P-256 key and self-signed certificate (CN
 * "amphi", valid one year from an hour ago) and the server SSL_CTX: DTLS 1.2
 * only, ECDHE-ECDSA AEAD suites, use_srtp with SRTP_AEAD_AES_128_GCM
 * preferred and SRTP_AES128_CM_SHA1_80 accepted, a client certificate
 * required (RFC 5763 §5).  NULL (logged) on failure.  opts may be NULL. */
struct dtls_ctx *dtls_ctx_create(const struct dtls_opts *opts);
void dtls_ctx_destroy(struct dtls_ctx *ctx);

/* "sha-256 AB:CD:..." value for a=fingerprint: the certificate's SHA-256, as
 * RFC 8122 §5 writes it (upper-case hex pairs joined by colons).  Owned by
 * ctx. */
const char *dtls_ctx_fingerprint(const struct dtls_ctx *ctx);

/* Called with each datagram the connection sends, during dtls_conn_input()
 * and dtls_conn_tick().  The bytes are valid for the call only. */
typedef void (*dtls_send_fn)(void *arg, const uint8_t *datagram, size_t len);

enum dtls_state {
	DTLS_HANDSHAKE,   /* waiting for or in the middle of a handshake */
	DTLS_CONNECTED,   /* keys available */
	DTLS_FAILED,      /* handshake error, fingerprint mismatch or timeout: destroy it */
	DTLS_CLOSED,      /* the peer sent close_notify */
};
const char *dtls_state_name(enum dtls_state s);

/* A server connection for one peer.  remote_fingerprint is the offer's
 * a=fingerprint value ("sha-256 AB:..", the hash name and hex pair list as
 * in SDP; sha-1/sha-256/sha-384/sha-512 accepted) that the client's
 * certificate must match, copied.  now_ns: amphi_mono_ns(), starts the
 * handshake timeout.  NULL with errno EINVAL (bad fingerprint) or ENOMEM. */
struct dtls_conn *dtls_conn_create(struct dtls_ctx *ctx, const char *remote_fingerprint,
                                   dtls_send_fn send, void *send_arg, int64_t now_ns);
void dtls_conn_destroy(struct dtls_conn *c);

/* Feeds one received datagram.  Returns 0 while handshaking or connected
 * (records that do not authenticate are dropped silently, RFC 6347
 * §4.1.2.7), 1 when this datagram completed the handshake, -EPROTO when the
 * handshake failed, -EACCES when the client's certificate does not match the
 * fingerprint, -EPIPE once failed or closed. */
int dtls_conn_input(struct dtls_conn *c, const uint8_t *buf, size_t len, int64_t now_ns);

/* When dtls_conn_tick() should next run (monotonic ns), or -1 when nothing
 * is pending (connected, failed, closed). */
int64_t dtls_conn_deadline(const struct dtls_conn *c);

/* Retransmits the last flight when its timer expired and fails the
 * handshake past its timeout.  0, or -ETIMEDOUT when the handshake just
 * timed out. */
int dtls_conn_tick(struct dtls_conn *c, int64_t now_ns);

enum dtls_state dtls_conn_state(const struct dtls_conn *c);

/* The negotiated SRTP protection profile and master keys (common/dtls_srtp.h).
 * The relay is the DTLS server, so it protects what it sends with server[]
 * and unprotects what the browser sends with client[].  0, or -EAGAIN before
 * the handshake completed. */
int dtls_conn_srtp_keys(const struct dtls_conn *c, struct dtls_srtp_keys *out);

/* The handshake message type of a datagram's first record when that is a
 * plaintext (epoch 0) handshake record: 1 ClientHello, 11 Certificate,
 * 16 ClientKeyExchange, ... (RFC 6347 §4.1, §4.2.2); -1 otherwise.  Reads
 * the first 14 bytes at most.  The worker uses it to charge its handshake
 * budget only for the datagrams that cost public-key work. */
int dtls_datagram_handshake_type(const uint8_t *buf, size_t len);

/* Sends close_notify (through the send callback) and marks the connection
 * closed; use before destroying a connected peer that is being removed. */
void dtls_conn_close(struct dtls_conn *c);

#endif
