/* sweep: see sweep.h. */
#include "control/sweep.h"
#include "control/control.h"
#include "control/db.h"
#include "control/webinars.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/periodic.h"

#include <errno.h>
#include <stdlib.h>

struct sweep {
	struct control *app;
	struct periodic *thread;
};

static void sweep_run(void *arg)
{
	struct sweep *s = arg;
	sqlite3 *c = db_acquire(s->app->db);
	int n = webinars_purge(c, s->app, amphi_now());

	db_release(s->app->db, c);
	if (n > 0)
		log_msg(LOG_INFO, "end-of-webinar data purged", "rows=%d", n);
	else if (n < 0)
		log_msg(LOG_WARN, "retention sweep failed", "err=%d", n);
}

struct sweep *sweep_start(struct control *app, int64_t interval_s)
{
	struct sweep *s = calloc(1, sizeof *s);
	int r;

	if (!s)
		return NULL;
	s->app = app;
	r = periodic_start((interval_s > 0 ? interval_s : 60) * 1000000000LL, sweep_run, s, &s->thread);
	if (r) {
		free(s);
		errno = -r;
		return NULL;
	}
	return s;
}

void sweep_stop(struct sweep *s)
{
	if (!s)
		return;
	periodic_stop(s->thread);
	free(s);
}
