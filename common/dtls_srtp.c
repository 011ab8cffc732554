/* dtls_srtp: see dtls_srtp.h. */
#include "common/dtls_srtp.h"

#include <errno.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp" /* RFC 5764 §4.2 */

static int out_write(BIO *b, const char *buf, int len)
{
	struct dtls_srtp_out *out = BIO_get_data(b);

	if (len > 0 && out && out->send)
		out->send(out->arg, (const uint8_t *)buf, (size_t)len);
	return len;
}

static long out_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b; (void)num; (void)ptr;
	/* Nothing is ever pending; the MTU is SSL_set_mtu's (the owners set
	 * SSL_OP_NO_QUERY_MTU), so every query answers 0. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int out_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

BIO_METHOD *dtls_srtp_out_method_new(const char *name)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, name);

	if (m && (!BIO_meth_set_write(m, out_write) || !BIO_meth_set_ctrl(m, out_ctrl) ||
	          !BIO_meth_set_create(m, out_create))) {
		BIO_meth_free(m);
		m = NULL;
	}
	return m;
}

SSL *dtls_srtp_ssl_new(SSL_CTX *ctx, BIO_METHOD *method, struct dtls_srtp_out *out, long mtu, BIO **rbio)
{
	SSL *ssl = SSL_new(ctx);
	BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(method);

	if (!ssl || !r || !w) {
		BIO_free(r);
		BIO_free(w);
		SSL_free(ssl);
		ERR_clear_error();
		errno = ENOMEM;
		return NULL;
	}
	BIO_set_mem_eof_return(r, -1);   /* empty means "wait", not EOF */
	BIO_set_data(w, out);
	SSL_set_bio(ssl, r, w);          /* the SSL owns both from here */
	SSL_set_mtu(ssl, mtu);
	*rbio = r;
	return ssl;
}

int dtls_srtp_keys_export(struct ssl_st *ssl, struct dtls_srtp_keys *out)
{
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(ssl);
	size_t key_len = 16, salt_len;
	uint8_t km[2 * (16 + 14)];

	if (!p)
		return -EPROTO;   /* the peer did not negotiate use_srtp */
	if (p->id == SRTP_AEAD_AES_128_GCM)
		salt_len = 12;
	else if (p->id == SRTP_AES128_CM_SHA1_80)
		salt_len = 14;
	else
		return -EPROTO;
	if (SSL_export_keying_material(ssl, km, 2 * (key_len + salt_len), EXPORTER_LABEL,
	                               strlen(EXPORTER_LABEL), NULL, 0, 0) != 1)
		return -EPROTO;
	/* client key | server key | client salt | server salt */
	out->profile = (enum dtls_srtp_profile)p->id;
	out->master_len = key_len + salt_len;
	memcpy(out->client, km, key_len);
	memcpy(out->client + key_len, km + 2 * key_len, salt_len);
	memcpy(out->server, km + key_len, key_len);
	memcpy(out->server + key_len, km + 2 * key_len + salt_len, salt_len);
	OPENSSL_cleanse(km, sizeof km);
	return 0;
}

const char *dtls_srtp_profile_name(enum dtls_srtp_profile p)
{
	switch (p) {
	case DTLS_SRTP_AES128_CM_SHA1_80: return "SRTP_AES128_CM_SHA1_80";
	case DTLS_SRTP_AEAD_AES_128_GCM: return "SRTP_AEAD_AES_128_GCM";
	}
	return "?";
}
