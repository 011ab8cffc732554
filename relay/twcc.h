/* twcc: a WebRTC publisher's packet arrivals by transport-wide sequence
 * number (draft-holmer-rmcat-transport-wide-cc-extensions-01), and the
 * feedback packets that report them.  The publisher's browser runs the
 * congestion controller on what we report; the relay only measures arrival
 * times (docs/webrtc.md "Congestion control").
 *
 * Ownership: a struct twcc belongs to its stream (struct stream's twcc, on
 * the stream's owner worker): ingress.c records arrivals into it, feedback.c
 * asks it for the feedback to send.  Plain data: no time source, no I/O
 * (tests/unit/relay_twcc.c). */
#ifndef RELAY_TWCC_H
#define RELAY_TWCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TWCC_WINDOW 1024   /* packets remembered: more than any feedback interval carries */

struct twcc {
	uint8_t ext_id;                   /* the publisher's transport-cc extmap id (1..14) */
	bool started;
	uint32_t media_ssrc;              /* the last SSRC seen with the extension */
	int64_t next;                     /* extended sequence number of the first not yet reported */
	int64_t high;                     /* highest extended sequence number received */
	uint8_t fb_count;
	uint64_t late;                    /* arrived after the feedback that called them lost */
	int64_t arrival_us[TWCC_WINDOW];  /* by extended sequence number mod TWCC_WINDOW, -1: not yet */
};

/* 0, -EINVAL (ext_id not 1..14), -ENOMEM. */
int twcc_create(uint8_t ext_id, struct twcc **out);
void twcc_destroy(struct twcc *t);
/* A plaintext RTP packet (len bytes) arrived at now_us (µs on any one clock,
 * >= 0: the relay uses the kernel's receive stamps): remembered when it
 * carries the extension.  Returns true when it did. */
bool twcc_packet(struct twcc *t, const uint8_t *rtp, size_t len, int64_t now_us);
/* One feedback packet (RTPFB FMT 15, sender SSRC sender) for the arrivals
 * not yet reported, into buf: its length, 0 when nothing is to report, or
 * -ENOSPC.  Call again while it returns more than 0 (a long history or a
 * jump in time takes more than one packet). */
int twcc_feedback(struct twcc *t, uint32_t sender, uint8_t *buf, size_t cap);
/* Arrivals are waiting to be reported. */
static inline bool twcc_pending(const struct twcc *t)
{
	return t->started && t->next <= t->high;
}

#endif
