/* dtls_srtp: the SRTP keys a finished DTLS-SRTP handshake yields (RFC 5764
 * §4.2), taken the same way by both ends amphi has: the relay's DTLS server
 * (relay/dtls.c) and amphi-bench's DTLS client (bench/dtls_client.c).
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

struct ssl_st;   /* OpenSSL's SSL: this header stays free of OpenSSL's */

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
