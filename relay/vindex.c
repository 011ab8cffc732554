/* vindex: see vindex.h. */
#include "relay/vindex.h"
#include "relay/stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

enum { VINDEX_MIN_CAP = 64 };

/* The key of an address, or 0 in key[0] for a family that is not IP. */
static void key_of(const struct sockaddr *a, uint64_t key[3])
{
	key[0] = key[1] = key[2] = 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)a;
		key[0] = AF_INET | (uint64_t)in->sin_port << 16;
		key[1] = in->sin_addr.s_addr;
	} else if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)a;
		key[0] = AF_INET6 | (uint64_t)in6->sin6_port << 16;
		memcpy(&key[1], &in6->sin6_addr, 16);
	}
}

static unsigned slot_of(const struct vindex *x, const uint64_t key[3])
{
	uint64_t h = x->seed;

	for (int i = 0; i < 3; i++) {
		h ^= key[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return (unsigned)h & (x->cap - 1);
}

static int key_eq(const uint64_t a[3], const uint64_t b[3])
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

static int table_make(struct vindex *x, unsigned cap)
{
	x->t = calloc(cap, sizeof *x->t);
	if (!x->t)
		return -ENOMEM;
	x->cap = cap;
	x->n = 0;
	return 0;
}

int vindex_init(struct vindex *x)
{
	memset(x, 0, sizeof *x);
	if (getrandom(&x->seed, sizeof x->seed, GRND_NONBLOCK) != sizeof x->seed) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		x->seed = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)x;
	}
	return table_make(x, VINDEX_MIN_CAP);
}

void vindex_free(struct vindex *x)
{
	free(x->t);
	free(x->pending);
	x->t = NULL;
	x->pending = NULL;
	x->cap = x->n = x->npending = x->pending_cap = 0;
}

static int pending_add(struct vindex *x, struct vgroup *g, struct viewer *v)
{
	if (x->npending == x->pending_cap) {
		unsigned cap = x->pending_cap ? x->pending_cap * 2 : 16;
		struct vindex_pending *np = realloc(x->pending, cap * sizeof *np);
		if (!np)
			return -ENOMEM;
		x->pending = np;
		x->pending_cap = cap;
	}
	x->pending[x->npending++] = (struct vindex_pending){ v, g };
	return 0;
}

static void pending_remove(struct vindex *x, const struct viewer *v)
{
	for (unsigned i = 0; i < x->npending; i++)
		if (x->pending[i].v == v) {
			x->pending[i] = x->pending[--x->npending];
			return;
		}
}

static void put(struct vindex *x, const struct vindex_entry *e)
{
	unsigned i = slot_of(x, e->key);

	while (x->t[i].key[0])
		i = (i + 1) & (x->cap - 1);
	x->t[i] = *e;
	x->n++;
}

/* Room for `more` entries with the table at most half full. */
static int reserve(struct vindex *x, unsigned more)
{
	struct vindex old = *x;
	unsigned cap = x->cap;

	while ((x->n + more) * 2 > cap)
		cap *= 2;
	if (cap == x->cap)
		return 0;
	if (table_make(x, cap) < 0) {
		*x = old;
		return -ENOMEM;
	}
	for (unsigned i = 0; i < old.cap; i++)
		if (old.t[i].key[0])
			put(x, &old.t[i]);
	free(old.t);
	return 0;
}

/* The distinct IP addresses of v: media and RTCP, per kind. */
static unsigned viewer_addrs(const struct viewer *v, uint64_t keys[4][3])
{
	unsigned n = 0;

	for (int k = 0; k < 2; k++) {
		const struct sockaddr *as[2] = { (const void *)&v->dst[k], (const void *)&v->rtcp_dst[k] };
		if (!v->dstlen[k])
			continue;
		for (int j = 0; j < 2; j++) {
			uint64_t key[3];
			unsigned m;
			key_of(as[j], key);
			if (!key[0])
				continue;
			for (m = 0; m < n && !key_eq(keys[m], key); m++)
				;
			if (m == n)
				memcpy(keys[n++], key, sizeof key);
		}
	}
	return n;
}

int vindex_viewer_add(struct vindex *x, struct vgroup *g, struct viewer *v)
{
	uint64_t keys[4][3];
	unsigned n;

	if (v->latch_pending)
		return pending_add(x, g, v);
	n = viewer_addrs(v, keys);

	if (reserve(x, n) < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct vindex_entry e = { .v = v, .g = g, .order = x->next_order++ };
		memcpy(e.key, keys[i], sizeof e.key);
		put(x, &e);
	}
	return 0;
}

/* Empties slot i and moves later entries of its probe run back, so every
 * entry stays reachable from its home slot without tombstones. */
static void erase(struct vindex *x, unsigned i)
{
	unsigned mask = x->cap - 1, j = i;

	memset(&x->t[i], 0, sizeof x->t[i]);
	x->n--;
	for (;;) {
		unsigned home;
		j = (j + 1) & mask;
		if (!x->t[j].key[0])
			return;
		home = slot_of(x, x->t[j].key);
		/* t[j] stays when its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		x->t[i] = x->t[j];
		memset(&x->t[j], 0, sizeof x->t[j]);
		i = j;
	}
}

int vindex_viewer_latched(struct vindex *x, struct vgroup *g, struct viewer *v)
{
	int rc = vindex_viewer_add(x, g, v);

	if (rc == 0)
		pending_remove(x, v);
	return rc;
}

void vindex_viewer_remove(struct vindex *x, const struct viewer *v)
{
	uint64_t keys[4][3];
	unsigned n = viewer_addrs(v, keys);

	pending_remove(x, v);

	for (unsigned k = 0; k < n; k++) {
		unsigned i = slot_of(x, keys[k]);
		while (x->t[i].key[0]) {
			if (x->t[i].v == v && key_eq(x->t[i].key, keys[k])) {
				erase(x, i);
				continue;   /* slot i now holds the next of the run */
			}
			i = (i + 1) & (x->cap - 1);
		}
	}
}

struct viewer *vindex_find(const struct vindex *x, const struct sockaddr *src, struct vgroup **g)
{
	const struct vindex_entry *best = NULL;
	uint64_t key[3];
	unsigned i;

	key_of(src, key);
	if (!key[0] || !x->n)
		return NULL;
	for (i = slot_of(x, key); x->t[i].key[0]; i = (i + 1) & (x->cap - 1))
		if (key_eq(x->t[i].key, key) && (!best || x->t[i].order < best->order))
			best = &x->t[i];
	if (!best)
		return NULL;
	*g = best->g;
	return best->v;
}
