/* periodic: see periodic.h. */
#include "common/periodic.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct periodic {
	periodic_fn *fn;
	void *arg;                    /* borrowed, handed to fn */
	int64_t interval_ns;
	pthread_t thread;
	pthread_mutex_t lock;         /* guards stop and kick */
	pthread_cond_t cond;          /* on CLOCK_MONOTONIC; signalled by wake and stop */
	bool stop;
	bool kick;                    /* a run is due at once (periodic_wake) */
};

static void *periodic_main(void *arg)
{
	struct periodic *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += p->interval_ns / 1000000000;
		until.tv_nsec += p->interval_ns % 1000000000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!p->stop && !p->kick && pthread_cond_timedwait(&p->cond, &p->lock, &until) != ETIMEDOUT)
			;
		if (p->stop)
			break;
		p->kick = false;
		pthread_mutex_unlock(&p->lock);
		p->fn(p->arg);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int periodic_start(int64_t interval_ns, periodic_fn *fn, void *arg, struct periodic **out)
{
	struct periodic *p;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if (interval_ns <= 0 || !fn)
		return -EINVAL;
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->fn = fn;
	p->arg = arg;
	p->interval_ns = interval_ns;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);   /* the new thread inherits the mask */
	rc = -pthread_create(&p->thread, NULL, periodic_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void periodic_wake(struct periodic *p)
{
	pthread_mutex_lock(&p->lock);
	p->kick = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void periodic_stop(struct periodic *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
