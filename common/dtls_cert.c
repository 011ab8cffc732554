/* dtls_cert: self-signed DTLS certificate and its fingerprint (dtls_cert.h). */
#include "common/dtls_cert.h"

#include <errno.h>
#include <stdio.h>

#include <openssl/bn.h>

int dtls_cert_make(const char *cn, EVP_PKEY **pkey, X509 **cert)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIGNUM *serial = BN_new();
	X509_NAME *name;

	if (!k || !x || !serial || !X509_set_version(x, 2) ||
	    !BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400) ||
	    !X509_set_pubkey(x, k) || !(name = X509_get_subject_name(x)) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_sign(x, k, EVP_sha256())) {
		BN_free(serial);
		X509_free(x);
		EVP_PKEY_free(k);
		return -ENOMEM;
	}
	BN_free(serial);
	*pkey = k;
	*cert = x;
	return 0;
}

int dtls_cert_fingerprint(X509 *x, char *out, size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	size_t pos;

	if (cap)
		out[0] = 0;
	if (!X509_digest(x, EVP_sha256(), md, &len))
		return -EINVAL;
	pos = (size_t)snprintf(out, cap, "sha-256 ");
	for (unsigned i = 0; i < len && pos + 3 < cap; i++)
		pos += (size_t)snprintf(out + pos, cap - pos, i ? ":%02X" : "%02X", md[i]);
	return 0;
}
