/* opts: amphi-relay's settings, from etc/relay.conf and the command line.
 *
 * The config file is read first; flags override it (they are written into the
 * parsed config with config_set, so an error in a flag names "command line").
 * Every key is documented in etc/relay.conf and docs/man/amphi-relay.8.
 * A loaded relay_opts owns no heap memory. */
#ifndef RELAY_OPTS_H
#define RELAY_OPTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RELAY_MAX_WORKERS 64    /* a stream's subscriber set is one 64-bit mask */

struct relay_opts {
	unsigned workers;            /* worker threads; 0 in the file means one per online CPU */
	unsigned port_base;          /* worker i listens on port_base + i */
	char bind[64];               /* local address of the UDP sockets */
	char advertise[64];          /* host handed to clients in {host, port}; defaults to bind */
	bool pin;                    /* pin worker i to the i-th online CPU */
	bool gso;                    /* send each viewer's burst of equal-sized packets with UDP GSO */
	char control[PATH_MAX];      /* control socket path */
	char spool[PATH_MAX];        /* recording journals: spool/ then spool/ready/ */
	char retention[PATH_MAX];    /* retention policy, validated at start */
	unsigned max_streams;        /* streams on the whole relay */
	unsigned max_viewers;        /* viewers on the whole relay */
	unsigned send_slots;         /* in-flight datagrams per worker (each 2 KiB) */
	unsigned recv_buffers;       /* provided receive buffers per worker (each 2 KiB) */
	unsigned xcore_ring;         /* packets queued from one worker to another */
	int64_t pli_interval_ns;     /* at most one PLI/FIR per stream per interval */
	unsigned nack_cache;         /* packets kept per stream for retransmission */
	bool upstream_nack;          /* NACK a WebRTC publisher's missing packets (when it offered nack) */
	int64_t fsync_interval_ns;   /* journal fsync period */
	unsigned webrtc_peers;       /* WebRTC peers per worker (its ICE table) */
	unsigned consent_ms;         /* RFC 7675 consent timeout */
	unsigned handshake_budget;   /* DTLS handshake datagrams admitted per worker per 100 ms tick */
	unsigned max_handshakes;     /* handshakes in progress per worker before webrtc.add is refused */
	unsigned handshake_timeout_ms; /* a DTLS handshake not done by then fails */
};

/* Parses argv (getopt_long) and the config file.  Returns 0 (run), 1 (--help
 * printed, exit 0) or -EINVAL with a message in err. */
int relay_opts_parse(struct relay_opts *o, int argc, char **argv, char *err, size_t errlen);
void relay_opts_usage(FILE *f);

#endif
