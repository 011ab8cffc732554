/* srtp_evp: the lean egress SRTP transform on OpenSSL EVP.
 *
 * RFC 3711 AES-CM key derivation, then per packet either AES-128-CTR +
 * HMAC-SHA1-80 (RFC 3711 §4.1.1, §4.2) or AEAD_AES_128_GCM (RFC 7714 §8:
 * 12-byte IV = session salt XOR 00 00||SSRC||ROC||SEQ, AAD = the RTP header).
 * Every EVP context is made once in srtp_evp_create and only re-keyed with
 * a fresh IV per packet: OpenSSL 3 is slow at building contexts, fast at
 * reusing them (docs/performance.md, Relay).
 *
 * The rollover counter is kept per SSRC exactly as libsrtp keeps it for a
 * sender (RFC 3711 §3.3.1 index estimate, highest index wins), so the output
 * is byte-identical to libsrtp's srtp_protect for the same packets in the
 * same order; tests/unit/relay_srtp.c checks that.  Used through srtp_tx
 * (srtp.h); the benchmark in bench/crypto/ uses it directly. */
#ifndef AMPHI_RELAY_SRTP_EVP_H
#define AMPHI_RELAY_SRTP_EVP_H

#include <stddef.h>
#include <stdint.h>

#include "relay/srtp.h"

struct srtp_evp;

/* key_salt: srtp_suite_key_len(s) bytes; derived session keys are kept, the
 * master key is not.  0, -EINVAL, -ENOMEM, -EIO (OpenSSL refused). */
int srtp_evp_create(struct srtp_evp **out, enum srtp_suite s, const uint8_t *key_salt);
/* The same from session keys already derived (the RFC vectors are given at
 * that level): key 16 bytes, salt 14 (CM) or 12 (GCM), auth_key 20 bytes
 * (CM only, NULL for GCM). */
int srtp_evp_create_session(struct srtp_evp **out, enum srtp_suite s,
                            const uint8_t key[16], const uint8_t *salt,
                            const uint8_t *auth_key);
/* Protect one RTP packet in place: with tags NULL as srtp_tx_protect, else
 * as srtp_tx_protect_later (the contracts are in srtp.h).  srtp_tags_run is
 * this module's too. */
int srtp_evp_protect(struct srtp_evp *e, uint8_t *pkt, size_t *len, size_t cap,
                     struct srtp_tags *tags);
void srtp_evp_destroy(struct srtp_evp *e);
/* Cache hints for a protect soon to come (see srtp_tx_prefetch): step 0
 * fetches the lines of e a GCM protect reads, step 1 (once they are cached)
 * its cipher context and, for AES-CM, e's HMAC states. */
void srtp_evp_prefetch(const struct srtp_evp *e, int step);

/* RFC 3711 §4.3.3 AES-CM PRF with key derivation rate 0: n bytes of session
 * material for label (0 RTP key, 1 RTP auth key, 2 RTP salt; 3..5 RTCP).
 * master_salt is 14 bytes (a 12-byte GCM salt is passed zero-padded, RFC 7714
 * errata 4938).  0 or -EIO. */
int srtp_evp_kdf(const uint8_t master_key[16], const uint8_t master_salt[14],
                 uint8_t label, uint8_t *out, size_t n);

/* Byte length of the RTP header (fixed part, CSRCs, extension) of pkt, or
 * -EINVAL when len cannot hold it or the version is not 2. */
int srtp_evp_header_len(const uint8_t *pkt, size_t len);

#endif
