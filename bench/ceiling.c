/* ceiling: see ceiling.h. */
#include "bench/ceiling.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

static double thread_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One round over every destination: CEILING_BATCH SQEs per submit, each
 * batch's completions reaped before the next (a send that found its socket
 * buffer full completes with -EAGAIN and is not counted). */
static int uring_round(struct io_uring *ring, const int *fds, unsigned n, const uint8_t *buf,
                       size_t size, uint64_t *sent)
{
	for (unsigned i = 0; i < n; ) {
		unsigned batch = n - i < CEILING_BATCH ? n - i : CEILING_BATCH, done = 0;
		struct io_uring_cqe *cqe;
		int rc;

		for (unsigned k = 0; k < batch; k++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
			io_uring_prep_send(sqe, fds[i + k], buf, size, MSG_DONTWAIT);
		}
		rc = io_uring_submit_and_wait(ring, batch);
		if (rc < 0)
			return rc;
		while (done < batch && io_uring_peek_cqe(ring, &cqe) == 0) {
			if (cqe->res == (int)size)
				(*sent)++;
			io_uring_cqe_seen(ring, cqe);
			done++;
		}
		i += batch;
	}
	return 0;
}

int ceiling_run(const uint16_t *ports, unsigned n, size_t size, double seconds,
                enum ceiling_mode mode, struct ceiling_result *r)
{
	struct io_uring ring;
	int ring_ok = 0;
	int *fds = calloc(n, sizeof *fds);
	uint8_t buf[2048];
	double c0, w0;
	int rc = 0;

	memset(r, 0, sizeof *r);
	if (!fds)
		return -ENOMEM;
	if (size > sizeof buf || n == 0) {
		free(fds);
		return -EINVAL;
	}
	memset(buf, 0xa5, sizeof buf);
	buf[0] = 0x80;
	for (unsigned i = 0; i < n; i++)
		fds[i] = -1;
	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ports[i]),
		                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa, sizeof sa) < 0) {
			rc = -errno;
			goto out;
		}
	}
	if (mode == CEILING_URING) {
		rc = io_uring_queue_init(CEILING_BATCH, &ring, 0);
		if (rc < 0)
			goto out;
		ring_ok = 1;
	}
	c0 = thread_cpu();
	w0 = wall();
	for (;;) {
		if (mode == CEILING_URING) {
			rc = uring_round(&ring, fds, n, buf, size, &r->sent);
			if (rc < 0)
				goto out;
		} else {
			for (unsigned i = 0; i < n; i++)
				if (send(fds[i], buf, size, MSG_DONTWAIT) == (ssize_t)size)
					r->sent++;
		}
		r->wall_s = wall() - w0;
		if (r->wall_s >= seconds)
			break;
	}
	r->cpu_s = thread_cpu() - c0;
	r->pps_per_cpu_s = r->cpu_s > 0 ? (double)r->sent / r->cpu_s : 0;
out:
	if (ring_ok)
		io_uring_queue_exit(&ring);
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return rc;
}
