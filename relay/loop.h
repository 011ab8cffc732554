/* loop: one worker's io_uring, its provided receive buffers and its send slots.
 *
 * Owned by one worker thread; nothing here is shared.  Every SQE's user_data
 * is LOOP_UD(tag, id): the worker's completion loop dispatches on the tag, and
 * id names the send slot, the receive buffer or the journal.
 *
 * Receive: one multishot IORING_OP_RECVMSG on the worker's UDP socket picks
 * buffers from a provided-buffer ring (registered by hand: liburing 2.3 has no
 * io_uring_setup_buf_ring).  A completion's buffer belongs to the worker until
 * loop_recv_release() gives it back.
 * Send: a fixed array of send slots (msghdr + iovec + address + buffer); a
 * slot is taken with loop_send_slot(), queued with loop_send_queue(), and
 * returns to the free list when its completion arrives (loop_send_done()).
 * Sends are submitted in batches: once per loop turn, or when the SQ is full. */
#ifndef RELAY_LOOP_H
#define RELAY_LOOP_H

#include <liburing.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

enum loop_tag {
	LOOP_RECV = 1,      /* multishot recvmsg completion */
	LOOP_SEND,          /* id = send slot */
	LOOP_EVENTFD,       /* control commands are waiting */
	LOOP_WAKE,          /* xcore: packets from another worker (MSG_RING) */
	LOOP_JOURNAL,       /* id = journal write/fsync token (record.c) */
	LOOP_SEND_GSO,      /* id = GSO send slot */
};
#define LOOP_UD(tag, id)  (((uint64_t)(tag) << 56) | (uint64_t)(id))
#define LOOP_UD_TAG(ud)   ((unsigned)((ud) >> 56))
#define LOOP_UD_ID(ud)    ((ud) & ((1ULL << 56) - 1))

#define LOOP_RECV_BUF  2048   /* recvmsg header + source address + one datagram */
/* A send buffer holds one SRTP datagram, or a GSO burst of up to
 * LOOP_GSO_MAX equal segments to one viewer. */
#define LOOP_SEND_BUF  2048

struct loop_send_slot {
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_in6 to;   /* large enough for IPv4 too */
	_Alignas(16) uint8_t buf[LOOP_SEND_BUF];
};

/* A GSO burst: up to LOOP_GSO_BUF bytes of equal-sized SRTP packets (the
 * last may be shorter) to one viewer in one sendmsg with UDP_SEGMENT; the
 * kernel cuts it into datagrams.  16 KiB holds one typical video frame. */
#define LOOP_GSO_BUF   16384
#define LOOP_GSO_SLOTS 1024   /* per worker: 16 MiB */

struct loop_gso_slot {
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_in6 to;
	/* aligned like a cmsghdr, without one inside: its flexible array member
	 * would make this struct variable-sized for clang */
	_Alignas(struct cmsghdr) char cmsg[CMSG_SPACE(sizeof(uint16_t))];
	_Alignas(16) uint8_t buf[LOOP_GSO_BUF];
};

struct loop {
	struct io_uring ring;
	int sock;                          /* the worker's UDP socket (borrowed) */
	struct io_uring_buf_ring *br;      /* provided-buffer ring, group 0 */
	size_t br_bytes;
	uint8_t *bufs;                     /* nbufs * LOOP_RECV_BUF */
	unsigned nbufs;
	struct msghdr recv_mh;             /* template of the multishot recvmsg: name and control sizes */
	struct loop_send_slot *slots;      /* mapped (slots_map in loop.c), slots_bytes long */
	size_t slots_bytes;
	unsigned *free_slots;              /* stack of free slot indexes */
	unsigned nslots, nfree;
	struct loop_gso_slot *gslots;      /* mapped, LOOP_GSO_SLOTS of them */
	unsigned *free_gslots;
	unsigned ngslots, ngfree;
	unsigned queued;                   /* SQEs prepared since the last submit */
};

/* 0 or -errno.  nbufs must be a power of two. */
int loop_init(struct loop *l, int sock, unsigned nbufs, unsigned nslots, unsigned sq_entries);
void loop_destroy(struct loop *l);

/* (Re)arms the multishot receive.  0 or -EBUSY (SQ full). */
int loop_recv_arm(struct loop *l);

/* Decodes a receive completion: the source address, the payload, its length,
 * and *rx_ns the kernel's receive time (SO_TIMESTAMPNS, CLOCK_REALTIME ns; 0
 * when the socket does not stamp).
 * Returns 0, -ENOBUFS (out of buffers: rearm when !(flags & MORE)), -EMSGSIZE
 * (truncated: drop) or the completion's error. *bid is set whenever a buffer
 * was consumed (>= 0) and must go back with loop_recv_release(). */
int loop_recv_parse(struct loop *l, const struct io_uring_cqe *cqe, int *bid, int64_t *rx_ns,
                    const struct sockaddr **src, socklen_t *srclen,
                    uint8_t **payload, unsigned *len);
void loop_recv_release(struct loop *l, int bid);

/* A free send slot, or NULL when all are in flight (the caller drops). */
static inline struct loop_send_slot *loop_send_slot(struct loop *l)
{
	return l->nfree ? &l->slots[l->free_slots[--l->nfree]] : NULL;
}
/* Queues slot's first len bytes to `to` (which the caller may have filled in
 * slot->to already: pass to = NULL).  A slot whose send cannot even be queued
 * is released and -EBUSY returned. */
int loop_send_queue(struct loop *l, struct loop_send_slot *slot, unsigned len,
                    const struct sockaddr *to, socklen_t tolen);
void loop_send_done(struct loop *l, unsigned slot_id);

static inline struct loop_gso_slot *loop_gso_slot(struct loop *l)
{
	return l->ngfree ? &l->gslots[l->free_gslots[--l->ngfree]] : NULL;
}
/* Queues len bytes cut into segments of seg bytes (UDP_SEGMENT) to `to`. */
int loop_gso_queue(struct loop *l, struct loop_gso_slot *slot, unsigned len, unsigned seg,
                   const struct sockaddr *to, socklen_t tolen);
void loop_gso_done(struct loop *l, unsigned slot_id);
/* A plain SQE for other users (eventfd read, journal writes); submits first
 * when the SQ is full.  NULL only if even then none is free. */
struct io_uring_sqe *loop_sqe(struct loop *l);

/* Submits what was queued and waits up to timeout_ns for one completion. */
int loop_wait(struct loop *l, int64_t timeout_ns);

#endif
