/* dtls_client: see dtls_client.h. */
#include "bench/dtls_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/dtls_cert.h"
#include "common/dtls_srtp.h"

#define MTU 1200                               /* what browsers use */
#define MAX_RETRANSMIT_US 8000000u             /* the bench gives up after 10 s anyway */

struct dtls_client_ctx {
	SSL_CTX *ssl_ctx;
	BIO_METHOD *send_method;   /* dtls_srtp_out_method_new: each client's out is its socket */
	char fingerprint[128];
	int gcm;
};

struct dtls_client {
	struct dtls_client_ctx *ctx;
	SSL *ssl;
	BIO *rbio;                 /* memory BIO: one received datagram at a time */
	int fd;
	struct dtls_srtp_out out;  /* send_datagram on fd */
	unsigned retransmit_us;
	char server_fp[128];       /* expected "sha-256 AB:.." */
	int64_t deadline_ns;       /* next retransmission, -1 when none */
	int done;                  /* 1 connected and checked, -1 failed */
	struct dtls_srtp_keys keys;   /* valid when done == 1 */
};

static void send_datagram(void *arg, const uint8_t *datagram, size_t len)
{
	struct dtls_client *c = arg;

	/* a refused or full socket is a lost datagram: the timer resends */
	(void)send(c->fd, datagram, len, MSG_DONTWAIT);
}

static int verify_later(int ok, X509_STORE_CTX *store)
{
	/* self-signed, as in WebRTC: the certificate is compared with the
	 * announced fingerprint once the handshake is done */
	(void)ok; (void)store;
	return 1;
}

static unsigned timer_cb(SSL *ssl, unsigned timer_us)
{
	struct dtls_client *c = SSL_get_app_data(ssl);

	if (timer_us == 0)
		return c->retransmit_us;
	return timer_us >= MAX_RETRANSMIT_US / 2 ? MAX_RETRANSMIT_US : timer_us * 2;
}

struct dtls_client_ctx *dtls_client_ctx_create(int gcm)
{
	struct dtls_client_ctx *ctx = calloc(1, sizeof *ctx);
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;

	if (!ctx)
		return NULL;
	ctx->gcm = gcm;
	if (dtls_cert_make("amphi-bench", &pkey, &cert) ||
	    !(ctx->ssl_ctx = SSL_CTX_new(DTLS_client_method())) ||
	    !SSL_CTX_set_min_proto_version(ctx->ssl_ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx->ssl_ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_use_certificate(ctx->ssl_ctx, cert) ||
	    !SSL_CTX_use_PrivateKey(ctx->ssl_ctx, pkey) ||
	    !SSL_CTX_set_cipher_list(ctx->ssl_ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384") ||
	    /* 0 is success here (OpenSSL's inverted convention for this call) */
	    SSL_CTX_set_tlsext_use_srtp(ctx->ssl_ctx, gcm ? "SRTP_AEAD_AES_128_GCM"
	                                                  : "SRTP_AES128_CM_SHA1_80") != 0 ||
	    !(ctx->send_method = dtls_srtp_out_method_new("amphi-bench-dtls"))) {
		fprintf(stderr, "amphi-bench: DTLS client context: %s\n",
		        ERR_reason_error_string(ERR_peek_last_error()) ?: "out of memory");
		ERR_clear_error();
		X509_free(cert);
		EVP_PKEY_free(pkey);
		dtls_client_ctx_destroy(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_PEER, verify_later);
	SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx->ssl_ctx, SSL_SESS_CACHE_OFF);
	dtls_cert_fingerprint(cert, ctx->fingerprint, sizeof ctx->fingerprint);
	X509_free(cert);           /* the SSL_CTX holds its own references */
	EVP_PKEY_free(pkey);
	return ctx;
}

void dtls_client_ctx_destroy(struct dtls_client_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	BIO_meth_free(ctx->send_method);
	free(ctx);
}

const char *dtls_client_ctx_fingerprint(const struct dtls_client_ctx *ctx)
{
	return ctx->fingerprint;
}

struct dtls_client *dtls_client_create(struct dtls_client_ctx *ctx, const char *server_fingerprint,
                                       int fd, unsigned retransmit_ms)
{
	struct dtls_client *c;

	if (!server_fingerprint || strncasecmp(server_fingerprint, "sha-256 ", 8) != 0 ||
	    strlen(server_fingerprint) != 8 + 32 * 3 - 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!(c = calloc(1, sizeof *c)))
		return NULL;
	c->ctx = ctx;
	c->fd = fd;
	c->retransmit_us = (retransmit_ms ? retransmit_ms : 1000) * 1000u;
	c->deadline_ns = -1;
	snprintf(c->server_fp, sizeof c->server_fp, "%s", server_fingerprint);
	c->out = (struct dtls_srtp_out){ send_datagram, c };
	if (!(c->ssl = dtls_srtp_ssl_new(ctx->ssl_ctx, ctx->send_method, &c->out, MTU, &c->rbio))) {
		free(c);
		return NULL;
	}
	SSL_set_app_data(c->ssl, c);
	DTLS_set_timer_cb(c->ssl, timer_cb);
	SSL_set_connect_state(c->ssl);
	return c;
}

void dtls_client_destroy(struct dtls_client *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	OPENSSL_cleanse(&c->keys, sizeof c->keys);
	free(c);
}

static void timer_refresh(struct dtls_client *c, int64_t now_ns)
{
	struct timeval tv;

	if (!c->done && DTLSv1_get_timeout(c->ssl, &tv) == 1)
		c->deadline_ns = now_ns + (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
	else
		c->deadline_ns = -1;
}

static int fail(struct dtls_client *c, int rc)
{
	c->done = -1;
	c->deadline_ns = -1;
	ERR_clear_error();
	return rc;
}

/* The handshake completed: the relay's certificate must be the announced
 * one, the profile the one offered; then the RFC 5764 §4.2 keys. */
static int handshake_done(struct dtls_client *c)
{
	X509 *peer = SSL_get1_peer_certificate(c->ssl);
	char fp[128] = "";

	if (peer)
		dtls_cert_fingerprint(peer, fp, sizeof fp);
	X509_free(peer);
	if (!peer || strcasecmp(fp, c->server_fp) != 0 || !SSL_get_selected_srtp_profile(c->ssl))
		return fail(c, -EACCES);
	if (dtls_srtp_keys_export(c->ssl, &c->keys) < 0)
		return fail(c, -EPROTO);
	c->done = 1;
	c->deadline_ns = -1;
	return 1;
}

static int step(struct dtls_client *c, int64_t now_ns)
{
	int r = SSL_do_handshake(c->ssl);

	if (r == 1)
		return handshake_done(c);
	if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ)
		return fail(c, -EPROTO);
	timer_refresh(c, now_ns);
	return 0;
}

int dtls_client_start(struct dtls_client *c, int64_t now_ns)
{
	ERR_clear_error();
	return step(c, now_ns) < 0 ? -EPROTO : 0;
}

int dtls_client_input(struct dtls_client *c, const uint8_t *buf, size_t len, int64_t now_ns)
{
	int rc;

	if (c->done)
		return c->done < 0 ? -EPROTO : 0;   /* a repeated last flight: done already */
	ERR_clear_error();
	(void)BIO_reset(c->rbio);
	if (BIO_write(c->rbio, buf, (int)len) != (int)len)
		return fail(c, -EPROTO);
	rc = step(c, now_ns);
	(void)BIO_reset(c->rbio);
	return rc;
}

int64_t dtls_client_deadline(const struct dtls_client *c)
{
	return c->deadline_ns;
}

void dtls_client_tick(struct dtls_client *c, int64_t now_ns)
{
	if (c->done || c->deadline_ns < 0 || now_ns < c->deadline_ns)
		return;
	ERR_clear_error();
	if (DTLSv1_handle_timeout(c->ssl) < 0)
		fail(c, -EPROTO);
	else
		timer_refresh(c, now_ns);
}

int dtls_client_keys(const struct dtls_client *c, int *gcm, uint8_t server[30], uint8_t client[30])
{
	if (c->done != 1)
		return -EAGAIN;
	*gcm = c->keys.profile == DTLS_SRTP_AEAD_AES_128_GCM;
	memcpy(server, c->keys.server, c->keys.master_len);
	if (client)
		memcpy(client, c->keys.client, c->keys.master_len);
	return 0;
}
