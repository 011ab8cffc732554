/* nack: see nack.h. */
#include "relay/nack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int nack_create(unsigned tracks, unsigned horizon, struct nack **out)
{
	struct nack *n;

	if (!tracks || tracks >> NACK_TRACKS || !horizon)
		return -EINVAL;
	n = calloc(1, sizeof *n);
	if (!n)
		return -ENOMEM;
	for (unsigned i = 0; i < NACK_TRACKS; i++)
		n->t[i].on = tracks >> i & 1;
	n->horizon = horizon;
	n->srtt_ns = NACK_RTT_INIT_NS;
	n->due_ns = INT64_MAX;
	*out = n;
	return 0;
}

void nack_destroy(struct nack *n)
{
	free(n);
}

static void due_update(struct nack *n)
{
	n->due_ns = INT64_MAX;
	for (unsigned i = 0; i < NACK_TRACKS; i++)
		for (unsigned j = 0; j < n->t[i].n; j++)
			if (n->t[i].miss[j].due_ns < n->due_ns)
				n->due_ns = n->t[i].miss[j].due_ns;
}

/* A gap of gap packets after t->top, found at now. */
static void gap_add(struct nack *n, struct nack_track *t, unsigned gap, int64_t now)
{
	if (gap > NACK_MISS_MAX) {
		n->c.given_up += gap;
		t->lost += gap;
		return;
	}
	for (unsigned k = 1; k <= gap; k++) {
		if (t->n == NACK_MISS_MAX) {
			/* full: the oldest is the least likely to be of use */
			memmove(t->miss, t->miss + 1, (NACK_MISS_MAX - 1) * sizeof t->miss[0]);
			t->n--;
			n->c.given_up++;
			t->lost++;
		}
		t->miss[t->n++] = (struct nack_miss){ .seq = (uint16_t)(t->top + k), .seen_ns = now,
		                                      .due_ns = now + NACK_REORDER_NS };
	}
	if (gap && now + NACK_REORDER_NS < n->due_ns)
		n->due_ns = now + NACK_REORDER_NS;
}

enum nack_seen nack_packet(struct nack *n, unsigned track, uint32_t ssrc, uint16_t seq, int64_t now)
{
	struct nack_track *t;
	int16_t d;

	if (!n || track >= NACK_TRACKS || !n->t[track].on)
		return NACK_OFF;
	t = &n->t[track];
	if (!t->started || ssrc != t->ssrc) {
		n->c.given_up += t->n;
		t->started = true;
		t->ssrc = ssrc;
		t->top = seq;
		t->n = 0;
		due_update(n);
		return NACK_NEW;
	}
	d = (int16_t)(uint16_t)(seq - t->top);
	if (d > 0) {
		gap_add(n, t, (unsigned)d - 1, now);
		t->top = seq;
		return NACK_NEW;
	}
	for (unsigned i = 0; i < t->n; i++) {
		struct nack_miss m = t->miss[i];
		if (m.seq != seq)
			continue;
		memmove(t->miss + i, t->miss + i + 1, (t->n - i - 1) * sizeof t->miss[0]);
		t->n--;
		due_update(n);
		if (!m.tries)
			return NACK_REORDERED;
		n->c.repaired++;
		if (m.tries == 1 && now >= m.sent_ns)   /* Karn: a retried one's sample is ambiguous */
			n->srtt_ns += (now - m.sent_ns - n->srtt_ns) / 8;
		return NACK_REPAIRED;
	}
	return NACK_OLD;
}

size_t nack_due(struct nack *n, unsigned track, int64_t now, uint16_t *seqs, size_t max, uint32_t *ssrc)
{
	struct nack_track *t;
	int64_t spacing;
	size_t k = 0;
	unsigned j = 0;

	if (!n || track >= NACK_TRACKS)
		return 0;
	t = &n->t[track];
	spacing = n->srtt_ns + NACK_REORDER_NS;
	if (spacing < NACK_RETRY_MIN_NS)
		spacing = NACK_RETRY_MIN_NS;
	for (unsigned i = 0; i < t->n; i++) {
		struct nack_miss m = t->miss[i];
		bool drop = (uint16_t)(t->top - m.seq) >= n->horizon || now - m.seen_ns >= NACK_GIVEUP_NS;

		if (!drop && now >= m.due_ns) {
			if (m.tries >= NACK_TRIES) {
				drop = true;
			} else if (k < max) {
				seqs[k++] = m.seq;
				if (!m.tries)
					m.sent_ns = now;
				m.tries++;
				m.due_ns = now + spacing;
				n->c.requested++;
			}
		}
		if (drop) {
			n->c.given_up++;
			t->lost++;
			continue;
		}
		t->miss[j++] = m;
	}
	t->n = j;
	*ssrc = t->ssrc;
	due_update(n);
	return k;
}

unsigned nack_lost_take(struct nack *n, unsigned track)
{
	unsigned lost;

	if (!n || track >= NACK_TRACKS)
		return 0;
	lost = n->t[track].lost;
	n->t[track].lost = 0;
	return lost;
}
