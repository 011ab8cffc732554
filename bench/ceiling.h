/* ceiling: the machine's raw send ceiling measured in the same run as the
 * fan-out: plain connected UDP sockets, one per destination, no crypto,
 * send() round-robin over the destinations with the fan-out's packet size.
 * The result is datagrams per CPU-second of the sending thread
 * (getrusage RUSAGE_THREAD: user + system, which on loopback includes the
 * kernel's delivery to the receiving socket, as it does for the relay). */
#ifndef AMPHI_BENCH_CEILING_H
#define AMPHI_BENCH_CEILING_H

#include <stddef.h>
#include <stdint.h>

struct ceiling_result {
	uint64_t sent;
	double cpu_s;
	double wall_s;
	double pps_per_cpu_s;
};

/* Destinations 127.0.0.1:ports[0..n-1]; runs for about `seconds` of wall
 * time.  0 or -errno. */
int ceiling_run(const uint16_t *ports, unsigned n, size_t size, double seconds,
                struct ceiling_result *r);

#endif
