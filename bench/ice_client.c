/* ice_client: see ice_client.h.  RFC 5389 §6 (header), §15 (attributes). */
#include "bench/ice_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/bytes.h"
#include "common/stun.h"

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
	size_t pos = STUN_HEADER_LEN, end;

	memset(w, 0, sizeof *w);
	if (len < STUN_HEADER_LEN || len > STUN_MAX_LEN || (buf[0] & 0xC0) || rd32(buf + 4) != STUN_MAGIC_COOKIE)
		return -EINVAL;
	end = STUN_HEADER_LEN + (size_t)rd16(buf + 2);
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
		if (type == STUN_ATTR_FINGERPRINT) {
			if (alen != 4)
				return -EINVAL;
			w->fp_off = pos;
		} else if (w->mi_off) {
			/* after MESSAGE-INTEGRITY: ignored */
		} else if (type == STUN_ATTR_MESSAGE_INTEGRITY) {
			if (alen != 20)
				return -EINVAL;
			w->mi_off = pos;
		} else if (type == STUN_ATTR_XOR_MAPPED_ADDRESS) {
			w->mapped = buf + pos + 4;
			w->mapped_len = alen;
		} else if (type == STUN_ATTR_ERROR_CODE) {
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
	return w->fp_off && rd32(buf + w->fp_off + 4) == (stun_crc32(buf, w->fp_off) ^ STUN_FINGERPRINT_XOR);
}

/* MESSAGE-INTEGRITY over the bytes before it, with the length field as if
 * the message ended right after it (§15.4). */
static int integrity_ok(const uint8_t *buf, const struct walk *w, const char *pwd)
{
	uint8_t mac[STUN_HMAC_LEN];
	int ok;

	if (!w->mi_off)
		return 0;
	ok = stun_integrity_compute(buf, w->mi_off, pwd, strlen(pwd), mac) == 0 &&
	     CRYPTO_memcmp(mac, buf + w->mi_off + 4, STUN_HMAC_LEN) == 0;
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
	port = rd16(v + 2) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16);
	if (v[1] == 1 && w->mapped_len == 8) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(rd32(v + 4) ^ STUN_MAGIC_COOKIE);
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
	if (walk(buf, len, &w) < 0 || (w.type != STUN_BINDING_SUCCESS && w.type != STUN_BINDING_ERROR))
		return -EINVAL;
	if (memcmp(buf + 8, txid, ICE_CLIENT_TXID_LEN) != 0)
		return -ESRCH;
	if (!fingerprint_ok(buf, &w))
		return -EBADMSG;
	if (w.type == STUN_BINDING_ERROR) {
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
