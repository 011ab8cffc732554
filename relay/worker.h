/* worker: one thread per core, pinned, with its own UDP socket (port
 * port_base + idx), its own io_uring (loop.h), the streams it owns and the
 * viewers placed on it (stream.h).  Nothing in a worker is touched by another
 * thread except through its command queue (control thread -> worker) and the
 * xcore rings (worker -> worker).
 *
 * Commands (relay/command.h): the control thread pushes a worker_cmd and
 * writes the worker's eventfd; the worker runs it between two packets and
 * posts `done`.  The command and what it points to belong to the control
 * thread; the worker only reads the inputs and writes the outputs. */
#ifndef RELAY_WORKER_H
#define RELAY_WORKER_H

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#include "common/log.h"
#include "relay/fanout.h"
#include "relay/loop.h"
#include "relay/relay.h"
#include "relay/stream.h"
#include "relay/vindex.h"
#include "relay/webrtc.h"
#include "relay/xcore.h"

struct relay_stream_stats;   /* command.h */

struct worker_counters {
	uint64_t pkts_in, bytes_in;     /* every datagram received */
	uint64_t pkts_out, bytes_out;   /* every datagram queued for sending */
	uint64_t srtp_fail;             /* authentication failures from latched sources */
	uint64_t replayed;              /* replayed packets dropped */
	uint64_t malformed;             /* not RTP/RTCP, too short, too long, truncated */
	uint64_t unknown_source;        /* from no latched source and no stream's key */
	uint64_t unsupported;           /* first byte of no protocol served here (ZRTP, TURN channels) */
	uint64_t drops;                 /* no send slot, ring full, protect failed */
	uint64_t send_errors;           /* send completions with an error */
	uint64_t handoffs_in;           /* packets received from other workers */
	uint64_t gso_sends;             /* GSO super-datagrams (each several of pkts_out) */
	uint64_t nacks, plis_forwarded, plis_suppressed;
};

/* A command from the control thread: relay/command.c embeds one in each
 * command's payload and sets exec, which the worker runs between two
 * packets, storing its return (0 or -errno) in result before posting done.
 * The payload stays the control thread's, on its stack, for the whole call. */
struct worker_cmd {
	int (*exec)(struct worker *w, struct worker_cmd *cmd);
	int result;
	sem_t done;
};

struct worker {
	struct relay *relay;
	unsigned idx;
	pthread_t thread;
	int cpu;                          /* pinned CPU, -1 when not pinned */
	int sock;
	unsigned port;
	int evfd;                         /* the control thread's doorbell */
	uint64_t evfd_buf;                /* target of the pending eventfd read */
	struct xcore_ring cmdq;           /* worker_cmd pointers from the control thread */
	struct loop loop;
	struct stream **streams;          /* [max_streams]: streams owned here, by slot */
	struct vgroup **vgroups;          /* [max_streams]: viewers here, by stream slot */
	/* [max_streams]: by slot, the egress counters of the stream's vgroups
	 * dropped here (their last viewer left) while the stream lived on, for
	 * the generation in .gen (command.c): a stream's counters only grow. */
	struct relay_stream_stats *past;
	unsigned *owned;                  /* slots of streams owned here, for demultiplexing */
	unsigned nowned;
	unsigned *vslots;                 /* slots with viewers here, for viewers' RTCP */
	unsigned nvslots;
	struct vindex vidx;               /* viewers here by address, for what they send us */
	unsigned *dirty;                  /* slots whose vgroup has a batch to send this turn */
	unsigned ndirty;
	uint64_t wake_mask;               /* workers to wake at the end of this turn */
	struct fanout_egress egress;      /* a batch walk's tags and pending sends (fanout.c) */
	struct worker_counters c;
	struct log_limit lim_malformed, lim_unknown, lim_srtp, lim_send, lim_drop, lim_unsupported;
	struct webrtc_worker *webrtc;     /* owned: ICE table and WebRTC peers (webrtc.c) */
	int64_t next_tick_ns;             /* monotonic: journals' flush/fsync and timers */
	int64_t cc_due_ns;                /* monotonic: congestion feedback held back by its
	                                   * interval is due then (feedback.c), 0: none */
	int64_t rx_ns;                    /* the datagram being handled: its kernel receive time
	                                   * (CLOCK_REALTIME ns), 0 when unknown */
	struct record *records;           /* journals of this worker, open and closing (record.c) */
	/* Completions reaped but not yet handled (receives, wake-ups, commands):
	 * sends and journal writes are handled as soon as they are reaped, so a
	 * worker short of send slots can reclaim them in the middle of a turn. */
	struct worker_cqe { uint64_t ud; int32_t res; uint32_t flags; } *deferred;
	unsigned ndeferred, deferred_cap;
};

/* Starter side (start.c): a worker with its socket bound and its ring made,
 * not yet running; 0 or -errno (logged). */
int worker_create(struct relay *r, unsigned idx, struct worker **out);
/* The thread: pins itself, meets the others at r->started, runs the loop
 * until r->stop, then closes its journals. */
void *worker_main(void *arg);
/* After the thread is joined (or never started): frees everything it owns. */
void worker_destroy(struct worker *w);

/* Control thread side (relay/command.c): runs cmd on w and waits for it.
 * Returns cmd->result. */
int worker_cmd_run(struct worker *w, struct worker_cmd *cmd);

#endif
