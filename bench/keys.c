/* keys: see keys.h. */
#include "bench/keys.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

int keys_suite_parse(const char *s)
{
	if (!strcmp(s, "gcm"))
		return 1;
	if (!strcmp(s, "cm"))
		return 0;
	return -EINVAL;
}

const char *keys_suite_name(int gcm)
{
	return gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

size_t keys_len(int gcm)
{
	return gcm ? 28 : 30;
}

size_t keys_tag_len(int gcm)
{
	return gcm ? 16 : 10;
}

int keys_random(int gcm, uint8_t *key, char *b64, size_t b64_len)
{
	if (b64_len < 4 * ((keys_len(gcm) + 2) / 3) + 1 ||
	    RAND_bytes(key, (int)keys_len(gcm)) != 1)
		return -EINVAL;
	EVP_EncodeBlock((unsigned char *)b64, key, (int)keys_len(gcm));
	return 0;
}

int keys_session(srtp_t *out, int gcm, const uint8_t *key, int outbound)
{
	srtp_policy_t p;
	uint8_t k[KEYS_MAX];

	memset(&p, 0, sizeof p);
	if (gcm) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	}
	memcpy(k, key, keys_len(gcm));
	p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	p.key = k;
	/* a wide window: a loaded receiver thread may fall behind */
	p.window_size = 1024;
	return srtp_create(out, &p) == srtp_err_status_ok ? 0 : -EINVAL;
}
