/* dtls_srtp: a DTLS-SRTP handshake between two OpenSSL endpoints through
 * memory BIOs, then the keys each side takes with
 * dtls_srtp_keys_export must be the same, match the RFC 5764 §4.2 exporter
 * read independently here, and split as key||salt for each profile. */
#include "tests/harness.h"
#include "common/dtls_cert.h"
#include "common/dtls_srtp.h"

#include <errno.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static int accept_any(int ok, X509_STORE_CTX *store)
{
	(void)ok; (void)store;
	return 1;   /* self-signed, as in WebRTC */
}

static SSL_CTX *ctx_new(int server, const char *profiles)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;

	if (!ctx || dtls_cert_make(server ? "server" : "client", &pkey, &cert) ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_set_tlsext_use_srtp(ctx, profiles) != 0)
		HARNESS_FAIL("context: %s", ERR_reason_error_string(ERR_get_error()));
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return ctx;
}

static SSL *endpoint(SSL_CTX *ctx, int server)
{
	SSL *ssl = SSL_new(ctx);
	BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());

	BIO_set_mem_eof_return(rbio, -1);   /* empty: "try again", not end of file */
	SSL_set_bio(ssl, rbio, wbio);
	SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(ssl, 1200);
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	return ssl;
}

/* Moves what from wrote into to's input: one flight at a time, its records
 * back to back as DTLS allows in a datagram. */
static void carry(SSL *from, SSL *to)
{
	uint8_t buf[16384];
	int n;

	while ((n = BIO_read(SSL_get_wbio(from), buf, sizeof buf)) > 0)
		BIO_write(SSL_get_rbio(to), buf, n);
}

/* Handshakes a client offering profiles with a server offering both; the
 * exported keys of both sides into *c and *s.  0 or -1. */
static int run(const char *profiles, struct dtls_srtp_keys *c, struct dtls_srtp_keys *s,
               uint8_t exported[60])
{
	SSL_CTX *sctx = ctx_new(1, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80");
	SSL_CTX *cctx = ctx_new(0, profiles);
	int rc = -1, sdone = 0, cdone = 0;
	SSL *srv = endpoint(sctx, 1), *cli = endpoint(cctx, 0);

	for (int i = 0; i < 50 && !(sdone && cdone); i++) {
		if (!cdone)
			cdone = SSL_do_handshake(cli) == 1;
		carry(cli, srv);
		if (!sdone)
			sdone = SSL_do_handshake(srv) == 1;
		carry(srv, cli);
	}
	if (sdone && cdone && dtls_srtp_keys_export(cli, c) == 0 && dtls_srtp_keys_export(srv, s) == 0 &&
	    SSL_export_keying_material(cli, exported, 2 * c->master_len, "EXTRACTOR-dtls_srtp", 19,
	                               NULL, 0, 0) == 1)
		rc = 0;
	SSL_free(cli);
	SSL_free(srv);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	return rc;
}

static void check_profile(const char *profiles, enum dtls_srtp_profile want, size_t master_len)
{
	struct dtls_srtp_keys c, s;
	uint8_t km[60];
	size_t salt = master_len - 16;

	if (run(profiles, &c, &s, km) != 0) {
		HARNESS_FAIL("%s: no handshake", profiles);
		return;
	}
	CHECK_INT(c.profile, ==, want);
	CHECK_INT(s.profile, ==, want);
	CHECK_INT(c.master_len, ==, master_len);
	CHECK_INT(s.master_len, ==, master_len);
	CHECK_MEM(c.client, s.client, master_len);   /* both ends agree */
	CHECK_MEM(c.server, s.server, master_len);
	CHECK(memcmp(c.client, c.server, master_len) != 0);
	/* client key | server key | client salt | server salt */
	CHECK_MEM(c.client, km, 16);
	CHECK_MEM(c.server, km + 16, 16);
	CHECK_MEM(c.client + 16, km + 32, salt);
	CHECK_MEM(c.server + 16, km + 32 + salt, salt);
}

TEST(gcm_keys)
{
	check_profile("SRTP_AEAD_AES_128_GCM", DTLS_SRTP_AEAD_AES_128_GCM, 28);
	CHECK_STR(dtls_srtp_profile_name(DTLS_SRTP_AEAD_AES_128_GCM), "SRTP_AEAD_AES_128_GCM");
}

TEST(cm_keys)
{
	check_profile("SRTP_AES128_CM_SHA1_80", DTLS_SRTP_AES128_CM_SHA1_80, 30);
	CHECK_STR(dtls_srtp_profile_name(DTLS_SRTP_AES128_CM_SHA1_80), "SRTP_AES128_CM_SHA1_80");
}

TEST(no_handshake_no_keys)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
	SSL *ssl = SSL_new(ctx);
	struct dtls_srtp_keys k = { .master_len = 7 };

	CHECK_INT(dtls_srtp_keys_export(ssl, &k), ==, -EPROTO);
	CHECK_INT(k.master_len, ==, 7);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

int main(void)
{
	RUN(gcm_keys);
	RUN(cm_keys);
	RUN(no_handshake_no_keys);
	return harness_done();
}
