/* command: see command.h.  Every call below is a payload (first member the
 * struct worker_cmd, so exec may cast back) and its exec, which runs on the
 * worker. */
#include "relay/command.h"
#include "relay/nack.h"
#include "relay/feedback.h"
#include "relay/record.h"
#include "relay/worker.h"

#include <errno.h>
#include <string.h>

/* --- worker side: the groups and stream lists the commands keep --- */

/* g's egress counters added to o (not its viewers: they are counted live). */
static void vgroup_stats_add(struct relay_stream_stats *o, const struct vgroup *g)
{
	o->pkts_out += g->pkts_out;
	o->bytes_out += g->bytes_out;
	o->drops += g->drops;
	o->send_errors += g->send_errors;
	o->viewer_rtcp_in += g->rtcp_in;
	o->srtp_fail += g->srtp_fail;
	o->nacks += g->nacks;
	o->retransmits += g->retransmits;
	o->rtx_sent += g->rtx_sent;
	o->keyframe_requests += g->keyframe_requests;
	o->keyframe_suppressed += g->keyframe_suppressed;
}

/* What vgroup_stats_add put into p, added to o. */
static void past_add(struct relay_stream_stats *o, const struct relay_stream_stats *p)
{
	o->pkts_out += p->pkts_out;
	o->bytes_out += p->bytes_out;
	o->drops += p->drops;
	o->send_errors += p->send_errors;
	o->viewer_rtcp_in += p->viewer_rtcp_in;
	o->srtp_fail += p->srtp_fail;
	o->nacks += p->nacks;
	o->retransmits += p->retransmits;
	o->rtx_sent += p->rtx_sent;
	o->keyframe_requests += p->keyframe_requests;
	o->keyframe_suppressed += p->keyframe_suppressed;
}

static void vgroup_drop(struct worker *w, unsigned slot)
{
	struct vgroup *g = w->vgroups[slot];
	struct relay_stream_stats *past = &w->past[slot];

	if (g) {
		/* Its counters outlive it: the stream's only grow. */
		if (past->gen != g->gen) {
			memset(past, 0, sizeof *past);
			past->gen = g->gen;
		}
		vgroup_stats_add(past, g);
	}
	webrtc_drop_slot(w, slot, WEBRTC_VIEWER);   /* their viewers live in the group */
	for (unsigned i = 0; w->vgroups[slot] && i < w->vgroups[slot]->n; i++)
		vindex_viewer_remove(&w->vidx, w->vgroups[slot]->v[i]);
	vgroup_destroy(w->vgroups[slot]);
	w->vgroups[slot] = NULL;
	for (unsigned i = 0; i < w->nvslots; i++)
		if (w->vslots[i] == slot) {
			w->vslots[i] = w->vslots[--w->nvslots];
			return;
		}
}

/* The slot's group for a viewer about to be added (made when missing). */
static struct vgroup *vgroup_for(struct worker *w, unsigned slot, uint32_t gen, const struct viewer_spec *vs)
{
	struct vgroup *g = w->vgroups[slot];
	if (g && g->gen != gen) {
		/* Left over from a deleted stream whose drop was lost: replace. */
		vgroup_drop(w, slot);
		g = NULL;
	}
	if (!g) {
		g = vgroup_create(slot, gen, vs->ntracks, vs->kinds, w->relay->opts.nack_cache);
		if (!g)
			return NULL;
		g->owner = vs->owner;
		w->vgroups[slot] = g;
		w->vslots[w->nvslots++] = slot;
	}
	return g;
}

/* The group of slot goes when its last viewer has. */
static void vgroup_drop_empty(struct worker *w, unsigned slot)
{
	if (w->vgroups[slot] && w->vgroups[slot]->n == 0)
		vgroup_drop(w, slot);
}

/* --- stream.create / stream.delete --- */

struct cmd_stream_create {
	struct worker_cmd hdr;
	unsigned slot;
	uint32_t gen;
	const struct stream_spec *spec;
};

static int stream_create_exec(struct worker *w, struct worker_cmd *cmd)
{
	struct cmd_stream_create *c = (struct cmd_stream_create *)cmd;
	struct stream **s = &w->streams[c->slot];
	int rc;
	if (*s)
		return -EEXIST;
	if ((rc = stream_create(c->spec, c->slot, c->gen, s)) < 0)
		return rc;
	if (c->spec->record && (rc = record_open(w, *s, c->spec, &(*s)->rec)) < 0) {
		stream_destroy(*s);
		*s = NULL;
		return rc;
	}
	w->owned[w->nowned++] = c->slot;
	return 0;
}

int command_stream_create(struct worker *w, unsigned slot, uint32_t gen, const struct stream_spec *spec)
{
	struct cmd_stream_create c = { .hdr.exec = stream_create_exec, .slot = slot, .gen = gen, .spec = spec };
	return worker_cmd_run(w, &c.hdr);
}

struct cmd_slot {
	struct worker_cmd hdr;
	unsigned slot;
};

static int stream_delete_exec(struct worker *w, struct worker_cmd *cmd)
{
	unsigned slot = ((struct cmd_slot *)cmd)->slot;
	if (!w->streams[slot])
		return -ENOENT;
	webrtc_drop_slot(w, slot, WEBRTC_PUBLISHER);
	record_close(w, w->streams[slot]->rec);
	stream_destroy(w->streams[slot]);
	w->streams[slot] = NULL;
	for (unsigned i = 0; i < w->nowned; i++)
		if (w->owned[i] == slot) {
			w->owned[i] = w->owned[--w->nowned];
			break;
		}
	return 0;
}

void command_stream_delete(struct worker *w, unsigned slot)
{
	struct cmd_slot c = { .hdr.exec = stream_delete_exec, .slot = slot };
	worker_cmd_run(w, &c.hdr);
}

/* --- the owner's hand-off to viewer workers --- */

struct cmd_subscribe {
	struct worker_cmd hdr;
	unsigned slot;
	uint32_t gen;
	unsigned to;     /* the viewer worker */
	bool on;
};

static int subscribe_exec(struct worker *w, struct worker_cmd *cmd)
{
	struct cmd_subscribe *c = (struct cmd_subscribe *)cmd;
	struct stream *s = w->streams[c->slot];
	if (!s || s->gen != c->gen)
		return -ENOENT;
	if (c->on)
		s->subscribers |= 1ULL << c->to;
	else
		s->subscribers &= ~(1ULL << c->to);
	return 0;
}

void command_subscribe(struct worker *w, unsigned slot, uint32_t gen, unsigned to, bool on)
{
	struct cmd_subscribe c = { .hdr.exec = subscribe_exec, .slot = slot, .gen = gen, .to = to, .on = on };
	worker_cmd_run(w, &c.hdr);
}

/* --- SDES viewers --- */

struct cmd_viewer_add {
	struct worker_cmd hdr;
	unsigned slot;
	uint32_t gen;
	const struct viewer_spec *vs;
};

static int viewer_add_exec(struct worker *w, struct worker_cmd *cmd)
{
	struct cmd_viewer_add *c = (struct cmd_viewer_add *)cmd;
	struct vgroup *g = vgroup_for(w, c->slot, c->gen, c->vs);
	int rc;
	if (!g)
		return -ENOMEM;
	rc = vgroup_viewer_add(g, c->vs, NULL);
	if (rc == 0 && vindex_viewer_add(&w->vidx, g, g->v[g->n - 1]) < 0) {
		vgroup_viewer_remove(g, c->vs->id);
		rc = -ENOMEM;
	}
	if (rc < 0)
		vgroup_drop_empty(w, c->slot);
	else if (!c->vs->latch)
		/* Media starts now: its first frame should not wait for the
		 * publisher's next keyframe (a latching viewer asks when it latches). */
		feedback_warmup_start(w, g);
	return rc;
}

int command_viewer_add(struct worker *w, unsigned slot, uint32_t gen, const struct viewer_spec *vs)
{
	struct cmd_viewer_add c = { .hdr.exec = viewer_add_exec, .slot = slot, .gen = gen, .vs = vs };
	return worker_cmd_run(w, &c.hdr);
}

struct cmd_viewer_remove {
	struct worker_cmd hdr;
	unsigned slot;
	const char *id;
};

static int viewer_remove_exec(struct worker *w, struct worker_cmd *cmd)
{
	struct cmd_viewer_remove *c = (struct cmd_viewer_remove *)cmd;
	struct vgroup *g = w->vgroups[c->slot];
	int rc;
	if (!g)
		return -ENOENT;
	for (unsigned i = 0; i < g->n; i++)
		if (!strcmp(g->v[i]->id, c->id))
			vindex_viewer_remove(&w->vidx, g->v[i]);
	rc = vgroup_viewer_remove(g, c->id);
	vgroup_drop_empty(w, c->slot);
	return rc;
}

void command_viewer_remove(struct worker *w, unsigned slot, const char *id)
{
	struct cmd_viewer_remove c = { .hdr.exec = viewer_remove_exec, .slot = slot, .id = id };
	worker_cmd_run(w, &c.hdr);
}

static int vgroup_drop_exec(struct worker *w, struct worker_cmd *cmd)
{
	vgroup_drop(w, ((struct cmd_slot *)cmd)->slot);
	return 0;
}

void command_vgroup_drop(struct worker *w, unsigned slot)
{
	struct cmd_slot c = { .hdr.exec = vgroup_drop_exec, .slot = slot };
	worker_cmd_run(w, &c.hdr);
}

/* --- stats --- */

struct cmd_stats {
	struct worker_cmd hdr;
	struct worker_counters *k;
	struct webrtc_counters *wc;
	struct relay_stream_stats *st;   /* [max_streams] */
};

static int stats_exec(struct worker *w, struct worker_cmd *cmd)
{
	struct cmd_stats *c = (struct cmd_stats *)cmd;
	*c->k = w->c;
	webrtc_counters_get(w, c->wc);
	for (unsigned slot = 0; slot < w->relay->opts.max_streams; slot++) {
		struct relay_stream_stats *o = &c->st[slot];
		struct stream *s = w->streams[slot];
		struct vgroup *g = w->vgroups[slot];
		if (s) {
			o->pkts_in += s->c.pkts_in;
			o->bytes_in += s->c.bytes_in;
			o->rtcp_in += s->c.rtcp_in;
			o->srtp_fail += s->c.srtp_fail;
			o->replayed += s->c.replayed;
			o->unknown_pt += s->c.unknown_pt;
			o->recorded += s->c.recorded;
			o->record_drops += s->c.record_drops;
			o->record_write_errors += s->c.record_write_errors;
			o->cc_feedback += s->c.cc_feedback;
			o->remb_sent += s->c.remb_sent;
			o->nack_requested += s->c.nack_requested + (s->nack ? s->nack->c.requested : 0);
			o->nack_sent += s->c.nack_sent + (s->nack ? s->nack->c.packets : 0);
			o->nack_repaired += s->c.nack_repaired + (s->nack ? s->nack->c.repaired : 0);
			o->nack_given_up += s->c.nack_given_up + (s->nack ? s->nack->c.given_up : 0);
			o->rtx_unused += s->c.rtx_unused;
			o->drops += s->c.handoff_drops;
			o->sr_forwarded += s->c.sr_forwarded;
			o->publisher_restarts += s->c.publisher_restarts;
			o->keyframe_sent += s->c.keyframe_requests;
			o->keyframe_suppressed += s->c.keyframe_suppressed;
		}
		if (g) {
			vgroup_stats_add(o, g);
			o->viewers += g->n;
		}
		if (w->past[slot].gen && w->past[slot].gen == o->gen)
			past_add(o, &w->past[slot]);
	}
	return 0;
}

void command_stats(struct worker *w, struct worker_counters *k, struct webrtc_counters *wc,
                   struct relay_stream_stats *st)
{
	struct cmd_stats c = { .hdr.exec = stats_exec, .k = k, .wc = wc, .st = st };
	worker_cmd_run(w, &c.hdr);
}

/* --- WebRTC peers --- */

struct cmd_webrtc_add {
	struct worker_cmd hdr;
	unsigned slot;
	uint32_t gen;
	const struct webrtc_spec *ws;
};

static int webrtc_add_exec(struct worker *w, struct worker_cmd *cmd)
{
	struct cmd_webrtc_add *c = (struct cmd_webrtc_add *)cmd;
	bool viewer = c->ws->role == WEBRTC_VIEWER;
	int rc;
	if (viewer && !vgroup_for(w, c->slot, c->gen, &c->ws->viewer))
		return -ENOMEM;
	rc = webrtc_peer_add(w, c->slot, c->gen, c->ws);
	if (rc < 0 && viewer)
		vgroup_drop_empty(w, c->slot);
	return rc;
}

int command_webrtc_add(struct worker *w, unsigned slot, uint32_t gen, const struct webrtc_spec *ws)
{
	struct cmd_webrtc_add c = { .hdr.exec = webrtc_add_exec, .slot = slot, .gen = gen, .ws = ws };
	return worker_cmd_run(w, &c.hdr);
}

struct cmd_webrtc_peer {
	struct worker_cmd hdr;
	unsigned slot;
	uint32_t gen;
	const char *id;
	const char *ufrag, *pwd;         /* webrtc.restart */
};

static int webrtc_remove_exec(struct worker *w, struct worker_cmd *cmd)
{
	struct cmd_webrtc_peer *c = (struct cmd_webrtc_peer *)cmd;
	int rc = webrtc_peer_remove(w, c->slot, c->gen, c->id);
	vgroup_drop_empty(w, c->slot);
	return rc;
}

int command_webrtc_remove(struct worker *w, unsigned slot, uint32_t gen, const char *id)
{
	struct cmd_webrtc_peer c = { .hdr.exec = webrtc_remove_exec, .slot = slot, .gen = gen, .id = id };
	return worker_cmd_run(w, &c.hdr);
}

static int webrtc_restart_exec(struct worker *w, struct worker_cmd *cmd)
{
	struct cmd_webrtc_peer *c = (struct cmd_webrtc_peer *)cmd;
	return webrtc_peer_restart(w, c->slot, c->gen, c->id, c->ufrag, c->pwd);
}

int command_webrtc_restart(struct worker *w, unsigned slot, uint32_t gen, const char *id, const char *ufrag,
                           const char *pwd)
{
	struct cmd_webrtc_peer c = { .hdr.exec = webrtc_restart_exec, .slot = slot, .gen = gen, .id = id,
	                             .ufrag = ufrag, .pwd = pwd };
	return worker_cmd_run(w, &c.hdr);
}

struct cmd_webrtc_list {
	struct worker_cmd hdr;
	unsigned slot;
	uint32_t gen;
	struct webrtc_info *out;
	unsigned cap, n;
};

static int webrtc_list_exec(struct worker *w, struct worker_cmd *cmd)
{
	struct cmd_webrtc_list *c = (struct cmd_webrtc_list *)cmd;
	c->n = webrtc_list(w, c->slot, c->gen, c->out, c->cap);
	return 0;
}

unsigned command_webrtc_list(struct worker *w, unsigned slot, uint32_t gen, struct webrtc_info *out,
                             unsigned cap)
{
	struct cmd_webrtc_list c = { .hdr.exec = webrtc_list_exec, .slot = slot, .gen = gen, .out = out,
	                             .cap = cap };
	worker_cmd_run(w, &c.hdr);
	return c.n;
}
