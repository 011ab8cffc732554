/* spool: see spool.h. */
#include "recstore/spool.h"
#include "common/clock.h"
#include "common/fsync.h"
#include "common/journal.h"
#include "common/log.h"
#include "recstore/ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEFERRED 1024   /* journals waiting for a retry; more wait for the next scan */

struct deferred {
	char name[NAME_MAX + 1];
	int64_t retry_ns;   /* monotonic time of the next attempt */
	unsigned failures;  /* attempts that failed in a row: the backoff's exponent */
};

struct rec_spool {
	struct rec_store *st;      /* borrowed */
	struct rec_ctl *ctl;       /* borrowed: counters */
	char ready[PATH_MAX], failed[PATH_MAX];
	int ifd;                   /* inotify on ready/ */
	int64_t retry_first_ns;    /* wait after the first failure; doubles per failure */
	int64_t retry_max_ns;      /* up to this */
	bool dirty;                /* something arrived since the last scan */
	struct deferred *def;
	size_t ndef;
};

static int mkdirs(const char *path)
{
	return mkdir(path, 0750) < 0 && errno != EEXIST ? -errno : 0;
}

int rec_spool_open(const char *dir, struct rec_store *st, struct rec_ctl *ctl,
                   const struct rec_spool_retry *retry, struct rec_spool **out, char *err, size_t errlen)
{
	struct rec_spool *sp = calloc(1, sizeof *sp);
	int rc;

	if (!sp)
		return -ENOMEM;
	sp->st = st;
	sp->ctl = ctl;
	sp->retry_first_ns = (retry && retry->first_ms > 0 ? retry->first_ms : 5000) * 1000000LL;
	sp->retry_max_ns = (retry && retry->max_ms > 0 ? retry->max_ms : 60000) * 1000000LL;
	if (sp->retry_max_ns < sp->retry_first_ns)
		sp->retry_max_ns = sp->retry_first_ns;
	sp->dirty = true;   /* the scan at start */
	if ((size_t)snprintf(sp->ready, sizeof sp->ready, "%s/ready", dir) >= sizeof sp->ready ||
	    (size_t)snprintf(sp->failed, sizeof sp->failed, "%s/failed", dir) >= sizeof sp->failed) {
		snprintf(err, errlen, "%s: path too long", dir);
		free(sp);
		return -ENAMETOOLONG;
	}
	if ((rc = mkdirs(dir)) || (rc = mkdirs(sp->ready)) || (rc = mkdirs(sp->failed))) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
		free(sp);
		return rc;
	}
	sp->def = calloc(MAX_DEFERRED, sizeof *sp->def);
	sp->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (!sp->def || sp->ifd < 0 ||
	    inotify_add_watch(sp->ifd, sp->ready, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: inotify: %s", sp->ready, strerror(errno));
		if (sp->ifd >= 0)
			close(sp->ifd);
		free(sp->def);
		free(sp);
		return rc;
	}
	*out = sp;
	return 0;
}

int rec_spool_fd(const struct rec_spool *sp)
{
	return sp->ifd;
}

void rec_spool_close(struct rec_spool *sp)
{
	if (!sp)
		return;
	close(sp->ifd);
	free(sp->def);
	free(sp);
}

static struct deferred *deferred_find(struct rec_spool *sp, const char *name)
{
	for (size_t i = 0; i < sp->ndef; i++)
		if (strcmp(sp->def[i].name, name) == 0)
			return &sp->def[i];
	return NULL;
}

static void deferred_drop(struct rec_spool *sp, const char *name)
{
	struct deferred *d = deferred_find(sp, name);
	if (d)
		*d = sp->def[--sp->ndef];
}

/* Schedules the next attempt at a journal that failed for a passing reason:
 * retry_first after the first failure, doubling up to retry_max, so a disk
 * that stays full costs one attempt per retry_max while one freed quickly is
 * noticed within seconds.  Returns the failure count (1 for the first). */
static unsigned defer(struct rec_spool *sp, const char *name, int64_t *wait_ms)
{
	struct deferred *d = deferred_find(sp, name);
	int64_t wait = sp->retry_first_ns;

	if (!d && sp->ndef < MAX_DEFERRED) {
		d = &sp->def[sp->ndef++];
		snprintf(d->name, sizeof d->name, "%s", name);
		d->failures = 0;
	}
	if (!d) {   /* table full: the next scan finds it again */
		*wait_ms = 0;
		return 1;
	}
	d->failures++;
	for (unsigned i = 1; i < d->failures && wait < sp->retry_max_ns; i++)
		wait *= 2;
	if (wait > sp->retry_max_ns)
		wait = sp->retry_max_ns;
	d->retry_ns = amphi_mono_ns() + wait;
	*wait_ms = wait / 1000000;
	return d->failures;
}

/* Moves a journal that can never become media to failed/, with its reason. */
static void fail_journal(struct rec_spool *sp, const char *name, const char *reason)
{
	char from[PATH_MAX + NAME_MAX + 2], to[PATH_MAX + NAME_MAX + 2], rpath[PATH_MAX + NAME_MAX + 16], q[512];
	FILE *f;

	snprintf(from, sizeof from, "%s/%s", sp->ready, name);
	snprintf(to, sizeof to, "%s/%s", sp->failed, name);
	if (rename(from, to) < 0) {
		int64_t wait_ms;
		log_msg(LOG_ERROR, "cannot move a failed journal", "journal=%s errno=%d", name, errno);
		defer(sp, name, &wait_ms);   /* do not spin on it */
		return;
	}
	snprintf(rpath, sizeof rpath, "%s/%s.reason", sp->failed, name);
	f = fopen(rpath, "w");
	if (f) {
		fprintf(f, "%s\n", reason);
		fclose(f);
	}
	fsync_dir(sp->failed);
	fsync_dir(sp->ready);
	atomic_fetch_add(&sp->ctl->ingest_failed, 1);
	log_msg(LOG_ERROR, "journal moved to failed", "journal=%s reason=%s", name,
	        log_quote(q, sizeof q, reason));
}

static void remove_journal(struct rec_spool *sp, const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		log_msg(LOG_ERROR, "cannot delete an ingested journal", "path=%s errno=%d", path, errno);
	fsync_dir(sp->ready);
}

static void ingest_one(struct rec_spool *sp, const char *name)
{
	static const struct rec_actor ingest = { "ingest", "journal from the relay" };
	char path[PATH_MAX + NAME_MAX + 2], err[512], q[600];
	struct journal_header hdr;
	struct journal_reader *rd;
	struct rec_media m;
	struct rec_entry e;
	const char *base;
	int64_t t0 = amphi_mono_ns(), wait_ms;
	unsigned attempt;
	int rc;

	snprintf(path, sizeof path, "%s/%s", sp->ready, name);
	rc = journal_open(path, &hdr, &rd, err, sizeof err);
	if (rc == -ENOENT)
		return;
	if (rc == -EBADMSG || rc == -EPROTONOSUPPORT) {
		fail_journal(sp, name, err);
		return;
	}
	if (rc) {
		attempt = defer(sp, name, &wait_ms);
		log_msg(LOG_WARN, "journal unreadable, will retry", "journal=%s attempt=%u retry_in_ms=%lld reason=%s",
		        name, attempt, (long long)wait_ms, log_quote(q, sizeof q, err));
		atomic_fetch_add(&sp->ctl->ingest_retried, 1);
		return;
	}
	journal_close(rd);
	if (!rec_name_valid(hdr.recording) || !rec_name_valid(hdr.webinar) || !rec_name_valid(hdr.org)) {
		fail_journal(sp, name, "recording, webinar or organization id not usable as a file name");
		return;
	}
	if (rec_index_get_any(sp->st->idx, hdr.recording, &e) == 0) {
		/* Committed by an earlier run that stopped before deleting the journal. */
		log_msg(LOG_INFO, "journal already ingested, deleting it", "journal=%s id=%s", name, hdr.recording);
		remove_journal(sp, path);
		deferred_drop(sp, name);
		return;
	}
	rc = rec_ingest_journal(path, sp->st->blob_dir, &m, err, sizeof err);
	if (rc == -EBADMSG || rc == -ENOTSUP || rc == -EINVAL) {
		fail_journal(sp, name, err);
		deferred_drop(sp, name);
		return;
	}
	if (rc) {
		/* rec_ingest_journal removed its temporary file: nothing is left in
		 * the blob folder, the journal stays in ready/ as it was. */
		attempt = defer(sp, name, &wait_ms);
		log_msg(rc == -ENOSPC || rc == -EDQUOT || rc == -EFBIG ? LOG_ERROR : LOG_WARN,
		        rc == -ENOSPC || rc == -EDQUOT ? "blob folder full: ingest failed, journal kept for a retry"
		                                       : "ingest failed, journal kept for a retry",
		        "journal=%s rc=%d attempt=%u retry_in_ms=%lld reason=%s", name, rc, attempt,
		        (long long)wait_ms, log_quote(q, sizeof q, err));
		atomic_fetch_add(&sp->ctl->ingest_retried, 1);
		return;
	}

	memset(&e, 0, sizeof e);
	base = strrchr(m.path, '/');
	base = base ? base + 1 : m.path;
	snprintf(e.id, sizeof e.id, "%s", m.id);
	snprintf(e.webinar, sizeof e.webinar, "%s", m.webinar);
	snprintf(e.org, sizeof e.org, "%s", m.org);
	if (strlen(base) >= sizeof e.blob) {   /* ids are < 64 bytes: cannot happen with a valid journal */
		unlink(m.path);
		fail_journal(sp, name, "blob name too long");
		return;
	}
	memcpy(e.blob, base, strlen(base) + 1);
	snprintf(e.sha256, sizeof e.sha256, "%s", m.sha256);
	snprintf(e.codecs, sizeof e.codecs, "%s", m.codecs);
	for (char *c = e.codecs; *c; c++)
		if (*c == '+')
			*c = ',';   /* the same spelling as imports: "vp8,opus" */
	e.webinar_date = m.webinar_date;
	e.start = m.start;
	e.end = m.end;
	e.duration_ms = m.duration_ms;
	e.size = m.size;
	rc = rec_store_add(sp->st, &e, &ingest);
	if (rc) {
		/* rec_store_add removed the blob (no orphan): retry later. */
		attempt = defer(sp, name, &wait_ms);
		log_msg(LOG_ERROR, "index commit failed, journal kept for a retry",
		        "journal=%s id=%s rc=%d attempt=%u retry_in_ms=%lld", name, e.id, rc, attempt,
		        (long long)wait_ms);
		atomic_fetch_add(&sp->ctl->ingest_retried, 1);
		return;
	}
	remove_journal(sp, path);
	{
		struct deferred *d = deferred_find(sp, name);
		attempt = d ? d->failures + 1 : 1;
	}
	deferred_drop(sp, name);
	atomic_fetch_add(&sp->ctl->ingested, 1);
	log_msg(LOG_INFO, "recording ingested",
	        "id=%s webinar=%s size=%llu duration_ms=%lld codecs=%s records=%llu crc_errors=%llu torn=%d "
	        "dropped=%llu took_ms=%lld attempt=%u", e.id, e.webinar, (unsigned long long)e.size,
	        (long long)e.duration_ms, e.codecs, (unsigned long long)m.records,
	        (unsigned long long)m.crc_errors, m.torn, (unsigned long long)m.packets_dropped,
	        (long long)((amphi_mono_ns() - t0) / 1000000), attempt);
}

static bool is_journal(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".amj") == 0;
}

void rec_spool_step(struct rec_spool *sp, bool readable)
{
	int64_t now = amphi_mono_ns();
	bool due = false;
	struct dirent *de;
	DIR *d;

	if (readable) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		while (read(sp->ifd, buf, sizeof buf) > 0)
			sp->dirty = true;
	}
	for (size_t i = 0; i < sp->ndef; i++)
		if (sp->def[i].retry_ns <= now)
			due = true;
	if (!sp->dirty && !due)
		return;
	sp->dirty = false;
	d = opendir(sp->ready);
	if (!d) {
		log_msg(LOG_ERROR, "spool unreadable", "dir=%s errno=%d", sp->ready, errno);
		return;
	}
	while ((de = readdir(d))) {
		struct deferred *df;

		if (!is_journal(de->d_name))
			continue;
		df = deferred_find(sp, de->d_name);
		if (df && df->retry_ns > now)
			continue;
		ingest_one(sp, de->d_name);
	}
	closedir(d);
	/* Forget retries of journals that went away (moved by an operator). */
	for (size_t i = 0; i < sp->ndef;) {
		char p[PATH_MAX + NAME_MAX + 2];
		snprintf(p, sizeof p, "%s/%s", sp->ready, sp->def[i].name);
		if (access(p, F_OK) < 0)
			sp->def[i] = sp->def[--sp->ndef];
		else
			i++;
	}
}
