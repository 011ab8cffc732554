/* rtcp: the relay's RTCP beyond what common/rtcp.h reads (the compound
 * walk, SRs, NTP time): report blocks, SDES, BYE and feedback readers, SR
 * rewriting and feedback builders (RFC 3550 §6, RFC 4585 §6 feedback,
 * RFC 5104 §4.3.1 FIR, draft-alvestrand-rmcat-remb REMB), with the same
 * rules: readers never copy, bad input gives -EINVAL, nothing allocates or
 * logs.
 *
 * The relay's use: walk a publisher's decrypted compound packet, forward its
 * SR to viewers with rtcp_sr_rewrite (viewer-facing SSRC and timestamp, no
 * report blocks), terminate RRs, and from viewers' packets read NACKs
 * (rtcp_nack_expand), PLI/FIR (coalesced, then rtcp_build_pli/fir towards
 * the publisher) and REMB. */
#ifndef AMPHI_RELAY_RTCP_H
#define AMPHI_RELAY_RTCP_H

#include "common/rtcp.h"

enum { RTCP_FMT_NACK = 1, RTCP_FMT_PLI = 1, RTCP_FMT_FIR = 4, RTCP_FMT_AFB = 15 };

/* Sender SSRC (first word of the body) of any SR/RR/RTPFB/PSFB/BYE/APP. */
int rtcp_sender_ssrc(const struct rtcp_pkt *p, uint32_t *ssrc);

struct rtcp_report {            /* RFC 3550 §6.4.1 report block */
	uint32_t ssrc;
	uint8_t fraction_lost;
	int32_t cumulative_lost;        /* 24-bit signed */
	uint32_t highest_seq;           /* extended */
	uint32_t jitter;
	uint32_t lsr, dlsr;
};

/* Report block i (0 .. count-1) of an SR or RR. */
int rtcp_report_read(const struct rtcp_pkt *p, unsigned i, struct rtcp_report *rb);

/* Rewrite one SR in place for a viewer: sender SSRC, RTP timestamp plus
 * ts_delta (the relay's timestamp offset for that viewer), report blocks and
 * profile extensions dropped.  pkt/len describe that SR only (a struct
 * rtcp_pkt's data/len); *len becomes 28.  0 or -EINVAL. */
int rtcp_sr_rewrite(uint8_t *pkt, size_t *len, uint32_t ssrc, uint32_t ts_delta);

/* SDES: the CNAME of chunk i (0 .. count-1).  cname gets a NUL-terminated
 * copy (at most 255 bytes + NUL).  0, -ENOENT (chunk without CNAME), -EINVAL. */
int rtcp_sdes_cname(const struct rtcp_pkt *p, unsigned i, uint32_t *ssrc,
                    char cname[256]);

/* BYE: SSRC i (0 .. count-1). */
int rtcp_bye_ssrc(const struct rtcp_pkt *p, unsigned i, uint32_t *ssrc);

/* Feedback (RTPFB/PSFB): sender and media SSRC. */
int rtcp_fb_read(const struct rtcp_pkt *p, uint32_t *sender, uint32_t *media);

/* Generic NACK: the lost sequence numbers, each PID then the bits of its BLP
 * (RFC 4585 §6.2.1), in packet order, at most max of them.  The count
 * (possibly more than max: the rest are not written), or -EINVAL. */
int rtcp_nack_expand(const struct rtcp_pkt *p, uint16_t *seqs, size_t max);

/* FIR entry i: the SSRC asked for a keyframe and the command sequence number. */
int rtcp_fir_read(const struct rtcp_pkt *p, unsigned i, uint32_t *ssrc, uint8_t *seq);
/* Number of FIR entries. */
unsigned rtcp_fir_count(const struct rtcp_pkt *p);

/* REMB: bitrate in bit/s and up to max SSRCs; the SSRC count or -EINVAL
 * (-ENOENT for an AFB that is not REMB). */
int rtcp_remb_read(const struct rtcp_pkt *p, uint64_t *bitrate, uint32_t *ssrcs, size_t max);

/* Builders: write into buf (cap bytes), return the length or -ENOSPC. */
int rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media);
int rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media, uint8_t seq);
/* Generic NACK for n sequence numbers (any order; packed into PID+BLP pairs). */
int rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media,
                    const uint16_t *seqs, size_t n);
int rtcp_build_remb(uint8_t *buf, size_t cap, uint32_t sender, uint64_t bitrate,
                    const uint32_t *ssrcs, size_t n);
/* An empty RR (RC 0): the first packet of a compound feedback packet. */
int rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t sender);
/* An RR with n report blocks (n <= 31; cumulative_lost clamped to 24 bits),
 * or -EINVAL for more. */
int rtcp_build_rr_reports(uint8_t *buf, size_t cap, uint32_t sender, const struct rtcp_report *rb, size_t n);

#endif
