/* stun: STUN parse and build for ICE-lite; see stun.h. */
#include "relay/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/bytes.h"

#define FINGERPRINT_XOR 0x5354554eu  /* RFC 5389 §15.5: "STUN" */
#define HMAC_SHA1_LEN 20
#define USERNAME_MAX 513             /* RFC 5389 §15.3: "MUST contain less than 513 bytes" */

enum stun_demux stun_demux(const uint8_t *buf, size_t len)
{
	if (len == 0)
		return STUN_DEMUX_UNKNOWN;
	uint8_t b = buf[0];
	if (b <= 3)
		return STUN_DEMUX_STUN;
	if (b >= 20 && b <= 63)
		return STUN_DEMUX_DTLS;
	if (b >= 128 && b <= 191)
		return STUN_DEMUX_RTP;
	return STUN_DEMUX_UNKNOWN;
}

const char *stun_demux_name(enum stun_demux d)
{
	switch (d) {
	case STUN_DEMUX_STUN: return "stun";
	case STUN_DEMUX_DTLS: return "dtls";
	case STUN_DEMUX_RTP: return "rtp-rtcp";
	case STUN_DEMUX_UNKNOWN: break;
	}
	return "unknown";
}

/* Nibble-at-a-time table for the reflected polynomial 0xEDB88320: 64 bytes
 * of table, fast enough for ~100-byte messages a few times a second. */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
	0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
	0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
};

uint32_t stun_crc32(const uint8_t *buf, size_t len)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xF];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xF];
	}
	return ~crc;
}

/* XOR-MAPPED-ADDRESS value (RFC 5389 §15.2) to a sockaddr; 0 or -EINVAL. */
static int xor_address_decode(const uint8_t *v, size_t len, const uint8_t *txid,
                              struct sockaddr_storage *out)
{
	uint8_t mask[16];

	if (len < 4)
		return -EINVAL;
	wr32(mask, STUN_MAGIC_COOKIE);
	memcpy(mask + 4, txid, 12);
	uint16_t port = rd16(v + 2) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16);
	memset(out, 0, sizeof *out);
	if (v[1] == 0x01 && len == 8) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;
		uint8_t a[4];
		for (int i = 0; i < 4; i++)
			a[i] = v[4 + i] ^ mask[i];
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a, 4);
		return 0;
	}
	if (v[1] == 0x02 && len == 20) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		for (int i = 0; i < 16; i++)
			sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ mask[i];
		return 0;
	}
	return -EINVAL;
}

int stun_msg_parse(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	memset(m, 0, sizeof *m);
	if (len < STUN_HEADER_LEN || (buf[0] & 0xC0) != 0 || rd32(buf + 4) != STUN_MAGIC_COOKIE)
		return -EINVAL;
	if (len > STUN_MAX_LEN)
		return -EMSGSIZE;
	m->type = rd16(buf);
	m->length = rd16(buf + 2);
	if ((m->length & 3) != 0 || (size_t)m->length + STUN_HEADER_LEN != len)
		return -EINVAL;
	memcpy(m->txid, buf + 8, 12);

	bool have_username = false, have_priority = false, have_role = false;
	bool have_xor = false, have_error = false;
	size_t off = STUN_HEADER_LEN;
	while (off < len) {
		if (len - off < 4)
			return -EINVAL;
		uint16_t type = rd16(buf + off), alen = rd16(buf + off + 2);
		size_t padded = ((size_t)alen + 3) & ~(size_t)3;
		if (padded > len - off - 4)
			return -EINVAL;
		const uint8_t *v = buf + off + 4;

		if (m->has_fingerprint)
			return -EINVAL;   /* FINGERPRINT must be the last attribute */
		if (type == STUN_ATTR_FINGERPRINT) {
			if (alen != 4)
				return -EINVAL;
			if ((stun_crc32(buf, off) ^ FINGERPRINT_XOR) != rd32(v))
				return -EBADMSG;
			m->has_fingerprint = true;
		} else if (m->integrity_off) {
			/* RFC 5389 §15.4: attributes after MESSAGE-INTEGRITY other
			 * than FINGERPRINT are ignored. */
		} else if (type == STUN_ATTR_MESSAGE_INTEGRITY) {
			if (alen != HMAC_SHA1_LEN)
				return -EINVAL;
			m->integrity_off = (uint16_t)off;
		} else if (type == STUN_ATTR_USERNAME) {
			if (alen >= USERNAME_MAX)
				return -EINVAL;
			if (!have_username) {
				m->username = v;
				m->username_len = alen;
				have_username = true;
			}
		} else if (type == STUN_ATTR_PRIORITY) {
			if (alen != 4)
				return -EINVAL;
			if (!have_priority) {
				m->priority = rd32(v);
				m->has_priority = have_priority = true;
			}
		} else if (type == STUN_ATTR_USE_CANDIDATE) {
			if (alen != 0)
				return -EINVAL;
			m->use_candidate = true;
		} else if (type == STUN_ATTR_ICE_CONTROLLING || type == STUN_ATTR_ICE_CONTROLLED) {
			if (alen != 8)
				return -EINVAL;
			if (!have_role) {
				m->ice_controlling = type == STUN_ATTR_ICE_CONTROLLING;
				m->ice_controlled = type == STUN_ATTR_ICE_CONTROLLED;
				m->tiebreaker = rd64(v);
				have_role = true;
			}
		} else if (type == STUN_ATTR_XOR_MAPPED_ADDRESS) {
			if (!have_xor) {
				if (xor_address_decode(v, alen, m->txid, &m->xor_mapped) != 0)
					return -EINVAL;
				m->has_xor_mapped = have_xor = true;
			}
		} else if (type == STUN_ATTR_ERROR_CODE) {
			if (alen < 4 || v[2] < 3 || v[2] > 6 || v[3] > 99)
				return -EINVAL;
			if (!have_error) {
				m->error_code = (uint16_t)(v[2] * 100 + v[3]);
				have_error = true;
			}
		} else if (type < 0x8000 && type != STUN_ATTR_UNKNOWN_ATTRIBUTES) {
			if (m->n_unknown < sizeof m->unknown / sizeof m->unknown[0])
				m->unknown[m->n_unknown++] = type;
		}
		off += 4 + padded;
	}
	return 0;
}

/* HMAC-SHA1 over buf[0..mi_off) with the header length field set as if the
 * message ended right after a MESSAGE-INTEGRITY at mi_off (RFC 5389 §15.4). */
static int integrity_compute(const uint8_t *buf, size_t mi_off, const char *key,
                             size_t key_len, uint8_t mac[HMAC_SHA1_LEN])
{
	uint8_t copy[STUN_MAX_LEN];
	unsigned int mac_len = 0;

	if (mi_off > sizeof copy || mi_off < STUN_HEADER_LEN)
		return -EINVAL;
	memcpy(copy, buf, mi_off);
	wr16(copy + 2, (uint16_t)(mi_off + 4 + HMAC_SHA1_LEN - STUN_HEADER_LEN));
	if (!HMAC(EVP_sha1(), key, (int)key_len, copy, mi_off, mac, &mac_len) ||
	    mac_len != HMAC_SHA1_LEN)
		return -EIO;
	return 0;
}

int stun_msg_check_integrity(const struct stun_msg *m, const uint8_t *buf,
                             const char *key, size_t key_len)
{
	uint8_t mac[HMAC_SHA1_LEN];

	if (!m->integrity_off)
		return -ENOENT;
	int rc = integrity_compute(buf, m->integrity_off, key, key_len, mac);
	if (rc)
		return rc;
	rc = CRYPTO_memcmp(mac, buf + m->integrity_off + 4, HMAC_SHA1_LEN) ? -EACCES : 0;
	OPENSSL_cleanse(mac, sizeof mac);
	return rc;
}

int stun_username_local(const struct stun_msg *m, const uint8_t **ufrag, size_t *len)
{
	if (!m->username)
		return -ENOENT;
	const uint8_t *colon = memchr(m->username, ':', m->username_len);
	if (!colon)
		return -ENOENT;
	*ufrag = m->username;
	*len = (size_t)(colon - m->username);
	return 0;
}

int stun_binding_check(const struct stun_msg *m, const uint8_t *buf,
                       const char *ufrag, const char *pwd)
{
	const uint8_t *local;
	size_t local_len;

	/* RFC 5389 §10.1.2: missing credentials are a bad request... */
	if (m->type != STUN_BINDING_REQUEST || !m->username || !m->integrity_off)
		return 400;
	/* ...wrong ones are unauthorized. */
	if (stun_username_local(m, &local, &local_len) != 0 ||
	    local_len != strlen(ufrag) || memcmp(local, ufrag, local_len) != 0)
		return 401;
	if (stun_msg_check_integrity(m, buf, pwd, strlen(pwd)) != 0)
		return 401;
	/* RFC 5389 §7.3.1, after authentication. */
	if (m->n_unknown)
		return 420;
	/* RFC 8445 §7.1.1: a connectivity check carries PRIORITY, and
	 * §5.1.2 / RFC 7983: ICE's STUN messages carry FINGERPRINT. */
	if (!m->has_priority || !m->has_fingerprint)
		return 400;
	return 0;
}

/* The builders: a cursor over the caller's buffer; the first overflow sticks. */
struct writer {
	uint8_t *out;
	size_t cap, pos;
	int err;
};

static void w_header(struct writer *w, uint16_t type, const uint8_t txid[12])
{
	if (w->cap < STUN_HEADER_LEN) {
		w->err = -ENOSPC;
		return;
	}
	wr16(w->out, type);
	wr16(w->out + 2, 0);
	wr32(w->out + 4, STUN_MAGIC_COOKIE);
	memcpy(w->out + 8, txid, 12);
	w->pos = STUN_HEADER_LEN;
}

/* Appends an attribute with zero padding; returns its value pointer or NULL. */
static uint8_t *w_attr(struct writer *w, uint16_t type, const void *val, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	if (w->err || len > 0xFFFF || w->cap - w->pos < 4 + padded) {
		if (!w->err)
			w->err = -ENOSPC;
		return NULL;
	}
	uint8_t *p = w->out + w->pos;
	wr16(p, type);
	wr16(p + 2, (uint16_t)len);
	if (val)
		memcpy(p + 4, val, len);
	memset(p + 4 + len, 0, padded - len);
	w->pos += 4 + padded;
	wr16(w->out + 2, (uint16_t)(w->pos - STUN_HEADER_LEN));
	return p + 4;
}

static void w_integrity(struct writer *w, const char *pwd)
{
	uint8_t mac[HMAC_SHA1_LEN];
	size_t at = w->pos;

	if (w->err)
		return;
	if (integrity_compute(w->out, at, pwd, strlen(pwd), mac) != 0) {
		w->err = -EIO;
		return;
	}
	w_attr(w, STUN_ATTR_MESSAGE_INTEGRITY, mac, sizeof mac);
}

static void w_fingerprint(struct writer *w)
{
	uint8_t *v = w_attr(w, STUN_ATTR_FINGERPRINT, NULL, 4);
	if (v)   /* the length field already counts this attribute, as §15.5 asks */
		wr32(v, stun_crc32(w->out, w->pos - 8) ^ FINGERPRINT_XOR);
}

static int w_done(struct writer *w)
{
	return w->err ? w->err : (int)w->pos;
}

int stun_binding_success_build(uint8_t *out, size_t cap, const uint8_t txid[12],
                               const struct sockaddr *from, const char *pwd)
{
	struct writer w = { out, cap, 0, 0 };
	uint8_t v[20], mask[16];
	size_t vlen;

	wr32(mask, STUN_MAGIC_COOKIE);
	memcpy(mask + 4, txid, 12);
	v[0] = 0;
	if (from->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
		const uint8_t *a = (const uint8_t *)&sin->sin_addr;
		v[1] = 0x01;
		wr16(v + 2, ntohs(sin->sin_port) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
		for (int i = 0; i < 4; i++)
			v[4 + i] = a[i] ^ mask[i];
		vlen = 8;
	} else if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)from;
		const uint8_t *a = sin6->sin6_addr.s6_addr;
		wr16(v + 2, ntohs(sin6->sin6_port) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			v[1] = 0x01;
			for (int i = 0; i < 4; i++)
				v[4 + i] = a[12 + i] ^ mask[i];
			vlen = 8;
		} else {
			v[1] = 0x02;
			for (int i = 0; i < 16; i++)
				v[4 + i] = a[i] ^ mask[i];
			vlen = 20;
		}
	} else {
		return -EAFNOSUPPORT;
	}
	w_header(&w, STUN_BINDING_SUCCESS, txid);
	w_attr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, v, vlen);
	w_integrity(&w, pwd);
	w_fingerprint(&w);
	return w_done(&w);
}

static const char *reason_phrase(int code)
{
	switch (code) {
	case 300: return "Try Alternate";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 420: return "Unknown Attribute";
	case 438: return "Stale Nonce";
	case 487: return "Role Conflict";
	case 500: return "Server Error";
	}
	return "Error";
}

int stun_binding_error_build(uint8_t *out, size_t cap, const struct stun_msg *m, int code)
{
	struct writer w = { out, cap, 0, 0 };
	uint8_t v[4 + 32];

	if (code < 300 || code > 699)
		return -EINVAL;
	const char *reason = reason_phrase(code);
	size_t rlen = strlen(reason);
	v[0] = v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	memcpy(v + 4, reason, rlen);
	w_header(&w, STUN_BINDING_ERROR, m->txid);
	w_attr(&w, STUN_ATTR_ERROR_CODE, v, 4 + rlen);
	if (code == 420 && m->n_unknown) {
		uint8_t u[2 * sizeof m->unknown / sizeof m->unknown[0]];
		for (unsigned i = 0; i < m->n_unknown; i++)
			wr16(u + 2 * i, m->unknown[i]);
		w_attr(&w, STUN_ATTR_UNKNOWN_ATTRIBUTES, u, 2u * m->n_unknown);
	}
	w_fingerprint(&w);
	return w_done(&w);
}

int stun_binding_request_build(uint8_t *out, size_t cap, const uint8_t txid[12],
                               const char *username, const char *pwd,
                               uint32_t priority, uint64_t tiebreaker, bool nominate)
{
	struct writer w = { out, cap, 0, 0 };
	uint8_t v[8];
	size_t ulen = strlen(username);

	if (ulen == 0 || ulen >= USERNAME_MAX)
		return -EINVAL;
	w_header(&w, STUN_BINDING_REQUEST, txid);
	w_attr(&w, STUN_ATTR_USERNAME, username, ulen);
	wr32(v, priority);
	w_attr(&w, STUN_ATTR_PRIORITY, v, 4);
	wr32(v, (uint32_t)(tiebreaker >> 32));
	wr32(v + 4, (uint32_t)tiebreaker);
	w_attr(&w, STUN_ATTR_ICE_CONTROLLING, v, 8);
	if (nominate)
		w_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	w_integrity(&w, pwd);
	w_fingerprint(&w);
	return w_done(&w);
}
