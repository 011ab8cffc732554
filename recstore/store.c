/* store: see store.h. */
#include "recstore/store.h"
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
	return 0;
}

void rec_store_close(struct rec_store *st)
{
	rec_index_close(st->idx);
	st->idx = NULL;
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

int rec_store_delete(struct rec_store *st, const char *id, bool expired_only, const char *action,
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
