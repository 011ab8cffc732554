/* srtp: the relay's SRTP layer (RFC 3711, RFC 7714).
 *
 * Ingress (srtp_rx) is libsrtp: one context per publisher stream, any number
 * of SSRCs, replay window of 128 packets.  Egress (srtp_tx) is one context per
 * viewer, made once when the viewer is added; its RTP protect is the lean
 * transform on OpenSSL EVP described in docs/srtp.md (byte-identical to
 * libsrtp, proven by tests/unit/relay_srtp.c), its SRTCP stays on libsrtp.
 *
 * Keys: key_salt is the master key followed by the master salt
 * (srtp_suite_key_len bytes: 16+14 for AES-CM, 16+12 for GCM).  The contexts
 * copy what they need; the caller keeps (and wipes) its own copy.
 *
 * Packets are protected and unprotected in place.  A buffer handed to these
 * functions should be 4-byte aligned (libsrtp reads header words).
 *
 * Threads: a context belongs to one worker; none of these functions lock.
 * srtp_layer_init runs once per process before any context is made.
 *
 * Naming: libsrtp already exports srtp_init(), so the process-wide init here
 * is srtp_layer_init(); every other name is this module's own. */
#ifndef AMPHI_RELAY_SRTP_H
#define AMPHI_RELAY_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "relay/sha1_mb.h"

enum srtp_suite {
	SRTP_SUITE_AES_CM_128_HMAC_SHA1_80,
	SRTP_SUITE_AEAD_AES_128_GCM,
};

/* "AES_CM_128_HMAC_SHA1_80" or "AEAD_AES_128_GCM" (the SDP / RFC 4568 names);
 * 0 or -EINVAL. */
int srtp_suite_parse(const char *name, enum srtp_suite *out);
const char *srtp_suite_name(enum srtp_suite s);
/* Master key + master salt bytes: 30 (AES-CM) or 28 (GCM). */
size_t srtp_suite_key_len(enum srtp_suite s);
/* Bytes an RTP protect appends: 10 (HMAC-SHA1-80 tag) or 16 (GCM tag). */
size_t srtp_suite_overhead(enum srtp_suite s);
/* Bytes an RTCP protect appends: the tag plus the 4-byte E||SRTCP index. */
size_t srtp_suite_rtcp_overhead(enum srtp_suite s);

/* Once per process (initialises libsrtp); 0 or -EIO. */
int srtp_layer_init(void);

/* Ingress: one per publisher stream. */
struct srtp_rx;
int srtp_rx_create(struct srtp_rx **out, enum srtp_suite s, const uint8_t *key_salt);
/* In place; *len shrinks by the tag.  0, -EBADMSG (authentication failed),
 * -EALREADY (replayed or older than the replay window), -EINVAL (not an
 * SRTP packet).  On error the packet is left unusable and *len unchanged. */
int srtp_rx_unprotect(struct srtp_rx *rx, uint8_t *pkt, size_t *len);
int srtp_rx_unprotect_rtcp(struct srtp_rx *rx, uint8_t *pkt, size_t *len);
void srtp_rx_destroy(struct srtp_rx *rx);

/* Egress: one per viewer. */
struct srtp_tx;
int srtp_tx_create(struct srtp_tx **out, enum srtp_suite s, const uint8_t *key_salt);
/* In place, appends the tag: cap is the buffer size and must be at least
 * *len + srtp_suite_overhead (RTP) or + srtp_suite_rtcp_overhead (RTCP).
 * 0, -ENOSPC (cap too small), -EINVAL (malformed header), -ENOMEM (too
 * many SSRCs on one viewer, see SRTP_TX_MAX_SSRC). */
int srtp_tx_protect(struct srtp_tx *tx, uint8_t *pkt, size_t *len, size_t cap);
int srtp_tx_protect_rtcp(struct srtp_tx *tx, uint8_t *pkt, size_t *len, size_t cap);

/* AES-CM tags computed many at a time.  A fan-out protects one frame for
 * many viewers with srtp_tx_protect_later, which encrypts each packet at
 * once but leaves its HMAC-SHA1 to srtp_tags_run, where sha1_mb hashes up
 * to sixteen packets side by side (docs/performance.md: a protect costs
 * about half).
 * The batch belongs to one thread; it holds pointers into the packets (not
 * copies) and copies of the viewers' HMAC states, wiped by srtp_tags_run. */
#define SRTP_TAGS_MAX 64
struct srtp_tags {
	unsigned n;
	uint8_t *out[SRTP_TAGS_MAX];             /* where each tag goes: its packet's end */
	struct sha1_mb_job inner[SRTP_TAGS_MAX]; /* HMAC inner hash: header||ciphertext||ROC */
	struct sha1_mb_job outer[SRTP_TAGS_MAX]; /* HMAC outer hash of inner[i].md */
};
/* srtp_tx_protect, except that an AES-CM packet's tag is not written yet:
 * *len counts it, and the bytes where it goes hold the ROC the HMAC covers
 * until srtp_tags_run writes it.  The packet must not be sent, moved or
 * changed before then.  A full batch is run first.  GCM packets are whole
 * on return and leave tags untouched. */
int srtp_tx_protect_later(struct srtp_tx *tx, uint8_t *pkt, size_t *len, size_t cap,
                          struct srtp_tags *tags);
/* Writes every tag of the batch and empties it. */
void srtp_tags_run(struct srtp_tags *tags);
void srtp_tx_destroy(struct srtp_tx *tx);
/* Cache hints for a fan-out walking many viewers: a viewer's egress state
 * sits in several allocations that are cold again by the next frame, so the
 * walk fetches them a few viewers ahead, one pointer level per step: step 0
 * needs tx cached, step 1 needs what step 0 fetched, step 2 the same. */
void srtp_tx_prefetch(const struct srtp_tx *tx, int step);

/* libsrtp as the reference: a session for any SSRC in one direction
 * (outbound: repeats allowed, as the relay re-sends for NACKs; window 128),
 * configured with the same suite policy as srtp_rx and the SRTCP side of
 * srtp_tx.  The one place tests (tests/unit/relay_srtp.c) and
 * amphi-crypto-bench (bench/crypto/) get the libsrtp session they compare
 * the EVP transform against.  *out is libsrtp's srtp_t, freed with
 * srtp_dealloc; key_salt is copied.  0, -EINVAL, -ENOMEM. */
struct srtp_ctx_t_;
int srtp_reference_create(struct srtp_ctx_t_ **out, enum srtp_suite s, const uint8_t *key_salt,
                          int outbound);

/* SSRCs one egress context tracks a rollover counter for (audio, video,
 * their retransmission streams, simulcast layers switched in place). */
#define SRTP_TX_MAX_SSRC 16

#endif
