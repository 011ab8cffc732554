/* rxstats: what the relay received of one RTP stream of a WebRTC publisher
 * (one SSRC), for the report blocks of the receiver reports it sends that
 * publisher (RFC 3550 §6.4.1; appendix A.1 sequence numbers, A.3 loss, A.8
 * jitter): extended highest sequence number, packets lost, interarrival
 * jitter, and the last SR's time, from which the publisher works out the
 * round-trip time; and which packets stay missing, for a keyframe request
 * when a loss is not repaired (feedback.c).  Chromium's congestion controller takes its RTT from
 * these blocks; without them it assumes 200 ms and climbs back slowly after
 * a bottleneck (docs/webrtc.md "Congestion control").
 *
 * Ownership: one struct rxstats per track of a stream (struct stream's rxs),
 * on the stream's owner worker: ingress.c feeds it, feedback.c reads it.
 * Plain data, no clock of its own (tests/unit/relay_rxstats.c). */
#ifndef RELAY_RXSTATS_H
#define RELAY_RXSTATS_H

#include <stdbool.h>
#include <stdint.h>

#include "relay/rtcp.h"

struct rxstats {
	uint32_t ssrc;            /* 0: nothing received yet */
	uint16_t max_seq;         /* highest sequence number seen */
	uint32_t cycles;          /* sequence number wraps, << 16 */
	uint32_t base_seq;        /* the first sequence number */
	uint32_t bad_seq;         /* RFC 3550 A.1: a jump is believed when the next packet follows it */
	uint32_t received, expected_prior, received_prior;
	uint32_t transit;         /* the last packet's arrival minus its timestamp, clock units */
	uint32_t jitter;          /* A.8, scaled by 16 */
	uint32_t lsr;             /* middle 32 bits of the last SR's NTP time */
	int64_t lsr_ns;           /* its arrival, on the caller's clock; 0: no SR yet */
	uint64_t seen;            /* bit i: max_seq - i arrived (or is no longer watched) */
	uint16_t gap_seq;         /* the oldest missing sequence number watched */
	int64_t gap_ns;           /* since when (the caller's clock), 0: none */
};

/* A packet of the stream (a parsed, plaintext RTP header's SSRC, sequence
 * number and timestamp) arrived at arrival_ns (any clock, ns), the track's
 * RTP clock running at clock_rate Hz.  A new SSRC starts over. */
void rxstats_packet(struct rxstats *r, uint32_t ssrc, uint16_t seq, uint32_t ts, uint32_t clock_rate,
                    int64_t arrival_ns);
/* A packet missing for wait_ns or more at now_ns (and not arrived since,
 * late or repaired): true once per such loss, and then every loss up to
 * now counts as answered (the keyframe the caller asks for replaces them
 * all).  Watches the last 64 sequence numbers. */
bool rxstats_gap_due(struct rxstats *r, int64_t now_ns, int64_t wait_ns);
/* The publisher's SR for r's SSRC, its NTP time, arrived at now_ns (the
 * clock rxstats_block is given). */
void rxstats_sr(struct rxstats *r, uint32_t ntp_sec, uint32_t ntp_frac, int64_t now_ns);
/* The report block as of now_ns; the fraction lost counts since the last
 * call (the next one starts there).  -ENOENT when nothing was received. */
int rxstats_block(struct rxstats *r, int64_t now_ns, struct rtcp_report *b);

#endif
