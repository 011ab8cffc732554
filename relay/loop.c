/* loop: see loop.h. */
#include "relay/loop.h"

#include <errno.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Memory of the send slots: mapped, backed by transparent huge pages where the
 * kernel allows (madvise mode), and touched now.  First-touch page faults
 * otherwise land on the packet path, during the first fan-outs to many
 * viewers (~5% of the relay's CPU in a 5-second benchmark), and one TLB entry
 * then covers 2 MiB of bursts instead of 4 KiB.  NULL on failure. */
static void *slots_map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE);
	for (size_t off = 0; off < bytes; off += 4096)
		((volatile uint8_t *)p)[off] = 0;
	return p;
}

int loop_init(struct loop *l, int sock, unsigned nbufs, unsigned nslots, unsigned sq_entries)
{
	struct io_uring_params p;
	struct io_uring_buf_reg reg;
	int rc;

	memset(l, 0, sizeof *l);
	l->sock = sock;
	memset(&p, 0, sizeof p);
	/* Completions outnumber submissions: a multishot receive and the
	 * wake-ups from other workers come without an SQE of ours. */
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = sq_entries * 4;
	rc = io_uring_queue_init_params(sq_entries, &l->ring, &p);
	if (rc < 0)
		return rc;

	l->nbufs = nbufs;
	l->br_bytes = (size_t)nbufs * sizeof(struct io_uring_buf);
	l->br = mmap(NULL, l->br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (l->br == MAP_FAILED) {
		l->br = NULL;
		rc = -errno;
		goto fail;
	}
	l->bufs = malloc((size_t)nbufs * LOOP_RECV_BUF);
	l->slots_bytes = (size_t)nslots * sizeof *l->slots;
	l->slots = slots_map(l->slots_bytes);
	l->free_slots = malloc(nslots * sizeof *l->free_slots);
	l->gslots = slots_map(LOOP_GSO_SLOTS * sizeof *l->gslots);
	l->free_gslots = malloc(LOOP_GSO_SLOTS * sizeof *l->free_gslots);
	if (!l->bufs || !l->slots || !l->free_slots || !l->gslots || !l->free_gslots) {
		rc = -ENOMEM;
		goto fail;
	}
	io_uring_buf_ring_init(l->br);
	memset(&reg, 0, sizeof reg);
	reg.ring_addr = (unsigned long)l->br;
	reg.ring_entries = nbufs;
	reg.bgid = 0;
	rc = io_uring_register_buf_ring(&l->ring, &reg, 0);
	if (rc < 0)
		goto fail;
	for (unsigned i = 0; i < nbufs; i++)
		io_uring_buf_ring_add(l->br, l->bufs + (size_t)i * LOOP_RECV_BUF, LOOP_RECV_BUF, i,
		                      io_uring_buf_ring_mask(nbufs), i);
	io_uring_buf_ring_advance(l->br, nbufs);

	l->recv_mh.msg_namelen = sizeof(struct sockaddr_in6);
	l->recv_mh.msg_controllen = CMSG_SPACE(sizeof(struct timespec));   /* SO_TIMESTAMPNS */
	l->nslots = nslots;
	for (unsigned i = 0; i < nslots; i++) {
		struct loop_send_slot *s = &l->slots[i];
		s->iov.iov_base = s->buf;
		s->mh.msg_iov = &s->iov;
		s->mh.msg_iovlen = 1;
		s->mh.msg_name = &s->to;
		l->free_slots[i] = nslots - 1 - i;
	}
	l->nfree = nslots;
	l->ngslots = LOOP_GSO_SLOTS;
	for (unsigned i = 0; i < LOOP_GSO_SLOTS; i++) {
		struct loop_gso_slot *s = &l->gslots[i];
		struct cmsghdr *cm;
		s->iov.iov_base = s->buf;
		s->mh.msg_iov = &s->iov;
		s->mh.msg_iovlen = 1;
		s->mh.msg_name = &s->to;
		s->mh.msg_control = s->cmsg;
		s->mh.msg_controllen = sizeof s->cmsg;
		cm = CMSG_FIRSTHDR(&s->mh);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		l->free_gslots[i] = LOOP_GSO_SLOTS - 1 - i;
	}
	l->ngfree = LOOP_GSO_SLOTS;
	return 0;
fail:
	loop_destroy(l);
	return rc;
}

void loop_destroy(struct loop *l)
{
	if (l->ring.ring_fd > 0)
		io_uring_queue_exit(&l->ring);
	l->ring.ring_fd = 0;
	if (l->br)
		munmap(l->br, l->br_bytes);
	l->br = NULL;
	free(l->bufs);
	if (l->slots)
		munmap(l->slots, l->slots_bytes);
	free(l->free_slots);
	if (l->gslots)
		munmap(l->gslots, LOOP_GSO_SLOTS * sizeof *l->gslots);
	free(l->free_gslots);
	l->gslots = NULL;
	l->free_gslots = NULL;
	l->bufs = NULL;
	l->slots = NULL;
	l->free_slots = NULL;
}

struct io_uring_sqe *loop_sqe(struct loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
	if (!sqe) {
		io_uring_submit(&l->ring);
		l->queued = 0;
		sqe = io_uring_get_sqe(&l->ring);
	}
	if (sqe)
		l->queued++;
	return sqe;
}

int loop_recv_arm(struct loop *l)
{
	struct io_uring_sqe *sqe = loop_sqe(l);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_recvmsg_multishot(sqe, l->sock, &l->recv_mh, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 0;
	io_uring_sqe_set_data64(sqe, LOOP_UD(LOOP_RECV, 0));
	return 0;
}

int loop_recv_parse(struct loop *l, const struct io_uring_cqe *cqe, int *bid, int64_t *rx_ns,
                    const struct sockaddr **src, socklen_t *srclen,
                    uint8_t **payload, unsigned *len)
{
	struct io_uring_recvmsg_out *o;
	struct cmsghdr *c;
	uint8_t *buf;

	*bid = -1;
	*rx_ns = 0;
	if (cqe->flags & IORING_CQE_F_BUFFER)
		*bid = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
	if (cqe->res < 0)
		return cqe->res;
	if (*bid < 0 || (unsigned)*bid >= l->nbufs)
		return -EINVAL;
	buf = l->bufs + (size_t)*bid * LOOP_RECV_BUF;
	o = io_uring_recvmsg_validate(buf, cqe->res, &l->recv_mh);
	if (!o)
		return -EINVAL;
	if (o->flags & MSG_TRUNC)
		return -EMSGSIZE;
	for (c = io_uring_recvmsg_cmsg_firsthdr(o, &l->recv_mh); c; c = io_uring_recvmsg_cmsg_nexthdr(o, &l->recv_mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof ts);
			*rx_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
	*src = io_uring_recvmsg_name(o);
	*srclen = o->namelen;
	*payload = io_uring_recvmsg_payload(o, &l->recv_mh);
	*len = io_uring_recvmsg_payload_length(o, cqe->res, &l->recv_mh);
	return 0;
}

void loop_recv_release(struct loop *l, int bid)
{
	if (bid < 0)
		return;
	io_uring_buf_ring_add(l->br, l->bufs + (size_t)bid * LOOP_RECV_BUF, LOOP_RECV_BUF,
	                      (unsigned short)bid, io_uring_buf_ring_mask(l->nbufs), 0);
	io_uring_buf_ring_advance(l->br, 1);
}

int loop_send_queue(struct loop *l, struct loop_send_slot *slot, unsigned len,
                    const struct sockaddr *to, socklen_t tolen)
{
	struct io_uring_sqe *sqe;
	unsigned id = (unsigned)(slot - l->slots);

	if (to) {
		memcpy(&slot->to, to, tolen);
		slot->mh.msg_namelen = tolen;
	}
	slot->iov.iov_len = len;
	sqe = loop_sqe(l);
	if (!sqe) {
		loop_send_done(l, id);
		return -EBUSY;
	}
	io_uring_prep_sendmsg(sqe, l->sock, &slot->mh, 0);
	io_uring_sqe_set_data64(sqe, LOOP_UD(LOOP_SEND, id));
	return 0;
}

void loop_send_done(struct loop *l, unsigned slot_id)
{
	l->free_slots[l->nfree++] = slot_id;
}

int loop_gso_queue(struct loop *l, struct loop_gso_slot *slot, unsigned len, unsigned seg,
                   const struct sockaddr *to, socklen_t tolen)
{
	struct io_uring_sqe *sqe;
	uint16_t seg16 = (uint16_t)seg;
	unsigned id = (unsigned)(slot - l->gslots);

	memcpy(&slot->to, to, tolen);
	slot->mh.msg_namelen = tolen;
	slot->iov.iov_len = len;
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&slot->mh)), &seg16, sizeof seg16);
	sqe = loop_sqe(l);
	if (!sqe) {
		loop_gso_done(l, id);
		return -EBUSY;
	}
	io_uring_prep_sendmsg(sqe, l->sock, &slot->mh, 0);
	io_uring_sqe_set_data64(sqe, LOOP_UD(LOOP_SEND_GSO, id));
	return 0;
}

void loop_gso_done(struct loop *l, unsigned slot_id)
{
	l->free_gslots[l->ngfree++] = slot_id;
}

int loop_wait(struct loop *l, int64_t timeout_ns)
{
	struct __kernel_timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
	struct io_uring_cqe *cqe;
	int rc;
	l->queued = 0;
	rc = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts, NULL);
	if (rc == -ETIME || rc == -EINTR)
		return 0;
	return rc < 0 ? rc : 0;
}
