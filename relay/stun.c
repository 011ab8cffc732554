/* stun: STUN parse and answers for ICE-lite; see stun.h. */
#include "relay/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/bytes.h"

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
			if ((stun_crc32(buf, off) ^ STUN_FINGERPRINT_XOR) != rd32(v))
				return -EBADMSG;
			m->has_fingerprint = true;
		} else if (m->integrity_off) {
			/* RFC 5389 §15.4: attributes after MESSAGE-INTEGRITY other
			 * than FINGERPRINT are ignored. */
		} else if (type == STUN_ATTR_MESSAGE_INTEGRITY) {
			if (alen != STUN_HMAC_LEN)
				return -EINVAL;
			m->integrity_off = (uint16_t)off;
		} else if (type == STUN_ATTR_USERNAME) {
			if (alen >= STUN_USERNAME_MAX)
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

int stun_msg_check_integrity(const struct stun_msg *m, const uint8_t *buf,
                             const char *key, size_t key_len)
{
	uint8_t mac[STUN_HMAC_LEN];

	if (!m->integrity_off)
		return -ENOENT;
	int rc = stun_integrity_compute(buf, m->integrity_off, key, key_len, mac);
	if (rc)
		return rc;
	rc = CRYPTO_memcmp(mac, buf + m->integrity_off + 4, STUN_HMAC_LEN) ? -EACCES : 0;
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

int stun_binding_success_build(uint8_t *out, size_t cap, const uint8_t txid[12],
                               const struct sockaddr *from, const char *pwd)
{
	struct stun_writer w;
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
	stun_writer_start(&w, out, cap, STUN_BINDING_SUCCESS, txid);
	stun_writer_attr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, v, vlen);
	stun_writer_integrity(&w, pwd);
	stun_writer_fingerprint(&w);
	return stun_writer_done(&w);
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
	struct stun_writer w;
	uint8_t v[4 + 32];

	if (code < 300 || code > 699)
		return -EINVAL;
	const char *reason = reason_phrase(code);
	size_t rlen = strlen(reason);
	v[0] = v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	memcpy(v + 4, reason, rlen);
	stun_writer_start(&w, out, cap, STUN_BINDING_ERROR, m->txid);
	stun_writer_attr(&w, STUN_ATTR_ERROR_CODE, v, 4 + rlen);
	if (code == 420 && m->n_unknown) {
		uint8_t u[2 * sizeof m->unknown / sizeof m->unknown[0]];
		for (unsigned i = 0; i < m->n_unknown; i++)
			wr16(u + 2 * i, m->unknown[i]);
		stun_writer_attr(&w, STUN_ATTR_UNKNOWN_ATTRIBUTES, u, 2u * m->n_unknown);
	}
	stun_writer_fingerprint(&w);
	return stun_writer_done(&w);
}
