/* media_session: see media_session.h. */
#include "control/media_session.h"
#include "control/control.h"
#include "control/db.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/periodic.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct media_sessions {
	struct control *app;               /* borrowed: main.c destroys the owners first */
	const struct media_session_ops *ops;
	size_t max;
	pthread_mutex_t lock;              /* guards list, n */
	struct media_session *list;
	size_t n;
	struct periodic *sweeper;          /* NULL when it could not start */
};

void *media_session_new(size_t size)
{
	struct media_session *s = calloc(1, size);
	unsigned char b[MEDIA_SESSION_ID_BYTES];

	if (!s)
		return NULL;
	s->size = size;
	randombytes_buf(b, sizeof b);
	sodium_bin2base64(s->id, sizeof s->id, b, sizeof b, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(b, sizeof b);
	return s;
}

void media_session_free(struct media_session *s)
{
	if (!s)
		return;
	sodium_memzero(s, s->size);        /* the secret id, and the owner's secrets after it */
	free(s);
}

bool media_sessions_full(struct media_sessions *t)
{
	bool full;

	pthread_mutex_lock(&t->lock);
	full = t->n >= t->max;
	pthread_mutex_unlock(&t->lock);
	return full;
}

void media_sessions_insert(struct media_sessions *t, struct media_session *s)
{
	s->created_ns = (int64_t)amphi_mono_ns();
	pthread_mutex_lock(&t->lock);
	s->next = t->list;
	t->list = s;
	t->n++;
	pthread_mutex_unlock(&t->lock);
}

void media_sessions_lock(struct media_sessions *t) { pthread_mutex_lock(&t->lock); }
void media_sessions_unlock(struct media_sessions *t) { pthread_mutex_unlock(&t->lock); }

/* The link that points at the session with this secret id; lock held. */
static struct media_session **find_link(struct media_sessions *t, const char *id, int64_t webinar, int kind)
{
	struct media_session **found = NULL;

	if (!id || strlen(id) != MEDIA_SESSION_ID_CHARS)
		return NULL;
	for (struct media_session **pp = &t->list; *pp; pp = &(*pp)->next)
		if (sodium_memcmp((*pp)->id, id, MEDIA_SESSION_ID_CHARS) == 0 && (*pp)->webinar == webinar &&
		    (*pp)->kind == kind)
			found = pp;
	return found;
}

struct media_session *media_sessions_find(struct media_sessions *t, const char *id, int64_t webinar, int kind)
{
	struct media_session **pp = find_link(t, id, webinar, kind);

	return pp ? *pp : NULL;
}

/* Unlinks *pp; lock held. */
static struct media_session *unlink_at(struct media_sessions *t, struct media_session **pp)
{
	struct media_session *s = *pp;

	*pp = s->next;
	s->next = NULL;
	t->n--;
	return s;
}

struct media_session *media_sessions_take(struct media_sessions *t, const char *id, int64_t webinar, int kind)
{
	struct media_session *s = NULL, **pp;

	pthread_mutex_lock(&t->lock);
	if ((pp = find_link(t, id, webinar, kind)))
		s = unlink_at(t, pp);
	pthread_mutex_unlock(&t->lock);
	return s;
}

struct media_session *media_sessions_take_kind(struct media_sessions *t, int64_t webinar, int kind)
{
	struct media_session *s = NULL;

	pthread_mutex_lock(&t->lock);
	for (struct media_session **pp = &t->list; *pp; pp = &(*pp)->next)
		if ((*pp)->webinar == webinar && (*pp)->kind == kind) {
			s = unlink_at(t, pp);
			break;
		}
	pthread_mutex_unlock(&t->lock);
	return s;
}

/* Unlinks the session of this relay peer id (ids are unique per process). */
static struct media_session *take_peer(struct media_sessions *t, const char *peer)
{
	struct media_session *s = NULL;

	pthread_mutex_lock(&t->lock);
	for (struct media_session **pp = &t->list; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->peer, peer) == 0) {
			s = unlink_at(t, pp);
			break;
		}
	pthread_mutex_unlock(&t->lock);
	return s;
}

/* Unlinks every session of webinar (token_id 0) or of token_id (webinar
 * 0) and returns them chained through next; *n counts them. */
static struct media_session *take_all(struct media_sessions *t, int64_t webinar, int64_t token_id, int *n)
{
	struct media_session *gone = NULL;

	*n = 0;
	pthread_mutex_lock(&t->lock);
	for (struct media_session **pp = &t->list; *pp;) {
		struct media_session *s = *pp;

		if (webinar ? s->webinar != webinar : s->token_id != token_id) {
			pp = &s->next;
			continue;
		}
		unlink_at(t, pp);
		s->next = gone;
		gone = s;
		(*n)++;
	}
	pthread_mutex_unlock(&t->lock);
	return gone;
}

int media_sessions_webinar_ended(struct media_sessions *t, int64_t webinar)
{
	struct media_session *gone;
	int n;

	if (!t || !webinar)
		return 0;
	gone = take_all(t, webinar, 0, &n);
	while (gone) {
		struct media_session *next = gone->next;
		media_session_free(gone);
		gone = next;
	}
	if (n)
		log_msg(LOG_INFO, "sessions ended with the webinar", "what=\"%s\" webinar=%lld n=%d", t->ops->what,
		        (long long)webinar, n);
	return n;
}

int media_sessions_token_end(struct media_sessions *t, int64_t token_id)
{
	struct media_session *gone;
	int n;

	if (!t || !token_id)
		return 0;
	gone = take_all(t, 0, token_id, &n);
	/* the relay is asked without the lock: its peer goes now, not at the
	 * next sweep */
	while (gone) {
		struct media_session *next = gone->next;
		t->ops->relay_remove(t->app, gone->webinar, gone->peer);
		log_msg(LOG_INFO, "session ended with its token", "what=\"%s\" webinar=%lld peer=%s", t->ops->what,
		        (long long)gone->webinar, gone->peer);
		media_session_free(gone);
		gone = next;
	}
	return n;
}

/* One pass: ends the sessions whose webinar is no longer live or whose
 * token died, and those whose peer the relay dropped (ops->relay_dropped).
 * It works on a copy taken under the lock; the database and the relay are
 * asked without it, and a session DELETEd meanwhile is simply not found. */
static void sweep(void *arg)
{
	struct media_sessions *t = arg;
	struct control *app = t->app;
	struct media_session_snap *snap = NULL;
	size_t n = 0;
	int64_t now = amphi_now();
	sqlite3 *db;

	pthread_mutex_lock(&t->lock);
	if (t->n && (snap = calloc(t->n, sizeof *snap)))
		for (struct media_session *s = t->list; s; s = s->next, n++) {
			snap[n] = (struct media_session_snap){ s->webinar, s->token_id, s->created_ns, s->kind,
			                                       "", NULL, false };
			memcpy(snap[n].peer, s->peer, sizeof s->peer);
		}
	pthread_mutex_unlock(&t->lock);
	if (!n)
		goto out;
	db = db_acquire(app->db);
	for (size_t i = 0; i < n; i++) {
		if (db_int(db, 0, "SELECT COUNT(*) FROM webinars WHERE id = ? AND state = 'live'", "i",
		           snap[i].webinar) != 1)
			snap[i].why = "webinar not live";
		else if (snap[i].token_id && db_int(db, 0, "SELECT COUNT(*) FROM tokens WHERE id = ? AND "
		                                    "revoked_at IS NULL AND expires_at > ?", "ii",
		                                    snap[i].token_id, now) != 1)
			snap[i].why = "token expired or revoked";
	}
	db_release(app->db, db);
	if (t->ops->relay_dropped)
		t->ops->relay_dropped(app, snap, n);
	for (size_t i = 0; i < n; i++) {
		struct media_session *s;
		if (!snap[i].why || !(s = take_peer(t, snap[i].peer)))
			continue;
		if (!snap[i].relay_dropped)
			t->ops->relay_remove(app, snap[i].webinar, snap[i].peer);
		log_msg(LOG_INFO, "session swept", "what=\"%s\" webinar=%lld peer=%s reason=\"%s\"", t->ops->what,
		        (long long)snap[i].webinar, snap[i].peer, snap[i].why);
		media_session_free(s);
	}
out:
	free(snap);
}

struct media_sessions *media_sessions_create(struct control *app, const struct media_session_ops *ops,
                                             size_t max_sessions, unsigned sweep_ms)
{
	struct media_sessions *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->app = app;
	t->ops = ops;
	t->max = max_sessions;
	pthread_mutex_init(&t->lock, NULL);
	if (periodic_start(sweep_ms * 1000000LL, sweep, t, &t->sweeper) != 0)
		log_msg(LOG_ERROR, "cannot start a session sweeper", "what=\"%s\"", ops->what);
	return t;
}

void media_sessions_destroy(struct media_sessions *t)
{
	if (!t)
		return;
	periodic_stop(t->sweeper);
	while (t->list) {
		struct media_session *next = t->list->next;
		media_session_free(t->list);
		t->list = next;
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

size_t media_sessions_of_token(struct media_sessions *t, int64_t token_id, struct media_session_snap *out,
                               size_t max)
{
	size_t n = 0;

	if (!t || !token_id)
		return 0;
	pthread_mutex_lock(&t->lock);
	for (struct media_session *s = t->list; s && n < max; s = s->next) {
		if (s->token_id != token_id)
			continue;
		out[n] = (struct media_session_snap){ .webinar = s->webinar, .token_id = s->token_id,
		                                      .created_ns = s->created_ns, .kind = s->kind };
		memcpy(out[n].peer, s->peer, sizeof out[n].peer);
		n++;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

json_t *media_session_snap_json(const struct media_session_snap *s, const char *kind)
{
	/* created_ns is monotonic: its wall-clock time is now less the age */
	int64_t age_s = ((int64_t)amphi_mono_ns() - s->created_ns) / 1000000000LL;
	char since[32];

	return json_pack("{s:I,s:s,s:s,s:s}", "webinar_id", (json_int_t)s->webinar, "kind", kind, "peer", s->peer,
	                 "since", amphi_time_iso(amphi_now() - age_s, since, sizeof since));
}
