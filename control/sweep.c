/* sweep: see sweep.h. */
#include "control/sweep.h"
#include "control/control.h"
#include "control/db.h"
#include "control/webinars.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct sweep {
	struct control *app;
	int64_t interval_ns;
	pthread_t thread;
	pthread_mutex_t mu;     /* guards stop */
	pthread_cond_t cond;    /* signalled by sweep_stop */
	bool stop;
};

static void *sweep_main(void *arg)
{
	struct sweep *s = arg;
	struct timespec ts;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		int64_t wake = amphi_mono_ns() + s->interval_ns;

		ts.tv_sec = wake / 1000000000;
		ts.tv_nsec = wake % 1000000000;
		while (!s->stop && pthread_cond_timedwait(&s->cond, &s->mu, &ts) != ETIMEDOUT)
			;
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->mu);
		{
			sqlite3 *c = db_acquire(s->app->db);
			int n = webinars_purge(c, s->app, amphi_now());

			db_release(s->app->db, c);
			if (n > 0)
				log_msg(LOG_INFO, "end-of-webinar data purged", "rows=%d", n);
			else if (n < 0)
				log_msg(LOG_WARN, "retention sweep failed", "err=%d", n);
		}
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

struct sweep *sweep_start(struct control *app, int64_t interval_s)
{
	struct sweep *s = calloc(1, sizeof *s);
	pthread_condattr_t attr;
	int r;

	if (!s)
		return NULL;
	s->app = app;
	s->interval_ns = (interval_s > 0 ? interval_s : 60) * 1000000000LL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);   /* amphi_mono_ns's clock */
	pthread_cond_init(&s->cond, &attr);
	pthread_condattr_destroy(&attr);
	if ((r = pthread_create(&s->thread, NULL, sweep_main, s)) != 0) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->mu);
		free(s);
		errno = r;
		return NULL;
	}
	return s;
}

void sweep_stop(struct sweep *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
