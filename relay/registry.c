/* registry: see registry.h. */
#include "relay/registry.h"
#include "relay/webrtc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int registry_init(struct registry *g, unsigned max_streams, unsigned max_viewers, unsigned nworkers)
{
	memset(g, 0, sizeof *g);
	if (nworkers == 0 || nworkers > RELAY_MAX_WORKERS)
		return -EINVAL;
	g->streams = calloc(max_streams ? max_streams : 1, sizeof *g->streams);
	if (!g->streams)
		return -ENOMEM;
	g->max_streams = max_streams;
	g->max_viewers = max_viewers;
	g->nworkers = nworkers;
	return 0;
}

void registry_free(struct registry *g)
{
	for (unsigned i = 0; g->streams && i < g->max_streams; i++)
		free(g->streams[i].viewers);
	free(g->streams);
	memset(g, 0, sizeof *g);
}

struct reg_stream *registry_stream_find(const struct registry *g, const char *id)
{
	for (unsigned i = 0; id && i < g->max_streams; i++)
		if (g->streams[i].used && !strcmp(g->streams[i].id, id))
			return &g->streams[i];
	return NULL;
}

unsigned registry_stream_slot(const struct registry *g, const struct reg_stream *rs)
{
	return (unsigned)(rs - g->streams);
}

static unsigned least_loaded(const unsigned *load, unsigned n)
{
	unsigned best = 0;
	for (unsigned i = 1; i < n; i++)
		if (load[i] < load[best])
			best = i;
	return best;
}

int registry_stream_place(struct registry *g, unsigned *slot, unsigned *owner, uint32_t *gen)
{
	for (unsigned i = 0; i < g->max_streams; i++)
		if (!g->streams[i].used) {
			*slot = i;
			*owner = least_loaded(g->worker_streams, g->nworkers);
			*gen = ++g->next_gen;
			return 0;
		}
	return -ENOSPC;
}

struct reg_stream *registry_stream_add(struct registry *g, unsigned slot, uint32_t gen, const char *id,
                                       unsigned owner)
{
	struct reg_stream *rs = &g->streams[slot];
	memset(rs, 0, sizeof *rs);
	rs->used = true;
	rs->gen = gen;
	snprintf(rs->id, sizeof rs->id, "%s", id);
	rs->owner = owner;
	g->worker_streams[owner]++;
	return rs;
}

void registry_stream_remove(struct registry *g, unsigned slot)
{
	struct reg_stream *rs = &g->streams[slot];
	for (unsigned w = 0; w < g->nworkers; w++)
		g->worker_viewers[w] -= rs->per_worker[w];
	g->total_viewers -= rs->nviewers;
	g->worker_streams[rs->owner]--;
	free(rs->viewers);
	memset(rs, 0, sizeof *rs);
}

bool registry_id_taken(const struct reg_stream *rs, const char *id)
{
	if (rs->has_pub && !strcmp(rs->pub_id, id))
		return true;
	return registry_viewer_find(rs, id) >= 0;
}

bool registry_full(const struct registry *g)
{
	return g->total_viewers >= g->max_viewers;
}

unsigned registry_viewer_place(const struct registry *g)
{
	return least_loaded(g->worker_viewers, g->nworkers);
}

int registry_viewer_reserve(struct reg_stream *rs)
{
	unsigned cap;
	struct reg_viewer *nv;
	if (rs->nviewers < rs->cap)
		return 0;
	cap = rs->cap ? rs->cap * 2 : 16;
	if (!(nv = realloc(rs->viewers, cap * sizeof *nv)))
		return -ENOMEM;
	rs->viewers = nv;
	rs->cap = cap;
	return 0;
}

bool registry_viewer_add(struct registry *g, struct reg_stream *rs, const char *id, unsigned w, bool webrtc)
{
	struct reg_viewer *v = &rs->viewers[rs->nviewers++];
	snprintf(v->id, sizeof v->id, "%s", id);
	v->worker = w;
	v->webrtc = webrtc;
	g->worker_viewers[w]++;
	g->total_viewers++;
	return rs->per_worker[w]++ == 0;
}

int registry_viewer_find(const struct reg_stream *rs, const char *id)
{
	for (unsigned i = 0; id && i < rs->nviewers; i++)
		if (!strcmp(rs->viewers[i].id, id))
			return (int)i;
	return -1;
}

bool registry_viewer_remove(struct registry *g, struct reg_stream *rs, unsigned i)
{
	unsigned w = rs->viewers[i].worker;
	rs->viewers[i] = rs->viewers[--rs->nviewers];
	g->worker_viewers[w]--;
	g->total_viewers--;
	return --rs->per_worker[w] == 0;
}

int registry_peer_worker(const struct reg_stream *rs, const char *id, int *vi)
{
	*vi = -1;
	if (!id)
		return -1;
	if (rs->has_pub && !strcmp(rs->pub_id, id))
		return (int)rs->owner;
	for (unsigned i = 0; i < rs->nviewers; i++)
		if (rs->viewers[i].webrtc && !strcmp(rs->viewers[i].id, id)) {
			*vi = (int)i;
			return (int)rs->viewers[i].worker;
		}
	return -1;
}

int registry_gone_apply(struct registry *g, const struct relay_gone *gone)
{
	struct reg_stream *rs = gone->slot < g->max_streams ? &g->streams[gone->slot] : NULL;
	if (!rs || !rs->used || rs->gen != gone->gen)
		return 0;   /* the stream went meanwhile */
	if (gone->role == WEBRTC_PUBLISHER) {
		if (rs->has_pub && !strcmp(rs->pub_id, gone->id))
			rs->has_pub = false;
		return 0;
	}
	for (unsigned i = 0; i < rs->nviewers; i++)
		if (rs->viewers[i].webrtc && rs->viewers[i].worker == gone->worker &&
		    !strcmp(rs->viewers[i].id, gone->id))
			return registry_viewer_remove(g, rs, i);
	return 0;
}
