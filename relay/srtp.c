/* srtp: suites, libsrtp ingress and SRTCP, per-viewer egress contexts.
 * See srtp.h for the contract and docs/srtp.md for why egress RTP is not
 * protected by libsrtp. */
#include "relay/srtp.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "relay/srtp_evp.h"

struct srtp_rx {
	srtp_t session;         /* libsrtp, one template for any inbound SSRC */
};

struct srtp_tx {
	struct srtp_evp *rtp;   /* RTP protect: lean EVP transform */
	srtp_t rtcp;            /* SRTCP protect: libsrtp (the RTP side unused) */
	enum srtp_suite suite;
};

int srtp_suite_parse(const char *name, enum srtp_suite *out)
{
	if (!name)
		return -EINVAL;
	if (strcmp(name, "AES_CM_128_HMAC_SHA1_80") == 0)
		*out = SRTP_SUITE_AES_CM_128_HMAC_SHA1_80;
	else if (strcmp(name, "AEAD_AES_128_GCM") == 0)
		*out = SRTP_SUITE_AEAD_AES_128_GCM;
	else
		return -EINVAL;
	return 0;
}

const char *srtp_suite_name(enum srtp_suite s)
{
	switch (s) {
	case SRTP_SUITE_AES_CM_128_HMAC_SHA1_80: return "AES_CM_128_HMAC_SHA1_80";
	case SRTP_SUITE_AEAD_AES_128_GCM: return "AEAD_AES_128_GCM";
	}
	return "unknown";
}

size_t srtp_suite_key_len(enum srtp_suite s)
{
	return s == SRTP_SUITE_AEAD_AES_128_GCM ? 16 + 12 : 16 + 14;
}

size_t srtp_suite_overhead(enum srtp_suite s)
{
	return s == SRTP_SUITE_AEAD_AES_128_GCM ? 16 : 10;
}

size_t srtp_suite_rtcp_overhead(enum srtp_suite s)
{
	return srtp_suite_overhead(s) + 4;
}

int srtp_layer_init(void)
{
	return srtp_init() == srtp_err_status_ok ? 0 : -EIO;
}

static int suite_valid(enum srtp_suite s)
{
	return s == SRTP_SUITE_AES_CM_128_HMAC_SHA1_80 ||
	       s == SRTP_SUITE_AEAD_AES_128_GCM;
}

/* One libsrtp session for every SSRC of one direction.  libsrtp copies the
 * key into its own stream contexts, so the policy's pointer may go away. */
static int session_make(srtp_t *out, enum srtp_suite s, const uint8_t *key_salt,
                        srtp_ssrc_type_t dir)
{
	srtp_policy_t p;
	uint8_t key[SRTP_MAX_KEY_LEN];
	srtp_err_status_t st;

	memset(&p, 0, sizeof p);
	if (s == SRTP_SUITE_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	}
	memcpy(key, key_salt, srtp_suite_key_len(s));
	p.ssrc.type = dir;
	p.key = key;
	p.window_size = 128;
	/* The relay answers NACKs by sending a cached packet again under its
	 * own sequence number: libsrtp must not refuse the repeat. */
	p.allow_repeat_tx = dir == ssrc_any_outbound;
	st = srtp_create(out, &p);
	explicit_bzero(key, sizeof key);
	if (st == srtp_err_status_alloc_fail)
		return -ENOMEM;
	return st == srtp_err_status_ok ? 0 : -EINVAL;
}

int srtp_reference_create(srtp_t *out, enum srtp_suite s, const uint8_t *key_salt, int outbound)
{
	if (!out || !key_salt || !suite_valid(s))
		return -EINVAL;
	return session_make(out, s, key_salt, outbound ? ssrc_any_outbound : ssrc_any_inbound);
}

/* libsrtp status -> the -errno srtp.h promises. */
static int status_errno(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok: return 0;
	case srtp_err_status_auth_fail:
	case srtp_err_status_cipher_fail: return -EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old: return -EALREADY;
	default: return -EINVAL;
	}
}

int srtp_rx_create(struct srtp_rx **out, enum srtp_suite s, const uint8_t *key_salt)
{
	struct srtp_rx *rx;
	int r;

	if (!out || !key_salt || !suite_valid(s))
		return -EINVAL;
	rx = calloc(1, sizeof *rx);
	if (!rx)
		return -ENOMEM;
	r = session_make(&rx->session, s, key_salt, ssrc_any_inbound);
	if (r < 0) {
		free(rx);
		return r;
	}
	*out = rx;
	return 0;
}

/* Smallest RTP packet (fixed header) and RTCP packet (header + sender SSRC)
 * libsrtp is handed; shorter ones are not SRTP at all. */
enum { RTP_MIN = 12, RTCP_MIN = 8 };

int srtp_rx_unprotect(struct srtp_rx *rx, uint8_t *pkt, size_t *len)
{
	int n;
	srtp_err_status_t st;

	if (*len < RTP_MIN || *len > INT_MAX || (pkt[0] >> 6) != 2)
		return -EINVAL;
	n = (int)*len;
	st = srtp_unprotect(rx->session, pkt, &n);
	if (st != srtp_err_status_ok)
		return status_errno(st);
	*len = (size_t)n;
	return 0;
}

int srtp_rx_unprotect_rtcp(struct srtp_rx *rx, uint8_t *pkt, size_t *len)
{
	int n;
	srtp_err_status_t st;

	if (*len < RTCP_MIN || *len > INT_MAX || (pkt[0] >> 6) != 2)
		return -EINVAL;
	n = (int)*len;
	st = srtp_unprotect_rtcp(rx->session, pkt, &n);
	if (st != srtp_err_status_ok)
		return status_errno(st);
	*len = (size_t)n;
	return 0;
}

void srtp_rx_destroy(struct srtp_rx *rx)
{
	if (!rx)
		return;
	srtp_dealloc(rx->session);
	free(rx);
}

int srtp_tx_create(struct srtp_tx **out, enum srtp_suite s, const uint8_t *key_salt)
{
	struct srtp_tx *tx;
	int r;

	if (!out || !key_salt || !suite_valid(s))
		return -EINVAL;
	tx = calloc(1, sizeof *tx);
	if (!tx)
		return -ENOMEM;
	tx->suite = s;
	r = srtp_evp_create(&tx->rtp, s, key_salt);
	if (r < 0)
		goto fail;
	r = session_make(&tx->rtcp, s, key_salt, ssrc_any_outbound);
	if (r < 0)
		goto fail_evp;
	*out = tx;
	return 0;

fail_evp:
	srtp_evp_destroy(tx->rtp);
fail:
	free(tx);
	return r;
}

int srtp_tx_protect(struct srtp_tx *tx, uint8_t *pkt, size_t *len, size_t cap)
{
	return srtp_evp_protect(tx->rtp, pkt, len, cap, NULL);
}

int srtp_tx_protect_later(struct srtp_tx *tx, uint8_t *pkt, size_t *len, size_t cap,
                          struct srtp_tags *tags)
{
	return srtp_evp_protect(tx->rtp, pkt, len, cap, tags);
}

int srtp_tx_protect_rtcp(struct srtp_tx *tx, uint8_t *pkt, size_t *len, size_t cap)
{
	int n;
	srtp_err_status_t st;

	if (*len < RTCP_MIN || *len > INT_MAX || (pkt[0] >> 6) != 2)
		return -EINVAL;
	if (cap < *len + srtp_suite_rtcp_overhead(tx->suite))
		return -ENOSPC;
	n = (int)*len;
	st = srtp_protect_rtcp(tx->rtcp, pkt, &n);
	if (st != srtp_err_status_ok)
		return status_errno(st);
	*len = (size_t)n;
	return 0;
}

void srtp_tx_prefetch(const struct srtp_tx *tx, int step)
{
	if (step == 0)
		__builtin_prefetch(tx->rtp);
	else
		srtp_evp_prefetch(tx->rtp, step - 1);
}

void srtp_tx_destroy(struct srtp_tx *tx)
{
	if (!tx)
		return;
	srtp_evp_destroy(tx->rtp);
	srtp_dealloc(tx->rtcp);
	free(tx);
}
