/* store: the recording store as one object — the index, the blob folder and
 * the retention policy — and its front door: every change to a recording
 * (add, hold, expiry, publish, delete, expire) goes through a call here,
 * whichever front end asked for it (spool, import, FUSE, control socket,
 * reaper).  The front ends only translate a result into an errno or a JSON
 * answer; the rules live here once:
 *   - expiry: a new recording expires at webinar_date + [recording]; a
 *     recording's expires_at may move earlier at any time, later only up to
 *     rec_store_expiry_max (a refusal is logged, "expiry beyond policy
 *     refused");
 *   - legal hold: blocks deletion, expire-now and the reaper (not a change of
 *     expires_at: a held recording past its expiry stays visible);
 *   - audit: each change is audited by the index in the change's own
 *     transaction (actions in docs/recstore.md);
 *   - reaper: a change that may make a recording deletable at once (a hold
 *     lifted, an expiry or publication changed) wakes it
 *     (rec_store_set_waker), so the blob goes within moments, not within the
 *     reaper's interval.
 *
 * Layout under the store folder (--store): index/ (LMDB, recstore/index.h)
 * and blobs/ (one media file per recording, named by rec_entry.blob).  The
 * index is written first on the way in (after the blob is in place) and first
 * on the way out (a tombstone before the blob is unlinked), so a crash leaves
 * at worst an orphan blob on ingest (fsck removes it) or a tombstone whose
 * blob is still there (the reaper finishes it).
 *
 * Threads: every call may run on any thread (FUSE workers, the main thread's
 * control socket and spool, the reaper) at the same time; each opens its own
 * index transactions and copies entries out.  A rule that reads an entry and
 * then writes it (the policy maximum) runs in two transactions, like every
 * front end did before. */
#ifndef AMPHI_RECSTORE_STORE_H
#define AMPHI_RECSTORE_STORE_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/duration.h"
#include "recstore/index.h"

struct rec_store {
	struct rec_index *idx;        /* owned */
	char root[PATH_MAX];          /* the store folder; statfs reports its filesystem */
	char blob_dir[PATH_MAX];      /* root/blobs */
	struct duration keep;         /* [recording] retention, from the webinar date */
	struct duration keep_published; /* [recording_published]: the maximum once published */
	atomic_uint_fast64_t deleted; /* recordings deleted by users (FUSE rm, ctl delete) */
	atomic_uint_fast64_t expired; /* recordings deleted by the reaper or expire-now */
	pthread_mutex_t wake_lock;    /* guards wake and wake_arg, held while wake runs */
	void (*wake)(void *arg);      /* rec_store_set_waker; NULL: nobody to wake */
	void *wake_arg;
};

/* Opens root/index and root/blobs (created when missing).  0 or -errno with err. */
int rec_store_open(struct rec_store *st, const char *root, const struct duration *keep,
                   const struct duration *keep_published, size_t map_size, char *err, size_t errlen);
void rec_store_close(struct rec_store *st);

/* root/blobs/<e->blob> into buf; -ENAMETOOLONG when it does not fit. */
int rec_store_blob_path(const struct rec_store *st, const struct rec_entry *e, char *buf, size_t len);

/* expires_at a new recording gets: webinar_date + [recording]. */
int64_t rec_store_expiry_default(const struct rec_store *st, int64_t webinar_date);
/* The latest expires_at the policy allows for e: webinar_date + [recording],
 * or + [recording_published] once published. */
int64_t rec_store_expiry_max(const struct rec_store *st, const struct rec_entry *e, bool published);

/* ---- changes: each one audited; entries copied in and out ---------------- */

/* Indexes a new recording whose blob the caller has put in place (written,
 * fsynced, renamed into blob_dir as e->blob, folder synced): sets
 * e->expires_at to rec_store_expiry_default, commits the entry (audited
 * "add" by who; e->ino is assigned and written back).  On failure the blob is
 * unlinked, so no orphan stays behind: -EEXIST (the id is taken, even by a
 * tombstone), -EINVAL (names), or an index error. */
int rec_store_add(struct rec_store *st, struct rec_entry *e, const struct rec_actor *who);

/* Places or lifts a legal hold (audited "hold" / "unhold"; no change, no
 * record).  Lifting one wakes the reaper.  -ENOENT when not visible. */
int rec_store_hold(struct rec_store *st, const char *id, bool hold, const struct rec_actor *who);

/* Moves expires_at (audited "expiry"): earlier always, later only up to
 * rec_store_expiry_max for the recording as it is (-EPERM beyond it, logged;
 * *max, when not NULL, gets the maximum).  Wakes the reaper.  -ENOENT when
 * not visible.  Allowed under legal hold. */
int rec_store_set_expiry(struct rec_store *st, const char *id, int64_t expires_at,
                         const struct rec_actor *who, int64_t *max);

/* Publishes for replay or unpublishes (audited "publish") and sets
 * expires_at to *until, or when until is NULL to the policy maximum
 * (publishing) or the earlier of the current expiry and the maximum
 * (unpublishing).  The same maximum as rec_store_set_expiry, for the new
 * published state: -EPERM beyond it (logged, *max set).  0 with *expires_at
 * the new value; wakes the reaper.  -ENOENT when not visible. */
int rec_store_publish(struct rec_store *st, const char *id, bool published, const int64_t *until,
                      const struct rec_actor *who, int64_t *expires_at, int64_t *max);

/* Deletes a visible recording on a user's request (audited "delete" by who):
 * tombstone, blob, entry.  gone (may be NULL) gets the entry as it was, for a
 * front end that drops its caches.  -ENOENT when not visible, -EPERM under
 * legal hold, or an index error.  A failure after the tombstone leaves it for
 * rec_store_finish (the reaper retries). */
int rec_store_delete(struct rec_store *st, const char *id, const struct rec_actor *who,
                     struct rec_entry *gone);
/* Expires a visible recording now and deletes it at once (audited "expiry",
 * then "expire" by who).  gone as for rec_store_delete.  -ENOENT, -EPERM
 * under legal hold, or an index error. */
int rec_store_expire_now(struct rec_store *st, const char *id, const struct rec_actor *who,
                         struct rec_entry *gone);
/* The reaper's deletion of a recording found expired (audited "expire"): the
 * tombstone step re-checks the time and the hold in its own transaction.
 * -EAGAIN when not expired yet, -EPERM under hold, -ENOENT when gone. */
int rec_store_expire(struct rec_store *st, const char *id, const struct rec_actor *who);
/* fsck --repair: deletes an entry whose blob is gone (audited
 * "fsck-dangling"; counted in neither deleted nor expired).  -EPERM under
 * legal hold, -ENOENT when already a tombstone or absent. */
int rec_store_drop_dangling(struct rec_store *st, const struct rec_entry *e, const struct rec_actor *who);
/* Step 2 and 3 of a deletion for a tombstone: unlinks the blob (absent is
 * fine), syncs the folder, purges the entry. */
int rec_store_finish(struct rec_store *st, const struct rec_entry *tomb);

/* Who to wake after a change that may make a recording deletable at once:
 * the reaper sets itself at start and clears it (fn NULL) at stop.  fn runs
 * on the changing thread under st->wake_lock, which this call takes too: once
 * it returns with fn NULL, the previous fn is never called again. */
void rec_store_set_waker(struct rec_store *st, void (*fn)(void *arg), void *arg);

#endif
