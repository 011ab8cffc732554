/* pkt: a decrypted packet shared by the workers that fan it out.
 *
 * The stream's owner worker allocates one relay_pkt per authenticated ingress
 * packet, decrypts into it once, and hands one reference to every worker that
 * has viewers of the stream (through xcore rings) plus one to itself.  Each
 * holder drops its reference when it has copied the bytes into its per-viewer
 * send buffers; the last one frees it.  The bytes are never written after the
 * first hand-off: readers on several cores share them. */
#ifndef RELAY_PKT_H
#define RELAY_PKT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Largest plaintext the relay forwards: one datagram on a 1500-byte MTU path
 * leaves at most 1472 bytes of UDP payload; SRTP adds at most 30. */
#define RELAY_PKT_CAP 1500

enum relay_pkt_type {
	RELAY_PKT_RTP,        /* owner -> viewer workers: a media packet */
	RELAY_PKT_SR,         /* owner -> viewer workers: one sender report, report blocks cut */
	RELAY_PKT_KEYFRAME,   /* viewer worker -> owner: a viewer asked for a keyframe (PLI/FIR) */
};

struct relay_pkt {
	atomic_uint refs;
	uint8_t type;           /* enum relay_pkt_type */
	uint16_t slot;          /* stream slot in the relay's stream table */
	uint32_t gen;           /* stream generation: a recycled slot never gets stale packets */
	uint8_t track;          /* index in the stream's track list (RTP, SR) */
	bool rtcp;              /* an RTCP compound packet rather than RTP */
	bool repair;            /* RTP: the publisher's repair of a packet the relay asked it for */
	uint16_t len;           /* bytes of data[] in use */
	int64_t arrival_ns;     /* wall clock at receive (amphi_now_ns) */
	uint8_t data[RELAY_PKT_CAP];
};

/* A packet with one reference; NULL when memory is short. */
struct relay_pkt *relay_pkt_new(void);
static inline void relay_pkt_ref(struct relay_pkt *p, unsigned n)
{
	atomic_fetch_add_explicit(&p->refs, n, memory_order_relaxed);
}
void relay_pkt_unref(struct relay_pkt *p);

#endif
