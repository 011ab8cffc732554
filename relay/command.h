/* command: what the control thread asks a worker to do, one typed call per
 * command.
 *
 * Each call fills a payload of its own on the caller's stack (an embedded
 * struct worker_cmd whose exec runs on the worker), queues it on the worker
 * with worker_cmd_run and waits until the worker has run it between two
 * packets.  The worker reads the inputs only during the call and copies what
 * it keeps, so the caller may wipe keys as soon as a call returns; outputs
 * are written into the caller's buffers before the call returns.
 *
 * Control thread only (relay/ctl.c), one command in flight at a time.  slot
 * and gen name a stream as relay/registry.h does; a worker refuses (-ENOENT)
 * or ignores a command about a generation it does not hold. */
#ifndef RELAY_COMMAND_H
#define RELAY_COMMAND_H

#include <stdbool.h>
#include <stdint.h>

#include "relay/stream.h"
#include "relay/webrtc.h"

struct worker;
struct worker_counters;

/* One stream's counters as the stats command adds them up over workers.
 * gen is an input: the control thread sets the slot's generation, so a
 * worker adds what the stream's dropped viewer groups left (worker.h
 * `past`) to that tenant of the slot only. */
struct relay_stream_stats {
	uint32_t gen;
	uint64_t pkts_in, bytes_in, rtcp_in, srtp_fail, replayed, unknown_pt, recorded, record_drops;
	uint64_t record_write_errors, cc_feedback, remb_sent;
	uint64_t nack_requested, nack_sent, nack_repaired, nack_given_up, rtx_unused;
	uint64_t pkts_out, bytes_out, drops, send_errors;
	uint64_t sr_forwarded, viewer_rtcp_in, nacks, retransmits, rtx_sent, publisher_restarts;
	uint64_t keyframe_requests, keyframe_sent, keyframe_suppressed;
	unsigned viewers;
};

/* Owner: a new stream from spec in slot, with its journal when recorded.
 * 0, -EEXIST (slot taken), or what stream_create / record_open return. */
int command_stream_create(struct worker *w, unsigned slot, uint32_t gen, const struct stream_spec *spec);
/* Owner: the stream in slot, its WebRTC publisher and journal, go. */
void command_stream_delete(struct worker *w, unsigned slot);
/* Owner: worker `to` has viewers of the stream now (on) or none any more. */
void command_subscribe(struct worker *w, unsigned slot, uint32_t gen, unsigned to, bool on);
/* Any worker: an SDES viewer into the slot's group (made when missing).
 * 0, -ENOMEM, or what vgroup_viewer_add returns. */
int command_viewer_add(struct worker *w, unsigned slot, uint32_t gen, const struct viewer_spec *vs);
/* Any worker: viewer id out of the slot's group; the group goes with its last. */
void command_viewer_remove(struct worker *w, unsigned slot, const char *id);
/* Any worker: every viewer of slot here (the stream is being deleted). */
void command_vgroup_drop(struct worker *w, unsigned slot);
/* Any worker: its counters into *k and *wc; each stream's added to
 * st[slot] (st has max_streams entries, not cleared here). */
void command_stats(struct worker *w, struct worker_counters *k, struct webrtc_counters *wc,
                   struct relay_stream_stats *st);
/* Any worker: a WebRTC peer (a viewer's group is made as for viewer_add).
 * 0, -ENOSPC (no room or too many handshakes), -EADDRINUSE (ufrag), -errno. */
int command_webrtc_add(struct worker *w, unsigned slot, uint32_t gen, const struct webrtc_spec *ws);
/* Any worker: peer id out (close_notify); 0 or -ENOENT when it already left. */
int command_webrtc_remove(struct worker *w, unsigned slot, uint32_t gen, const char *id);
/* Any worker: peer id answers to ufrag/pwd from now on; 0, -ENOENT, -EADDRINUSE. */
int command_webrtc_restart(struct worker *w, unsigned slot, uint32_t gen, const char *id, const char *ufrag,
                           const char *pwd);
/* Any worker: its peers of slot into out[cap]; how many. */
unsigned command_webrtc_list(struct worker *w, unsigned slot, uint32_t gen, struct webrtc_info *out,
                             unsigned cap);

#endif
