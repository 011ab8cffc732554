/* worker: one thread per core, pinned, with its own UDP socket (port
 * port_base + idx), its own io_uring (loop.h), the streams it owns and the
 * viewers placed on it (stream.h).  Nothing in a worker is touched by another
 * thread except through its command queue (control thread -> worker) and the
 * xcore rings (worker -> worker).
 *
 * Commands: the control thread fills a relay_cmd, pushes it and writes the
 * worker's eventfd; the worker executes it between two packets and posts
 * `done`.  The command and what it points to belong to the control thread;
 * the worker only reads the inputs and writes result/err/outputs. */
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

enum relay_cmd_op {
	CMD_STREAM_CREATE,    /* owner: spec -> new stream in slot */
	CMD_STREAM_DELETE,    /* owner: destroy the stream in slot */
	CMD_SUBSCRIBE,        /* owner: worker `arg` has viewers of slot now */
	CMD_UNSUBSCRIBE,      /* owner: worker `arg` has none any more */
	CMD_VIEWER_ADD,       /* any: viewer spec into the slot's vgroup */
	CMD_VIEWER_REMOVE,    /* any: viewer `name` out; out_empty when the group is gone */
	CMD_VGROUP_DROP,      /* any: every viewer of slot here (stream deleted) */
	CMD_STATS,            /* any: snapshot counters into out_stats */
	CMD_WEBRTC_ADD,       /* any: webrtc spec; a viewer's vgroup is made as for CMD_VIEWER_ADD */
	CMD_WEBRTC_REMOVE,    /* any: peer `name` out (close_notify); out_empty as CMD_VIEWER_REMOVE */
	CMD_WEBRTC_RESTART,   /* any: peer `name` answers to ufrag/pwd from now on */
	CMD_WEBRTC_LIST,      /* any: peers of slot into out_info[out_cap] */
};

struct relay_stream_stats {
	uint64_t pkts_in, bytes_in, rtcp_in, srtp_fail, replayed, unknown_pt, recorded, record_drops;
	uint64_t pkts_out, bytes_out, drops, send_errors;
	uint64_t sr_forwarded, viewer_rtcp_in, nacks, retransmits, publisher_restarts;
	uint64_t keyframe_requests, keyframe_sent, keyframe_suppressed;
	unsigned viewers;
};

struct relay_cmd {
	enum relay_cmd_op op;
	unsigned slot;
	uint32_t gen;
	unsigned arg;
	const char *name;
	const struct stream_spec *stream;
	const struct viewer_spec *viewer;
	const struct webrtc_spec *webrtc;
	const char *ufrag, *pwd;               /* CMD_WEBRTC_RESTART */
	/* outputs */
	int result;                            /* 0 or -errno */
	int out_empty;
	struct worker_counters out_counters;
	struct relay_stream_stats *out_stats;  /* [max_streams], added to (not overwritten) */
	struct webrtc_counters out_webrtc;
	struct webrtc_info *out_info;          /* CMD_WEBRTC_LIST: [out_cap] */
	unsigned out_cap, out_n;
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
	struct xcore_ring cmdq;           /* relay_cmd pointers from the control thread */
	struct loop loop;
	struct stream **streams;          /* [max_streams]: streams owned here, by slot */
	struct vgroup **vgroups;          /* [max_streams]: viewers here, by stream slot */
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
	struct record *records;           /* journals of this worker, open and closing (record.c) */
	/* Completions reaped but not yet handled (receives, wake-ups, commands):
	 * sends and journal writes are handled as soon as they are reaped, so a
	 * worker short of send slots can reclaim them in the middle of a turn. */
	struct worker_cqe { uint64_t ud; int32_t res; uint32_t flags; } *deferred;
	unsigned ndeferred, deferred_cap;
};

/* Worker side, out of send slots mid-turn: submits what is queued and reaps
 * the completions that are ready, freeing their slots. */
void worker_reclaim(struct worker *w);

/* Control thread side: runs cmd on w and waits for it.  Returns cmd->result. */
int worker_cmd_run(struct worker *w, struct relay_cmd *cmd);

#endif
