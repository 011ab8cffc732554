/* dtls_cert: the self-signed certificate a WebRTC endpoint presents in its
 * DTLS handshake, and the a=fingerprint that vouches for it.  WebRTC trusts
 * no CA: each side checks the other's certificate against the fingerprint
 * signalled in SDP (RFC 8827 §6.5), so one fresh ECDSA P-256 key per process
 * is all it takes.  The relay's DTLS server (relay/dtls.c) and amphi-bench's
 * DTLS client (bench/dtls_client.c) both make theirs here. */
#ifndef AMPHI_DTLS_CERT_H
#define AMPHI_DTLS_CERT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* A new P-256 key and a certificate for it named CN=cn, self-signed with
 * SHA-256, valid from an hour ago (clock skew) for a year.  0, or -ENOMEM
 * when OpenSSL fails; the caller frees both with EVP_PKEY_free/X509_free. */
int dtls_cert_make(const char *cn, EVP_PKEY **pkey, X509 **cert);

/* The SDP fingerprint of x, "sha-256 AB:CD:…" (RFC 8122), into out (at
 * least 104 bytes for SHA-256).  0, or -EINVAL when x cannot be digested. */
int dtls_cert_fingerprint(X509 *x, char *out, size_t cap);

#endif
