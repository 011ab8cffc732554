/* dtls_client: the DTLS 1.2 client half of DTLS-SRTP (RFC 5763, RFC 5764)
 * for amphi-bench's WebRTC viewers, on OpenSSL.  The relay is always the
 * DTLS server (its answers say setup:passive), so each viewer is a client:
 * it offers the one SRTP profile of the bench's --suite, presents the
 * bench's certificate (whose fingerprint went into webrtc.add or the WHEP
 * offer), checks the relay's certificate against the fingerprint the relay
 * announced, and takes the SRTP master keys from the RFC 5764 §4.2 exporter.
 *
 * Ownership: one struct dtls_client_ctx per bench process (one certificate,
 * as a browser has one per peer connection set); read-only once made.  A
 * struct dtls_client belongs to one viewer, is driven by one thread, sends
 * each datagram with send(2) on the viewer's connected socket (it does not
 * own the socket) and is fed what that socket receives.  Keys are wiped when
 * the client is destroyed. */
#ifndef AMPHI_BENCH_DTLS_CLIENT_H
#define AMPHI_BENCH_DTLS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct dtls_client_ctx;
struct dtls_client;

/* ECDSA P-256 key, self-signed certificate, a DTLS 1.2 client SSL_CTX
 * offering SRTP_AEAD_AES_128_GCM (gcm) or SRTP_AES128_CM_SHA1_80.  NULL on
 * failure (OpenSSL's reason on stderr). */
struct dtls_client_ctx *dtls_client_ctx_create(int gcm);
void dtls_client_ctx_destroy(struct dtls_client_ctx *ctx);
/* "sha-256 AB:CD:..." of the certificate (RFC 8122 §5), owned by ctx. */
const char *dtls_client_ctx_fingerprint(const struct dtls_client_ctx *ctx);

/* A client for one viewer that sends on fd (connected to the relay's port)
 * and accepts only a server certificate matching server_fingerprint
 * ("sha-256 AB:..", case-insensitive hex).  Retransmits from
 * retransmit_ms, doubling (RFC 6347 §4.2.4).  NULL on ENOMEM / EINVAL. */
struct dtls_client *dtls_client_create(struct dtls_client_ctx *ctx, const char *server_fingerprint,
                                       int fd, unsigned retransmit_ms);
void dtls_client_destroy(struct dtls_client *c);

/* Sends the ClientHello.  0 or -EPROTO. */
int dtls_client_start(struct dtls_client *c, int64_t now_ns);
/* Feeds one datagram the RFC 7983 demux classed as DTLS.  0 while the
 * handshake goes on, 1 when this datagram completed it (keys ready),
 * -EPROTO when it failed, -EACCES when the relay's certificate does not
 * match the announced fingerprint or no SRTP profile was chosen. */
int dtls_client_input(struct dtls_client *c, const uint8_t *buf, size_t len, int64_t now_ns);
/* When dtls_client_tick() must run next (CLOCK_MONOTONIC ns), -1 when done. */
int64_t dtls_client_deadline(const struct dtls_client *c);
/* Retransmits the last flight when its timer expired. */
void dtls_client_tick(struct dtls_client *c, int64_t now_ns);

/* After completion: *gcm says the profile; server (keys_len bytes,
 * key||salt) is what the relay protects with, so what the viewer
 * unprotects with; client is the viewer's own (for its RTCP).  0 or
 * -EAGAIN before completion. */
int dtls_client_keys(const struct dtls_client *c, int *gcm, uint8_t server[30], uint8_t client[30]);

#endif
