/* ice_client: see ice_client.h.  RFC 5389 §6 (header), §15 (attributes). */
#include "bench/ice_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/bytes.h"

#define MAGIC_COOKIE 0x2112A442u
#define FINGERPRINT_XOR 0x5354554eu       /* RFC 5389 §15.5 */
#define HEADER_LEN 20
#define MAX_LEN 1472                      /* one UDP payload on a 1500-byte path */

enum {
	ATTR_USERNAME = 0x0006,
	ATTR_MESSAGE_INTEGRITY = 0x0008,
	ATTR_ERROR_CODE = 0x0009,
	ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	ATTR_PRIORITY = 0x0024,
	ATTR_USE_CANDIDATE = 0x0025,
	ATTR_FINGERPRINT = 0x8028,
	ATTR_ICE_CONTROLLING = 0x802A,
	BINDING_REQUEST = 0x0001,
	BINDING_SUCCESS = 0x0101,
	BINDING_ERROR = 0x0111,
};

/* CRC-32 as FINGERPRINT uses it (ISO-HDLC: reflected 0xEDB88320, init and
 * final xor all ones), bit by bit: requests are ~100 bytes, a few a second. */
static uint32_t crc32_iso(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xEDB88320u & -(c & 1));
	}
	return ~c;
}

static int hmac_sha1(const char *key, const uint8_t *msg, size_t len, uint8_t out[20])
{
	unsigned out_len = 0;

	return HMAC(EVP_sha1(), key, (int)strlen(key), msg, len, out, &out_len) && out_len == 20 ? 0 : -EIO;
}

/* Appends attribute (type, len) at *pos with its value, padded to 4 bytes. */
static int attr_put(uint8_t *out, size_t cap, size_t *pos, uint16_t type, const void *val, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;

	if (*pos + 4 + padded > cap)
		return -ENOSPC;
	wr16(out + *pos, type);
	wr16(out + *pos + 2, (uint16_t)len);
	if (len)
		memcpy(out + *pos + 4, val, len);
	memset(out + *pos + 4 + len, 0, padded - len);
	*pos += 4 + padded;
	return 0;
}

int ice_client_request_build(uint8_t *out, size_t cap, const uint8_t txid[ICE_CLIENT_TXID_LEN],
                             const char *username, const char *pwd, uint32_t priority,
                             uint64_t tiebreaker, bool nominate)
{
	size_t pos = HEADER_LEN, ulen = strlen(username);
	uint8_t v[8], mac[20];
	int r;

	if (ulen == 0 || ulen > 513)           /* RFC 5389 §15.3 */
		return -EINVAL;
	if (cap < HEADER_LEN)
		return -ENOSPC;
	wr16(out, BINDING_REQUEST);
	wr32(out + 4, MAGIC_COOKIE);
	memcpy(out + 8, txid, ICE_CLIENT_TXID_LEN);
	wr32(v, priority);
	wr32(v + 4, 0);
	if ((r = attr_put(out, cap, &pos, ATTR_USERNAME, username, ulen)) ||
	    (r = attr_put(out, cap, &pos, ATTR_PRIORITY, v, 4)))
		return r;
	wr32(v, (uint32_t)(tiebreaker >> 32));
	wr32(v + 4, (uint32_t)tiebreaker);
	if ((r = attr_put(out, cap, &pos, ATTR_ICE_CONTROLLING, v, 8)) ||
	    (nominate && (r = attr_put(out, cap, &pos, ATTR_USE_CANDIDATE, NULL, 0))))
		return r;
	/* §15.4: the length field counts MESSAGE-INTEGRITY while it is computed */
	if (pos + 24 + 8 > cap)
		return -ENOSPC;
	wr16(out + 2, (uint16_t)(pos + 24 - HEADER_LEN));
	if (hmac_sha1(pwd, out, pos, mac) < 0)
		return -EIO;
	attr_put(out, cap, &pos, ATTR_MESSAGE_INTEGRITY, mac, 20);
	/* §15.5: and FINGERPRINT while the CRC is */
	wr16(out + 2, (uint16_t)(pos + 8 - HEADER_LEN));
	wr32(v, crc32_iso(out, pos) ^ FINGERPRINT_XOR);
	attr_put(out, cap, &pos, ATTR_FINGERPRINT, v, 4);
	return (int)pos;
}

uint32_t ice_client_priority(uint16_t local_pref)
{
	/* type preference 126 (host), component 1 */
	return (uint32_t)126 << 24 | (uint32_t)local_pref << 8 | (256 - 1);
}

/* What a walk over a message's attributes found. */
struct walk {
	uint16_t type;
	size_t mi_off, fp_off;                 /* attribute header offsets, 0 = absent */
	const uint8_t *mapped;                 /* XOR-MAPPED-ADDRESS value */
	size_t mapped_len;
	int error_code;
};

/* Header and attribute layout (§6, §15); attributes after MESSAGE-INTEGRITY
 * other than FINGERPRINT are ignored as §15.4 says, nothing may follow
 * FINGERPRINT.  0 or -EINVAL. */
static int walk(const uint8_t *buf, size_t len, struct walk *w)
{
	size_t pos = HEADER_LEN, end;

	memset(w, 0, sizeof *w);
	if (len < HEADER_LEN || len > MAX_LEN || (buf[0] & 0xC0) || rd32(buf + 4) != MAGIC_COOKIE)
		return -EINVAL;
	end = HEADER_LEN + (size_t)rd16(buf + 2);
	if ((end & 3) || end != len)
		return -EINVAL;
	w->type = rd16(buf);
	while (pos < end) {
		uint16_t type, alen;

		if (end - pos < 4 || w->fp_off)
			return -EINVAL;
		type = rd16(buf + pos);
		alen = rd16(buf + pos + 2);
		if (end - pos - 4 < (((size_t)alen + 3) & ~(size_t)3))
			return -EINVAL;
		if (type == ATTR_FINGERPRINT) {
			if (alen != 4)
				return -EINVAL;
			w->fp_off = pos;
		} else if (w->mi_off) {
			/* after MESSAGE-INTEGRITY: ignored */
		} else if (type == ATTR_MESSAGE_INTEGRITY) {
			if (alen != 20)
				return -EINVAL;
			w->mi_off = pos;
		} else if (type == ATTR_XOR_MAPPED_ADDRESS) {
			w->mapped = buf + pos + 4;
			w->mapped_len = alen;
		} else if (type == ATTR_ERROR_CODE) {
			const uint8_t *v = buf + pos + 4;

			if (alen < 4 || (v[2] & 7) < 3 || (v[2] & 7) > 6 || v[3] > 99)
				return -EINVAL;
			w->error_code = (v[2] & 7) * 100 + v[3];
		}
		pos += 4 + (((size_t)alen + 3) & ~(size_t)3);
	}
	return 0;
}

static int fingerprint_ok(const uint8_t *buf, const struct walk *w)
{
	return w->fp_off && rd32(buf + w->fp_off + 4) == (crc32_iso(buf, w->fp_off) ^ FINGERPRINT_XOR);
}

/* MESSAGE-INTEGRITY over the bytes before it, with the length field as if
 * the message ended right after it (§15.4). */
static int integrity_ok(const uint8_t *buf, const struct walk *w, const char *pwd)
{
	uint8_t copy[MAX_LEN], mac[20];
	int ok;

	if (!w->mi_off)
		return 0;
	memcpy(copy, buf, w->mi_off);
	wr16(copy + 2, (uint16_t)(w->mi_off + 24 - HEADER_LEN));
	ok = hmac_sha1(pwd, copy, w->mi_off, mac) == 0 &&
	     CRYPTO_memcmp(mac, buf + w->mi_off + 4, 20) == 0;
	OPENSSL_cleanse(mac, sizeof mac);
	return ok;
}

int ice_client_message_verify(const uint8_t *buf, size_t len, const char *pwd)
{
	struct walk w;

	if (walk(buf, len, &w) < 0)
		return -EINVAL;
	if (!fingerprint_ok(buf, &w))
		return -EBADMSG;
	return integrity_ok(buf, &w, pwd) ? 0 : -EACCES;
}

/* XOR-MAPPED-ADDRESS (§15.2) into *ss; 0 or -EINVAL. */
static int mapped_decode(const uint8_t *buf, const struct walk *w, struct sockaddr_storage *ss)
{
	const uint8_t *v = w->mapped;
	uint16_t port;

	memset(ss, 0, sizeof *ss);
	if (w->mapped_len < 8)
		return -EINVAL;
	port = rd16(v + 2) ^ (uint16_t)(MAGIC_COOKIE >> 16);
	if (v[1] == 1 && w->mapped_len == 8) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(rd32(v + 4) ^ MAGIC_COOKIE);
		return 0;
	}
	if (v[1] == 2 && w->mapped_len == 20) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		for (int i = 0; i < 16; i++)    /* xor with cookie || transaction id */
			sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ buf[4 + i];
		return 0;
	}
	return -EINVAL;
}

int ice_client_answer_check(const uint8_t *buf, size_t len, const uint8_t txid[ICE_CLIENT_TXID_LEN],
                            const char *pwd, struct ice_client_answer *a)
{
	struct walk w;

	memset(a, 0, sizeof *a);
	if (walk(buf, len, &w) < 0 || (w.type != BINDING_SUCCESS && w.type != BINDING_ERROR))
		return -EINVAL;
	if (memcmp(buf + 8, txid, ICE_CLIENT_TXID_LEN) != 0)
		return -ESRCH;
	if (!fingerprint_ok(buf, &w))
		return -EBADMSG;
	if (w.type == BINDING_ERROR) {
		if (!w.error_code)
			return -EINVAL;
		a->error_code = w.error_code;
		return 0;
	}
	if (!integrity_ok(buf, &w, pwd))
		return -EACCES;
	if (w.mapped && mapped_decode(buf, &w, &a->mapped) == 0)
		a->has_mapped = true;
	return 0;
}
