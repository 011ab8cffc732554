/* ramp: see ramp.h. */
#include "bench/ramp.h"

void ramp_init(struct ramp *r, unsigned first, unsigned max)
{
	*r = (struct ramp){ .next = first < max ? first : max, .max = max };
}

void ramp_note(struct ramp *r, int within_slo)
{
	unsigned v = r->next;
	int refining = r->bad != 0;

	if (within_slo)
		r->good = v;
	else
		r->bad = v;
	r->refined += refining;
	if (!r->bad)
		r->next = v >= r->max ? 0 : v > r->max / 2 ? r->max : 2 * v;
	else if (!r->good || r->bad - r->good <= 1 || r->refined >= RAMP_REFINE)
		r->next = 0;
	else
		r->next = r->good + (r->bad - r->good) / 2;
}
