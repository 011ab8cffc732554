/* ramp: which viewer counts amphi-bench's --ramp runs.  Doubling from the
 * first step until a step breaks the SLO (or reaches the maximum), then
 * bisecting between the last step that met it and the first that did not,
 * for RAMP_REFINE more steps or until the two are adjacent; the capacity is
 * the largest step that met the SLO.  Plain data, no I/O: the caller runs
 * each step and says how it went. */
#ifndef AMPHI_BENCH_RAMP_H
#define AMPHI_BENCH_RAMP_H

/* Bisection steps after the first failure: each halves the gap, so the
 * capacity is known to an eighth of the last doubling. */
#define RAMP_REFINE 3

struct ramp {
	unsigned next;          /* viewers of the next step; 0: done */
	unsigned good;          /* the largest step that met the SLO; 0: none */
	unsigned bad;           /* the smallest step that broke it; 0: none yet */
	unsigned max;
	unsigned refined;       /* bisection steps run */
};

/* first and max >= 1; a first step above max is max. */
void ramp_init(struct ramp *r, unsigned first, unsigned max);
/* The result of the step of r->next viewers. */
void ramp_note(struct ramp *r, int within_slo);

#endif
