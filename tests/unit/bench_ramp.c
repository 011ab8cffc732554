/* amphi-bench --ramp's steps (bench/ramp.h): doubling to the first step
 * that breaks the SLO, then at least three bisection steps between the last
 * good and the first bad one; the capacity is a step that was run and met
 * the SLO, never a projection. */
#include "tests/harness.h"

#include "bench/ramp.h"

/* Runs a ramp against an SLO that holds up to `limit` viewers; the steps
 * go into seen[], their count is returned. */
static unsigned ramp_against(unsigned first, unsigned max, unsigned limit, struct ramp *r,
                             unsigned *seen, unsigned cap)
{
	unsigned n = 0;

	ramp_init(r, first, max);
	while (r->next && n < cap) {
		seen[n++] = r->next;
		ramp_note(r, r->next <= limit);
	}
	return n;
}

TEST(doubles_then_bisects)
{
	struct ramp r;
	unsigned seen[32];
	unsigned n = ramp_against(250, 4000, 1234, &r, seen, 32);
	const unsigned want[] = { 250, 500, 1000, 2000, 1500, 1250, 1125 };

	CHECK_INT(n, ==, sizeof want / sizeof want[0]);
	for (unsigned i = 0; i < n && i < sizeof want / sizeof want[0]; i++)
		CHECK_INT(seen[i], ==, want[i]);
	CHECK_INT(r.good, ==, 1125);    /* run and met the SLO */
	CHECK_INT(r.bad, ==, 1250);
	CHECK_INT(r.refined, ==, RAMP_REFINE);
}

TEST(stops_at_max_or_first_failure)
{
	struct ramp r;
	unsigned seen[32];

	/* never breaks: 250, 500, 1000, 2000, 3000 (the maximum) */
	CHECK_INT(ramp_against(250, 3000, 100000, &r, seen, 32), ==, 5);
	CHECK_INT(seen[4], ==, 3000);
	CHECK_INT(r.good, ==, 3000);
	CHECK_INT(r.bad, ==, 0);
	/* the first step fails: no capacity, nothing to bisect */
	CHECK_INT(ramp_against(250, 3000, 100, &r, seen, 32), ==, 1);
	CHECK_INT(r.good, ==, 0);
	/* the maximum breaks it: bisection between 2000 and 3000 */
	CHECK_INT(ramp_against(250, 3000, 2600, &r, seen, 32), ==, 8);
	CHECK_INT(seen[5], ==, 2500);
	CHECK_INT(r.good, ==, 2500);    /* 2750 and 2625 broke it */
	CHECK_INT(r.bad, ==, 2625);
	/* adjacent steps end the bisection early */
	CHECK_INT(ramp_against(1, 8, 2, &r, seen, 32), ==, 4);  /* 1, 2, 4, 3 */
	CHECK_INT(r.good, ==, 2);
	CHECK_INT(r.bad, ==, 3);
	CHECK_INT(ramp_against(1, 8, 3, &r, seen, 32), ==, 4);
	CHECK_INT(r.good, ==, 3);
	CHECK_INT(r.bad, ==, 4);
}

int main(void)
{
	RUN(doubles_then_bisects);
	RUN(stops_at_max_or_first_failure);
	return harness_done();
}
