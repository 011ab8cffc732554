/* dtls_srtp: what both ends amphi has of DTLS-SRTP do the same way — the
 * relay's DTLS server (relay/dtls.c) and amphi-bench's DTLS client
 * (bench/dtls_client.c): an OpenSSL DTLS object driven without a socket, and
 * the SRTP keys its finished handshake yields (RFC 5764 §4.2).
 *
 * Without a socket: OpenSSL writes each DTLS datagram with one BIO_write, so
 * the write side is a tiny BIO whose write hands the bytes straight to the
 * owner's send callback (no copy, no queue); the read side is a memory BIO
 * into which the owner writes each received datagram before calling
 * OpenSSL.  The BIO method is made once per SSL_CTX by its owner; each SSL
 * owns its two BIOs.
 *
 * The exporter "EXTRACTOR-dtls_srtp" gives client_write_key |
 * server_write_key | client_salt | server_salt; they come out rearranged
 * into the key||salt form libsrtp takes.  The DTLS server protects what it
 * sends with server[] and unprotects with client[]; the client the other
 * way round.  struct dtls_srtp_keys holds keys: its owner wipes it with
 * explicit_bzero once libsrtp has them. */
#ifndef AMPHI_DTLS_SRTP_H
#define AMPHI_DTLS_SRTP_H

#include <stddef.h>
#include <stdint.h>

/* OpenSSL's SSL, SSL_CTX, BIO and BIO_METHOD: this header stays free of
 * OpenSSL's. */
struct ssl_st;
struct ssl_ctx_st;
struct bio_st;
struct bio_method_st;

/* Where an SSL's datagrams go: send(arg, datagram, len), called from inside
 * OpenSSL for each datagram it writes; a datagram that cannot be sent is
 * lost, and the handshake's retransmission timer sends it again. */
struct dtls_srtp_out {
	void (*send)(void *arg, const uint8_t *datagram, size_t len);
	void *arg;
};

/* The BIO method of the write side, named name (for OpenSSL's debugging);
 * NULL when out of memory.  Freed with BIO_meth_free. */
struct bio_method_st *dtls_srtp_out_method_new(const char *name);

/* A new SSL on ctx whose datagrams go to *out (which must outlive it) and
 * whose read side is a memory BIO returned in *rbio, records cut to mtu
 * bytes.  NULL with errno ENOMEM on failure.  The caller sets its
 * connect/accept state, timer callback and app data. */
struct ssl_st *dtls_srtp_ssl_new(struct ssl_ctx_st *ctx, struct bio_method_st *method,
                                 struct dtls_srtp_out *out, long mtu, struct bio_st **rbio);

/* The negotiated protection profile (the use_srtp ids of RFC 5764 §4.1.2,
 * RFC 7714 §14.2). */
enum dtls_srtp_profile {
	DTLS_SRTP_AES128_CM_SHA1_80 = 0x0001,    /* 16-byte key + 14-byte salt */
	DTLS_SRTP_AEAD_AES_128_GCM = 0x0007,     /* 16-byte key + 12-byte salt */
};
#define DTLS_SRTP_MASTER_MAX 30
struct dtls_srtp_keys {
	enum dtls_srtp_profile profile;
	size_t master_len;                       /* 30 for CM, 28 for GCM */
	uint8_t client[DTLS_SRTP_MASTER_MAX];    /* the DTLS client's key||salt */
	uint8_t server[DTLS_SRTP_MASTER_MAX];    /* the DTLS server's key||salt */
};

/* The profile and keys of ssl, whose handshake completed.  0, or -EPROTO
 * (no use_srtp negotiated, a profile other than these two, or the exporter
 * failed); *out is only written on success. */
int dtls_srtp_keys_export(struct ssl_st *ssl, struct dtls_srtp_keys *out);

const char *dtls_srtp_profile_name(enum dtls_srtp_profile p);

#endif
