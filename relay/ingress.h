/* ingress: the receive side of the packet path (DESIGN.md §5 "Transports").
 *
 * A datagram on the worker's port is classified by its first byte (RFC 7983)
 * and then by its source address: STUN, DTLS and a latched WebRTC peer's
 * SRTP go to webrtc.c; a viewer's RTCP to feedback.c; the rest is a
 * publisher's SRTP, authenticated and decrypted once into a relay_pkt under
 * the key of the stream whose source it comes from (an unknown source is
 * tried against the keys of the streams this worker owns and latched on
 * success), recorded, and handed off: one reference to each worker with
 * viewers of the stream (xcore rings), one to this worker's own viewers
 * (fanout_deliver).  A publisher's SRs are rewritten and handed off the same
 * way.  Packets handed over by other workers come in here too: media and
 * SRs for the fan-out, keyframe requests for feedback.c.
 *
 * Worker thread only; the datagram's bytes are borrowed (the receive buffer
 * is released after the call); nothing below calls back into this module. */
#ifndef RELAY_INGRESS_H
#define RELAY_INGRESS_H

#include <stdint.h>
#include <sys/socket.h>

struct worker;

/* Any worker: one datagram from src (borrowed), handled and counted. */
void ingress_datagram(struct worker *w, const struct sockaddr *src, const uint8_t *data, unsigned len);
/* Any worker: drains every inbound xcore ring. */
void ingress_drain(struct worker *w);

#endif
