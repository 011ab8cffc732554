/* stun: STUN (RFC 5389 / RFC 8489) messages as an ICE-lite agent (RFC 8445
 * §2.5) needs them, and the RFC 7983 first-byte demux of a worker's port.
 *
 * An ICE-lite relay only ever answers: a browser sends Binding requests
 * (connectivity checks, then consent freshness, RFC 7675) signed with the
 * relay's ice-pwd; the relay answers each valid one with a success response
 * carrying XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT, and the
 * rest with 400 (malformed) or 401 (bad credentials).  No state lives here:
 * the caller (the worker owning the port) maps the local ufrag to its peer,
 * hands over that peer's password and decides what a valid check means.
 *
 * Message building (the writer, MESSAGE-INTEGRITY, FINGERPRINT, the
 * Binding requests tests send) is common/stun.h, shared with amphi-bench.
 *
 * Ownership: struct stun_msg only points into the datagram it was parsed
 * from; it is valid while that buffer is.  Builders write into the caller's
 * buffer and never allocate.  Everything is thread-safe (no globals). */
#ifndef AMPHI_RELAY_STUN_H
#define AMPHI_RELAY_STUN_H

#include <sys/socket.h>

#include "common/stun.h"

/* RFC 7983 §7: what the first byte of a datagram on a WebRTC port says it is.
 * 0..3 STUN, 20..63 DTLS, 128..191 RTP/RTCP; everything else (ZRTP 16..19,
 * TURN channels 64..79, the rest) is unknown and dropped by the relay. */
enum stun_demux {
	STUN_DEMUX_UNKNOWN = 0,
	STUN_DEMUX_STUN,
	STUN_DEMUX_DTLS,
	STUN_DEMUX_RTP,      /* RTP or RTCP: tell them apart by payload type */
};
enum stun_demux stun_demux(const uint8_t *buf, size_t len);
const char *stun_demux_name(enum stun_demux d);   /* "stun", "dtls", "rtp-rtcp", "unknown" */

/* The longest success response stun_binding_success_build() writes
 * (IPv6 XOR-MAPPED-ADDRESS + MESSAGE-INTEGRITY + FINGERPRINT). */
#define STUN_RESPONSE_MAX 80

/* A parsed message.  Pointers point into the parsed datagram. */
struct stun_msg {
	uint16_t type;             /* message type, e.g. STUN_BINDING_REQUEST */
	uint16_t length;           /* header length field: bytes after the header */
	uint8_t txid[12];          /* transaction id, copied into every answer */
	const uint8_t *username;   /* USERNAME value ("local:remote" in ICE), or NULL */
	uint16_t username_len;
	uint32_t priority;         /* PRIORITY value when has_priority */
	bool has_priority;
	bool use_candidate;        /* USE-CANDIDATE present: the controlling side nominates */
	bool ice_controlling;      /* ICE-CONTROLLING present (the browser's role) */
	bool ice_controlled;       /* ICE-CONTROLLED present */
	uint64_t tiebreaker;       /* of ICE-CONTROLLING / ICE-CONTROLLED */
	uint16_t integrity_off;    /* offset of the MESSAGE-INTEGRITY attribute header, 0 = none */
	bool has_fingerprint;      /* a FINGERPRINT was present (and verified by the parser) */
	bool has_xor_mapped;       /* XOR-MAPPED-ADDRESS present (responses) */
	struct sockaddr_storage xor_mapped; /* its decoded value */
	uint16_t error_code;       /* ERROR-CODE value (300..699) in error responses, else 0 */
	/* Comprehension-required attributes (< 0x8000) this module does not know;
	 * a request carrying any gets 420 (RFC 5389 §7.3.1).  The first few kept. */
	uint16_t unknown[4];
	uint8_t n_unknown;
};

/* Parses one datagram as a STUN message (RFC 5389 §6, §15): header, cookie,
 * 4-byte aligned attributes within the length, nothing after FINGERPRINT and
 * only FINGERPRINT after MESSAGE-INTEGRITY (§15.4; later attributes ignored
 * as the RFC says).  A FINGERPRINT present must match.  Returns 0, -EINVAL
 * (not STUN / malformed), -EBADMSG (wrong fingerprint) or -EMSGSIZE. */
int stun_msg_parse(struct stun_msg *m, const uint8_t *buf, size_t len);

/* Checks MESSAGE-INTEGRITY (HMAC-SHA1 keyed with the short-term password,
 * RFC 5389 §15.4) of the message m parsed from buf.  0 when it verifies,
 * -ENOENT when the message has none, -EACCES when it does not verify. */
int stun_msg_check_integrity(const struct stun_msg *m, const uint8_t *buf,
                             const char *key, size_t key_len);

/* The local half of an ICE USERNAME "local-ufrag:remote-ufrag" (RFC 8445
 * §7.2.2): *ufrag points into the message.  0, or -ENOENT (no USERNAME or no
 * colon). */
int stun_username_local(const struct stun_msg *m, const uint8_t **ufrag, size_t *len);

/* What an ICE-lite agent answers to a Binding request whose local ufrag
 * named a peer with password pwd (RFC 8445 §7.3, RFC 5389 §10.1.2):
 *   0    valid: answer with stun_binding_success_build()
 *   400  not a Binding request, or USERNAME / MESSAGE-INTEGRITY / PRIORITY /
 *        FINGERPRINT missing
 *   401  USERNAME's local ufrag is not ufrag, or the integrity does not verify
 *   420  carries unknown comprehension-required attributes
 * The caller with no peer for the ufrag answers 401 itself. */
int stun_binding_check(const struct stun_msg *m, const uint8_t *buf,
                       const char *ufrag, const char *pwd);

/* Writes a Binding success response to the request with transaction id txid:
 * XOR-MAPPED-ADDRESS of from (AF_INET, AF_INET6; an IPv4-mapped IPv6 address
 * is written as IPv4), MESSAGE-INTEGRITY keyed with pwd, FINGERPRINT.
 * Returns its length, or -ENOSPC (cap too small; STUN_RESPONSE_MAX is
 * enough) or -EAFNOSUPPORT. */
int stun_binding_success_build(uint8_t *out, size_t cap, const uint8_t txid[12],
                               const struct sockaddr *from, const char *pwd);

/* Writes a Binding error response (ERROR-CODE code with its standard reason
 * phrase, UNKNOWN-ATTRIBUTES for 420 from m, then FINGERPRINT).  Error
 * responses to requests that failed authentication carry no
 * MESSAGE-INTEGRITY (RFC 5389 §10.1.2).  Returns its length or -ENOSPC /
 * -EINVAL (code outside 300..699). */
int stun_binding_error_build(uint8_t *out, size_t cap, const struct stun_msg *m, int code);

#endif
