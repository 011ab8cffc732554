/* srtp_evp: egress RTP protect on OpenSSL EVP (see srtp_evp.h). */
/* HMAC-SHA1 continues from inner and outer SHA-1 states hashed once per
 * viewer (RFC 2104 §4's precomputation): per packet EVP_MAC re-init
 * duplicates and frees two provider digest contexts, which cost ~12% of an
 * AES-CM protect (docs/performance.md, Relay).  The states are made with
 * OpenSSL's SHA1_* functions, deprecated in OpenSSL 3 but kept for exactly
 * this use; the hashing from them is sha1_mb's, one packet or many. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "relay/srtp_evp.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "common/bytes.h"

/* Rollover state of one SSRC: the highest packet index protected so far,
 * ROC << 16 | SEQ (RFC 3711 §3.3.1), as libsrtp's sender keeps it. */
struct ssrc_state {
	uint32_t ssrc;
	uint64_t index;
};

/* Laid out for a fan-out that touches each viewer's context once a frame,
 * from a cold cache: the first 64-byte line holds everything a GCM protect
 * reads besides the cipher context, including the first SSRC's state (a
 * viewer's video); the second line the next SSRC; the HMAC states (CM only)
 * follow the SSRC table.  Allocated on a cache-line boundary. */
struct srtp_evp {
	enum srtp_suite suite;
	unsigned nssrc;
	unsigned last;          /* index into ssrcs of the last SSRC seen */
	uint8_t salt[14];       /* session salt: 14 bytes CM, 12 bytes GCM */
	EVP_CIPHER_CTX *cipher; /* AES-128-CTR or AES-128-GCM, session key set */
	struct ssrc_state ssrcs[SRTP_TX_MAX_SSRC];
	uint32_t hmac_in[5];    /* CM only: SHA-1 state after (auth key XOR ipad) */
	uint32_t hmac_out[5];   /* CM only: SHA-1 state after (auth key XOR opad) */
} __attribute__((aligned(64)));

enum {
	KEY_LEN = 16,
	CM_SALT_LEN = 14,
	GCM_SALT_LEN = 12,
	AUTH_KEY_LEN = 20,      /* HMAC-SHA1 session key, RFC 3711 §5.2 */
	CM_TAG_LEN = 10,        /* HMAC-SHA1-80 */
	GCM_TAG_LEN = 16,
	SEQ_MEDIAN = 1 << 15,
	SEQ_MAX = 1 << 16,
};

int srtp_evp_header_len(const uint8_t *pkt, size_t len)
{
	size_t hl;

	if (len < 12 || (pkt[0] >> 6) != 2)
		return -EINVAL;
	hl = 12 + 4 * (size_t)(pkt[0] & 0x0f);
	if (pkt[0] & 0x10) {
		if (len < hl + 4)
			return -EINVAL;
		hl += 4 + 4 * (size_t)((pkt[hl + 2] << 8) | pkt[hl + 3]);
	}
	if (hl > len)
		return -EINVAL;
	return (int)hl;
}

int srtp_evp_kdf(const uint8_t master_key[16], const uint8_t master_salt[14],
                 uint8_t label, uint8_t *out, size_t n)
{
	uint8_t iv[16] = { 0 };
	EVP_CIPHER_CTX *c;
	int outl, ok;

	/* x = (label || r) XOR master_salt with r = 0 (kdr 0): the label sits
	 * at byte 7 of the 14-byte salt; the input block is x * 2^16. */
	memcpy(iv, master_salt, 14);
	iv[7] ^= label;
	memset(out, 0, n);
	c = EVP_CIPHER_CTX_new();
	if (!c)
		return -EIO;
	ok = EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, master_key, iv) == 1 &&
	     EVP_EncryptUpdate(c, out, &outl, out, (int)n) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EIO;
}

/* RFC 2104: the SHA-1 state after one block of K XOR pad, K the 20-byte
 * auth key zero-padded to the 64-byte block. */
static void hmac_pad_state(uint32_t h[5], const uint8_t *auth_key, uint8_t pad_byte)
{
	uint8_t pad[SHA_CBLOCK];
	SHA_CTX c;

	memset(pad, pad_byte, sizeof pad);
	for (unsigned i = 0; i < AUTH_KEY_LEN; i++)
		pad[i] ^= auth_key[i];
	SHA1_Init(&c);
	SHA1_Update(&c, pad, sizeof pad);
	h[0] = c.h0;
	h[1] = c.h1;
	h[2] = c.h2;
	h[3] = c.h3;
	h[4] = c.h4;
	explicit_bzero(pad, sizeof pad);
	explicit_bzero(&c, sizeof c);
}

int srtp_evp_create_session(struct srtp_evp **out, enum srtp_suite s,
                            const uint8_t key[16], const uint8_t *salt,
                            const uint8_t *auth_key)
{
	struct srtp_evp *e;
	int gcm = s == SRTP_SUITE_AEAD_AES_128_GCM;

	if (!out || !key || !salt || (!gcm && !auth_key) ||
	    (s != SRTP_SUITE_AES_CM_128_HMAC_SHA1_80 && !gcm))
		return -EINVAL;
	e = aligned_alloc(64, sizeof *e);
	if (!e)
		return -ENOMEM;
	memset(e, 0, sizeof *e);
	e->suite = s;
	memcpy(e->salt, salt, gcm ? GCM_SALT_LEN : CM_SALT_LEN);
	e->cipher = EVP_CIPHER_CTX_new();
	if (!e->cipher)
		goto fail;
	if (gcm) {
		if (EVP_EncryptInit_ex(e->cipher, EVP_aes_128_gcm(), NULL, key, NULL) != 1)
			goto fail;
	} else {
		if (EVP_EncryptInit_ex(e->cipher, EVP_aes_128_ctr(), NULL, key, NULL) != 1)
			goto fail;
		hmac_pad_state(e->hmac_in, auth_key, 0x36);
		hmac_pad_state(e->hmac_out, auth_key, 0x5c);
	}
	*out = e;
	return 0;

fail:
	srtp_evp_destroy(e);
	return -EIO;
}

int srtp_evp_create(struct srtp_evp **out, enum srtp_suite s, const uint8_t *key_salt)
{
	uint8_t msalt[14] = { 0 }, key[KEY_LEN], salt[CM_SALT_LEN], auth[AUTH_KEY_LEN];
	int gcm = s == SRTP_SUITE_AEAD_AES_128_GCM, r = -EIO;
	size_t salt_len = gcm ? GCM_SALT_LEN : CM_SALT_LEN;

	if (!out || !key_salt ||
	    (s != SRTP_SUITE_AES_CM_128_HMAC_SHA1_80 && !gcm))
		return -EINVAL;
	/* A 12-byte GCM master salt enters the KDF zero-padded to 14 bytes
	 * (RFC 7714 errata 4938; libsrtp does the same). */
	memcpy(msalt, key_salt + KEY_LEN, salt_len);
	if (srtp_evp_kdf(key_salt, msalt, 0, key, KEY_LEN) == 0 &&
	    srtp_evp_kdf(key_salt, msalt, 2, salt, salt_len) == 0 &&
	    (gcm || srtp_evp_kdf(key_salt, msalt, 1, auth, AUTH_KEY_LEN) == 0))
		r = srtp_evp_create_session(out, s, key, salt, gcm ? NULL : auth);
	explicit_bzero(key, sizeof key);
	explicit_bzero(salt, sizeof salt);
	explicit_bzero(auth, sizeof auth);
	explicit_bzero(msalt, sizeof msalt);
	return r;
}

void srtp_evp_destroy(struct srtp_evp *e)
{
	if (!e)
		return;
	EVP_CIPHER_CTX_free(e->cipher);
	explicit_bzero(e, sizeof *e);
	free(e);
}

void srtp_evp_prefetch(const struct srtp_evp *e, int step)
{
	if (step == 0) {
		__builtin_prefetch(e);
		__builtin_prefetch((const char *)e + 64);
	} else {
		/* e's first line is cached by now: its fields may be read */
		__builtin_prefetch(e->cipher);
		__builtin_prefetch((const char *)e->cipher + 64);
		if (e->suite == SRTP_SUITE_AES_CM_128_HMAC_SHA1_80)
			for (size_t off = offsetof(struct srtp_evp, hmac_in) & ~(size_t)63;
			     off < sizeof *e; off += 64)
				__builtin_prefetch((const char *)e + off);
	}
}

/* The packet index for seq given the highest index so far: libsrtp's
 * srtp_rdbx_estimate_index / srtp_index_guess (RFC 3711 §3.3.1), including
 * its rule that below index 2^15 the ROC is taken as 0. */
static uint64_t index_estimate(uint64_t highest, uint16_t seq)
{
	uint32_t roc = (uint32_t)(highest >> 16);
	uint16_t local = (uint16_t)highest;

	if (highest <= SEQ_MEDIAN)
		return seq;
	if (local < SEQ_MEDIAN) {
		if ((int)seq - (int)local > SEQ_MEDIAN)
			roc--;
	} else if ((int)local - SEQ_MEDIAN > (int)seq) {
		roc++;
	}
	return (uint64_t)roc << 16 | seq;
}

static struct ssrc_state *ssrc_find(struct srtp_evp *e, uint32_t ssrc)
{
	if (e->nssrc && e->ssrcs[e->last].ssrc == ssrc)
		return &e->ssrcs[e->last];
	for (unsigned i = 0; i < e->nssrc; i++)
		if (e->ssrcs[i].ssrc == ssrc) {
			e->last = i;
			return &e->ssrcs[i];
		}
	if (e->nssrc == SRTP_TX_MAX_SSRC)
		return NULL;
	e->last = e->nssrc++;
	e->ssrcs[e->last].ssrc = ssrc;
	e->ssrcs[e->last].index = 0;
	return &e->ssrcs[e->last];
}

/* RFC 3711 §4.2: tag = HMAC-SHA1(header || ciphertext || ROC)[0..9].  The
 * ROC is written after the packet, where the tag will go, so the message is
 * one run of bytes; the outer hash's message is the inner one's digest. */
static void tag_jobs(const struct srtp_evp *e, uint8_t *pkt, size_t len, uint32_t roc,
                     struct sha1_mb_job *inner, struct sha1_mb_job *outer)
{
	wr32(pkt + len, roc);
	*inner = (struct sha1_mb_job){ .msg = pkt, .len = (uint32_t)len + 4, .done = SHA_CBLOCK };
	memcpy(inner->h, e->hmac_in, sizeof inner->h);
	*outer = (struct sha1_mb_job){ .msg = inner->md, .len = SHA_DIGEST_LENGTH, .done = SHA_CBLOCK };
	memcpy(outer->h, e->hmac_out, sizeof outer->h);
}

void srtp_tags_run(struct srtp_tags *t)
{
	sha1_mb_run(t->inner, t->n);
	sha1_mb_run(t->outer, t->n);
	for (unsigned i = 0; i < t->n; i++)
		memcpy(t->out[i], t->outer[i].md, CM_TAG_LEN);
	explicit_bzero(t->inner, t->n * sizeof t->inner[0]);
	explicit_bzero(t->outer, t->n * sizeof t->outer[0]);
	t->n = 0;
}

static int protect_cm(struct srtp_evp *e, uint8_t *pkt, size_t hl, size_t len,
                      uint32_t ssrc, uint32_t roc, struct srtp_tags *tags)
{
	uint8_t iv[16] = { 0 };
	uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	struct sha1_mb_job inner, outer;
	int outl;

	/* RFC 3711 §4.1.1: IV = salt*2^16 XOR SSRC*2^64 XOR index*2^16. */
	memcpy(iv, e->salt, CM_SALT_LEN);
	iv[4] ^= (uint8_t)(ssrc >> 24); iv[5] ^= (uint8_t)(ssrc >> 16);
	iv[6] ^= (uint8_t)(ssrc >> 8);  iv[7] ^= (uint8_t)ssrc;
	iv[8] ^= (uint8_t)(roc >> 24);  iv[9] ^= (uint8_t)(roc >> 16);
	iv[10] ^= (uint8_t)(roc >> 8);  iv[11] ^= (uint8_t)roc;
	iv[12] ^= (uint8_t)(seq >> 8);  iv[13] ^= (uint8_t)seq;
	if (EVP_EncryptInit_ex(e->cipher, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(e->cipher, pkt + hl, &outl, pkt + hl, (int)(len - hl)) != 1)
		return -EIO;
	if (tags) {
		unsigned i;

		if (tags->n == SRTP_TAGS_MAX)
			srtp_tags_run(tags);
		i = tags->n++;
		tags->out[i] = pkt + len;
		tag_jobs(e, pkt, len, roc, &tags->inner[i], &tags->outer[i]);
		return 0;
	}
	tag_jobs(e, pkt, len, roc, &inner, &outer);
	sha1_mb_run(&inner, 1);
	sha1_mb_run(&outer, 1);
	memcpy(pkt + len, outer.md, CM_TAG_LEN);
	explicit_bzero(&inner, sizeof inner);
	explicit_bzero(&outer, sizeof outer);
	return 0;
}

static int protect_gcm(struct srtp_evp *e, uint8_t *pkt, size_t hl, size_t len,
                       uint32_t ssrc, uint32_t roc)
{
	uint8_t iv[12];
	int outl;

	/* RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt. */
	memcpy(iv, e->salt, GCM_SALT_LEN);
	iv[2] ^= (uint8_t)(ssrc >> 24); iv[3] ^= (uint8_t)(ssrc >> 16);
	iv[4] ^= (uint8_t)(ssrc >> 8);  iv[5] ^= (uint8_t)ssrc;
	iv[6] ^= (uint8_t)(roc >> 24);  iv[7] ^= (uint8_t)(roc >> 16);
	iv[8] ^= (uint8_t)(roc >> 8);   iv[9] ^= (uint8_t)roc;
	iv[10] ^= pkt[2];               iv[11] ^= pkt[3];
	if (EVP_EncryptInit_ex(e->cipher, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(e->cipher, NULL, &outl, pkt, (int)hl) != 1 ||
	    (len > hl &&
	     EVP_EncryptUpdate(e->cipher, pkt + hl, &outl, pkt + hl, (int)(len - hl)) != 1) ||
	    EVP_EncryptFinal_ex(e->cipher, pkt + len, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(e->cipher, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, pkt + len) != 1)
		return -EIO;
	return 0;
}

int srtp_evp_protect(struct srtp_evp *e, uint8_t *pkt, size_t *len, size_t cap,
                     struct srtp_tags *tags)
{
	struct ssrc_state *st;
	uint64_t idx;
	uint32_t ssrc;
	int hl, r;
	size_t tag = e->suite == SRTP_SUITE_AEAD_AES_128_GCM ? GCM_TAG_LEN : CM_TAG_LEN;

	hl = srtp_evp_header_len(pkt, *len);
	if (hl < 0)
		return hl;
	if (*len > (size_t)1 << 30 || cap < *len + tag)
		return -ENOSPC;
	ssrc = rd32(pkt + 8);
	st = ssrc_find(e, ssrc);
	if (!st)
		return -ENOMEM;
	idx = index_estimate(st->index, (uint16_t)(pkt[2] << 8 | pkt[3]));
	if (e->suite == SRTP_SUITE_AEAD_AES_128_GCM)
		r = protect_gcm(e, pkt, (size_t)hl, *len, ssrc, (uint32_t)(idx >> 16));
	else
		r = protect_cm(e, pkt, (size_t)hl, *len, ssrc, (uint32_t)(idx >> 16), tags);
	if (r < 0)
		return r;
	if (idx > st->index)
		st->index = idx;
	*len += tag;
	return 0;
}
