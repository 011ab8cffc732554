/* addr: socket addresses as the relay reads, writes and compares them.
 *
 * Pure functions over caller-owned buffers; any thread.  The workers format
 * addresses for their log lines and compare a datagram's source with latched
 * ones (family, IP, port: what vindex.h hashes).  Parsing "ip:port" is
 * common/addr.h's, shared with the other daemons. */
#ifndef RELAY_ADDR_H
#define RELAY_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* A socket address as "1.2.3.4:5" or "[::1]:5" (what addr_parse reads,
 * common/addr.h), into buf (at least 64 bytes). */
const char *relay_addr_format(const struct sockaddr *sa, char *buf, size_t len);
bool relay_addr_equal(const struct sockaddr *a, const struct sockaddr *b);

#endif
