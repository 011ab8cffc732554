/* sweep: see sweep.h. */
#include "control/sweep.h"
#include "control/audit.h"
#include "control/control.h"
#include "control/db.h"
#include "control/expiry.h"
#include "control/ingest.h"
#include "control/recordings.h"
#include "control/relay_client.h"
#include "control/webinar.h"
#include "control/webinars.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/periodic.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLOCK_TOLERANCE_S 2
#define LIVE_MAX 1024   /* live webinars followed; more wait for a later run */

/* A live webinar's media as the sweep last saw it. */
struct live_seen {
	int64_t webinar;
	unsigned long long pkts;
	int64_t since_ns;   /* boottime when pkts last changed (or was first seen) */
	bool present;       /* still live in this run */
};

struct sweep {
	struct control *app;
	struct periodic *thread;
	int64_t anchor_wall, anchor_boot_ns;   /* the wall clock trusted at anchor_boot_ns */
	bool jumped;
	struct live_seen live[LIVE_MAX];
	int nlive;
};

static int64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The sweep's now (sweep.h: the earlier of the wall clock and the trusted one). */
static int64_t sweep_now(struct sweep *s)
{
	int64_t wall = amphi_now(), b = boot_ns();
	int64_t trusted = s->anchor_wall + (b - s->anchor_boot_ns) / 1000000000LL;

	if (wall - trusted <= CLOCK_TOLERANCE_S && trusted - wall <= CLOCK_TOLERANCE_S) {
		if (s->jumped)
			log_msg(LOG_INFO, "wall clock agrees again: retention follows it", NULL);
		s->jumped = false;
		s->anchor_wall = wall;
		s->anchor_boot_ns = b;
		return wall;
	}
	if (!s->jumped)
		log_msg(LOG_WARN, "WALL CLOCK JUMPED: retention deletions follow the earlier clock until restart",
		        "jump_s=%" PRId64, wall - trusted);
	s->jumped = true;
	return wall < trusted ? wall : trusted;
}

static void end_unended(struct sweep *s, sqlite3 *db, int64_t id, int64_t now, const char *why)
{
	struct webinar w;
	char err[256];
	int purged = 0, r;

	if (webinar_load(db, id, &w) != 0 || strcmp(w.state, "ended") == 0)
		return;
	r = webinars_end(s->app, db, &w, now, &purged, err, sizeof err);
	if (r < 0) {
		log_msg(LOG_WARN, "unended webinar not ended", "webinar=%" PRId64 " err=%d", id, r);
		return;
	}
	audit_log(db, NULL, "webinar.end", "webinar", id, json_pack("{s:s,s:i}", "reason", why, "rows_deleted", purged));
	log_msg(LOG_INFO, "unended webinar ended by the retention sweep", "webinar=%" PRId64 " reason=%s deleted=%d relay=%d",
	        id, why, purged, r);
}

/* pkts_in of every stream the relay has, by webinar id; NULL when it does not answer. */
static json_t *relay_streams(struct control *app)
{
	json_t *resp = NULL, *streams;
	char err[256];

	if (relay_client_cmd(app->relay, "stats", NULL, &resp, err, sizeof err) != 0)
		return NULL;
	streams = json_incref(json_object_get(resp, "streams"));
	json_decref(resp);
	return streams;
}

static unsigned long long stream_pkts(json_t *streams, int64_t webinar)
{
	char id[64];
	size_t i;
	json_t *o;

	ingest_stream_id(webinar, id, sizeof id);
	json_array_foreach(streams, i, o)
		if (json_is_string(json_object_get(o, "id")) &&
		    strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
			return (unsigned long long)json_integer_value(json_object_get(o, "pkts_in"));
	return 0;
}

static struct live_seen *live_find(struct sweep *s, int64_t webinar)
{
	for (int i = 0; i < s->nlive; i++)
		if (s->live[i].webinar == webinar)
			return &s->live[i];
	if (s->nlive == LIVE_MAX)
		return NULL;
	s->live[s->nlive] = (struct live_seen){ .webinar = webinar, .since_ns = boot_ns() };
	return &s->live[s->nlive++];
}

static void unended(struct sweep *s, sqlite3 *db, int64_t now)
{
	const struct retention *ret = &s->app->retention;
	int64_t cutoff = retention_cutoff(ret, RETENTION_WEBINAR_UNENDED, now), ids[64], idle_ns;
	json_t *streams = NULL;
	sqlite3_stmt *st;
	int n = 0;

	/* Never started: `retention` after the start time, or after the
	 * webinar's last change when later (one created or moved with a start
	 * time already past is still being prepared). */
	st = db_prepare(db, "SELECT id FROM webinars WHERE state = 'scheduled' AND max(starts_at, updated_at) <= ? "
	                "ORDER BY starts_at LIMIT 64", "i", cutoff);
	while (st && n < 64 && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++)
		end_unended(s, db, ids[i], now, "never_started");

	/* Live: `live_idle` without a packet reaching the relay. */
	if (ret->live_idle.never)
		return;
	idle_ns = (duration_add(0, &ret->live_idle)) * 1000000000LL;
	for (int i = 0; i < s->nlive; i++)
		s->live[i].present = false;
	st = db_prepare(db, "SELECT id FROM webinars WHERE state = 'live' ORDER BY id", "");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		struct live_seen *l;

		if (!streams && !(streams = relay_streams(s->app)))
			streams = json_array();   /* no answer: no media */
		l = live_find(s, sqlite3_column_int64(st, 0));
		if (!l)
			continue;
		l->present = true;
		unsigned long long p = stream_pkts(streams, l->webinar);
		if (p != l->pkts) {
			l->pkts = p;
			l->since_ns = boot_ns();
		}
	}
	sqlite3_finalize(st);
	json_decref(streams);
	/* Forget the ones no longer live, then end the idle ones. */
	n = 0;
	for (int i = 0; i < s->nlive; i++) {
		if (!s->live[i].present)
			continue;
		s->live[n++] = s->live[i];
	}
	s->nlive = n;
	for (int i = 0; i < s->nlive; i++)
		if (boot_ns() - s->live[i].since_ns >= idle_ns)
			end_unended(s, db, s->live[i].webinar, now, "no_media");
}

static void sweep_run(void *arg)
{
	struct sweep *s = arg;
	sqlite3 *c = db_acquire(s->app->db);
	int64_t now = sweep_now(s);
	struct expiry_counts k;
	int n, r, replays;

	unended(s, c, now);
	/* Replays whose recording is gone first: their identities are due in this pass. */
	replays = recordings_replay_sweep(s->app, c);
	n = webinars_purge(c, s->app, now);
	r = expiry_run(s->app, c, now, &k);
	db_release(s->app->db, c);
	if (replays > 0)
		log_msg(LOG_INFO, "replays no longer published: their registrants' identity goes", "webinars=%d", replays);
	if (n > 0)
		log_msg(LOG_INFO, "end-of-webinar data purged", "rows=%d", n);
	else if (n < 0)
		log_msg(LOG_WARN, "retention sweep failed", "step=webinars err=%d", n);
	if (r < 0)
		log_msg(LOG_WARN, "retention sweep failed", "step=expiry err=%d", r);
	if (k.accounts || k.warned || k.connection_logs || k.access_logs || k.audit || k.privacy_requests ||
	    k.reset_tokens || k.sessions || k.outbox)
		log_msg(LOG_INFO, "retention sweep deleted",
		        "accounts=%d warned=%d connection_logs=%d access_logs=%d audit=%d privacy_requests=%d "
		        "reset_tokens=%d sessions=%d outbox=%d", k.accounts, k.warned, k.connection_logs,
		        k.access_logs, k.audit, k.privacy_requests, k.reset_tokens, k.sessions, k.outbox);
}

struct sweep *sweep_start(struct control *app, int64_t interval_s)
{
	struct sweep *s = calloc(1, sizeof *s);
	int r;

	if (!s)
		return NULL;
	s->app = app;
	s->anchor_wall = amphi_now();
	s->anchor_boot_ns = boot_ns();
	sweep_run(s);
	log_msg(LOG_INFO, "retention sweep ran at start", NULL);
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
