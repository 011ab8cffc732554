/* dtls: DTLS 1.2 server for DTLS-SRTP on OpenSSL; see dtls.h.  Datagrams in
 * and out go as common/dtls_srtp.h says: the read side's memory BIO holds
 * exactly the one datagram being fed, drained after each call. */
#include "relay/dtls.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/dtls_cert.h"
#include "common/dtls_srtp.h"
#include "common/log.h"

#define DEFAULT_RETRANSMIT_MS 1000
#define DEFAULT_HANDSHAKE_MS 10000
#define DEFAULT_MTU 1200
#define MAX_RETRANSMIT_US (60u * 1000000u)   /* RFC 6347 §4.2.4.1: at least 60 s */
#define FINGERPRINT_MAX (8 + 64 * 3)         /* "sha-512 " + 64 hex pairs */

struct dtls_ctx {
	SSL_CTX *ssl_ctx;          /* shared by every connection, read-only after create */
	BIO_METHOD *send_method;   /* the write BIO type: dtls_srtp_out_method_new */
	struct dtls_opts opts;     /* defaults filled in */
	char fingerprint[FINGERPRINT_MAX];  /* "sha-256 AB:..." of our certificate */
};

struct dtls_conn {
	struct dtls_ctx *ctx;
	SSL *ssl;                  /* owns both BIOs */
	BIO *rbio;                 /* memory BIO: the datagram being fed */
	struct dtls_srtp_out out;  /* the send callback and its argument */
	enum dtls_state state;
	int64_t handshake_deadline_ns;  /* the handshake fails past this */
	int64_t retransmit_ns;     /* OpenSSL's retransmission timer, -1 when not running */
	const EVP_MD *remote_md;   /* hash of the offer's a=fingerprint */
	uint8_t remote_fp[EVP_MAX_MD_SIZE];
	unsigned remote_fp_len;
	struct dtls_srtp_keys keys;  /* valid in DTLS_CONNECTED */
};

/* --- the process certificate --------------------------------------------- */

static int verify_accept(int ok, X509_STORE_CTX *store)
{
	/* WebRTC certificates are self-signed: trust comes from comparing the
	 * certificate with the signalled fingerprint after the handshake. */
	(void)ok; (void)store;
	return 1;
}

static unsigned timer_cb(SSL *ssl, unsigned timer_us)
{
	struct dtls_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if (timer_us == 0)
		return ctx->opts.retransmit_initial_ms * 1000u;
	return timer_us >= MAX_RETRANSMIT_US / 2 ? MAX_RETRANSMIT_US : timer_us * 2;
}

struct dtls_ctx *dtls_ctx_create(const struct dtls_opts *opts)
{
	struct dtls_ctx *ctx = calloc(1, sizeof *ctx);
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	const char *what = "out of memory";

	if (!ctx)
		goto fail;
	if (opts)
		ctx->opts = *opts;
	if (!ctx->opts.retransmit_initial_ms)
		ctx->opts.retransmit_initial_ms = DEFAULT_RETRANSMIT_MS;
	if (!ctx->opts.handshake_timeout_ms)
		ctx->opts.handshake_timeout_ms = DEFAULT_HANDSHAKE_MS;
	if (!ctx->opts.mtu)
		ctx->opts.mtu = DEFAULT_MTU;

	what = "certificate";
	if (dtls_cert_make("amphi", &pkey, &cert) ||
	    dtls_cert_fingerprint(cert, ctx->fingerprint, sizeof ctx->fingerprint))
		goto fail;

	what = "SSL_CTX";
	ctx->ssl_ctx = SSL_CTX_new(DTLS_server_method());
	if (!ctx->ssl_ctx ||
	    !SSL_CTX_set_min_proto_version(ctx->ssl_ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx->ssl_ctx, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(ctx->ssl_ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx->ssl_ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx->ssl_ctx) != 1 ||
	    !SSL_CTX_set_cipher_list(ctx->ssl_ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:"
	                             "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305") ||
	    !SSL_CTX_set1_groups_list(ctx->ssl_ctx, "X25519:P-256:P-384") ||
	    /* server order wins: GCM first (DESIGN.md §5) */
	    SSL_CTX_set_tlsext_use_srtp(ctx->ssl_ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0)
		goto fail;
	SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_accept);
	SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	/* No session cache: resumption buys nothing for one handshake per
	 * peer, and the cache would be a lock shared by all workers. */
	SSL_CTX_set_session_cache_mode(ctx->ssl_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_app_data(ctx->ssl_ctx, ctx);

	what = "BIO method";
	if (!(ctx->send_method = dtls_srtp_out_method_new("amphi-dtls-send")))
		goto fail;
	X509_free(cert);   /* the SSL_CTX holds its own references */
	EVP_PKEY_free(pkey);
	return ctx;
fail:
	log_msg(LOG_ERROR, "dtls context failed", "step=\"%s\" openssl=\"%s\"", what,
	        ERR_reason_error_string(ERR_peek_last_error()) ?: "none");
	ERR_clear_error();
	X509_free(cert);
	EVP_PKEY_free(pkey);
	dtls_ctx_destroy(ctx);
	return NULL;
}

void dtls_ctx_destroy(struct dtls_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	BIO_meth_free(ctx->send_method);
	free(ctx);
}

const char *dtls_ctx_fingerprint(const struct dtls_ctx *ctx)
{
	return ctx->fingerprint;
}

/* --- connections ---------------------------------------------------------- */

const char *dtls_state_name(enum dtls_state s)
{
	switch (s) {
	case DTLS_HANDSHAKE: return "handshake";
	case DTLS_CONNECTED: return "connected";
	case DTLS_FAILED: return "failed";
	case DTLS_CLOSED: return "closed";
	}
	return "?";
}

/* "sha-256 AB:CD:..." (RFC 8122 §5) into md + bytes; 0 or -EINVAL. */
static int fingerprint_parse(const char *s, const EVP_MD **md, uint8_t *out, unsigned *len)
{
	static const struct { const char *name; const char *evp; } hashes[] = {
		{ "sha-1", "SHA1" }, { "sha-256", "SHA256" }, { "sha-384", "SHA384" }, { "sha-512", "SHA512" },
	};
	const char *sp = s ? strchr(s, ' ') : NULL;

	if (!sp)
		return -EINVAL;
	*md = NULL;
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if ((size_t)(sp - s) == strlen(hashes[i].name) && !strncasecmp(s, hashes[i].name, (size_t)(sp - s)))
			*md = EVP_get_digestbyname(hashes[i].evp);
	if (!*md)
		return -EINVAL;
	const char *p = sp + 1;
	unsigned n = 0;
	while (*p) {
		unsigned v;
		if (n == EVP_MAX_MD_SIZE || !isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]) || sscanf(p, "%2x", &v) != 1)
			return -EINVAL;
		out[n++] = (uint8_t)v;
		p += 2;
		if (*p == ':' && p[1])
			p++;
		else if (*p)
			return -EINVAL;
	}
	if (n != (unsigned)EVP_MD_get_size(*md))
		return -EINVAL;
	*len = n;
	return 0;
}

struct dtls_conn *dtls_conn_create(struct dtls_ctx *ctx, const char *remote_fingerprint,
                                   dtls_send_fn send, void *send_arg, int64_t now_ns)
{
	struct dtls_conn *c = calloc(1, sizeof *c);

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	if (fingerprint_parse(remote_fingerprint, &c->remote_md, c->remote_fp, &c->remote_fp_len) != 0) {
		free(c);
		errno = EINVAL;
		return NULL;
	}
	c->ctx = ctx;
	c->out = (struct dtls_srtp_out){ send, send_arg };
	c->state = DTLS_HANDSHAKE;
	c->handshake_deadline_ns = now_ns + (int64_t)ctx->opts.handshake_timeout_ms * 1000000;
	c->retransmit_ns = -1;
	if (!(c->ssl = dtls_srtp_ssl_new(ctx->ssl_ctx, ctx->send_method, &c->out, (long)ctx->opts.mtu,
	                                 &c->rbio))) {
		free(c);
		return NULL;
	}
	DTLS_set_timer_cb(c->ssl, timer_cb);
	SSL_set_accept_state(c->ssl);
	return c;
}

void dtls_conn_destroy(struct dtls_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	OPENSSL_cleanse(&c->keys, sizeof c->keys);
	free(c);
}

static void timer_refresh(struct dtls_conn *c, int64_t now_ns)
{
	struct timeval tv;
	if (c->state == DTLS_HANDSHAKE && DTLSv1_get_timeout(c->ssl, &tv) == 1)
		c->retransmit_ns = now_ns + (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
	else
		c->retransmit_ns = -1;
}

static int fail(struct dtls_conn *c, int rc)
{
	c->state = DTLS_FAILED;
	c->retransmit_ns = -1;
	ERR_clear_error();
	return rc;
}

/* The handshake just completed: check the client's certificate against the
 * offer's fingerprint and take the SRTP keys. */
static int handshake_done(struct dtls_conn *c)
{
	X509 *peer = SSL_get1_peer_certificate(c->ssl);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	int ok = peer && X509_digest(peer, c->remote_md, md, &md_len) &&
	         md_len == c->remote_fp_len && !CRYPTO_memcmp(md, c->remote_fp, md_len);
	X509_free(peer);
	if (!ok) {
		SSL_shutdown(c->ssl);   /* tells the browser (close_notify) */
		return fail(c, -EACCES);
	}

	if (dtls_srtp_keys_export(c->ssl, &c->keys) < 0)
		return fail(c, -EPROTO);   /* no use_srtp, or the exporter failed */
	c->state = DTLS_CONNECTED;
	c->retransmit_ns = -1;
	return 1;
}

int dtls_conn_input(struct dtls_conn *c, const uint8_t *buf, size_t len, int64_t now_ns)
{
	int rc = 0;

	if (c->state == DTLS_FAILED || c->state == DTLS_CLOSED)
		return -EPIPE;
	if (len == 0 || len > 0xFFFF)
		return 0;
	ERR_clear_error();
	(void)BIO_reset(c->rbio);
	if (BIO_write(c->rbio, buf, (int)len) != (int)len)
		return fail(c, -ENOMEM);

	if (c->state == DTLS_HANDSHAKE) {
		int r = SSL_do_handshake(c->ssl);
		if (r == 1)
			rc = handshake_done(c);
		else if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ)
			rc = fail(c, -EPROTO);
		else
			timer_refresh(c, now_ns);
	} else {
		/* Connected: no application data is expected (no data channels);
		 * read to process alerts and the client's retransmitted Finished. */
		uint8_t scratch[2048];
		for (;;) {
			int r = SSL_read(c->ssl, scratch, sizeof scratch);
			if (r > 0)
				continue;
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN) {
				c->state = DTLS_CLOSED;
				rc = -EPIPE;
			} else if (e != SSL_ERROR_WANT_READ) {
				rc = fail(c, -EPROTO);
			}
			break;
		}
	}
	(void)BIO_reset(c->rbio);
	ERR_clear_error();
	return rc;
}

int64_t dtls_conn_deadline(const struct dtls_conn *c)
{
	if (c->state != DTLS_HANDSHAKE)
		return -1;
	if (c->retransmit_ns >= 0 && c->retransmit_ns < c->handshake_deadline_ns)
		return c->retransmit_ns;
	return c->handshake_deadline_ns;
}

int dtls_conn_tick(struct dtls_conn *c, int64_t now_ns)
{
	if (c->state != DTLS_HANDSHAKE)
		return 0;
	if (now_ns >= c->handshake_deadline_ns)
		return fail(c, -ETIMEDOUT);
	if (c->retransmit_ns >= 0 && now_ns >= c->retransmit_ns) {
		ERR_clear_error();
		if (DTLSv1_handle_timeout(c->ssl) < 0)
			return fail(c, -EPROTO);
		timer_refresh(c, now_ns);
	}
	return 0;
}

enum dtls_state dtls_conn_state(const struct dtls_conn *c)
{
	return c->state;
}

int dtls_conn_srtp_keys(const struct dtls_conn *c, struct dtls_srtp_keys *out)
{
	if (c->state != DTLS_CONNECTED)
		return -EAGAIN;
	*out = c->keys;
	return 0;
}

void dtls_conn_close(struct dtls_conn *c)
{
	if (c->state == DTLS_CONNECTED) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	if (c->state != DTLS_FAILED)
		c->state = DTLS_CLOSED;
	c->retransmit_ns = -1;
}

int dtls_datagram_handshake_type(const uint8_t *buf, size_t len)
{
	/* record: type(1) version(2) epoch(2) sequence(6) length(2), then the
	 * handshake header's msg_type */
	if (len < 14 || buf[0] != 22 || buf[3] != 0 || buf[4] != 0)
		return -1;
	return buf[13];
}
