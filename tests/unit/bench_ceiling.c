/* amphi-bench's raw ceilings (bench/ceiling.h): what they count is what
 * arrives.  One round to four real loopback sockets: the plain forms send
 * one datagram per destination, the GSO forms (send() and io_uring on a
 * connected socket per destination, io_uring sendmsg on one socket) whole
 * runs averaging the given length, cut by the kernel into datagrams of the
 * packet size, and `sent` counts datagrams, not sends. */
#include "tests/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/ceiling.h"

enum { N = 4, SIZE = 1200 };

static int sinks[N];
static uint16_t ports[N];

static void sinks_open(void)
{
	for (unsigned i = 0; i < N; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof sa;
		int big = 1 << 20;

		sinks[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		setsockopt(sinks[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
		if (bind(sinks[i], (struct sockaddr *)&sa, sizeof sa) < 0 ||
		    getsockname(sinks[i], (struct sockaddr *)&sa, &len) < 0)
			SKIP("no loopback UDP");
		ports[i] = ntohs(sa.sin_port);
	}
}

/* Datagrams waiting on sink i, each checked to be SIZE bytes. */
static unsigned sink_drain(unsigned i, unsigned *wrong_size)
{
	static uint8_t buf[65536];
	unsigned got = 0;
	ssize_t n;

	while ((n = recv(sinks[i], buf, sizeof buf, 0)) >= 0) {
		got++;
		if (n != SIZE || buf[0] != 0x80)
			(*wrong_size)++;
	}
	return got;
}

/* One round (seconds 0) of `mode`; each sink must hold want[i] datagrams. */
static void one_round(enum ceiling_mode mode, double run, const unsigned *want, unsigned total)
{
	struct ceiling_result r;
	unsigned wrong = 0;

	CHECK_INT(ceiling_run(ports, N, SIZE, 0, mode, run, &r), ==, 0);
	CHECK_INT(r.sent, ==, total);
	for (unsigned i = 0; i < N; i++)
		CHECK_INT(sink_drain(i, &wrong), ==, want[i]);
	CHECK_INT(wrong, ==, 0);
}

TEST(plain_forms_one_datagram_per_destination)
{
	const unsigned one[N] = { 1, 1, 1, 1 };

	one_round(CEILING_SEND, 0, one, N);
	one_round(CEILING_URING, 0, one, N);
}

/* An average of 3.5 alternates runs of 3 and 4: 14 datagrams in 4 sends. */
TEST(gso_forms_count_datagrams_not_sends)
{
	const unsigned runs[N] = { 3, 4, 3, 4 };

	one_round(CEILING_GSO, 3.5, runs, 14);
	one_round(CEILING_GSO_URING, 3.5, runs, 14);
	one_round(CEILING_GSO_SENDMSG, 3.5, runs, 14);
}

/* A run longer than 64 KiB allows is cut to what fits: 54 of 1200 bytes. */
TEST(gso_runs_capped_at_64k)
{
	const unsigned most[N] = { 54, 54, 54, 54 };

	one_round(CEILING_GSO_URING, 60, most, 4 * 54);
	one_round(CEILING_GSO, 60, most, 4 * 54);
	one_round(CEILING_GSO_SENDMSG, 60, most, 4 * 54);
}

TEST(bad_arguments)
{
	struct ceiling_result r;

	CHECK_INT(ceiling_run(ports, N, SIZE, 0, CEILING_GSO_URING, 0.5, &r), ==, -22);
	CHECK_INT(ceiling_run(ports, 0, SIZE, 0, CEILING_SEND, 0, &r), ==, -22);
	CHECK_INT(ceiling_run(ports, N, 4000, 0, CEILING_GSO_SENDMSG, 2, &r), ==, -22);
}

int main(void)
{
	sinks_open();
	RUN(plain_forms_one_datagram_per_destination);
	RUN(gso_forms_count_datagrams_not_sends);
	RUN(gso_runs_capped_at_64k);
	RUN(bad_arguments);
	for (unsigned i = 0; i < N; i++)
		close(sinks[i]);
	return harness_done();
}
