/* relay/registry: placement and bookkeeping of streams and viewers, with no
 * worker and no thread.  A relay of 2 workers, 3 stream slots and 5 viewers
 * at most: where streams and viewers go, which additions start or end a
 * worker's share of a stream, what every counter says after each step, and
 * how reports of peers gone on their own are followed (stale ones ignored). */
#include "tests/harness.h"
#include "relay/registry.h"
#include "relay/webrtc.h"

#include <errno.h>

static struct registry g;

/* Places and records a stream as relay/ctl.c does once its owner made it. */
static struct reg_stream *stream(const char *id, unsigned want_slot, unsigned want_owner)
{
	unsigned slot, owner;
	uint32_t gen;
	CHECK_INT(registry_stream_place(&g, &slot, &owner, &gen), ==, 0);
	CHECK_INT(slot, ==, want_slot);
	CHECK_INT(owner, ==, want_owner);
	return registry_stream_add(&g, slot, gen, id, owner);
}

/* Places and records a viewer; returns whether it was its worker's first. */
static bool viewer(struct reg_stream *rs, const char *id, unsigned want_worker, bool webrtc)
{
	unsigned w = registry_viewer_place(&g);
	CHECK_INT(w, ==, want_worker);
	CHECK_INT(registry_viewer_reserve(rs), ==, 0);
	return registry_viewer_add(&g, rs, id, w, webrtc);
}

static void counts_agree(void)
{
	unsigned total = 0, per[2] = { 0, 0 }, streams[2] = { 0, 0 };
	for (unsigned i = 0; i < g.max_streams; i++) {
		const struct reg_stream *rs = &g.streams[i];
		if (!rs->used)
			continue;
		streams[rs->owner]++;
		total += rs->nviewers;
		for (unsigned v = 0; v < rs->nviewers; v++)
			per[rs->viewers[v].worker]++;
		CHECK_INT(rs->per_worker[0] + rs->per_worker[1], ==, rs->nviewers);
	}
	CHECK_INT(g.total_viewers, ==, total);
	for (unsigned w = 0; w < 2; w++) {
		CHECK_INT(g.worker_viewers[w], ==, per[w]);
		CHECK_INT(g.worker_streams[w], ==, streams[w]);
	}
}

TEST(streams_fill_slots_and_spread_owners)
{
	unsigned slot, owner;
	uint32_t gen, g1, g2;
	struct reg_stream *a, *b;

	CHECK_INT(registry_init(&g, 3, 5, 2), ==, 0);
	CHECK(registry_stream_find(&g, "a") == NULL);
	CHECK(registry_stream_find(&g, NULL) == NULL);
	a = stream("a", 0, 0);
	b = stream("b", 1, 1);
	stream("c", 2, 0);
	CHECK(registry_stream_find(&g, "b") == b);
	CHECK_INT(registry_stream_slot(&g, b), ==, 1);
	CHECK_INT(registry_stream_place(&g, &slot, &owner, &gen), ==, -ENOSPC);
	g1 = a->gen;
	g2 = b->gen;
	CHECK(g1 != g2 && g1 != 0);
	counts_agree();

	/* A freed slot is reused under a generation no tenant had. */
	registry_stream_remove(&g, 0);
	CHECK(registry_stream_find(&g, "a") == NULL);
	CHECK_INT(g.worker_streams[0], ==, 1);
	CHECK_INT(registry_stream_place(&g, &slot, &owner, &gen), ==, 0);
	CHECK_INT(slot, ==, 0);
	CHECK_INT(owner, ==, 0);
	CHECK(gen != g1 && gen != g2);
	registry_free(&g);
}

TEST(viewers_spread_and_share_a_name_space)
{
	struct reg_stream *a, *b;

	CHECK_INT(registry_init(&g, 3, 5, 2), ==, 0);
	a = stream("a", 0, 0);
	b = stream("b", 1, 1);
	CHECK(viewer(a, "v1", 0, false));    /* first of a on worker 0: hand-off starts */
	CHECK(viewer(a, "v2", 1, false));    /* first of a on worker 1 */
	CHECK(!viewer(a, "v3", 0, true));    /* worker 0 already gets a */
	CHECK(viewer(b, "v1", 1, false));    /* ids are per stream */
	CHECK_INT(a->per_worker[0], ==, 2);
	CHECK_INT(a->per_worker[1], ==, 1);
	counts_agree();

	CHECK(registry_id_taken(a, "v3"));
	CHECK(!registry_id_taken(a, "pub"));
	a->has_pub = true;
	strcpy(a->pub_id, "pub");
	CHECK(registry_id_taken(a, "pub"));   /* the publisher's id is taken for viewers too */
	CHECK(!registry_id_taken(b, "pub"));

	CHECK(!registry_full(&g));
	/* 2 viewers on each worker: the tie goes to worker 0, new to b. */
	CHECK(viewer(b, "v2", 0, false));
	counts_agree();
	registry_free(&g);
}

TEST(limits_and_removal)
{
	struct reg_stream *a;
	int i;

	CHECK_INT(registry_init(&g, 3, 5, 2), ==, 0);
	a = stream("a", 0, 0);
	for (unsigned k = 0; k < 5; k++) {
		char id[8];
		snprintf(id, sizeof id, "v%u", k);
		viewer(a, id, k % 2, false);
	}
	CHECK(registry_full(&g));
	CHECK_INT(a->nviewers, ==, 5);
	counts_agree();

	/* v1 and v3 are worker 1's: the first removal leaves it one, the second none. */
	CHECK_INT(i = registry_viewer_find(a, "v1"), >=, 0);
	CHECK(!registry_viewer_remove(&g, a, (unsigned)i));
	CHECK_INT(registry_viewer_find(a, "v1"), ==, -1);
	CHECK_INT(i = registry_viewer_find(a, "v3"), >=, 0);
	CHECK(registry_viewer_remove(&g, a, (unsigned)i));
	CHECK_INT(a->per_worker[1], ==, 0);
	CHECK(!registry_full(&g));
	counts_agree();
	CHECK_INT(registry_viewer_place(&g), ==, 1);   /* the emptier worker */

	/* Deleting the stream takes its viewers out of every count. */
	registry_stream_remove(&g, 0);
	CHECK_INT(g.total_viewers, ==, 0);
	CHECK_INT(g.worker_viewers[0], ==, 0);
	CHECK_INT(g.worker_streams[0], ==, 0);
	counts_agree();
	registry_free(&g);
}

TEST(the_viewer_list_grows)
{
	struct reg_stream *a;
	char id[16];

	CHECK_INT(registry_init(&g, 1, 1000, 2), ==, 0);
	a = stream("a", 0, 0);
	for (unsigned k = 0; k < 100; k++) {
		snprintf(id, sizeof id, "v%u", k);
		viewer(a, id, k % 2, false);
	}
	CHECK_INT(a->nviewers, ==, 100);
	CHECK(a->cap >= 100);
	CHECK_INT(registry_viewer_find(a, "v99"), ==, 99);
	CHECK_INT(a->per_worker[0], ==, 50);
	counts_agree();
	registry_free(&g);
}

TEST(peers_and_reports_of_peers_gone)
{
	struct reg_stream *a;
	struct relay_gone gone;
	int vi;

	CHECK_INT(registry_init(&g, 2, 10, 2), ==, 0);
	a = stream("a", 0, 0);
	viewer(a, "sdes", 0, false);
	viewer(a, "w1", 1, true);
	a->has_pub = true;
	strcpy(a->pub_id, "pub");

	CHECK_INT(registry_peer_worker(a, "pub", &vi), ==, 0);   /* the owner */
	CHECK_INT(vi, ==, -1);
	CHECK_INT(registry_peer_worker(a, "w1", &vi), ==, 1);
	CHECK_INT(vi, ==, registry_viewer_find(a, "w1"));
	CHECK_INT(registry_peer_worker(a, "sdes", &vi), ==, -1);  /* not a WebRTC peer */
	CHECK_INT(registry_peer_worker(a, NULL, &vi), ==, -1);

	/* A report about an earlier tenant of the slot changes nothing. */
	memset(&gone, 0, sizeof gone);
	gone.slot = 0;
	gone.gen = a->gen + 1;
	gone.worker = 1;
	gone.role = WEBRTC_VIEWER;
	strcpy(gone.id, "w1");
	CHECK_INT(registry_gone_apply(&g, &gone), ==, 0);
	CHECK_INT(a->nviewers, ==, 2);
	gone.slot = 7;   /* no such slot */
	CHECK_INT(registry_gone_apply(&g, &gone), ==, 0);

	/* The SDES viewer is not a WebRTC peer: a report naming it is ignored. */
	gone.slot = 0;
	gone.gen = a->gen;
	gone.worker = 0;
	strcpy(gone.id, "sdes");
	CHECK_INT(registry_gone_apply(&g, &gone), ==, 0);
	CHECK_INT(a->nviewers, ==, 2);

	/* The WebRTC viewer was worker 1's only one: its hand-off must end. */
	gone.worker = 1;
	strcpy(gone.id, "w1");
	CHECK_INT(registry_gone_apply(&g, &gone), ==, 1);
	CHECK_INT(registry_viewer_find(a, "w1"), ==, -1);
	CHECK_INT(registry_gone_apply(&g, &gone), ==, 0);   /* already forgotten */
	counts_agree();

	gone.role = WEBRTC_PUBLISHER;
	gone.worker = 0;
	strcpy(gone.id, "pub");
	CHECK_INT(registry_gone_apply(&g, &gone), ==, 0);
	CHECK(!a->has_pub);
	CHECK(!registry_id_taken(a, "pub"));
	registry_free(&g);
}

int main(void)
{
	RUN(streams_fill_slots_and_spread_owners);
	RUN(viewers_spread_and_share_a_name_space);
	RUN(limits_and_removal);
	RUN(the_viewer_list_grows);
	RUN(peers_and_reports_of_peers_gone);
	return harness_done();
}
