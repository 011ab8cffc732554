/* fanout: the packet path.
 *
 * Ingress, on the stream's owner: demultiplex a datagram (RFC 7983 first
 * byte, then source address; an unknown source is tried against the keys of
 * the streams this worker owns and latched on success), authenticate and
 * decrypt it once into a relay_pkt, record it, and hand one reference to each
 * worker with viewers of the stream.
 * Egress, on every worker: for each viewer of the packet's stream placed
 * here, copy the plaintext into a send slot, rewrite the payload type, protect
 * it under the viewer's key and queue the send.  The caller's reference to the
 * packet is consumed. */
#ifndef RELAY_FANOUT_H
#define RELAY_FANOUT_H

#include <stdint.h>
#include <sys/socket.h>

struct worker;
struct relay_pkt;

void fanout_ingress(struct worker *w, const struct sockaddr *src, const uint8_t *data, unsigned len);
void fanout_deliver(struct worker *w, struct relay_pkt *pkt);
/* Packets handed over by other workers: drains every inbound xcore ring. */
void fanout_drain(struct worker *w);
/* End of a loop turn: wake the workers that were handed packets. */
void fanout_flush(struct worker *w);

#endif
