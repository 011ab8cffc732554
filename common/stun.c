/* stun: STUN message building, see stun.h. */
#include "common/stun.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/bytes.h"

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

int stun_integrity_compute(const uint8_t *buf, size_t mi_off, const char *key, size_t key_len,
                           uint8_t mac[STUN_HMAC_LEN])
{
	uint8_t copy[STUN_MAX_LEN];
	unsigned int mac_len = 0;

	if (mi_off > sizeof copy || mi_off < STUN_HEADER_LEN)
		return -EINVAL;
	memcpy(copy, buf, mi_off);
	wr16(copy + 2, (uint16_t)(mi_off + 4 + STUN_HMAC_LEN - STUN_HEADER_LEN));
	if (!HMAC(EVP_sha1(), key, (int)key_len, copy, mi_off, mac, &mac_len) ||
	    mac_len != STUN_HMAC_LEN)
		return -EIO;
	return 0;
}

void stun_writer_start(struct stun_writer *w, uint8_t *out, size_t cap, uint16_t type,
                       const uint8_t txid[12])
{
	w->out = out;
	w->cap = cap;
	w->pos = 0;
	w->err = 0;
	if (cap < STUN_HEADER_LEN) {
		w->err = -ENOSPC;
		return;
	}
	wr16(out, type);
	wr16(out + 2, 0);
	wr32(out + 4, STUN_MAGIC_COOKIE);
	memcpy(out + 8, txid, 12);
	w->pos = STUN_HEADER_LEN;
}

uint8_t *stun_writer_attr(struct stun_writer *w, uint16_t type, const void *val, size_t len)
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

void stun_writer_integrity(struct stun_writer *w, const char *pwd)
{
	uint8_t mac[STUN_HMAC_LEN];

	if (w->err)
		return;
	if (stun_integrity_compute(w->out, w->pos, pwd, strlen(pwd), mac) != 0) {
		w->err = -EIO;
		return;
	}
	stun_writer_attr(w, STUN_ATTR_MESSAGE_INTEGRITY, mac, sizeof mac);
}

void stun_writer_fingerprint(struct stun_writer *w)
{
	uint8_t *v = stun_writer_attr(w, STUN_ATTR_FINGERPRINT, NULL, 4);
	if (v)   /* the length field already counts this attribute, as §15.5 asks */
		wr32(v, stun_crc32(w->out, w->pos - 8) ^ STUN_FINGERPRINT_XOR);
}

int stun_writer_done(const struct stun_writer *w)
{
	return w->err ? w->err : (int)w->pos;
}

int stun_binding_request_build(uint8_t *out, size_t cap, const uint8_t txid[12],
                               const char *username, const char *pwd,
                               uint32_t priority, uint64_t tiebreaker, bool nominate)
{
	struct stun_writer w;
	uint8_t v[8];
	size_t ulen = strlen(username);

	if (ulen == 0 || ulen >= STUN_USERNAME_MAX)
		return -EINVAL;
	stun_writer_start(&w, out, cap, STUN_BINDING_REQUEST, txid);
	stun_writer_attr(&w, STUN_ATTR_USERNAME, username, ulen);
	wr32(v, priority);
	stun_writer_attr(&w, STUN_ATTR_PRIORITY, v, 4);
	wr32(v, (uint32_t)(tiebreaker >> 32));
	wr32(v + 4, (uint32_t)tiebreaker);
	stun_writer_attr(&w, STUN_ATTR_ICE_CONTROLLING, v, 8);
	if (nominate)
		stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_writer_integrity(&w, pwd);
	stun_writer_fingerprint(&w);
	return stun_writer_done(&w);
}
