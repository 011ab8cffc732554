/* addr: IP socket addresses from text, the one parser of "ip:port" for every
 * daemon: the relay's viewer and bind addresses (control socket, relay.conf),
 * control's HTTP listen address (control.conf), the bench's relay and WHEP
 * answers.
 *
 * Numeric literals only (inet_pton): no name is ever resolved here.  The
 * result goes into a struct sockaddr_in6, the larger of the two families'
 * addresses (28 bytes, where sockaddr_storage takes 128: the relay keeps
 * several per viewer); *len says which family was written (sizeof
 * sockaddr_in or sockaddr_in6) and the result is passed on as
 * (struct sockaddr *)out, len.  Nothing is allocated. */
#ifndef AMPHI_ADDR_H
#define AMPHI_ADDR_H

#include <netinet/in.h>
#include <sys/socket.h>

/* A listen address: port 0 is allowed (the kernel picks one) and an empty
 * host or "*" means every IPv4 interface (0.0.0.0). */
#define ADDR_LISTEN 1u

/* "1.2.3.4:5" or "[::1]:5" into *out (without brackets an IPv6 literal
 * ends at the last colon: "::1:5" is [::1]:5).
 * Port 1-65535 (0-65535 with ADDR_LISTEN).  0 or -EINVAL (s NULL included);
 * on -EINVAL *out is zeroed and *len untouched. */
int addr_parse(const char *s, unsigned flags, struct sockaddr_in6 *out, socklen_t *len);

/* The same from a host literal without brackets ("::1") and a port apart. */
int addr_make(const char *host, long port, unsigned flags, struct sockaddr_in6 *out, socklen_t *len);

#endif
