/* ice_client: the STUN side of amphi-bench's WebRTC viewers, as a full ICE
 * agent in the controlling role talks to an ICE-lite relay (RFC 8445 §2.5,
 * §7.2.2): Binding requests that carry USERNAME, PRIORITY, ICE-CONTROLLING,
 * USE-CANDIDATE (the nomination; consent checks leave it out, RFC 7675),
 * MESSAGE-INTEGRITY and FINGERPRINT, and the check of the relay's answer.
 *
 * The requests are built by common/stun.h (stun_binding_request_build, the
 * writer the relay's answers use too).  The bench links no relay code
 * (DESIGN.md §4), so the check of the answers is its own reading of
 * RFC 5389 §15, independent of the relay's parser; the relay's parser judges
 * the requests (its stats count stun_ok / stun_rejected) and RFC 5769's
 * sample messages judge the checker (tests/unit/bench_ice.c).
 *
 * Nothing here allocates or keeps state; builders write into the caller's
 * buffer.  Thread-safe. */
#ifndef AMPHI_BENCH_ICE_CLIENT_H
#define AMPHI_BENCH_ICE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ICE_CLIENT_TXID_LEN 12
/* A request with a 64-byte USERNAME fits (20 + 68 + 8 + 12 + 4 + 24 + 8). */
#define ICE_CLIENT_REQUEST_MAX 160

/* What the relay answered to the request with transaction id txid. */
struct ice_client_answer {
	int error_code;                 /* 0 for a success response, else ERROR-CODE (300..699) */
	bool has_mapped;
	struct sockaddr_storage mapped; /* XOR-MAPPED-ADDRESS of a success response */
};

/* Checks a datagram as the answer to txid: a Binding success response whose
 * FINGERPRINT and MESSAGE-INTEGRITY (keyed with pwd) verify, or a Binding
 * error response with a valid FINGERPRINT (errors to unauthenticated
 * requests carry no integrity, RFC 5389 §10.1.2).  Returns 0 (see
 * a->error_code), -EINVAL (not STUN, malformed, not a Binding response),
 * -ESRCH (another transaction), -EBADMSG (FINGERPRINT missing or wrong) or
 * -EACCES (success without a verifying MESSAGE-INTEGRITY). */
int ice_client_answer_check(const uint8_t *buf, size_t len, const uint8_t txid[ICE_CLIENT_TXID_LEN],
                            const char *pwd, struct ice_client_answer *a);

/* Verifies the MESSAGE-INTEGRITY (keyed with pwd) and the FINGERPRINT of any
 * STUN message; both must be there.  0, -EINVAL, -EBADMSG or -EACCES.  The
 * unit test holds it to RFC 5769's sample request and response. */
int ice_client_message_verify(const uint8_t *buf, size_t len, const char *pwd);

/* RFC 8445 §5.1.2.1 priority of a host candidate with the given local
 * preference and component 1. */
uint32_t ice_client_priority(uint16_t local_pref);

#endif
