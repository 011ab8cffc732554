/* dtls_srtp: see dtls_srtp.h. */
#include "common/dtls_srtp.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp" /* RFC 5764 §4.2 */

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
