/* periodic: runs each interval, at once when woken (wakes coalesce), never
 * before the first interval unless woken, stops promptly and after the run in
 * progress, blocks signals on its thread. */
#include "tests/harness.h"
#include "common/clock.h"
#include "common/periodic.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#define HOUR_NS (3600 * 1000000000LL)

struct probe {
	atomic_int runs;
	atomic_int in_run;        /* 1 while the callback runs */
	atomic_int hold;          /* the callback waits while this is 1 */
	atomic_int sigterm_blocked;
};

static void probe_run(void *arg)
{
	struct probe *p = arg;
	sigset_t cur;

	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	atomic_store(&p->sigterm_blocked, sigismember(&cur, SIGTERM));
	atomic_store(&p->in_run, 1);
	while (atomic_load(&p->hold))
		usleep(1000);
	usleep(20000);            /* a run that takes a while */
	atomic_fetch_add(&p->runs, 1);
	atomic_store(&p->in_run, 0);
}

/* Waits up to 5 s for *v to reach at least want. */
static int wait_at_least(atomic_int *v, int want)
{
	for (int i = 0; i < 5000 && atomic_load(v) < want; i++)
		usleep(1000);
	return atomic_load(v);
}

TEST(rejects_a_zero_interval)
{
	struct periodic *p = NULL;
	struct probe pr = { 0 };

	CHECK_INT(periodic_start(0, probe_run, &pr, &p), ==, -EINVAL);
	CHECK(p == NULL);
}

TEST(runs_every_interval)
{
	struct periodic *p;
	struct probe pr = { 0 };

	CHECK_INT(periodic_start(10 * 1000000LL, probe_run, &pr, &p), ==, 0);
	CHECK_INT(wait_at_least(&pr.runs, 3), >=, 3);
	periodic_stop(p);
}

TEST(first_run_waits_an_interval)
{
	struct periodic *p;
	struct probe pr = { 0 };

	CHECK_INT(periodic_start(HOUR_NS, probe_run, &pr, &p), ==, 0);
	usleep(100000);
	CHECK_INT(atomic_load(&pr.runs), ==, 0);
	periodic_stop(p);
	CHECK_INT(atomic_load(&pr.runs), ==, 0);
}

TEST(wake_runs_at_once_and_blocks_signals)
{
	struct periodic *p;
	struct probe pr = { 0 };

	CHECK_INT(periodic_start(HOUR_NS, probe_run, &pr, &p), ==, 0);
	periodic_wake(p);
	CHECK_INT(wait_at_least(&pr.runs, 1), ==, 1);
	CHECK_INT(atomic_load(&pr.sigterm_blocked), ==, 1);
	periodic_stop(p);
}

TEST(wakes_during_a_run_coalesce_into_one)
{
	struct periodic *p;
	struct probe pr = { 0 };

	atomic_store(&pr.hold, 1);
	CHECK_INT(periodic_start(HOUR_NS, probe_run, &pr, &p), ==, 0);
	periodic_wake(p);
	CHECK_INT(wait_at_least(&pr.in_run, 1), ==, 1);
	periodic_wake(p);
	periodic_wake(p);
	periodic_wake(p);
	atomic_store(&pr.hold, 0);
	CHECK_INT(wait_at_least(&pr.runs, 2), ==, 2);
	usleep(100000);
	CHECK_INT(atomic_load(&pr.runs), ==, 2);
	periodic_stop(p);
}

TEST(stop_is_prompt_and_waits_for_the_run)
{
	struct periodic *p;
	struct probe pr = { 0 };
	int64_t t0;

	CHECK_INT(periodic_start(HOUR_NS, probe_run, &pr, &p), ==, 0);
	t0 = amphi_mono_ns();
	periodic_stop(p);
	CHECK_INT(amphi_mono_ns() - t0, <, 1000000000LL);

	CHECK_INT(periodic_start(HOUR_NS, probe_run, &pr, &p), ==, 0);
	atomic_store(&pr.hold, 1);
	periodic_wake(p);
	CHECK_INT(wait_at_least(&pr.in_run, 1), ==, 1);
	atomic_store(&pr.hold, 0);
	periodic_stop(p);         /* returns only after the run in progress */
	CHECK_INT(atomic_load(&pr.in_run), ==, 0);
	CHECK_INT(atomic_load(&pr.runs), ==, 1);
	periodic_stop(NULL);
}

int main(void)
{
	sigset_t term;

	/* As in a daemon's main: the periodic blocks every signal, not just these. */
	sigemptyset(&term);
	sigaddset(&term, SIGINT);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	RUN(rejects_a_zero_interval);
	RUN(runs_every_interval);
	RUN(first_run_waits_an_interval);
	RUN(wake_runs_at_once_and_blocks_signals);
	RUN(wakes_during_a_run_coalesce_into_one);
	RUN(stop_is_prompt_and_waits_for_the_run);
	return harness_done();
}
