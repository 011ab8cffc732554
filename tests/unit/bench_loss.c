/* amphi-bench's loss accounting (bench/viewers.h): each viewer counts its
 * RTP packets once per extended sequence number (RFC 3550 A.1) and SSRC,
 * repeats apart, across a sequence number wrap, so that a repeat cannot
 * stand in for a lost packet; loss per viewer against what was published
 * or against its own sequence numbers. */
#include "tests/harness.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/viewers.h"

static void send_rtp(int fd, uint16_t port, uint32_t ssrc, uint16_t seq)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint8_t p[40] = { 0x80, 96, (uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 0,
	                  (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16), (uint8_t)(ssrc >> 8),
	                  (uint8_t)ssrc };

	CHECK_INT(sendto(fd, p, sizeof p, 0, (struct sockaddr *)&sa, sizeof sa), ==, sizeof p);
}

TEST(loss_per_viewer_without_repeats)
{
	struct viewers *vs;
	struct viewers_result r;
	struct timespec settle = { 0, 300 * 1000 * 1000 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	/* viewer 0: ten packets across the wrap, 65535 and 2 twice, 1 lost,
	 * 65533 late (after 65534); viewer 1: all ten once; viewer 2: ten of
	 * one SSRC and five of another, 3 of the second twice */
	const uint16_t v0[] = { 65530, 65531, 65532, 65534, 65533, 65535, 65535, 0, 2, 3, 2 };

	CHECK_INT(viewers_open(&vs, 3, 0), ==, 0);
	CHECK_INT(viewers_start(vs, 0), ==, 0);
	for (unsigned k = 0; k < sizeof v0 / sizeof v0[0]; k++)
		send_rtp(fd, viewers_port(vs, 0), 7, v0[k]);
	for (unsigned k = 0; k < 10; k++)
		send_rtp(fd, viewers_port(vs, 1), 7, (uint16_t)(65530 + k));
	for (unsigned k = 0; k < 10; k++)
		send_rtp(fd, viewers_port(vs, 2), 7, (uint16_t)(100 + k));
	for (unsigned k = 0; k < 5; k++)
		send_rtp(fd, viewers_port(vs, 2), 9, (uint16_t)k);
	send_rtp(fd, viewers_port(vs, 2), 9, 3);
	nanosleep(&settle, NULL);
	viewers_stop(vs, &r);

	CHECK_INT(r.datagrams, ==, 11 + 10 + 16);
	CHECK_INT(r.unique, ==, 9 + 10 + 15);
	CHECK_INT(r.duplicates, ==, 3);
	CHECK_INT(viewers_received(vs, 0), ==, 9);
	CHECK_INT(r.min_per_viewer, ==, 9);
	CHECK_INT(r.expected_by_seq, ==, 10 + 10 + 15);
	/* against what was published, and against its own sequence numbers */
	CHECK(viewers_loss(vs, 0, 10) > 0.099 && viewers_loss(vs, 0, 10) < 0.101);
	CHECK(viewers_loss(vs, 0, 0) > 0.099 && viewers_loss(vs, 0, 0) < 0.101);
	CHECK(viewers_loss(vs, 1, 10) == 0);
	CHECK(viewers_loss(vs, 2, 0) == 0);
	CHECK(viewers_loss(vs, 2, 20) > 0.249 && viewers_loss(vs, 2, 20) < 0.251);

	/* a new run starts from nothing */
	CHECK_INT(viewers_start(vs, 0), ==, 0);
	viewers_stop(vs, &r);
	CHECK_INT(r.unique, ==, 0);
	CHECK(viewers_loss(vs, 1, 0) == 1);
	viewers_close(vs);
	close(fd);
}

TEST(repeats_far_apart)
{
	struct viewers *vs;
	struct viewers_result r;
	struct timespec settle = { 0, 300 * 1000 * 1000 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	/* 3000 packets, then the first 500 of the last 1000 again: still
	 * inside the window, all repeats */
	CHECK_INT(viewers_open(&vs, 1, 0), ==, 0);
	CHECK_INT(viewers_start(vs, 0), ==, 0);
	for (unsigned k = 0; k < 3000; k++) {
		send_rtp(fd, viewers_port(vs, 0), 1, (uint16_t)(64000 + k));
		if (k % 256 == 255)
			nanosleep(&(struct timespec){ 0, 2 * 1000 * 1000 }, NULL);
	}
	for (unsigned k = 2000; k < 2500; k++)
		send_rtp(fd, viewers_port(vs, 0), 1, (uint16_t)(64000 + k));
	nanosleep(&settle, NULL);
	viewers_stop(vs, &r);
	CHECK_INT(r.unique, ==, 3000);
	CHECK_INT(r.duplicates, ==, 500);
	CHECK(viewers_loss(vs, 0, 3000) == 0);
	viewers_close(vs);
	close(fd);
}

int main(void)
{
	RUN(loss_per_viewer_without_repeats);
	RUN(repeats_far_apart);
	return harness_done();
}
