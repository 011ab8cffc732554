/* relay/vindex: a worker's viewers by address, checked against a linear scan
 * (what the relay did before) over thousands of viewers coming and going,
 * IPv4 and IPv6, shared addresses, separate RTCP ports; and the lookup cost
 * at 10,000 viewers against that scan. */
#include "tests/harness.h"
#include "relay/addr.h"
#include "relay/relay.h"
#include "relay/stream.h"
#include "relay/vindex.h"
#include "common/addr.h"

#include <arpa/inet.h>
#include <time.h>

enum { NV = 10000, NCMP = 2000 };  /* NCMP: viewers in the comparison (the scan is quadratic) */

static struct viewer views[NV];
static struct vgroup groups[2];
static int live[NV];
static uint64_t added_at[NV];   /* insertion order, for "the oldest wins" */

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Viewer i: IPv4 or IPv6 (every 7th), one address for both kinds or one per
 * kind, RTCP on port + 1 or muxed; every 50th shares viewer i-1's address. */
static void viewer_make(unsigned i)
{
	struct viewer *v = &views[i];

	memset(v, 0, sizeof *v);
	snprintf(v->id, sizeof v->id, "v%u", i);
	if (i % 50 == 49) {
		memcpy(v->dst, views[i - 1].dst, sizeof v->dst);
		memcpy(v->rtcp_dst, views[i - 1].rtcp_dst, sizeof v->rtcp_dst);
		memcpy(v->dstlen, views[i - 1].dstlen, sizeof v->dstlen);
		return;
	}
	for (int k = 0; k < 2; k++) {
		char s[64];
		socklen_t len;
		unsigned port = 20000 + (i * 2 + (unsigned)k * (i % 3 ? 0 : 1)) % 40000;
		if (i % 7 == 0)
			snprintf(s, sizeof s, "[fd00::%x:%x]:%u", i >> 8, i & 0xff, port);
		else
			snprintf(s, sizeof s, "10.%u.%u.%u:%u", (i >> 16) & 255, (i >> 8) & 255, i & 255, port);
		if (addr_parse(s, 0, &v->dst[k], &len) < 0)
			abort();
		v->dstlen[k] = len;
		v->rtcp_dst[k] = v->dst[k];
		if (i % 2)
			v->rtcp_dst[k].sin6_port = htons((uint16_t)(port + 1));
	}
	if (i % 11 == 0)
		v->dstlen[0] = 0;       /* no audio for this one */
}

/* The reference: the oldest live viewer with src as a media or RTCP address. */
static struct viewer *scan(const struct sockaddr *src, unsigned nv)
{
	struct viewer *best = NULL;
	unsigned bi = 0;

	for (unsigned i = 0; i < nv; i++) {
		struct viewer *v = &views[i];
		if (!live[i])
			continue;
		for (int k = 0; k < 2; k++)
			if (v->dstlen[k] &&
			    (relay_addr_equal((const void *)&v->dst[k], src) ||
			     relay_addr_equal((const void *)&v->rtcp_dst[k], src)) &&
			    (!best || added_at[i] < added_at[bi])) {
				best = v;
				bi = i;
			}
	}
	return best;
}

/* Every address of every viewer (live or not) and a few strangers: the
 * index answers as the scan does. */
static unsigned compare_all(struct vindex *x, unsigned *checked)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < NCMP; i++)
		for (int k = 0; k < 2; k++)
			for (int r = 0; r < 2; r++) {
				const struct sockaddr *a = r ? (const void *)&views[i].rtcp_dst[k]
				                             : (const void *)&views[i].dst[k];
				struct vgroup *g = NULL;
				struct viewer *want, *got;
				if (!a->sa_family)
					continue;
				want = scan(a, NCMP);
				got = vindex_find(x, a, &g);
				(*checked)++;
				if (got != want || (got && g != &groups[(got - views) % 2]))
					bad++;
			}
	return bad;
}

TEST(index_matches_a_linear_scan)
{
	struct vindex x;
	unsigned checked = 0, order = 0;
	struct sockaddr_in stranger = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct vgroup *g;

	CHECK_INT(vindex_init(&x), ==, 0);
	for (unsigned i = 0; i < NCMP; i++)
		viewer_make(i);
	CHECK(vindex_find(&x, (const void *)&stranger, &g) == NULL);
	/* all in, then a random half out, then some back in (now newest) */
	for (unsigned i = 0; i < NCMP; i++) {
		CHECK_INT(vindex_viewer_add(&x, &groups[i % 2], &views[i]), ==, 0);
		live[i] = 1;
		added_at[i] = order++;
	}
	CHECK_INT(compare_all(&x, &checked), ==, 0);
	for (unsigned i = 0; i < NCMP; i++)
		if (rnd() % 2) {
			vindex_viewer_remove(&x, &views[i]);
			live[i] = 0;
		}
	CHECK_INT(compare_all(&x, &checked), ==, 0);
	for (unsigned i = 0; i < NCMP; i++)
		if (!live[i] && rnd() % 3 == 0) {
			CHECK_INT(vindex_viewer_add(&x, &groups[i % 2], &views[i]), ==, 0);
			live[i] = 1;
			added_at[i] = order++;
		}
	CHECK_INT(compare_all(&x, &checked), ==, 0);
	for (unsigned i = 0; i < NCMP; i++)
		if (live[i]) {
			vindex_viewer_remove(&x, &views[i]);
			live[i] = 0;
		}
	CHECK_INT(x.n, ==, 0);
	CHECK_INT(compare_all(&x, &checked), ==, 0);
	CHECK_INT(checked, >, 4 * 6000);
	vindex_free(&x);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 10,000 viewers: a lookup costs a few probes, the scan walks them all.
 * The check is loose (a loaded machine) but cannot pass for a scan. */
TEST(lookup_cost_at_ten_thousand_viewers)
{
	struct vindex x;
	struct vgroup *g;
	unsigned found = 0, nscan = 200, nidx = 200000;
	double t0, t_idx, t_scan;

	CHECK_INT(vindex_init(&x), ==, 0);
	for (unsigned i = 0; i < NV; i++) {
		viewer_make(i);
		live[i] = 1;
		added_at[i] = i;
		vindex_viewer_add(&x, &groups[i % 2], &views[i]);
	}
	t0 = now_s();
	for (unsigned n = 0; n < nidx; n++)
		found += vindex_find(&x, (const void *)&views[(n * 7919) % NV].dst[1], &g) != NULL;
	t_idx = (now_s() - t0) / nidx;
	t0 = now_s();
	for (unsigned n = 0; n < nscan; n++)
		found += scan((const void *)&views[(n * 7919) % NV].dst[1], NV) != NULL;
	t_scan = (now_s() - t0) / nscan;
	CHECK_INT(found, ==, nidx + nscan);
	printf("  lookup among %u viewers: index %.0f ns, linear scan %.0f ns (x%.0f)\n", NV,
	       t_idx * 1e9, t_scan * 1e9, t_scan / t_idx);
	CHECK(t_idx * 20 < t_scan);
	vindex_free(&x);
}

int main(void)
{
	RUN(index_matches_a_linear_scan);
	RUN(lookup_cost_at_ten_thousand_viewers);
	return harness_done();
}
