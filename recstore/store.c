/* store: see store.h. */
#include "recstore/store.h"
#include "common/clock.h"
#include "common/fsync.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rec_store_open(struct rec_store *st, const char *root, const struct duration *keep,
                   const struct duration *keep_published, size_t map_size, char *err, size_t errlen)
{
	char dir[PATH_MAX + 16];
	int rc;

	memset(st, 0, sizeof *st);
	if (strlen(root) >= sizeof st->root - 8) {
		snprintf(err, errlen, "%s: path too long", root);
		return -ENAMETOOLONG;
	}
	if (mkdir(root, 0750) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		return rc;
	}
	snprintf(st->root, sizeof st->root, "%s", root);
	snprintf(st->blob_dir, sizeof st->blob_dir, "%s/blobs", root);
	if (mkdir(st->blob_dir, 0750) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", st->blob_dir, strerror(errno));
		return rc;
	}
	snprintf(dir, sizeof dir, "%s/index", root);
	rc = rec_index_open(dir, map_size, &st->idx, err, errlen);
	if (rc)
		return rc;
	st->keep = *keep;
	st->keep_published = *keep_published;
	pthread_mutex_init(&st->wake_lock, NULL);
	return 0;
}

void rec_store_close(struct rec_store *st)
{
	rec_index_close(st->idx);
	st->idx = NULL;
	pthread_mutex_destroy(&st->wake_lock);
}

void rec_store_set_waker(struct rec_store *st, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&st->wake_lock);
	st->wake = fn;
	st->wake_arg = arg;
	pthread_mutex_unlock(&st->wake_lock);
}

static void wake_reaper(struct rec_store *st)
{
	pthread_mutex_lock(&st->wake_lock);
	if (st->wake)
		st->wake(st->wake_arg);
	pthread_mutex_unlock(&st->wake_lock);
}

int rec_store_blob_path(const struct rec_store *st, const struct rec_entry *e, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", st->blob_dir, e->blob);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int64_t rec_store_expiry_default(const struct rec_store *st, int64_t webinar_date)
{
	return duration_add(webinar_date, &st->keep);
}

int64_t rec_store_expiry_max(const struct rec_store *st, const struct rec_entry *e, bool published)
{
	int64_t a = duration_add(e->webinar_date, &st->keep);
	int64_t b = duration_add(e->webinar_date, &st->keep_published);

	/* A policy whose published maximum is shorter than the default never
	 * shortens a recording by publishing it. */
	return published && b > a ? b : a;
}

int rec_store_finish(struct rec_store *st, const struct rec_entry *tomb)
{
	char path[PATH_MAX + 8];
	int rc;

	if (tomb->blob[0]) {
		if ((rc = rec_store_blob_path(st, tomb, path, sizeof path)))
			return rc;
		if (unlink(path) < 0 && errno != ENOENT) {
			rc = -errno;
			log_msg(LOG_ERROR, "blob unlink failed", "id=%s errno=%d", tomb->id, errno);
			return rc;
		}
		fsync_dir(st->blob_dir);
	}
	rc = rec_index_purge(st->idx, tomb->id);
	if (rc)
		log_msg(LOG_ERROR, "index purge failed", "id=%s rc=%d", tomb->id, rc);
	return rc;
}

/* The three steps of a deletion, counted and logged once done. */
static int delete_steps(struct rec_store *st, const char *id, bool expired_only, const char *action,
                        const struct rec_actor *who)
{
	struct rec_entry e;
	int rc;

	rc = rec_index_tombstone(st->idx, id, expired_only, action, who);
	if (rc)
		return rc;
	rc = rec_index_get_any(st->idx, id, &e);
	if (rc == 0)
		rc = rec_store_finish(st, &e);
	if (rc == 0) {
		if (expired_only)
			atomic_fetch_add(&st->expired, 1);
		else
			atomic_fetch_add(&st->deleted, 1);
		log_msg(LOG_INFO, "recording deleted", "id=%s action=%s by=\"%s\"", id, action,
		        who && who->by ? who->by : "");
	}
	return rc;
}

int rec_store_delete(struct rec_store *st, const char *id, const struct rec_actor *who,
                     struct rec_entry *gone)
{
	struct rec_entry e;
	int rc = rec_index_get(st->idx, id, &e);

	if (rc == 0)
		rc = delete_steps(st, id, false, "delete", who);
	if (rc == 0 && gone)
		*gone = e;
	return rc;
}

int rec_store_expire_now(struct rec_store *st, const char *id, const struct rec_actor *who,
                         struct rec_entry *gone)
{
	struct rec_entry e;
	int rc = rec_index_get(st->idx, id, &e);

	if (rc)
		return rc;
	if (e.legal_hold)
		return -EPERM;
	/* Visible and not held: now is before expires_at, so this shortens it. */
	rc = rec_index_set_expiry(st->idx, id, amphi_now(), who);
	if (rc == 0)
		rc = delete_steps(st, id, true, "expire", who);
	if (rc == 0 && gone)
		*gone = e;
	return rc;
}

int rec_store_expire(struct rec_store *st, const char *id, const struct rec_actor *who)
{
	return delete_steps(st, id, true, "expire", who);
}

int rec_store_drop_dangling(struct rec_store *st, const struct rec_entry *e, const struct rec_actor *who)
{
	bool expired = amphi_now() >= e->expires_at;
	int rc = rec_index_tombstone(st->idx, e->id, expired, "fsck-dangling", who);

	return rc ? rc : rec_store_finish(st, e);
}

int rec_store_add(struct rec_store *st, struct rec_entry *e, const struct rec_actor *who)
{
	char blob[PATH_MAX + REC_BLOB_MAX + 2];
	int rc;

	e->expires_at = rec_store_expiry_default(st, e->webinar_date);
	rc = rec_index_put(st->idx, e, who);
	if (rc && rec_store_blob_path(st, e, blob, sizeof blob) == 0)
		unlink(blob);   /* a blob without its entry would be an orphan */
	return rc;
}

int rec_store_hold(struct rec_store *st, const char *id, bool hold, const struct rec_actor *who)
{
	int rc = rec_index_set_hold(st->idx, id, hold, who);

	if (rc == 0 && !hold)
		wake_reaper(st);
	return rc;
}

/* The policy rule for a new expires_at: later than both the current one and
 * the maximum is refused (earlier, or up to the maximum, is fine). */
static int expiry_check(const struct rec_entry *e, int64_t when, int64_t max)
{
	char a[32], b[32];

	if (when <= e->expires_at || when <= max)
		return 0;
	log_msg(LOG_WARN, "expiry beyond policy refused", "id=%s asked=%s max=%s", e->id,
	        amphi_time_iso(when, a, sizeof a), amphi_time_iso(max, b, sizeof b));
	return -EPERM;
}

int rec_store_set_expiry(struct rec_store *st, const char *id, int64_t expires_at,
                         const struct rec_actor *who, int64_t *max)
{
	struct rec_entry e;
	int64_t m;
	int rc = rec_index_get(st->idx, id, &e);

	if (rc)
		return rc;
	m = rec_store_expiry_max(st, &e, e.published);
	if (max)
		*max = m;
	if ((rc = expiry_check(&e, expires_at, m)))
		return rc;
	rc = rec_index_set_expiry(st->idx, id, expires_at, who);
	if (rc == 0)
		wake_reaper(st);
	return rc;
}

int rec_store_publish(struct rec_store *st, const char *id, bool published, const int64_t *until,
                      const struct rec_actor *who, int64_t *expires_at, int64_t *max)
{
	struct rec_entry e;
	int64_t m, when;
	int rc = rec_index_get(st->idx, id, &e);

	if (rc)
		return rc;
	m = rec_store_expiry_max(st, &e, published);
	if (max)
		*max = m;
	if (until)
		when = *until;
	else
		when = published ? m : (e.expires_at < m ? e.expires_at : m);
	if ((rc = expiry_check(&e, when, m)))
		return rc;
	rc = rec_index_set_published(st->idx, id, published, when, who);
	if (rc)
		return rc;
	*expires_at = when;
	wake_reaper(st);
	return 0;
}
