/* reaper: see reaper.h. */
#include "recstore/reaper.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/periodic.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct rec_reaper {
	struct rec_store *st;         /* borrowed */
	struct rec_reaper_opts o;
	struct periodic *thread;
	pthread_mutex_t lock;         /* guards the fields below */
	bool paused;
	int64_t wall0_ns, mono0_ns;   /* clock baseline of the last tick */
	int64_t next_nag_ns;          /* monotonic time of the next "still paused" line */
};

/* Entries collected from a read transaction, acted on after it closed (the
 * index forbids writes from inside its callbacks). */
struct batch {
	struct rec_entry *e;
	unsigned n, cap;
};

static int collect(void *arg, const struct rec_entry *e)
{
	struct batch *b = arg;

	if (b->n == b->cap)
		return 1;
	b->e[b->n++] = *e;
	return 0;
}

int rec_reaper_pass(struct rec_store *st, unsigned batch)
{
	static const struct rec_actor reaper = { "reaper", "retention period ended" };
	struct batch b = { NULL, 0, batch ? batch : 256 };
	int deleted = 0, rc;

	b.e = calloc(b.cap, sizeof *b.e);
	if (!b.e)
		return -ENOMEM;
	rc = rec_index_tombstones(st->idx, collect, &b);
	for (unsigned i = 0; i < b.n; i++) {
		if (rec_store_finish(st, &b.e[i]) == 0)
			log_msg(LOG_INFO, "interrupted deletion finished", "id=%s", b.e[i].id);
	}
	b.n = 0;
	if (rc >= 0)
		rc = rec_index_expired(st->idx, amphi_now(), collect, &b);
	for (unsigned i = 0; i < b.n; i++) {
		int r = rec_store_expire(st, b.e[i].id, &reaper);
		if (r == 0)
			deleted++;
		else if (r != -EAGAIN && r != -EPERM && r != -ENOENT)
			log_msg(LOG_ERROR, "expiry failed", "id=%s rc=%d", b.e[i].id, r);
	}
	free(b.e);
	return rc < 0 ? rc : deleted;
}

/* Under r->lock.  True when the wall clock moved unlike the monotonic one. */
static bool clock_jumped(struct rec_reaper *r, int64_t wall, int64_t mono)
{
	int64_t drift = (wall - r->wall0_ns) - (mono - r->mono0_ns);

	r->wall0_ns = wall;
	r->mono0_ns = mono;
	if (drift < 0)
		drift = -drift;
	if (drift <= r->o.max_clock_jump_s * 1000000000LL)
		return false;
	log_msg(LOG_ERROR, "WALL CLOCK JUMPED: reaper paused, nothing will be deleted until an "
	        "operator checks the clock and runs reaper-resume",
	        "jump_s=%lld bound_s=%lld", (long long)(drift / 1000000000LL),
	        (long long)r->o.max_clock_jump_s);
	return true;
}

/* One tick of the periodic thread: the clock guard, then a pass unless paused. */
static void reaper_tick(void *arg)
{
	struct rec_reaper *r = arg;
	int64_t wall, mono;
	bool run;

	pthread_mutex_lock(&r->lock);
	wall = amphi_now_ns();
	mono = amphi_mono_ns();
	if (!r->paused && clock_jumped(r, wall, mono)) {
		r->paused = true;
		r->next_nag_ns = mono + 60 * 1000000000LL;
	}
	if (r->paused && mono >= r->next_nag_ns) {
		log_msg(LOG_ERROR, "reaper still paused after a wall clock jump", "action=reaper-resume");
		r->next_nag_ns = mono + 60 * 1000000000LL;
	}
	run = !r->paused;
	pthread_mutex_unlock(&r->lock);
	if (run) {
		int n = rec_reaper_pass(r->st, r->o.batch);
		if (n < 0)
			log_msg(LOG_ERROR, "reaper pass failed", "rc=%d", n);
		else if (n > 0)
			log_msg(LOG_INFO, "expired recordings deleted", "count=%d", n);
	}
}

/* The store's waker: a pass at once after a change that may have made a
 * recording deletable (a hold lifted, an expiry moved, publish). */
static void reaper_wake(void *arg)
{
	struct rec_reaper *r = arg;

	periodic_wake(r->thread);
}

int rec_reaper_start(struct rec_store *st, const struct rec_reaper_opts *opts, struct rec_reaper **out)
{
	struct rec_reaper *r = calloc(1, sizeof *r);
	int rc;

	if (!r)
		return -ENOMEM;
	r->st = st;
	r->o = *opts;
	if (r->o.interval_ms <= 0)
		r->o.interval_ms = 1000;
	if (r->o.max_clock_jump_s <= 0)
		r->o.max_clock_jump_s = 30;
	r->wall0_ns = amphi_now_ns();
	r->mono0_ns = amphi_mono_ns();
	pthread_mutex_init(&r->lock, NULL);
	rc = periodic_start(r->o.interval_ms * 1000000LL, reaper_tick, r, &r->thread);
	if (rc) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return rc;
	}
	periodic_wake(r->thread);   /* a first pass at once: finish what a crash left */
	rec_store_set_waker(st, reaper_wake, r);
	*out = r;
	return 0;
}

void rec_reaper_stop(struct rec_reaper *r)
{
	if (!r)
		return;
	rec_store_set_waker(r->st, NULL, NULL);   /* no wake-up reaches r after this */
	periodic_stop(r->thread);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

bool rec_reaper_paused(struct rec_reaper *r)
{
	bool p;

	pthread_mutex_lock(&r->lock);
	p = r->paused;
	pthread_mutex_unlock(&r->lock);
	return p;
}

void rec_reaper_resume(struct rec_reaper *r)
{
	pthread_mutex_lock(&r->lock);
	if (r->paused)
		log_msg(LOG_WARN, "reaper resumed by an operator", NULL);
	r->paused = false;
	r->wall0_ns = amphi_now_ns();
	r->mono0_ns = amphi_mono_ns();
	pthread_mutex_unlock(&r->lock);
	periodic_wake(r->thread);
}
