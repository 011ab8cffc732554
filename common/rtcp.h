/* rtcp: the RTCP every daemon reads (RFC 3550 §6): walking a compound
 * packet and the sender report, with the NTP <-> Unix time conversion in
 * one place.  The relay forwards publishers' SRs to viewers and reads their
 * feedback (relay/rtcp.h); the recording store places a journal's tracks on
 * one timeline from the SRs it recorded (recstore/ingest.c).
 *
 * Readers never copy: struct rtcp_pkt points into the caller's buffer.
 * rtcp_next validates each packet's header and length against the buffer;
 * the typed readers validate their own body.  Bad input gives -EINVAL and
 * leaves the output unspecified; nothing here allocates or logs. */
#ifndef AMPHI_RTCP_H
#define AMPHI_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rtcp_type {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
	RTCP_RTPFB = 205,       /* transport feedback, FMT 1 = generic NACK */
	RTCP_PSFB = 206,        /* payload-specific, FMT 1 PLI, 4 FIR, 15 AFB/REMB */
};

/* One packet of a compound packet. */
struct rtcp_pkt {
	uint8_t type;           /* enum rtcp_type, or another value to skip */
	uint8_t count;          /* RC / SC / FMT: the 5 low bits of byte 0 */
	const uint8_t *data;    /* the packet, from its header */
	size_t len;             /* header + body, padding included */
	size_t body_len;        /* after the 4-byte header, padding excluded */
};

struct rtcp_iter {
	const uint8_t *buf;
	size_t len, off;
};

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len);
/* 1 with *p set, 0 at the end, -EINVAL on a malformed packet (version not 2,
 * length past the buffer, bad padding).  A caller that wants RFC 3550's
 * compound rule (first packet SR or RR) checks p->type itself. */
int rtcp_next(struct rtcp_iter *it, struct rtcp_pkt *p);
/* The whole buffer walks cleanly; its packet count, or -EINVAL. */
int rtcp_validate(const uint8_t *buf, size_t len);

/* RFC 3550 §6.4.1 sender info. */
struct rtcp_sr {
	uint32_t ssrc;
	uint32_t ntp_sec, ntp_frac;
	uint32_t rtp_ts;
	uint32_t packets, octets;
};

/* The sender info of an SR (its report blocks must fit too); 0 or -EINVAL. */
int rtcp_sr_read(const struct rtcp_pkt *p, struct rtcp_sr *sr);
/* A 28-byte SR of sr (no report blocks) into buf; the length or -ENOSPC. */
int rtcp_sr_build(uint8_t *buf, size_t cap, const struct rtcp_sr *sr);

/* Transport-wide congestion control feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1: RTPFB FMT 15):
 * the arrival time of each packet from base_seq on, by its transport-wide
 * sequence number.  The receiver reports, the sender estimates.  Times are
 * microseconds on the receiver's own clock (any epoch, >= 0); on the wire
 * they become a 24-bit reference time in 64 ms units and deltas in 250 µs
 * units, so a time reads back floored to 250 µs. */
#define RTCP_FMT_TWCC 15
#define RTCP_TWCC_NOT_RECEIVED (-1)

struct rtcp_twcc {
	uint32_t sender, media;      /* the reporter's SSRC, the media sender's */
	uint16_t base_seq;           /* transport-wide sequence number of arrival_us[0] */
	uint8_t fb_count;            /* feedback packet count, wraps */
	unsigned n;                  /* packets described from base_seq */
	int64_t *arrival_us;         /* [n]: µs, or RTCP_TWCC_NOT_RECEIVED */
};

/* One feedback packet for the first packets of fb into buf (cap bytes):
 * its length, with *covered (>= 1) the packets it describes; fewer than
 * fb->n when the rest does not fit in cap or a receive delta leaves the
 * 16-bit range (the caller starts the next packet there).  fb->arrival_us[0]
 * need not be received, but one packet of the first *covered must be.
 * -ENOSPC (cap below the 20-byte header and one chunk), -EINVAL (n 0 or
 * above 65535, no packet received). */
int rtcp_twcc_build(uint8_t *buf, size_t cap, const struct rtcp_twcc *fb, unsigned *covered);
/* Reads a feedback packet: sender, media, base_seq, fb_count, and n (its
 * packet status count; only the first max arrival times are written, so the
 * count may exceed max).  Arrival times are µs since the 24-bit reference
 * time's zero (reference × 64 ms plus the deltas: negative deltas may take
 * it below 0 only on a malformed sender).  0 or -EINVAL (not a well-formed
 * transport-cc feedback: chunks or deltas past the end, reserved symbols). */
int rtcp_twcc_read(const struct rtcp_pkt *p, struct rtcp_twcc *fb, size_t max);

/* Seconds from the NTP epoch (1900-01-01) to the Unix one (1970-01-01). */
#define RTCP_NTP_UNIX_OFFSET 2208988800u

/* NTP timestamp (RFC 3550 §4: 32-bit seconds, 32-bit fraction, era 0, so
 * until 2036-02-07) to Unix nanoseconds; 0, or -ERANGE for a time before
 * 1970 (a sender without a real wall clock: unusable for sync). */
int rtcp_ntp_to_unix_ns(uint32_t sec, uint32_t frac, int64_t *unix_ns);
/* The other way, for 1970 <= unix_ns < 2036-02-07. */
void rtcp_ntp_from_unix_ns(int64_t unix_ns, uint32_t *sec, uint32_t *frac);

#endif
