/* ceiling: the machine's raw send ceiling measured in the same run as the
 * fan-out (DESIGN.md §8): plain connected UDP sockets, one per destination,
 * no crypto, round-robin over the destinations with the fan-out's packet
 * size, batched: IORING_OP_SEND on the connected sockets, CEILING_BATCH
 * sends per io_uring_enter (CEILING_URING), and unbatched: one send() per
 * datagram (CEILING_SEND).  amphi-bench measures both and divides by the
 * better one: on the 2-vCPU VMs here the batched form measured lower
 * (docs/performance.md), and a ceiling must not be the slower way to send.
 * The result is datagrams per CPU-second of the sending thread
 * (getrusage RUSAGE_THREAD: user + system, which on loopback includes the
 * kernel's delivery to the receiving socket, as it does for the relay).
 *
 * The GSO ceiling sends the way the relay's fan-out does: runs of
 * equal-sized datagrams to one destination in one send with UDP_SEGMENT,
 * the kernel cutting them apart, in three forms: one send() per run on a
 * connected socket per destination (CEILING_GSO), CEILING_BATCH runs per
 * io_uring_enter on those sockets (CEILING_GSO_URING), and the relay's own
 * shape, IORING_OP_SENDMSG on one unconnected socket with the run's
 * UDP_SEGMENT in a control message, CEILING_BATCH per submit
 * (CEILING_GSO_SENDMSG: one hot socket and a route lookup per send instead
 * of a cold socket per destination, which at a thousand destinations can
 * be the cheaper).
 * A run costs a system call or an SQE plus the datagrams' own work, so at
 * three or four datagrams per run the system call is a large share, and a
 * ceiling of one send() per run was lower than the relay's rate (ratio_gso
 * above 1; docs/bench.md).  Its run length is the relay's average over the
 * same run (packets out per GSO send), so the relay is held against plain
 * sends of its own shape. */
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

enum ceiling_mode { CEILING_URING, CEILING_SEND, CEILING_GSO, CEILING_GSO_URING, CEILING_GSO_SENDMSG };
#define CEILING_BATCH 64
/* The most datagrams one GSO send carries (the kernel's UDP_MAX_SEGMENTS). */
#define CEILING_GSO_MAX 64

/* Destinations 127.0.0.1:ports[0..n-1]; runs for about `seconds` of wall
 * time.  The CEILING_GSO forms: `run` datagrams per send on average (1 to
 * CEILING_GSO_MAX and at most 64 KiB; a fractional average alternates the
 * two whole lengths around it); ignored otherwise.  0 or -errno. */
int ceiling_run(const uint16_t *ports, unsigned n, size_t size, double seconds,
                enum ceiling_mode mode, double run, struct ceiling_result *r);

#endif
