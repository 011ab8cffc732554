/* ceiling: see ceiling.h. */
#include "bench/ceiling.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

enum { CEILING_BUF = 65536 };

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

/* The length of the next GSO send, in datagrams: whole runs whose average
 * is `run` (*carry keeps the fraction from one send to the next), at most
 * `most`; 1 for plain sends (run 0). */
static unsigned run_next(double run, double *carry, unsigned most)
{
	unsigned k;

	if (run < 1)
		return 1;
	*carry += run;
	k = (unsigned)*carry;
	*carry -= k;
	if (k < 1)
		k = 1;
	return k > most ? most : k;
}

/* Submits the batch of SQEs just prepared and reaps its completions before
 * the next batch: a send that found its socket buffer full completes with
 * -EAGAIN and is not counted.  Each SQE carries its datagram count in
 * user_data.  0 or -errno. */
static int submit_batch(struct io_uring *ring, unsigned batch, size_t size, uint64_t *sent)
{
	struct io_uring_cqe *cqe;
	unsigned done = 0;
	int rc = io_uring_submit_and_wait(ring, batch);

	if (rc < 0)
		return rc;
	while (done < batch && io_uring_peek_cqe(ring, &cqe) == 0) {
		if (cqe->res == (int)(cqe->user_data * size))
			*sent += cqe->user_data;
		io_uring_cqe_seen(ring, cqe);
		done++;
	}
	return 0;
}

/* One round over every destination, CEILING_BATCH send SQEs per submit. */
static int uring_round(struct io_uring *ring, const int *fds, unsigned n, const uint8_t *buf,
                       size_t size, double run, double *carry, unsigned most, uint64_t *sent)
{
	for (unsigned i = 0; i < n; ) {
		unsigned batch = n - i < CEILING_BATCH ? n - i : CEILING_BATCH;
		int rc;

		for (unsigned k = 0; k < batch; k++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
			unsigned segs = run_next(run, carry, most);

			io_uring_prep_send(sqe, fds[i + k], buf, segs * size, MSG_DONTWAIT);
			io_uring_sqe_set_data64(sqe, segs);
		}
		if ((rc = submit_batch(ring, batch, size, sent)) < 0)
			return rc;
		i += batch;
	}
	return 0;
}

/* The relay's own shape (CEILING_GSO_SENDMSG): one unconnected socket,
 * IORING_OP_SENDMSG to each destination with the run's UDP_SEGMENT in a
 * control message, CEILING_BATCH per submit.  msgs[] holds one message per
 * SQE of a batch (the kernel reads it until the completion). */
struct gso_msg {
	struct msghdr mh;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cm;
};

static int sendmsg_round(struct io_uring *ring, int fd, const struct sockaddr_in *to, unsigned n,
                         struct gso_msg *msgs, uint8_t *buf, size_t size, double run, double *carry,
                         unsigned most, uint64_t *sent)
{
	for (unsigned i = 0; i < n; ) {
		unsigned batch = n - i < CEILING_BATCH ? n - i : CEILING_BATCH;
		int rc;

		for (unsigned k = 0; k < batch; k++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
			struct gso_msg *m = &msgs[k];
			struct cmsghdr *c;
			unsigned segs = run_next(run, carry, most);

			m->iov = (struct iovec){ .iov_base = buf, .iov_len = segs * size };
			m->mh = (struct msghdr){ .msg_name = (void *)&to[i + k], .msg_namelen = sizeof to[0],
			                         .msg_iov = &m->iov, .msg_iovlen = 1,
			                         .msg_control = m->cm.buf, .msg_controllen = sizeof m->cm.buf };
			c = CMSG_FIRSTHDR(&m->mh);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			*(uint16_t *)(void *)CMSG_DATA(c) = (uint16_t)size;
			io_uring_prep_sendmsg(sqe, fd, &m->mh, MSG_DONTWAIT);
			io_uring_sqe_set_data64(sqe, segs);
		}
		if ((rc = submit_batch(ring, batch, size, sent)) < 0)
			return rc;
		i += batch;
	}
	return 0;
}

/* One round of send() calls, one per destination, of `run` datagrams on
 * average (GSO) or one. */
static void send_round(const int *fds, unsigned n, const uint8_t *buf, size_t size, double run,
                       double *carry, unsigned most, uint64_t *sent)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned k = run_next(run, carry, most);

		if (send(fds[i], buf, k * size, MSG_DONTWAIT) == (ssize_t)(k * size))
			*sent += k;
	}
}

int ceiling_run(const uint16_t *ports, unsigned n, size_t size, double seconds,
                enum ceiling_mode mode, double run, struct ceiling_result *r)
{
	struct io_uring ring;
	int ring_ok = 0;
	int *fds = calloc(n, sizeof *fds);
	struct sockaddr_in *to = calloc(n, sizeof *to);
	struct gso_msg *msgs = calloc(CEILING_BATCH, sizeof *msgs);
	uint8_t *buf = malloc(CEILING_BUF);   /* one datagram, or a GSO run of them */
	int gso = mode != CEILING_URING && mode != CEILING_SEND;
	int one = mode == CEILING_GSO_SENDMSG;  /* one unconnected socket, fds[0] */
	unsigned most = (unsigned)(65507 / (size ? size : 1));
	double c0, w0, carry = 0;
	int rc = 0;

	memset(r, 0, sizeof *r);
	if (!fds || !to || !msgs || !buf || size > 2048 || size < 12 || n == 0 || (gso && run < 1)) {
		rc = !fds || !to || !msgs || !buf ? -ENOMEM : -EINVAL;
		free(fds);
		free(to);
		free(msgs);
		free(buf);
		return rc;
	}
	memset(buf, 0xa5, CEILING_BUF);
	for (size_t off = 0; off + size <= CEILING_BUF; off += size)
		buf[off] = 0x80;        /* every segment looks like RTP */
	for (unsigned i = 0; i < n; i++)
		fds[i] = -1;
	for (unsigned i = 0; i < n; i++) {
		to[i] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(ports[i]),
		                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		if (one && i > 0)
			continue;
		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || (!one && connect(fds[i], (struct sockaddr *)&to[i], sizeof to[i]) < 0)) {
			rc = -errno;
			goto out;
		}
		if (gso && !one) {
			int seg = (int)size;

			if (setsockopt(fds[i], SOL_UDP, UDP_SEGMENT, &seg, sizeof seg) < 0) {
				rc = -errno;
				goto out;
			}
		}
	}
	if (!gso)
		run = 0;
	if (most > CEILING_GSO_MAX)
		most = CEILING_GSO_MAX;
	if (mode != CEILING_SEND && mode != CEILING_GSO) {
		rc = io_uring_queue_init(CEILING_BATCH, &ring, 0);
		if (rc < 0)
			goto out;
		ring_ok = 1;
	}
	c0 = thread_cpu();
	w0 = wall();
	for (;;) {
		if (one) {
			rc = sendmsg_round(&ring, fds[0], to, n, msgs, buf, size, run, &carry, most, &r->sent);
			if (rc < 0)
				goto out;
		} else if (mode == CEILING_URING || mode == CEILING_GSO_URING) {
			rc = uring_round(&ring, fds, n, buf, size, run, &carry, most, &r->sent);
			if (rc < 0)
				goto out;
		} else {
			send_round(fds, n, buf, size, run, &carry, most, &r->sent);
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
	free(to);
	free(msgs);
	free(buf);
	return rc;
}
