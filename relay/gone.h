/* gone: WebRTC peers a worker removed on its own (consent expired, DTLS
 * failed or closed), reported to the control thread so its registry follows.
 *
 * Workers push, the control thread takes, under struct relay's gone_lock: it
 * is rare, never per packet.  Beyond RELAY_GONE_MAX pending reports the
 * oldest stay and the new are counted lost (relay.gone_lost); webrtc.remove
 * still answers right. */
#ifndef RELAY_GONE_H
#define RELAY_GONE_H

struct relay;
struct relay_gone;   /* relay.h */

/* Worker side: report a peer gone (copied). */
void relay_gone_push(struct relay *r, const struct relay_gone *g);
/* Control side: take up to cap reports, oldest first; returns how many. */
unsigned relay_gone_take(struct relay *r, struct relay_gone *out, unsigned cap);

#endif
