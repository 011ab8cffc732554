/* stun: building STUN messages (RFC 5389 / RFC 8489) the way both ends of an
 * amphi ICE exchange need them: the relay's ICE-lite answers (relay/stun.h)
 * and the Binding requests of a controlling agent (amphi-bench's WebRTC
 * viewers, the relay's tests).  Parsing stays with each side: the relay reads
 * requests from anyone (relay/stun.c), the bench checks the relay's answers
 * (bench/ice_client.c), so each judges the other's messages independently.
 *
 * Builders write into the caller's buffer and never allocate; nothing here
 * keeps state.  Thread-safe. */
#ifndef AMPHI_STUN_H
#define AMPHI_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_FINGERPRINT_XOR 0x5354554eu   /* RFC 5389 §15.5: "STUN" */
#define STUN_HMAC_LEN 20                    /* MESSAGE-INTEGRITY: HMAC-SHA1 */
#define STUN_USERNAME_MAX 513               /* §15.3: "MUST contain less than 513 bytes" */
/* Largest message handled: checks from browsers are ~100 bytes; a message
 * larger than a UDP payload on a 1500-byte path is refused (-EMSGSIZE) so
 * the integrity check can work on a stack copy. */
#define STUN_MAX_LEN 1472

/* Message types (method | class bits, RFC 5389 §6). */
#define STUN_BINDING_REQUEST  0x0001
#define STUN_BINDING_SUCCESS  0x0101
#define STUN_BINDING_ERROR    0x0111
#define STUN_BINDING_INDICATION 0x0011

/* Attribute types read or written in amphi. */
#define STUN_ATTR_USERNAME           0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY  0x0008
#define STUN_ATTR_ERROR_CODE         0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_PRIORITY           0x0024
#define STUN_ATTR_USE_CANDIDATE      0x0025
#define STUN_ATTR_SOFTWARE           0x8022
#define STUN_ATTR_FINGERPRINT        0x8028
#define STUN_ATTR_ICE_CONTROLLED     0x8029
#define STUN_ATTR_ICE_CONTROLLING    0x802A

/* CRC-32 (ISO-HDLC, the one FINGERPRINT uses before its xor, RFC 5389 §15.5). */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

/* HMAC-SHA1 keyed with key over buf[0..mi_off), with the header's length
 * field taken as if the message ended right after a MESSAGE-INTEGRITY at
 * mi_off (RFC 5389 §15.4): what a sender writes there and a receiver
 * compares.  buf is not changed.  0, -EINVAL (mi_off outside
 * STUN_HEADER_LEN..STUN_MAX_LEN) or -EIO. */
int stun_integrity_compute(const uint8_t *buf, size_t mi_off, const char *key, size_t key_len,
                           uint8_t mac[STUN_HMAC_LEN]);

/* A message being built: a cursor over the caller's buffer; the first
 * overflow sticks in err and every later call does nothing. */
struct stun_writer {
	uint8_t *out;
	size_t cap, pos;
	int err;                   /* 0, or the first -ENOSPC / -EIO */
};

/* Starts a message of type with transaction id txid in out (cap bytes). */
void stun_writer_start(struct stun_writer *w, uint8_t *out, size_t cap, uint16_t type,
                       const uint8_t txid[12]);
/* Appends an attribute (val may be NULL: len zero bytes), zero-padded to 4
 * bytes, and updates the header's length; its value's address or NULL. */
uint8_t *stun_writer_attr(struct stun_writer *w, uint16_t type, const void *val, size_t len);
/* MESSAGE-INTEGRITY keyed with pwd over what is written so far. */
void stun_writer_integrity(struct stun_writer *w, const char *pwd);
/* FINGERPRINT over what is written so far: the last attribute. */
void stun_writer_fingerprint(struct stun_writer *w);
/* The message's length, or the error that stuck. */
int stun_writer_done(const struct stun_writer *w);

/* Writes a Binding request as a controlling ICE agent (RFC 8445 §7.2.2):
 * USERNAME ("<remote ufrag>:<own ufrag>"), PRIORITY, ICE-CONTROLLING
 * (tiebreaker), USE-CANDIDATE when nominate (consent checks leave it out,
 * RFC 7675), MESSAGE-INTEGRITY keyed with pwd, FINGERPRINT.  Returns its
 * length, -ENOSPC or -EINVAL (empty USERNAME or 513 bytes and more). */
int stun_binding_request_build(uint8_t *out, size_t cap, const uint8_t txid[12],
                               const char *username, const char *pwd,
                               uint32_t priority, uint64_t tiebreaker, bool nominate);

#endif
